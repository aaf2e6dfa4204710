"""``adapt(..., compress=True)``: the core's compression rules (``_events.compress``) applied to buffered
answers and to streamed ones, with a compressor's failure logged.

Invariants:
- Imported only when ``compress=True``: a function without it pays nothing.
- A buffered answer whose compressor fails goes out uncompressed, as the app sent it, and the failure is
  logged once (one record, with its traceback). A streamed answer decides at its start (status and
  headers): a compressor that cannot be made there means an uncompressed stream and one log record; one
  that fails after the headers went out ends the stream as a failing app does (error trailers).
- Applied before the size limits are checked: the limits hold for the bytes that go out.
"""

from __future__ import annotations

from .._events.compress import (
    StreamCompressor,
    available_codings,
    compress_response,
    encoded_headers,
    negotiate,
    varied,
    worth_compressing,
)
from .faults import logger, request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._model import Environ, Event, LambdaContext, Response, Sink

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]


def compressing(run: Runner, text_types: frozenset[str]) -> Runner:
    """``run`` with its answers compressed for the client (``adapt()``'s buffered path): nothing is added
    per event when ``compress`` is off, as this wrapper is not there then."""

    def run_compressed(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        accept_encoding = environ.get("HTTP_ACCEPT_ENCODING")  # before the app runs: a WSGI app may change it
        response = run(environ, body, event, context)
        return compressed(response, environ["REQUEST_METHOD"], accept_encoding, text_types, context)

    return run_compressed


def compressed(response: Response, method: str, accept_encoding: str | None, text_types: frozenset[str],
               context: Any) -> Response:  # fmt: skip
    """``response`` compressed for the client when worth it; as it was if the compressor fails."""
    try:
        return compress_response(response, method, accept_encoding, text_types)
    except Exception:
        logger().exception("compressing the answer failed (request %s); it goes out uncompressed", request_id(context))
        return response


class CompressingSink:
    """A streaming sink that compresses what passes through it, each chunk flushed (SSE stays live);
    ``finish()`` ends the coding stream once the app's answer is complete."""

    __slots__ = ("_accept", "_compressor", "_context", "_method", "_sink", "_text_types", "started")

    def __init__(self, sink: Sink, method: str, accept_encoding: str | None, text_types: frozenset[str],
                 context: Any) -> None:  # fmt: skip
        self._sink = sink
        self._method = method
        self._accept = accept_encoding
        self._text_types = text_types
        self._context = context
        self._compressor: StreamCompressor | None = None
        self.started = False

    def start(self, status: int, headers: list[tuple[str, str]], size: int | None = None) -> None:
        """The status and headers; ``size`` is the body's length when known (else ``Content-Length``'s)."""
        if not self.started and worth_compressing(self._method, status, headers, size, self._text_types):
            headers = self._encoded(headers)
        self.started = True
        self._sink.start(status, headers)

    def _encoded(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        coding = negotiate(self._accept, available_codings())
        if coding is None:
            return varied(headers)
        try:
            self._compressor = StreamCompressor(coding)
        except Exception:
            logger().exception(
                "starting to compress the streamed answer failed (request %s); it goes out uncompressed",
                request_id(self._context),
            )
            return varied(headers)
        return encoded_headers(headers, coding, None)

    def body(self, chunk: bytes) -> None:
        if chunk and self._compressor is not None:
            chunk = self._compressor.chunk(chunk)  # a failure here ends the stream, as an app's would
        self._sink.body(chunk)

    def whole(self, response: Response) -> None:
        """An answer known in full (an adapter's 400, 500 or 504)."""
        self.start(response.status, response.headers, len(response.body))
        self.body(response.body)
        self.finish()

    def finish(self) -> None:
        """The end of the coding stream, once the answer is complete (nothing when not compressing)."""
        compressor, self._compressor = self._compressor, None
        if compressor is not None:
            self._sink.body(compressor.finish())
