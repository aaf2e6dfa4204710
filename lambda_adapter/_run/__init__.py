"""The runners (``wsgi``, ``asgi`` and its ``container``, the WebSocket runners beside them) and, here,
what they all share: the answer on its way out, the sinks every runner sends it through, the rules
they apply once for every transport, and the answers the adapter gives on its own (400, 500, 504,
too large). Here rather than in a module of its own: every runner needs it, and each module on the
cold path costs an import (issue 17).

Invariants:
- A runner calls ``start`` once (again only to replace an answer nothing of has gone out), ``body``
  per part and ``end`` after the last part, before the app's remaining work runs; ``whole`` is all
  three. ``Answer`` applies, for both transports: no body for HEAD, 1xx, 204 and 304; the headers
  ``exclude_headers`` names removed. ``Buffered`` makes the Lambda result at ``end`` (translated
  back, size limit checked) and hands it to the invocation's sink; the streaming sink
  (``_run.streaming``) writes the prelude at ``start`` and each part at once.
- A failure: before anything went out, the answer is replaced (500, 504); after ``end`` it stands
  (logged); in between (a stream cut short) it is raised, and the runtime ends the stream. A
  translator that fails on the app's answer at ``Buffered.end`` is the adapter's bug: the 500 goes out.
- The logger is imported only when something is logged: ``logging`` costs start-up time.
"""

from __future__ import annotations

import sys

from .._events import NAMES
from .._model import NO_BODY, RESULT_LIMIT, BadRequest, InvalidResponse, Response
from .._model import seconds_left as _seconds_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

    from .._options import Options
    from .._typing import Event, LambdaContext, ResponseSink, Result, Sink

