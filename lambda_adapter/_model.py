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

Beside them: ``Options`` (what ``adapt()`` was told, checked once, immutable) and the deadline
arithmetic every runner needs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Any, Protocol

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

    class Sink(Protocol):
        """Where a streaming runner sends the answer: ``start`` once, then ``body`` per chunk."""

        started: bool

        def start(self, status: int, headers: list[tuple[str, str]]) -> None: ...

        def body(self, chunk: bytes) -> None: ...

        def whole(self, response: Response) -> None: ...


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


_INTERFACES = ("auto", "wsgi", "asgi")
_LIFESPANS = ("auto", "on", "off")
_STREAMING = ("auto", "on", "off")


class Options:
    """Checked, immutable settings, passed only to the functions that read them."""

    __slots__ = (
        "base_path",
        "compress",
        "connection_store",
        "deadline_margin",
        "eager_startup",
        "interface",
        "lifespan",
        "stage_in_url",
        "streaming",
        "text_mime_types",
        "warmup",
        "websocket_endpoint",
        "websocket_path",
    )  # fmt: skip

    interface: str
    base_path: str
    lifespan: str
    text_mime_types: frozenset[str]
    stage_in_url: bool | None
    eager_startup: bool
    deadline_margin: float
    streaming: str
    connection_store: ConnectionStore | None
    websocket_endpoint: str | None
    websocket_path: str | None
    warmup: tuple[tuple[str, str], ...]
    compress: bool

    def __init__(
        self,
        *,
        interface: str = "auto",
        base_path: str = "",
        lifespan: str = "auto",
        text_mime_types: Iterable[str] = (),
        stage_in_url: bool | None = None,
        eager_startup: bool = False,
        deadline_margin: float = 0.5,
        streaming: str = "auto",
        connection_store: ConnectionStore | None = None,
        websocket_endpoint: str | None = None,
        websocket_path: str | None = None,
        warmup: Iterable[str] = (),
        compress: bool = False,
    ) -> None:
        _check_choice("interface", interface, _INTERFACES)
        _check_choice("lifespan", lifespan, _LIFESPANS)
        _check_choice("streaming", streaming, _STREAMING)
        set_ = object.__setattr__
        set_(self, "interface", interface)
        set_(self, "base_path", _checked_base_path(base_path))
        set_(self, "lifespan", lifespan)
        set_(self, "text_mime_types", _checked_mime_types(text_mime_types))
        set_(self, "stage_in_url", _checked_optional_bool("stage_in_url", stage_in_url))
        set_(self, "eager_startup", _checked_optional_bool("eager_startup", eager_startup) or False)
        set_(self, "deadline_margin", _checked_margin(deadline_margin))
        set_(self, "streaming", streaming)
        set_(self, "connection_store", _checked_store(connection_store))
        set_(self, "websocket_endpoint", _checked_endpoint(websocket_endpoint))
        set_(self, "websocket_path", _checked_websocket_path(websocket_path))
        set_(self, "warmup", _checked_warmup(warmup))
        if not isinstance(compress, bool):
            raise TypeError(f"adapt(): compress must be True or False, got {compress!r}")
        set_(self, "compress", compress)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Options are immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Options({fields})"


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"adapt(): {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _checked_base_path(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"adapt(): base_path must be a str such as '/api', got {type(value).__name__}")
    path = value.rstrip("/")
    if path and (not path.startswith("/") or "?" in path or "#" in path or not path.isascii()):
        raise ValueError(f"adapt(): base_path must be an ASCII path that starts with '/', got {value!r}")
    return path


def _checked_mime_types(value: object) -> frozenset[str]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError(f"adapt(): text_mime_types must be a list of media types, got {value!r}")
    types = frozenset(str(item).strip().lower() for item in value)
    bad = sorted(item for item in types if item.count("/") != 1)
    if bad:
        raise ValueError(f"adapt(): text_mime_types holds entries that are no media type: {bad}")
    return types


def _checked_optional_bool(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"adapt(): {name} must be True, False or None, got {value!r}")
    return value


def _checked_margin(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 900:
        raise ValueError(f"adapt(): deadline_margin must be seconds from 0 to 900, got {value!r}")
    return float(value)


_STORE_METHODS = ("save", "load", "delete", "connections")


def _checked_store(value: Any) -> ConnectionStore | None:
    missing = [name for name in _STORE_METHODS if not callable(getattr(value, name, None))]
    if value is not None and missing:
        raise TypeError(f"adapt(): connection_store must be a ConnectionStore; it lacks {', '.join(missing)}()")
    store: ConnectionStore | None = value
    return store


def _checked_endpoint(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")) or not value.isascii():
        raise ValueError(f"adapt(): websocket_endpoint must be an http(s) URL got {value!r}")
    return value.rstrip("/")


def _checked_websocket_path(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/") or "?" in value or "#" in value or not value.isascii():
        raise ValueError(f"adapt(): websocket_path must be an ASCII path that starts with '/', got {value!r}")
    return value


def _checked_warmup(value: object) -> tuple[tuple[str, str], ...]:
    """``["/", "GET /health", "HEAD /?q=1"]`` as (method, path and query) pairs; a bare path is a GET."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError(f"adapt(): warmup must be a list of requests such as ['/', 'GET /health'], got {value!r}")
    requests = []
    for item in value:
        method, _, target = item.rpartition(" ") if isinstance(item, str) else ("", "", "")
        method = method.strip() or "GET"
        if not target.startswith("/") or not method.isalpha() or not method.isupper() or not target.isascii():
            raise ValueError(f"adapt(): a warmup request is 'METHOD /path?query' or '/path', got {item!r}")
        requests.append((method, target))
    return tuple(requests)
