"""The answers the adapter gives on its own (a 400 for a malformed event, a 500 for a failed app,
a 504, a too-large answer) and the logger they are reported to.

The logger is imported only when something is logged: ``logging`` costs start-up time.
"""

from __future__ import annotations

import sys

from .._errors import BadRequest
from .._model import Response
from .._model import seconds_left as _seconds_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any


def logger() -> logging.Logger:
    """The ``lambda_adapter`` logger."""
    import logging

    return logging.getLogger("lambda_adapter")


def request_id(context: object) -> str:
    """The Lambda request id, for log lines, or ``-`` when the context has none."""
    try:
        return str(getattr(context, "aws_request_id", "-"))
    except Exception:  # a context of any shape: a property that raises is no request id
        return "-"


_UNTIMED: list[bool] = []  # whether the "no deadline" line was logged: once per container


def seconds_left(context: object, margin: float) -> float | None:
    """Seconds until the deadline less ``margin``, or None (no deadline guard) for a context that
    does not tell; that is logged at DEBUG once per container."""
    left = _seconds_left(context, margin)
    # without logging imported no handler could show a DEBUG line: not imported for it (cold start)
    if left is None and not _UNTIMED and "logging" in sys.modules:
        _UNTIMED.append(True)
        logger().debug(
            "the Lambda context (%s) gives no remaining time: requests run without a deadline guard",
            type(context).__name__,
        )
    return left


def answer_for_malformed(exc: Exception, context: Any) -> Response:
    """The answer to an event its translator could not read: a ``BadRequest`` (the translators check
    what events may lack or carry wrongly) is the client's 400; anything else is the adapter's own
    bug, a 500 with the traceback in the log, never blamed on the client."""
    if isinstance(exc, BadRequest):
        return bad_request(exc, context)
    logger().error("lambda-adapter failed to translate the event (request %s): a bug in lambda-adapter",
                   request_id(context), exc_info=exc)  # fmt: skip
    return server_error()


def bad_request(exc: BaseException, context: Any) -> Response:
    """The 400 for an event whose content is unusable; the reason is logged, not echoed."""
    # the reason names what was wrong, never the request's content: no request data in logs
    if isinstance(exc, BadRequest):
        reason = str(exc)
    elif isinstance(exc, KeyError):  # the WebSocket translator's (lambda_adapter._events.websocket)
        reason = f"the event lacks the field {exc}"
    else:
        reason = f"a field of the event has the wrong type ({type(exc).__name__})"
    status = exc.status if isinstance(exc, BadRequest) else 400
    logger().warning("%d for a malformed event (request %s): %s", status, request_id(context), reason)
    text = b"Payload Too Large" if status == 413 else b"Bad Request"
    return Response(status, [("Content-Type", "text/plain; charset=utf-8")], text)


def too_large(size: int, limit: int) -> Response:
    """The answer that replaces one over the source's size limit."""
    body = f"Response too large: {size} bytes once encoded; the limit is {limit} bytes.".encode()
    return Response(500, [("Content-Type", "text/plain; charset=utf-8")], body)


def server_error() -> Response:
    """The 500 for an app that failed: a generic body, never the traceback."""
    return Response(500, [("Content-Type", "text/plain; charset=utf-8")], b"Internal Server Error")


def gateway_timeout() -> Response:
    """The 504 for an app cancelled near the Lambda deadline."""
    return Response(504, [("Content-Type", "text/plain; charset=utf-8")], b"Gateway Timeout")
