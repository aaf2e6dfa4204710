"""The CGI environ every translator fills (PEP 3333's variables): headers, server, path, request;
and the field rules every translator applies, checked where a field is read (issue 15, SPEC 2):

- a part that is absent or ``null`` means its default (no headers, no query, an empty body...):
  hand-made and console test events leave parts out or send nulls;
- a part of the wrong type (a header value that is a number, ``requestContext`` that is a
  string) is a ``BadRequest`` (a 400) naming the field and the type, never the field's content;
- a part a recognised format cannot do without (the method) is an ``UnsupportedEvent`` naming
  the format and the key: ``missing``.

A translator checks a field's type inline where the field is read and calls the helpers below
(``object_at``, ``str_at``...) only when it is absent, null or of the wrong type: one module and
few calls on the hot path, the same rules everywhere.

Invariants: pure but for a bounded memo of header names (invisible to callers); the rules of
header joining, host and port, and the decoded content length live here. The REST and HTTP API
translators (and ``scope``'s direct readers) write in their common case for the shape AWS sends,
a call fewer per event; tests/events/test_translate.py and test_scope.py prove they agree with these.
A str or dict subclass counts as a string or an object, as the direct readings take it.
"""

from __future__ import annotations

from .._model import BadRequest, UnsupportedEvent
from . import NAMES
from .encoding import wsgi_path, wsgi_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_EMPTY: dict[str, Any] = {}  # never written to: the default of an absent object
# header name -> CGI variable, filled as names are seen (a pure function's bounded memo): the
# first event pays one upper() per header name, later events a dict look-up
_CGI_KEYS: dict[str, str] = {}
_CGI_KEYS_LIMIT = 1024
_USUAL_PORTS = frozenset(("443", "80"))  # what X-Forwarded-Port says: taken without a check


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


def environ_from_headers(headers: object, where: str = "headers") -> dict[str, Any]:
    """A new environ holding one-value-per-name headers as CGI variables; two spellings of a name
    are joined. A null value is left out (console test events send nulls); any other non-string is a 400.
    """
    if type(headers) is not dict:
        raise wrong_type(where, headers, "an object")
    environ: dict[str, Any] = {}
    keys = _CGI_KEYS  # a local name: this loop runs once per header of every event
    try:  # the common case in the fewest steps (__class__: no call): each name known, each value ASCII
        for name, value in headers.items():
            if value.__class__ is not str or not value.isascii():
                raise ValueError
            environ[keys[name]] = value  # a KeyError for a name not yet seen (or holding "_")
        if len(environ) == len(headers):  # else two spellings of a name (Host, host)
            return environ
    except (KeyError, ValueError):
        pass
    return _every_header(headers, where)


def _every_header(headers: dict[str, Any], where: str) -> dict[str, Any]:
    """``environ_from_headers`` for any headers: the loop that defaults, joins, converts, and names
    what is wrong."""
    environ: dict[str, Any] = {}
    keys = _CGI_KEYS
    left_out = 0
    key: str | None
    for name, value in headers.items():
        if type(value) is not str:
            if value is None:
                left_out += 1
                continue
            raise wrong_type(f"value of a header in {where}", value, "a string")
        try:
            key = keys[name]
        except KeyError:
            key = cgi_key(name)
            if key is None:
                left_out += 1
                continue
        environ[key] = value if value.isascii() else wsgi_str(value)
    if len(environ) + left_out != len(headers):  # two spellings of a name (Host, host): joined
        environ = {}
        for name, value in headers.items():
            key = cgi_key(name) if value is not None else None
            if key is not None:
                _add(environ, key, value if value.isascii() else wsgi_str(value))
    return environ


def environ_from_event_headers(event: Mapping[str, Any]) -> dict[str, Any]:
    """An event's headers as a new environ: ``multiValueHeaders`` when it has them (every value),
    else ``headers`` (API Gateway REST keeps only the last value of a repeated header there).
    Both maps are checked."""
    multi = event.get("multiValueHeaders")
    headers = event.get("headers")
    if multi is not None and type(multi) is not dict:
        raise wrong_type("multiValueHeaders", multi, "an object")
    if headers is not None and type(headers) is not dict:
        raise wrong_type("headers", headers, "an object")
    if multi:
        return environ_from_multi_headers(multi)
    return environ_from_headers(headers) if headers is not None else {}


def environ_from_multi_headers(headers: object, where: str = "multiValueHeaders") -> dict[str, Any]:
    """Multi-value headers as a new environ of CGI variables: ``, `` joins values, ``; `` for Cookie.

    A value is a list of strings (or, in some recorded samples, one string); null is left out.
    """
    if type(headers) is not dict:
        raise wrong_type(where, headers, "an object")
    environ: dict[str, Any] = {}
    keys, isascii = _CGI_KEYS, str.isascii  # local names: this loop runs once per header of every event
    try:  # the common case in the fewest steps (__class__: no call): each name known, one ASCII value
        for name, values in headers.items():
            [value] = values  # a ValueError unless one value, a TypeError for null or a number
            if values.__class__ is not list or value.__class__ is not str or not isascii(value):
                raise ValueError
            environ[keys[name]] = value  # a KeyError for a name not yet seen (or holding "_")
        if len(environ) == len(headers):  # else two spellings of a name (Host, host)
            return environ
    except (KeyError, TypeError, ValueError):
        pass
    return _every_multi_header(headers, where)


