"""The neutral request and response forms every translator and runner share.

The request is a CGI environ (``Environ``), the form PEP 3333, gunicorn and Werkzeug's server
build, with the request body beside it. Every translator fills:
- ``REQUEST_METHOD``, ``SCRIPT_NAME`` and ``PATH_INFO`` (percent-decoded bytes as latin-1),
  ``QUERY_STRING`` (encoded, ASCII), ``RAW_URI`` (the request target as sent, as gunicorn has it),
  ``SERVER_NAME``, ``SERVER_PORT`` (a str), ``wsgi.url_scheme``;
- one ``HTTP_*`` (or ``CONTENT_TYPE`` / ``CONTENT_LENGTH``) per header, in the event's order,
  repeated values joined, values as latin-1 native strings;
- ``REMOTE_ADDR`` and ``REMOTE_USER`` when the event knows them.
The WSGI runner adds the ``wsgi.*`` keys; the ASGI runner derives its scope from these keys.

The response is a ``Response``: headers as latin-1 ``str`` pairs in the order the app sent them.

Beside them: the limits every part shares, the deadline arithmetic every runner needs, and the
errors the adapter raises, each naming whose fault it was (the public ones are re-exported by the
package). ``Options`` (what ``adapt()`` was told) lives in ``_options``; the aliases and protocols the
layers implement (sinks, the connection store, the context) in ``_typing``, for type checkers only.
One module for all of it: each module on the cold path costs an import (SPEC section 8, issue 17).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Response:
    """The app's answer: status, headers in order, the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers!r}, {len(self.body)} bytes)"


def seconds_left(context: Any, margin: float) -> float | None:
    """Seconds until the deadline less ``margin``; None when the context does not tell.

    A context of any shape is taken (None, a dict, a test double): one without the method, or
    whose method raises or answers no finite number, means "no deadline", never a failed request.
    """
    try:
        remaining = float(context.get_remaining_time_in_millis())
    except Exception:  # absent, NotImplementedError (Mangum's test context), not a number...
        return None
    if remaining != remaining or remaining in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return remaining / 1000 - margin


# The limits and defaults every part shares, written once.
RESULT_LIMIT = 6_291_556  # the largest synchronous Lambda result, as Lambda's own error states it
LAMBDA_MAX_SECONDS = 900  # the longest a Lambda invocation runs: no time option may exceed it
NO_BODY = frozenset((204, 304))  # with HEAD and 1xx: answers that carry no body (RFC 9110 section 6.4.1)


# The errors the adapter raises; each names whose fault it was.
class UnsupportedEvent(ValueError):
    """The event is no source the adapter knows (bad input, the caller's fault)."""


class InvalidResponse(RuntimeError):
    """The app broke the WSGI or ASGI protocol (the app's fault)."""


class LifespanFailure(RuntimeError):
    """The ASGI app's lifespan startup failed."""


class BadRequest(ValueError):
    """A known event whose content is unusable: answered with a 400, never raised to Lambda."""

    status = 400


class PayloadTooLarge(BadRequest):
    """A request body cut short before it reached us: answered with a 413."""

    status = 413


class DeadlineExceeded(RuntimeError):
    """The app was still running when the Lambda deadline (less the margin) came."""


class EventFailed(RuntimeError):
    """The app answered a non-HTTP event (SQS, SNS, ...) posted to its route with an error status.

    Raised to Lambda so that the event source's retry policy (and dead-letter queue) applies.
    """
