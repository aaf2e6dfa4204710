"""Streamed answers: ``handler.stream(event, context, write)``, which the runtime loop calls for a
Function URL in ``RESPONSE_STREAM`` mode (``lambda_adapter.runtime``).

Invariants:
- Only the transport differs from the buffered path: the same translator (``apigw_v2.to_request``),
  the same header rules (``apigw_v2.to_prelude`` shares them with ``from_response``) and the same
  answers of the adapter's own (400, 500, 504).
- ``write`` gets the prelude (JSON, then 8 NUL bytes) first, then the body as the app sends it.
- Before the first ``write`` a failure is answered (500, 504) like the buffered path does; after it
  an exception leaves ``stream()``: the runtime ends the stream with error trailers.
- An event of another format, and an HTTP API event of the same 2.0 shape, is answered by the
  buffered handler: ``stream()`` returns its result. Only a Function URL (its host is
  ``*.lambda-url.*``) is invoked in streaming mode; API Gateway invokes a function buffered and
  would get the prelude and NUL bytes as the payload it parses.
- A WSGI app never imports asyncio here either: the runner modules are imported by interface.
"""

from __future__ import annotations

from .._errors import InvalidResponse, UnsupportedEvent
from .._events import SOURCES, load
from .._events.detect import detect
from .faults import answer_for_malformed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._model import Environ, Event, LambdaContext, Options, Response, Result, Sink
    from .compression import CompressingSink

    Write = Callable[[bytes], None]
    Handler = Callable[[Any, Any], Result]
    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]
    StreamRunner = Callable[[Environ, bytes, Event, LambdaContext, Sink], None]
    Stream = Callable[[Any, Any, Write], "Result | None"]

_NO_BODY = frozenset((204, 304))
# Lambda streams at most 200 MB per answer (the first 6 MB at full speed, the rest at 2 MB/s):
# docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
STREAM_LIMIT = 200 * 1024 * 1024


class _Sink:
    """The answer on its way out: the prelude once, then body bytes (none for HEAD, 1xx, 204, 304)."""

    __slots__ = ("_body_allowed", "_head", "_write", "sent", "started")

    def __init__(self, write: Write, head: bool) -> None:
        self._write = write
        self._head = head
        self._body_allowed = False
        self.started = False
        self.sent = 0

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        from .._events.apigw_v2 import to_prelude

        if self.started:
            raise InvalidResponse("the answer's status and headers were sent already")
        self.started = True  # from here on, a failure can only cut the stream short
        self._body_allowed = not (self._head or status in _NO_BODY or status < 200)
        self._write(to_prelude(status, headers))

    def body(self, chunk: bytes) -> None:
        if not chunk or not self._body_allowed:
            return
        self.sent += len(chunk)
        if self.sent > STREAM_LIMIT:
            raise InvalidResponse(f"the streamed answer passed Lambda's limit of {STREAM_LIMIT} bytes")
        self._write(chunk)

    def whole(self, response: Response) -> None:
        """An answer known in full (an adapter's 400, 500 or 504)."""
        self.start(response.status, response.headers)
        self.body(response.body)


def is_function_url(event: Event) -> bool:
    """Whether a 2.0-shaped event comes from a Function URL (which can stream) rather than an HTTP API."""
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    return isinstance(domain, str) and ".lambda-url." in domain


def make_stream(app: Any, interface: str, run: Runner, buffered: Handler, options: Options) -> Stream:
    """``handler.stream`` for the handler ``adapt()`` made of ``app``, sharing its runner's container
    (one loop, one lifespan for both paths). The streaming runner is made on the first streamed event."""
    if interface == "asgi":
        container = run.container  # type: ignore[attr-defined]

        def make_stream_runner() -> StreamRunner:
            from .asgi_stream import make_stream_runner

            return make_stream_runner(app, options, container)
    else:

        def make_stream_runner() -> StreamRunner:
            from .wsgi_stream import make_stream_runner

            return make_stream_runner(app, options.deadline_margin)

    return _make_stream(make_stream_runner, buffered, options)


def _make_stream(make_runner: Callable[[], StreamRunner], buffered: Handler, options: Options) -> Stream:
    runners: list[StreamRunner] = []

    def stream(event: Any, context: Any, write: Write) -> Result | None:
        """Stream the answer to a Function URL event through ``write``; any other event's result is returned."""
        if detect(event) != "v2" or not is_function_url(event):
            return buffered(event, context)
        module = SOURCES.get("v2") or load("v2")
        assert module is not None
        try:
            environ, body = module.to_request(event, options)
        except UnsupportedEvent:
            raise
        except Exception as exc:  # a BadRequest is a 400; anything else, the adapter's bug: a 500
            _Sink(write, head=False).whole(answer_for_malformed(exc, context))
            return None
        if not runners:
            runners.append(make_runner())
        sink = _Sink(write, environ["REQUEST_METHOD"] == "HEAD")
        compressing = _compressing(sink, environ, options, context) if options.compress else None
        runners[0](environ, body, event, context, compressing or sink)
        if compressing is not None:
            compressing.finish()  # the app's answer is complete: the coding stream ends
        return None

    return stream


def _compressing(sink: Sink, environ: Environ, options: Options, context: Any) -> CompressingSink:
    from .compression import CompressingSink

    accept_encoding = environ.get("HTTP_ACCEPT_ENCODING")
    return CompressingSink(sink, environ["REQUEST_METHOD"], accept_encoding, options.text_mime_types, context)
