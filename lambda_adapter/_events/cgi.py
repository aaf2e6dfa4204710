"""The CGI environ every translator fills (PEP 3333's variables): headers, server, path, request.

Invariants: pure but for a bounded memo of header names (invisible to callers); the rules of
header joining, host and port, and the decoded content length live here and nowhere else.
"""

from __future__ import annotations

from .._errors import BadRequest
from .encoding import wsgi_path, wsgi_str
from .fields import wrong_type

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# header name -> CGI variable, filled as names are seen (a pure function's bounded memo): the
# first event pays one upper() per header name, later events a dict look-up
_CGI_KEYS: dict[str, str] = {}
_CGI_KEYS_LIMIT = 1024


def cgi_key(name: str) -> str | None:
    """The CGI variable for a header name (PEP 3333); None for a name holding ``_``.

    Names not in the table are remembered (a pure function's memo, bounded), so a header name
    costs its ``upper()`` once per process, not once per event.
    """
    if "_" in name:  # X_Forwarded_For would pose as X-Forwarded-For: dropped, as gunicorn does
        return None
    if not name.isascii() or not name.isprintable() or " " in name or not name:
        raise BadRequest("a header name is no HTTP token")  # the name itself is request data: not logged
    key = "HTTP_" + name.upper().replace("-", "_")
    if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
        key = key[5:]
    if len(_CGI_KEYS) < _CGI_KEYS_LIMIT:
        _CGI_KEYS[name] = key
    return key


def add_headers(environ: dict[str, Any], headers: object, where: str = "headers") -> None:
    """Add one-value-per-name headers as CGI variables; two spellings of a name are joined.

    A null value is left out (console test events send nulls); any other non-string is a 400.
    """
    if type(headers) is not dict:
        raise wrong_type(where, headers, "an object")
    known = _CGI_KEYS.get  # a local name: this loop runs once per header of every event
    for name, value in headers.items():
        if type(value) is not str:
            if value is None:
                continue
            raise wrong_type(f"value of a header in {where}", value, "a string")
        key = known(name)
        if key is None:
            key = cgi_key(name)
            if key is None:
                continue
        if not value.isascii():
            value = wsgi_str(value)
        if key in environ:
            value = _merged(environ[key], key, value)
        environ[key] = value


def add_event_headers(environ: dict[str, Any], event: Mapping[str, Any]) -> None:
    """Add an event's headers: ``multiValueHeaders`` when it has them (every value), else ``headers``
    (API Gateway REST keeps only the last value of a repeated header there). Both maps are checked."""
    multi = event.get("multiValueHeaders")
    headers = event.get("headers")
    if multi is not None and type(multi) is not dict:
        raise wrong_type("multiValueHeaders", multi, "an object")
    if headers is not None and type(headers) is not dict:
        raise wrong_type("headers", headers, "an object")
    if multi:
        add_multi_headers(environ, multi)
    elif headers is not None:
        add_headers(environ, headers)


def add_multi_headers(environ: dict[str, Any], headers: object, where: str = "multiValueHeaders") -> None:
    """Add multi-value headers as CGI variables: ``, `` joins values, ``; `` for Cookie.

    A value is a list of strings (or, in some recorded samples, one string); null is left out.
    """
    if type(headers) is not dict:
        raise wrong_type(where, headers, "an object")
    known = _CGI_KEYS.get
    for name, values in headers.items():
        if type(values) is list and len(values) == 1 and type(values[0]) is str:
            joined: str | None = values[0]  # the common case, without a call
        else:
            joined = _joined(values, name, where)
        if joined is None:
            continue
        value = joined
        key = known(name)
        if key is None:
            key = cgi_key(name)
            if key is None:
                continue
        if key == "HTTP_COOKIE" and type(values) is list and len(values) > 1:
            value = "; ".join(values)
        if not value.isascii():
            value = wsgi_str(value)
        if key in environ:
            value = _merged(environ[key], key, value)
        environ[key] = value


def _joined(values: object, name: str, where: str) -> str | None:
    """The values of one multi-value header joined with ``, ``; None for null."""
    if type(values) is list:
        if len(values) == 1 and type(values[0]) is str:
            return values[0]
        for item in values:
            if type(item) is not str:
                raise wrong_type(f"value of a header in {where}", item, "a string")
        return ", ".join(values)
    if type(values) is str or values is None:
        return values
    raise wrong_type(f"values of a header in {where}", values, "a list of strings")


def _merged(old: str, key: str, value: str) -> str:
    return f"{old}{'; ' if key == 'HTTP_COOKIE' else ', '}{value}"


def set_server(environ: dict[str, Any], fallback_host: str, default_scheme: str) -> None:
    """``wsgi.url_scheme``, ``SERVER_NAME``, ``SERVER_PORT`` from Host and X-Forwarded-*."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO")
    if scheme != "https" and scheme != "http":  # what AWS sends is taken as it is; the rest is normalised
        if scheme:  # a proxy chain appends: the last entry is what reached AWS
            scheme = scheme.rpartition(",")[2].strip().lower()
        if scheme not in ("http", "https"):
            scheme = default_scheme
    host = environ.get("HTTP_HOST") or fallback_host or "localhost"
    port = environ.get("HTTP_X_FORWARDED_PORT")
    if port and "," in port:
        port = port.rpartition(",")[2].strip()
    if host[-1].isdigit() and ":" in host and "]" not in host.rpartition(":")[2]:
        host, _, host_port = host.rpartition(":")
        port = port or host_port
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_NAME"] = host
    environ["SERVER_PORT"] = (
        port if port and port.isascii() and port.isdigit() else ("443" if scheme == "https" else "80")
    )


def set_path(environ: dict[str, Any], raw_root: str, raw_path: str, query: str) -> None:
    """``SCRIPT_NAME``, ``PATH_INFO`` (decoded, PEP 3333), ``QUERY_STRING`` and ``RAW_URI``."""
    if raw_path and raw_path[0] != "/":
        raise BadRequest("the event's path does not start with '/'")
    environ["SCRIPT_NAME"] = wsgi_path(raw_root) if raw_root else ""
    environ["PATH_INFO"] = wsgi_path(raw_path)
    environ["QUERY_STRING"] = query
    # RAW_URI as gunicorn sets it: the request target as sent, for ASGI's raw_path
    environ["RAW_URI"] = f"{raw_root}{raw_path}?{query}" if query else raw_root + raw_path


def set_request(environ: dict[str, Any], method: str, client: object, user: object, body: bytes) -> None:
    """``REQUEST_METHOD``, ``REMOTE_ADDR``, ``REMOTE_USER`` and the decoded ``CONTENT_LENGTH``."""
    if not method or not isinstance(method, str):
        raise BadRequest("the event has no HTTP method")
    environ["REQUEST_METHOD"] = method
    if client and isinstance(client, str):  # some test events carry a CIDR suffix: 1.2.3.4/32
        environ["REMOTE_ADDR"] = client.partition("/")[0] if "/" in client else client
    if user and isinstance(user, str):
        environ["REMOTE_USER"] = wsgi_str(user)
    # AWS hands the body over whole: a chunked request's body is de-chunked already
    chunked = environ.pop("HTTP_TRANSFER_ENCODING", None)
    if body or chunked or "CONTENT_LENGTH" in environ:  # the decoded length, not what the event said
        environ["CONTENT_LENGTH"] = str(len(body))
