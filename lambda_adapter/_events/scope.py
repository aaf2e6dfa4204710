"""The ASGI HTTP scope (spec 2.3) derived from the neutral CGI environ.

Invariants: pure (but for bounded memos of header names and environ layouts, invisible to
callers); the same rules as the WSGI environ, so both interfaces see one request.
``path`` includes ``root_path`` and ``raw_path`` is the target as sent, as uvicorn gives them.
Headers come in the environ's order (the event's), values as the latin-1 bytes of the native strings.
"""

from __future__ import annotations

from operator import itemgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._typing import Environ, Event

    Layout = tuple[tuple[bytes, ...], Callable[[Environ], tuple[str, ...]]]

_ASGI = {"version": "3.0", "spec_version": "2.3"}
# CGI variable -> ASGI header name, b"" for the variables that are no header; the names seen are
# remembered (bounded, like cgi's), so a variable costs one look-up per event
_NAMES = {
    "CONTENT_TYPE": b"content-type", "CONTENT_LENGTH": b"content-length", "REQUEST_METHOD": b"",
    "SCRIPT_NAME": b"", "PATH_INFO": b"", "QUERY_STRING": b"", "RAW_URI": b"", "SERVER_NAME": b"",
    "SERVER_PORT": b"", "wsgi.url_scheme": b"", "REMOTE_ADDR": b"", "REMOTE_USER": b"",
}  # fmt: skip
_NAMES_LIMIT = 512
# the environ's keys in order -> its header names and what picks their values (with QUERY_STRING
# last): a service's events come in a few layouts, and one look-up of the layout replaces a
# look-up per variable (bounded: an environ of a layout not kept takes the loop)
_LAYOUTS: dict[tuple[str, ...], Layout] = {}
_LAYOUTS_LIMIT = 64
_PORTS = {"443": 443, "80": 80}


def to_scope(environ: Environ, state: dict[str, Any], event: Event, context: Any) -> dict[str, Any]:
    """The ``http`` scope for the request ``environ`` describes."""
    keys = tuple(environ)
    layout = _LAYOUTS.get(keys) or _layout(keys)
    names, values_of = layout
    values = values_of(environ)
    # the values and the query encoded at once; a value holding the separator (no header from AWS
    # does) makes one part too many, and each is encoded on its own
    encoded = "\n".join(values).encode("latin-1").split(b"\n")
    if len(encoded) != len(values):
        encoded = [value.encode("latin-1") for value in values]
    root = environ["SCRIPT_NAME"]
    path = root + environ["PATH_INFO"]
    if not path.isascii():
        root = _from_native(root)
        path = root + _from_native(environ["PATH_INFO"])
    raw = environ["RAW_URI"]
    port = environ["SERVER_PORT"]
    client = environ.get("REMOTE_ADDR")
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ["wsgi.url_scheme"],
        "path": path,
        "raw_path": (raw.partition("?")[0] if "?" in raw else raw).encode("ascii"),
        "root_path": root,
        "query_string": encoded.pop(),
        "headers": list(zip(names, encoded)),  # noqa: B905  # one length by construction; strict= parses a keyword
        "client": (client, 0) if client else None,
        "server": (environ["SERVER_NAME"], _PORTS.get(port) or int(port)),
        "state": state.copy() if state else {},
        "aws.event": event,
        "aws.context": context,
    }


def _layout(keys: tuple[str, ...]) -> Layout:
    """The header names of an environ with these keys, and the picker of their values (remembered)."""
    names = []
    variables = []
    for key in keys:
        name = _NAMES.get(key)
        if name is None:
            name = _header_name(key)
        if name:
            names.append(name)
            variables.append(key)
    # itemgetter of one key answers the value itself, not a tuple of it
    values_of = itemgetter(*variables, "QUERY_STRING") if variables else _query_alone
    layout = (tuple(names), values_of)
    if len(_LAYOUTS) < _LAYOUTS_LIMIT:
        _LAYOUTS[keys] = layout
    return layout


def _query_alone(environ: Environ) -> tuple[str]:
    return (environ["QUERY_STRING"],)


def _header_name(key: str) -> bytes:
    """The ASGI header name of an ``HTTP_*`` variable (b"" for any other), remembered."""
    name = key[5:].lower().replace("_", "-").encode("latin-1") if key[:5] == "HTTP_" else b""
    if len(_NAMES) < _NAMES_LIMIT:
        _NAMES[key] = name
    return name


def _from_native(text: str) -> str:
    """A PEP 3333 native string (bytes as latin-1) back to text: UTF-8, as uvicorn decodes."""
    return text if text.isascii() else text.encode("latin-1").decode("utf-8", "replace")
