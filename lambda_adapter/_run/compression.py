"""``adapt(..., compress=True)``: the core's compression rules (``_events.compress``) applied to the
answers of HTTP events, between the runner and the answer (``_run.Answer``).

Invariants:
- ``Handler`` wraps its runner in a ``CompressingRunner`` once, when ``compress=True``; without it
  this module is never imported and no event pays anything for it.
- Compression reads the app's answer as the app sent it (its ``Content-Encoding``, ``Cache-Control``,
  ``Content-Type``) and hands what it makes to the ``Answer``, whose rules hold for it as for any
  answer: no body for HEAD, 1xx, 204, 304 (never compressed either), the ``exclude_headers`` removed
  (``Options`` refuses excluding ``Content-Encoding``, without which the client could not decode).
- An answer held whole (``Buffered``) is compressed whole at its end, before ``to_result`` checks the
  size limit: the limits hold for the bytes that go out. A compressor that fails there: the answer
  goes out uncompressed, as the app sent it, and the failure is logged once (one record, traceback).
- A streamed answer (``Streamed``) decides at its start (status and headers), then compresses each
  part with a flush, and ends the coding stream at ``end``. A compressor that cannot be made at the
  start: an uncompressed stream and one log record; one that fails after the headers went out ends
  the stream as a failing app does (error trailers).
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
from .._model import InvalidResponse, Response
from . import logger, request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._typing import Environ, Event, LambdaContext, ResponseSink


class CompressingRunner:
    """``runner`` with the answers of HTTP events compressed for the client."""

    __slots__ = ("_runner", "_text_types")

    def __init__(self, runner: Any, text_types: frozenset[str]) -> None:
        self._runner = runner
        self._text_types = text_types

    def run(self, environ: Environ, body: bytes, event: Event, context: LambdaContext, answer: ResponseSink) -> None:
        self._runner.run(environ, body, event, context, self._compressing(environ, answer, context))

    async def arun(self, environ: Environ, body: bytes, event: Event, context: LambdaContext,
                   answer: ResponseSink) -> None:  # fmt: skip
        await self._runner.arun(environ, body, event, context, self._compressing(environ, answer, context))

    def _compressing(self, environ: Environ, answer: ResponseSink, context: Any) -> ResponseSink:
        # Answer.streamed, not isinstance(): a buffered function never imports the streaming module
        kind = CompressingStream if answer.streamed else CompressedWhole
        # read before the app runs: a WSGI app may change its environ
        return kind(answer, environ["REQUEST_METHOD"], environ.get("HTTP_ACCEPT_ENCODING"), self._text_types, context)


class _Compressing:
    """A ``ResponseSink`` in front of the answer: what is committed and ended is the answer's."""

    __slots__ = ("_accept", "_answer", "_context", "_method", "_text_types")
    streamed = False  # as Answer.streamed: whether the parts go out as they come

    def __init__(self, answer: ResponseSink, method: str, accept_encoding: str | None, text_types: frozenset[str],
                 context: Any) -> None:  # fmt: skip
        self._answer = answer
        self._method = method
        self._accept = accept_encoding
        self._text_types = text_types
        self._context = context

    @property
    def committed(self) -> bool:
        return self._answer.committed

    @property
    def ended(self) -> bool:
        return self._answer.ended


class CompressedWhole(_Compressing):
    """The answer held until its end, then compressed whole and handed to the answer in one piece."""

    __slots__ = ("_chunks", "_headers", "_status")

    def __init__(self, answer: ResponseSink, method: str, accept_encoding: str | None, text_types: frozenset[str],
                 context: Any) -> None:  # fmt: skip
        super().__init__(answer, method, accept_encoding, text_types, context)
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self._answer.committed:
            raise InvalidResponse("the answer's status and headers were sent already")
        self._status, self._headers, self._chunks = status, headers, []

    def body(self, chunk: bytes) -> None:
        if chunk:
            self._chunks.append(chunk)

    def end(self) -> None:
        chunks = self._chunks
        self.whole(Response(self._status, self._headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)))

    def whole(self, response: Response) -> None:
        self._answer.whole(compressed(response, self._method, self._accept, self._text_types, self._context))


def compressed(response: Response, method: str, accept_encoding: str | None, text_types: frozenset[str],
               context: Any) -> Response:  # fmt: skip
    """``response`` compressed for the client when worth it; as it was if the compressor fails."""
    try:
        return compress_response(response, method, accept_encoding, text_types)
    except Exception:
        logger().exception("compressing the answer failed (request %s); it goes out uncompressed", request_id(context))
        return response


class CompressingStream(_Compressing):
    """The streamed answer compressed as it passes, each part flushed (Server-Sent Events stay live);
    ``end`` ends the coding stream before the answer ends."""

    __slots__ = ("_compressor",)
    streamed = True

    def __init__(self, answer: ResponseSink, method: str, accept_encoding: str | None, text_types: frozenset[str],
                 context: Any) -> None:  # fmt: skip
        super().__init__(answer, method, accept_encoding, text_types, context)
        self._compressor: StreamCompressor | None = None

    def start(self, status: int, headers: list[tuple[str, str]], size: int | None = None) -> None:
        """The status and headers; ``size`` is the body's length when known (else ``Content-Length``'s)."""
        self._compressor = None
        if worth_compressing(self._method, status, headers, size, self._text_types):
            headers = self._encoded(headers)
        self._answer.start(status, headers)

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
        self._answer.body(chunk)

    async def drained(self) -> None:
        await self._answer.drained()  # type: ignore[attr-defined]  # the Streamed answer's

    def end(self) -> None:
        compressor, self._compressor = self._compressor, None
        if compressor is not None:
            self._answer.body(compressor.finish())  # the end of the coding stream
        self._answer.end()

    def whole(self, response: Response) -> None:
        """An answer known in full (an adapter's 500 or 504): compressed only if worth it, by its size."""
        self.start(response.status, response.headers, len(response.body))
        self.body(response.body)
        self.end()
