"""Declarations for type checkers only: the aliases and protocols the layers share, and ``adapt()``'s keywords.

Never imported at run time (every import of it sits under ``if TYPE_CHECKING:``): a module's
type-only block is compiled into its byte code and read on every cold start even though it never
runs, so the declarations live here, where only mypy reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypedDict

from ._model import Response as Response  # re-exported: type-only import lines take it from here

Environ = dict[str, Any]
Event = dict[str, Any]
Result = dict[str, Any]


class ConnectionStore(Protocol):
    """What the WebSocket runners need of a connection store (``lambda_adapter.websocket``'s stores)."""

    def save(self, connection_id: str, request: Mapping[str, str]) -> None: ...

    def load(self, connection_id: str) -> dict[str, str] | None: ...

    def delete(self, connection_id: str) -> None: ...

    def connections(self) -> Iterator[str]: ...


class LambdaContext(Protocol):
    """The Lambda context object, as far as the adapter reads it."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class ResponseSink(Protocol):
    """Where a runner sends the app's HTTP answer (``_run``): ``start`` once, ``body`` per
    part, ``end`` after the last part: before the app's remaining work (ASGI code after its last
    send, background tasks, WSGI ``close()``) runs."""

    streamed: bool  # the parts go out as they come (the runner may then await ``drained()`` after each)

    @property
    def committed(self) -> bool:
        """Part of the answer went out: a failure can only cut it short (read-only for runners)."""

    @property
    def ended(self) -> bool:
        """The answer is complete."""

    def start(self, status: int, headers: list[tuple[str, str]]) -> None: ...

    def body(self, chunk: bytes) -> None: ...

    def end(self) -> None: ...

    def whole(self, response: Response) -> None: ...


class Sink(Protocol):
    """Where ``Handler.invoke`` delivers one invocation's answer (the runtime loop's side)."""

    streams: bool  # whether a Function URL's or REST API's HTTP answer may go out through ``write``

    def result(self, result: Any) -> None:
        """The whole result, as soon as it is known (the app may still be finishing)."""

    def write(self, data: bytes) -> None:
        """A streamed answer's next bytes: the prelude first, then the body as the app sends it."""

    def end(self) -> None:
        """The streamed answer is complete (the app may still be finishing)."""


class AdaptOptions(TypedDict, total=False):
    """The keywords of ``adapt()``, for type checkers: ``Options`` has their defaults and checks."""

    interface: str
    base_path: str
    lifespan: str
    text_mime_types: Iterable[str]
    exclude_headers: Iterable[str]
    stage_in_url: bool | None
    eager_startup: bool
    deadline_margin: float
    streaming: str
    events: Mapping[str, Any] | None
    answer_warm_pings: bool | Callable[[Any], bool]
    fallback: str | None
    fallback_timeout: float | None
    connection_store: ConnectionStore | None
    websocket_endpoint: str | None
    websocket_path: str | None
    init_requests: Iterable[str]
    compress: bool
    warmup: Iterable[str]  # deprecated: init_requests
    warm_pings: bool | Callable[[Any], bool]  # deprecated: answer_warm_pings