def _every_multi_header(headers: dict[str, Any], where: str) -> dict[str, Any]:
    """``environ_from_multi_headers`` for any headers: the loop that defaults, joins, converts, and
    names what is wrong."""
    environ: dict[str, Any] = {}
    keys = _CGI_KEYS
    left_out = 0
    key: str | None
    for name, values in headers.items():
        if type(values) is list and len(values) == 1 and type(values[0]) is str:
            value = values[0]  # the common case, without a call
        else:
            joined = _joined(values, name, where)
            if joined is None:
                left_out += 1
                continue
            value = joined
        try:
            key = keys[name]
        except KeyError:
            key = cgi_key(name)
            if key is None:
                left_out += 1
                continue
        if key == "HTTP_COOKIE" and type(values) is list and len(values) > 1:
            value = "; ".join(values)
        environ[key] = value if value.isascii() else wsgi_str(value)
    if len(environ) + left_out != len(headers):  # two spellings of a name (Host, host): joined
        environ = {}
        for name, values in headers.items():
            joined = _joined(values, name, where)
            key = cgi_key(name) if joined is not None else None
            if key is not None and joined is not None:
                if key == "HTTP_COOKIE" and type(values) is list and len(values) > 1:
                    joined = "; ".join(values)
                _add(environ, key, joined if joined.isascii() else wsgi_str(joined))
    return environ


def _add(environ: dict[str, Any], key: str, value: str) -> None:
    """Add a header's value, joined to the value of an earlier spelling of its name."""
    if key in environ:
        value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ', '}{value}"
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
    if ":" in host and host[-1].isdigit() and "]" not in host.rpartition(":")[2]:
        host, _, host_port = host.rpartition(":")
        port = port or host_port
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_NAME"] = host
    if port not in _USUAL_PORTS and not (port and port.isascii() and port.isdigit()):
        port = "443" if scheme == "https" else "80"
    environ["SERVER_PORT"] = port


def set_path(environ: dict[str, Any], raw_root: str, raw_path: str, query: str) -> None:
    """``SCRIPT_NAME``, ``PATH_INFO`` (decoded, PEP 3333), ``QUERY_STRING`` and ``RAW_URI``."""
    if raw_path and raw_path[0] != "/":
        raise BadRequest("the event's path does not start with '/'")
    environ["SCRIPT_NAME"] = wsgi_path(raw_root) if "%" in raw_root else raw_root
    environ["PATH_INFO"] = wsgi_path(raw_path) if "%" in raw_path else raw_path
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
    chunked = environ.pop("HTTP_TRANSFER_ENCODING") if "HTTP_TRANSFER_ENCODING" in environ else None  # rare: no call
    if body or chunked or "CONTENT_LENGTH" in environ:  # the decoded length, not what the event said
        environ["CONTENT_LENGTH"] = str(len(body))


def wrong_type(where: str, value: object, expected: str) -> BadRequest:
    """The 400 for a field of the wrong type: its name and type, never its value (request data)."""
    return BadRequest(f"the event's {where} is {type(value).__name__}, not {expected}")


def object_at(container: Any, key: str, where: str) -> dict[str, Any]:
    """``container[key]`` when it is an object; an empty one when absent or null."""
    value = container.get(key)
    if type(value) is dict or isinstance(value, dict):  # a subclass too, as the direct readings take it
        return value
    if value is None:
        return _EMPTY
    raise wrong_type(where, value, "an object")


def str_at(container: Any, key: str, where: str) -> str | None:
    """``container[key]`` when it is a string; None when absent or null."""
    value = container.get(key)
    if value is None or isinstance(value, str):  # a subclass too, as the direct readings take it
        return value
    raise wrong_type(where, value, "a string")


def body_at(container: Any, key: str, flag: str) -> tuple[str | None, bool]:
    """The body string and its base64 flag, both checked."""
    body = container.get(key)
    if body is not None and type(body) is not str:
        raise wrong_type(key, body, "a string")
    is_base64 = container.get(flag)
    if is_base64 is None:
        return body, False
    if type(is_base64) is not bool:
        raise wrong_type(flag, is_base64, "true or false")
    return body, is_base64


def user_of(authorizer: dict[str, Any], claims: dict[str, Any], claims_where: str) -> str | None:
    """``REMOTE_USER``: the authorizer's ``principalId``, else the claims' ``sub``; each checked inline,
    the ``str_at`` helper only to name one that is not a string."""
    principal = authorizer.get("principalId")
    if principal is not None and type(principal) is not str:
        str_at(authorizer, "principalId", "requestContext.authorizer.principalId")  # raises: not a string
    sub = claims.get("sub")
    if sub is not None and type(sub) is not str:
        str_at(claims, "sub", f"{claims_where}.sub")  # raises: not a string
    user: str | None = principal or sub
    return user


def query_params(event: Any, *keys: str) -> dict[str, Any] | None:
    """The first non-empty of the query maps ``keys`` (every one checked to be an object), or None."""
    found = None
    for key in keys:
        params = event.get(key)
        if params is not None and type(params) is not dict:
            raise wrong_type(key, params, "an object")
        found = found or params
    return found


def missing(source: str, key: str) -> UnsupportedEvent:
    """The error for a recognised event without a part its format cannot do without."""
    name = NAMES[source]
    article = "an" if name[0] in "AEIOU" or name.startswith("HTTP") else "a"
    return UnsupportedEvent(f"looks like {article} {name} event but has no {key}")


def method_of(value: object, source: str, key: str) -> str:
    """The request method: required; a string that is not empty."""
    if value is None:
        raise missing(source, key)
    if not isinstance(value, str):  # a subclass is taken, as the direct readings take it
        raise wrong_type(key, value, "a string")
    if not value:
        raise BadRequest(f"the event's {key} is empty")
    return value
