"""``Options``: what ``adapt()`` was told. Every option, its default and its check live here and nowhere else.

Invariants: made once per ``adapt()``, frozen, checked as a whole when made (a wrong type is a
``TypeError``, a wrong value or an option that cannot apply a ``ValueError``, each naming the option);
no import at module level beyond the model, so the cold path pays for nothing it does not use.
"""

from __future__ import annotations

from ._model import LAMBDA_MAX_SECONDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from ._typing import ConnectionStore


_INTERFACES = ("auto", "wsgi", "asgi")
_LIFESPANS = ("auto", "on", "off")
_STREAMING = ("auto", "on", "off")
# old keyword -> new one; the old names work for one more release, with a DeprecationWarning
RENAMED = {"warmup": "init_requests", "warm_pings": "answer_warm_pings"}


class Options:
    """What ``adapt()`` was told: every option, its default and its check live here and nowhere else.

    Frozen (an attribute cannot be set) and checked as a whole when made: a wrong type is a
    ``TypeError``, a wrong value or an option that cannot apply a ``ValueError``, each naming the
    option. A hand-made frozen dataclass: the ``dataclasses`` module would import ``inspect``,
    which the cold path does not pay for. ``adapt()`` adds the checks that need the app
    (``refuse_inapplicable``); ``events`` is checked against the event sources by the router
    (``_migrate.route.checked_events``), made in ``adapt()`` too.
    """

    __slots__ = (
        "answer_warm_pings",
        "base_path",
        "compress",
        "connection_store",
        "deadline_margin",
        "eager_startup",
        "events",
        "exclude_headers",
        "fallback",
        "fallback_timeout",
        "init_requests",
        "interface",
        "lifespan",
        "stage_in_url",
        "streaming",
        "text_mime_types",
        "websocket_endpoint",
        "websocket_path",
    )  # fmt: skip

    interface: str
    base_path: str
    lifespan: str
    text_mime_types: frozenset[str]
    exclude_headers: frozenset[str]
    stage_in_url: bool | None
    eager_startup: bool
    deadline_margin: float
    streaming: str
    events: Mapping[str, Any] | None
    answer_warm_pings: bool | Callable[[Any], bool]
    fallback: str | None
    fallback_timeout: float
    connection_store: ConnectionStore | None
    websocket_endpoint: str | None
    websocket_path: str | None
    init_requests: tuple[tuple[str, str], ...]
    compress: bool

    def __init__(
        self,
        *,
        interface: str = "auto",
        base_path: str = "",
        lifespan: str = "auto",
        text_mime_types: Iterable[str] = (),
        exclude_headers: Iterable[str] = (),
        stage_in_url: bool | None = None,
        eager_startup: bool = False,
        deadline_margin: float = 0.5,
        streaming: str = "auto",
        events: Mapping[str, Any] | None = None,
        answer_warm_pings: bool | Callable[[Any], bool] = True,
        fallback: str | None = None,
        fallback_timeout: float | None = None,  # 10 s when there is a fallback
        connection_store: ConnectionStore | None = None,
        websocket_endpoint: str | None = None,
        websocket_path: str | None = None,
        init_requests: Iterable[str] = (),
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
        set_(self, "exclude_headers", _checked_header_names("exclude_headers", exclude_headers))
        set_(self, "stage_in_url", _checked_optional_bool("stage_in_url", stage_in_url))
        set_(self, "eager_startup", _checked_bool("eager_startup", eager_startup))
        set_(self, "deadline_margin", _checked_seconds("deadline_margin", deadline_margin, zero=True))
        set_(self, "streaming", streaming)
        set_(self, "events", _checked_events(events))
        set_(self, "answer_warm_pings", _checked_warm_pings(answer_warm_pings))
        set_(self, "fallback", _checked_fallback(fallback))
        set_(self, "fallback_timeout", _checked_fallback_timeout(fallback, fallback_timeout))
        set_(self, "connection_store", _checked_store(connection_store))
        set_(self, "websocket_endpoint", _checked_endpoint(websocket_endpoint))
        set_(self, "websocket_path", _checked_websocket_path(websocket_path))
        set_(self, "init_requests", _checked_init_requests(init_requests))
        set_(self, "compress", _checked_bool("compress", compress))
        if compress and "content-encoding" in self.exclude_headers:  # the client could not decode the answers
            raise ValueError("adapt(): compress=True labels what it compresses with Content-Encoding, "
                             "which exclude_headers removes; drop one of them")  # fmt: skip

    @classmethod
    def from_keywords(cls, keywords: dict[str, Any]) -> Options:
        """The options of ``adapt(app, **keywords)``: unknown names refused, renamed ones warned of."""
        unknown = sorted(set(keywords) - set(cls.__slots__) - set(RENAMED))
        if unknown:
            raise TypeError(f"adapt() got unknown options: {', '.join(unknown)}; see docs/options.md")
        for old, new in RENAMED.items():
            if old in keywords:
                import warnings

                warnings.warn(f"adapt({old}=...) is now adapt({new}=...); the old name goes in the next release",
                              DeprecationWarning, stacklevel=3)  # fmt: skip
                if new in keywords:
                    raise TypeError(f"adapt() got both {old} and {new}; {old} is the old name of {new}")
                keywords = {**keywords, new: keywords[old]}
                del keywords[old]
        return cls(**keywords)

    def refuse_inapplicable(self, *, asgi: bool, wsgi: bool, mounted: bool) -> None:
        """Refuse options that cannot apply to these apps: set, they would be ignored in silence."""
        problems = []
        if not asgi:
            if self.lifespan == "on":  # "off" asks for nothing, and a WSGI app has nothing to turn off
                problems.append("lifespan='on' applies to ASGI apps; this is a WSGI app")
            if self.eager_startup:
                problems.append("eager_startup=True applies to ASGI apps (lifespan startup); this is a WSGI app")
        if mounted:
            if self.streaming == "on":
                problems.append("streaming='on' applies to one app; mounted apps answer buffered")
            for name in ("connection_store", "websocket_endpoint", "websocket_path"):
                if getattr(self, name) is not None:
                    problems.append(f"{name} applies to one app; WebSocket events need adapt() of one app")
        elif self.fallback is not None:
            problems.append("a fallback origin takes the paths no app is mounted at; mount apps by prefix")
        if problems:
            raise ValueError("adapt(): " + "; ".join(problems))
        del wsgi  # named for the reader: every option applies to a WSGI app but these

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Options are immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Options({fields})"


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(f"adapt(): {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
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


def _checked_header_names(name: str, value: object) -> frozenset[str]:
    """Header names, lower-cased (HTTP compares them so)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"adapt(): {name} must be a list of header names such as ['server'], got {value!r}")
    names = list(value)
    for item in names:
        if not isinstance(item, str):
            raise TypeError(f"adapt(): {name} holds {item!r}, a {type(item).__name__}; header names are str")
        if not item or not item.isascii() or any(char in item for char in ' \t\r\n:"(),/;<=>?@[\\]{}'):
            raise ValueError(f"adapt(): {name} holds {item!r}, which is no HTTP header name")
    return frozenset(item.lower() for item in names)


def _checked_optional_bool(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"adapt(): {name} must be True, False or None, got {value!r}")
    return value


def _checked_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"adapt(): {name} must be True or False, got {value!r}")
    return value


def _checked_seconds(name: str, value: object, *, zero: bool) -> float:
    """Seconds within a Lambda invocation: from 0 (or above 0) up to 900."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"adapt(): {name} must be a number of seconds, got {value!r}")
    if not (value >= 0 if zero else value > 0) or not value <= LAMBDA_MAX_SECONDS:
        low = "from 0" if zero else "above 0"
        raise ValueError(f"adapt(): {name} must be seconds {low} up to {LAMBDA_MAX_SECONDS}, got {value!r}")
    return float(value)


def _checked_events(value: Any) -> Mapping[str, Any] | None:
    if value is not None and not hasattr(value, "items"):
        raise TypeError(f"adapt(): events must map sources such as 'sqs' to a callable or a route, got {value!r}")
    events: Mapping[str, Any] | None = value  # a mapping, by the check above
    return events


def _checked_warm_pings(value: Any) -> bool | Callable[[Any], bool]:
    if not isinstance(value, bool) and not callable(value):
        raise TypeError(f"adapt(): answer_warm_pings must be True, False or a callable(event) -> bool, got {value!r}")
    checked: bool | Callable[[Any], bool] = value  # a bool or a callable, by the check above
    return checked


def _checked_fallback(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"adapt(): fallback must be an origin URL such as 'https://legacy.example.com', got {value!r}")
    return value


def _checked_fallback_timeout(fallback: object, value: object) -> float:
    if value is None:
        return 10.0
    if fallback is None:
        raise ValueError("adapt(): fallback_timeout applies to a fallback origin, and there is none")
    return _checked_seconds("fallback_timeout", value, zero=False)


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
    if not isinstance(value, str):
        raise TypeError(f"adapt(): websocket_endpoint must be an http(s) URL, got {value!r}")
    if not value.startswith(("https://", "http://")) or not value.isascii():
        raise ValueError(f"adapt(): websocket_endpoint must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _checked_websocket_path(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"adapt(): websocket_path must be a str such as '/ws', got {value!r}")
    if not value.startswith("/") or "?" in value or "#" in value or not value.isascii():
        raise ValueError(f"adapt(): websocket_path must be an ASCII path that starts with '/', got {value!r}")
    return value


def _checked_init_requests(value: object) -> tuple[tuple[str, str], ...]:
    """``["/", "GET /health", "HEAD /?q=1"]`` as (method, path and query) pairs; a bare path is a GET."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise TypeError(f"adapt(): init_requests must be a list such as ['/', 'GET /health'], got {value!r}")
    requests = []
    for item in value:
        method, _, target = item.rpartition(" ") if isinstance(item, str) else ("", "", "")
        method = method.strip() or "GET"
        if not target.startswith("/") or not method.isalpha() or not method.isupper() or not target.isascii():
            raise ValueError(f"adapt(): an init request is 'METHOD /path?query' or '/path', got {item!r}")
        requests.append((method, target))
    return tuple(requests)