_LIMITS = {"alb": 1_000_000}  # ALB caps a Lambda answer at 1 MB
# JSON escapes a character into at most 12 bytes (with ensure_ascii, as runtimes before python3.12 write results):
# a character beyond the BMP is a surrogate pair, \ud83d\ude00
_ESCAPED_MAX = 12
# source -> the longest body under its limit whatever JSON escaping adds (_ESCAPED_MAX a character,
# 64 KB for the rest: size_and_limit's test), so that such a body is not measured; Lambda@Edge's always is
_UNMEASURED = {"alb": (_LIMITS["alb"] - 65536) // _ESCAPED_MAX, "edge": -1}
_UNMEASURED_ELSE = (RESULT_LIMIT - 65536) // _ESCAPED_MAX
_SINGLE_VALUE = frozenset(("alb", "lattice_v1", "lattice_v2"))  # answers with one value per header name
# source -> the longest body Buffered.end hands on without to_result; -1: every answer goes through it (one
# value per header name, and Lambda@Edge's, whose 204 has no body field to measure). A subscript per event.
_CHECKED_ABOVE = dict.fromkeys(NAMES, _UNMEASURED_ELSE) | _UNMEASURED | dict.fromkeys(_SINGLE_VALUE, -1)
_new = object.__new__


class Answer:
    """The rules of every answer, whatever carries it: a body only where HTTP allows one, the
    excluded headers removed. Subclasses say where the parts go."""

    __slots__ = ("_body_allowed", "_exclude", "_head", "committed", "ended", "started")
    streamed = False  # whether the parts go out as they come (``streaming.Streamed``)

    def __init__(self, head: bool, exclude: frozenset[str]) -> None:
        self._head = head
        self._exclude = exclude
        self._body_allowed = False
        self.started = self.committed = self.ended = False

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.committed:
            raise InvalidResponse("the answer's status and headers were sent already")
        self.started = True
        self._body_allowed = not (self._head or status in NO_BODY or status < 200)
        if self._exclude:
            headers = [(name, value) for name, value in headers if name.lower() not in self._exclude]
        self._start(status, headers)

    def body(self, chunk: bytes) -> None:
        if chunk and self._body_allowed:
            self._body(chunk)

    def end(self) -> None:
        self.ended = self.committed = True
        self._end()

    def whole(self, response: Response) -> None:
        """An answer known in full (the adapter's own, a fallback origin's)."""
        self.start(response.status, response.headers)
        self.body(response.body)
        self.end()

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        raise NotImplementedError

    def _body(self, chunk: bytes) -> None:
        raise NotImplementedError

    def _end(self) -> None:
        raise NotImplementedError


class Buffered(Answer):
    """The answer held whole, then translated back into the source's result for ``sink.result``; with
    no sink (``handler(event, context)``), kept in ``value``."""

    __slots__ = ("_chunks", "_context", "_event", "_headers", "_module", "_options", "_sink", "_source", "_status",
                 "value")  # fmt: skip

    def __init__(self, head: bool, options: Options, translator: ModuleType, source: str, event: Event,
                 context: LambdaContext, sink: Sink | None) -> None:  # fmt: skip
        # Answer.__init__ written out: one call fewer per event on the hot path; _body_allowed,
        # _status, _headers and _chunks are set by start, which comes first (see the module docstring)
        self._head = head  # _exclude left unset: start reads the options' own (a store fewer)
        self.started = self.committed = self.ended = False
        self._options = options
        self._module = translator
        self._source = source
        self._event = event
        self._context = context
        self._sink = sink
        self.value: Result | None = None

    # start, body and end: Answer's with _start, _body and _end written in, a call fewer each
    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.committed:
            raise InvalidResponse("the answer's status and headers were sent already")
        self.started = True
        self._body_allowed = not (self._head or status in NO_BODY or status < 200)
        exclude = self._options.exclude_headers
        if exclude:
            headers = [(name, value) for name, value in headers if name.lower() not in exclude]
        self._status = status
        self._headers = headers
        self._chunks: list[bytes] = []

    def body(self, chunk: bytes) -> None:
        if chunk and self._body_allowed:
            self._chunks.append(chunk)

    def end(self) -> None:
        chunks = self._chunks
        response = _new(Response)  # made without its __init__ call: a Python frame fewer per event
        response.status = self._status
        response.headers = self._headers
        response.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        source = self._source
        try:
            result: Result = self._module.from_response(response, self._event, self._options)
            # to_result called only when it has something to check (a call fewer per event): a body that may be
            # over the source's limit once escaped (else under it, escaped or not), one value per header name,
            # or Lambda@Edge's answer (always measured)
            above = _CHECKED_ABOVE[source]
            if above < 0 or len(result["body"]) > above:
                result = to_result(result, response, self._module, source, self._event, self._options, self._context)
        except Exception:  # the adapter's bug, not the app's: the client gets the 500, never a null result
            logger().error("lambda-adapter failed to translate the app's answer (request %s): a bug in lambda-adapter",
                           request_id(self._context), exc_info=True)  # fmt: skip
            result = self._module.from_response(server_error(), self._event, self._options)  # raises on: no null result
        self.ended = self.committed = True  # once a result exists: a failure before it is the runner's to answer
        if self._sink is None:
            self.value = result
        else:
            self._sink.result(result)


def to_result(result: Result, response: Response, translator: ModuleType, source: str, event: Event,
              options: Options, context: LambdaContext) -> Result:  # fmt: skip
    """The result to send for ``response``: ``result`` (the source's translation of it), or a 500 in
    its place when that is over the source's limit; values a single-value answer cannot carry logged."""
    if len(result.get("body", "")) > _UNMEASURED.get(source, _UNMEASURED_ELSE):  # else under the limit, escaped or not
        size, limit = size_and_limit(result, source, event, translator)
        if size > limit:
            logger().error(
                "response too large (request %s): %d bytes once encoded, over the %d-byte limit of %s",
                request_id(context), size, limit, NAMES[source],
            )  # fmt: skip
            too_big: Result = translator.from_response(too_large(size, limit), event, options)
            return too_big
    if source in _SINGLE_VALUE and "headers" in result:  # one value per header name
        _warn_dropped_headers(response, result, source, context)
    return result


def size_and_limit(result: Result, source: str, event: Any, translator: ModuleType) -> tuple[int, int]:
    """The size of the result as Lambda serialises it, and the source's limit for it."""
    if source == "edge":  # CloudFront's limits are for the generated response's headers and body
        limit: int = translator.LIMITS[translator.kind_of(event)]
    else:
        limit = _LIMITS.get(source, RESULT_LIMIT)
    size = len(result.get("body", ""))
    # only a body that could be over once JSON escapes it is serialised
    if size * _ESCAPED_MAX + 65536 > limit:
        if result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64":  # nothing to escape
            size += _json_size({**result, "body": ""})
        else:
            size = _json_size(result)
    return size, limit


def _json_size(document: Result) -> int:
    """The bytes of ``document`` as the runtime writes it."""
    import json

    return len(written_json(lambda ascii_only: json.dumps(document, ensure_ascii=ascii_only), escapes_non_ascii()))


def written_json(dumps: Callable[[bool], str], ascii_only: bool) -> bytes:
    """JSON as a runtime writes a result: ``dumps(ensure_ascii)``'s text, escaped to ASCII or, where the runtime
    writes UTF-8, as UTF-8 (a lone surrogate, which has no UTF-8, escaped all the same)."""
    if not ascii_only:
        try:
            return dumps(False).encode()
        except UnicodeEncodeError:
            pass
    return dumps(True).encode()


def escapes_non_ascii() -> bool:
    """Whether the runtime writes results (JSON) with non-ASCII text escaped: awslambdaric does up to the
    python3.11 runtimes, and writes UTF-8 from python3.12 on (``AWS_EXECUTION_ENV``); so does our loop."""
    import os

    version = os.environ.get("AWS_EXECUTION_ENV", "").partition("AWS_Lambda_python3.")[2]
    return not (version.isdigit() and int(version) >= 12)


def _warn_dropped_headers(response: Response, result: Result, source: str, context: Any) -> None:
    """Log the header values a single-value answer could not carry: a repeated header goes out under
    case variants of its name, one value each; only values beyond those variants are lost."""
    dropped = len(response.headers) - len(result["headers"])
    if dropped > 0:
        logger().warning(
            "%s without multi-value headers: %d header value(s) dropped, more repeats of a header than case "
            "variants of its name (request %s). Turn on multi-value headers (ALB target group) to keep them all.",
            NAMES[source], dropped, request_id(context),
        )  # fmt: skip


def after_failure(answer: ResponseSink, what: str, context: Any, timeout: bool = False) -> None:
    """Inside ``except``: the answer to a runner's failure. Whole already: it stands (logged). Nothing
    out yet: a 500 (a 504 for ``timeout``). Cut short mid-stream: raised for the runtime to end."""
    if answer.ended:
        logger().error("%s after its response was complete (request %s); the response stands",
                       what, request_id(context), exc_info=True)  # fmt: skip
    elif answer.committed:
        raise  # re-raised: always called in an except block
    elif timeout:
        logger().error("%s (request %s): %s", what, request_id(context), sys.exc_info()[1])
        answer.whole(gateway_timeout())
    else:
        logger().error("%s (request %s)", what, request_id(context), exc_info=True)
        answer.whole(server_error())


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
    if left is None:
        note_untimed(context)
    return left


def note_untimed(context: object) -> None:
    """Log at DEBUG, once per container, that ``context`` gives no remaining time."""
    # without logging imported no handler could show a DEBUG line: not imported for it (cold start)
    if not _UNTIMED and "logging" in sys.modules:
        _UNTIMED.append(True)
        logger().debug(
            "the Lambda context (%s) gives no remaining time: requests run without a deadline guard",
            type(context).__name__,
        )


def answer_for_malformed(exc: Exception, context: Any) -> Response:
    """The answer to an event its translator could not read: a ``BadRequest`` (the translators check
    what events may lack or carry wrongly) is the client's 400; anything else is the adapter's own
    bug, a 500 with the traceback in the log, never blamed on the client."""
    if isinstance(exc, BadRequest):
        return bad_request(exc, context)
    logger().error("lambda-adapter failed to translate the event (request %s): a bug in lambda-adapter",
                   request_id(context), exc_info=exc)  # fmt: skip
    return server_error()


def bad_request(exc: BadRequest, context: Any) -> Response:
    """The 400 (413) for an event whose content is unusable; the reason is logged, not echoed: it
    names the field and its type, never the request's content (no request data in logs)."""
    status = exc.status
    logger().warning("%d for a malformed event (request %s): %s", status, request_id(context), exc)
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
