"""The answer held whole as a ``Response``: for WebSocket events and the app routes of non-HTTP
events, whose results are made from the whole answer. Off the cold path: an HTTP event never needs it.
"""

from __future__ import annotations

from .._model import Response
from . import Answer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._typing import Environ, Event


class Held(Answer):
    """The answer kept as a ``Response``: for WebSocket events and the app routes of non-HTTP events."""

    __slots__ = ("_chunks", "_headers", "_status", "response")

    def __init__(self, head: bool = False, exclude: frozenset[str] = frozenset()) -> None:
        super().__init__(head, exclude)
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []
        self.response: Response | None = None

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self._status, self._headers, self._chunks = status, headers, []

    def _body(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def _end(self) -> None:
        self.response = Response(self._status, self._headers, b"".join(self._chunks))


def response_of(runner: Any, environ: Environ, body: bytes, event: Event, context: Any,
                exclude: frozenset[str] = frozenset()) -> Response:  # fmt: skip
    """Run ``runner`` and return its whole answer."""
    held = Held(environ["REQUEST_METHOD"] == "HEAD", exclude)
    runner.run(environ, body, event, context, held)
    assert held.response is not None, "a runner always ends its answer"
    return held.response


async def aresponse_of(runner: Any, environ: Environ, body: bytes, event: Event, context: Any,
                       exclude: frozenset[str] = frozenset()) -> Response:  # fmt: skip
    """``response_of`` on the caller's running event loop (``runner.arun``)."""
    held = Held(environ["REQUEST_METHOD"] == "HEAD", exclude)
    await runner.arun(environ, body, event, context, held)
    assert held.response is not None, "a runner always ends its answer"
    return held.response
