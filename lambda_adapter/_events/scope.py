"""The ASGI HTTP scope (spec 2.3) derived from the neutral CGI environ.

Invariant: pure (but for a bounded memo of header names); the same rules as the WSGI environ,
so both interfaces see one request.
``path`` includes ``root_path`` and ``raw_path`` is the target as sent, as uvicorn gives them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._typing import Environ, Event

_ASGI = {"version": "3.0", "spec_version": "2.3"}
# CGI variable -> ASGI header name, b"" for the variables that are no header; the names seen are
# remembered (bounded, like cgi's), so a variable costs one look-up per event
_NAMES = {
    "CONTENT_TYPE": b"content-type", "CONTENT_LENGTH": b"content-length", "REQUEST_METHOD": b"",
    "SCRIPT_NAME": b"", "PATH_INFO": b"", "QUERY_STRING": b"", "RAW_URI": b"", "SERVER_NAME": b"",
    "SERVER_PORT": b"", "wsgi.url_scheme": b"", "REMOTE_ADDR": b"", "REMOTE_USER": b"",
}  # fmt: skip
_NAMES_LIMIT = 512


def to_scope(environ: Environ, state: dict[str, Any], event: Event, context: Any) -> dict[str, Any]:
    """The ``http`` scope for the request ``environ`` describes."""
    headers = []
    names = _NAMES  # a local name: this loop runs once per variable of every event
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            name = _header_name(key)
        if name:
            headers.append((name, value.encode("latin-1")))
    root = environ["SCRIPT_NAME"]
    if not root.isascii():
        root = _from_native(root)
    path = environ["PATH_INFO"]
    client = environ.get("REMOTE_ADDR")
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ["wsgi.url_scheme"],
        "path": root + (path if path.isascii() else _from_native(path)),
        "raw_path": environ["RAW_URI"].partition("?")[0].encode("ascii"),
        "root_path": root,
        "query_string": environ["QUERY_STRING"].encode("latin-1"),
        "headers": headers,
        "client": (client, 0) if client else None,
        "server": (environ["SERVER_NAME"], int(environ["SERVER_PORT"])),
        "state": state.copy(),
        "aws.event": event,
        "aws.context": context,
    }


def _header_name(key: str) -> bytes:
    """The ASGI header name of an ``HTTP_*`` variable (b"" for any other), remembered."""
    name = key[5:].lower().replace("_", "-").encode("latin-1") if key[:5] == "HTTP_" else b""
    if len(_NAMES) < _NAMES_LIMIT:
        _NAMES[key] = name
    return name


def _from_native(text: str) -> str:
    """A PEP 3333 native string (bytes as latin-1) back to text: UTF-8, as uvicorn decodes."""
    return text if text.isascii() else text.encode("latin-1").decode("utf-8", "replace")
