"""The ASGI HTTP scope (spec 2.3): derived from the neutral CGI environ (``to_scope``), or read
straight from an HTTP API 2.0 / Function URL event (``v2_to_scope``) or a REST event
(``v1_to_scope``) of the plain shape AWS sends.

Invariants: pure (but for bounded memos of header names and layouts, invisible to callers); the
same rules as the WSGI environ, so both interfaces see one request.
``path`` includes ``root_path`` and ``raw_path`` is the target as sent, as uvicorn gives them.
Headers come in the environ's order (the event's), values as the latin-1 bytes of the native strings.

The direct readers skip the environ for the common case, and give exactly the scope
``to_scope(to_request(event))`` gives (tests/events/test_scope.py holds them to it); for anything
that is not plain they return None and the event takes that path: every event the environ path
refuses (a 400, ``UnsupportedEvent``), and every rule they do not apply themselves (an authorizer,
a stage or base path in the path, characters to encode or decode, values beyond ASCII, a header
name that is no token, two spellings of a name, Transfer-Encoding, X-Lambda-Event-Source (which
the pipeline removes), other ports or schemes, a Host with a port, a CIDR client...).
Here, not in a module of their own: the WSGI path never imports this module, the ASGI path
imports it anyway, and each module on the cold path costs an import (issue 17).
"""

from __future__ import annotations

from operator import itemgetter

from .encoding import _PATH_CHARS, _TOKEN_CHARS, decode_body, query_from_decoded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event

    Layout = tuple[tuple[bytes, ...], Callable[[Environ], tuple[str, ...]]]
    # ASGI names, where Content-Length stands (-1: nowhere), whether Cookie is there, where Host,
    # X-Forwarded-Proto and X-Forwarded-Port stand (-1: nowhere)
    PlainLayout = tuple[tuple[bytes, ...], int, bool, int, int, int]

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
# an event's header names in order -> what the direct readers need of them (see _plain_layout):
# a service's events come in a few layouts (bounded, like _LAYOUTS; None: not plain)
_PLAIN: dict[tuple[str, ...], PlainLayout | None] = {}
_PLAIN_LIMIT = 64
_NOT_PLAIN = frozenset(("transfer-encoding", "x-lambda-event-source"))  # rules of set_request and the pipeline
_SCHEMES = {b"https": "https", b"http": "http"}  # what X-Forwarded-Proto and -Port say, taken as they are
_PORTS_SENT = {b"443": 443, b"80": 80}


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


def v2_to_scope(event: Event, options: Options, context: Any) -> tuple[dict[str, Any], bytes] | None:
    """The scope and body of an HTTP API 2.0 or Function URL event of the plain shape, else None.

    ``apigw_v2.to_request``'s direct reading, for fewer shapes: stage ``$default``, no base path, a
    path and query that need no encoding, no authorizer."""
    try:
        where = event["requestContext"]
        http = where["http"]
        method, client, domain, stage = http["method"], http["sourceIp"], where["domainName"], where["stage"]
        path, query, headers = event["rawPath"], event["rawQueryString"], event["headers"]
        "".join((method, client, http["path"], domain, stage, path, query))  # a TypeError unless all are strings
        body, is_base64, params = event.get("body"), event["isBase64Encoded"], event.get("queryStringParameters")
        if (
            not (method and domain and path)
            or is_base64.__class__ is not bool  # __class__, not type(): no call
            or (body is not None and body.__class__ is not str)
            or headers.__class__ is not dict
            or where.__class__ is not dict  # a dict subclass: the environ path reads it (kept out of here)
            or http.__class__ is not dict
            or (params is not None and params.__class__ is not dict)
            or where.get("authorizer") is not None
            or "/" in client  # a CIDR suffix (test events): set_request's rule
            or (stage != "$default" and stage)
            or options.base_path
            or path[0] != "/"
            or not _PATH_CHARS.issuperset(path)
            or " " in query
            or not query.isprintable()  # (and ASCII, checked as it is encoded): nothing to escape
        ):
            return None
        keys = tuple(headers)
        layout = _PLAIN.get(keys) or _plain_layout(keys)
        if layout is None:
            return None
        # each value's ASCII bytes (a UnicodeEncodeError beyond ASCII); another type leaves one out
        encoded = [value.encode("ascii") for value in headers.values() if value.__class__ is str]
        if len(encoded) != len(headers):  # a value that is no str (a str subclass: a 400 on the environ path)
            return None
        body_bytes = decode_body(body, is_base64) if body else b""
        scope = _plain_scope(layout, encoded, query.encode("ascii"), event.get("cookies"), body_bytes,
                             method, client, domain, "", path, event, context)  # fmt: skip
    except Exception:  # not the shape AWS sends: the environ path reads it, or names what is wrong
        return None
    return (scope, body_bytes) if scope is not None else None


def v1_to_scope(event: Event, options: Options, context: Any) -> tuple[dict[str, Any], bytes] | None:
    """The scope and body of a REST event of the plain shape, else None.

    ``apigw_v1.to_request``'s reading, for fewer shapes: one value per header, the stage as the
    root (execute-api hosts) or none, no base path, a path that needs no encoding, no authorizer."""
    try:
        where = event["requestContext"]
        method, path, domain, stage = event["httpMethod"], event["path"], where["domainName"], where["stage"]
        client = where["identity"]["sourceIp"]
        "".join((method, path, domain, stage, client))  # a TypeError unless all are strings
        body, is_base64 = event["body"], event["isBase64Encoded"]
        multi, single = event.get("multiValueHeaders"), event.get("headers")
        params, single_params = event.get("multiValueQueryStringParameters"), event.get("queryStringParameters")
        if (
            not (method and path and domain)
            or is_base64.__class__ is not bool
            or (body is not None and body.__class__ is not str)
            or multi.__class__ is not dict
            or not multi
            or (single is not None and single.__class__ is not dict)
            or (params is not None and params.__class__ is not dict)
            or (single_params is not None and single_params.__class__ is not dict)
            or where.get("authorizer") is not None
            or "/" in client  # a CIDR suffix (test events): set_request's rule
            or "version" in event  # HTTP API 1.0: its path rules
            or path[0] != "/"
            or not _PATH_CHARS.issuperset(path + stage)  # nothing to encode or decode
        ):
            return None
        in_url = options.stage_in_url
        if stage and stage != "$default" and (".execute-api." in domain if in_url is None else in_url):
            root = "/" + stage  # stage_prefix's rule: the client's URL holds the stage
        elif options.base_path:
            return None
        else:
            root = ""
        keys = tuple(multi)
        layout = _PLAIN.get(keys) or _plain_layout(keys)
        if layout is None:
            return None
        # each header's one value, its ASCII bytes (a UnicodeEncodeError beyond ASCII); another shape leaves one out
        encoded = [values[0].encode("ascii") for values in multi.values()
                   if values.__class__ is list and len(values) == 1 and values[0].__class__ is str]  # fmt: skip
        if len(encoded) != len(multi):  # not one str in a list: the rules of cgi
            return None
        params = params or single_params
        query = query_from_decoded(params).encode("ascii") if params else b""  # values arrive decoded
        body_bytes = decode_body(body, is_base64) if body else b""
        scope = _plain_scope(layout, encoded, query, None, body_bytes, method, client, domain, root, path, event,
                             context)  # fmt: skip
    except Exception:  # not the shape AWS sends: the environ path reads it, or names what is wrong
        return None
    return (scope, body_bytes) if scope is not None else None


def _plain_scope(layout: PlainLayout, encoded: list[bytes], query: bytes, cookies: object, body: bytes,
                 method: str, client: str, host: str, root: str, path: str, event: Event,
                 context: Any) -> dict[str, Any] | None:  # fmt: skip
    """The scope of a plain event: header values ``encoded``, in the order of ``layout``; ``host`` is
    the domain, the host without a Host header. None when what they say is not plain."""
    names, length_at, has_cookie, host_at, proto_at, port_at = layout
    # set_server's rules for what AWS sends: X-Forwarded-Proto and -Port, a Host without a port
    scheme = "https" if proto_at < 0 else _SCHEMES.get(encoded[proto_at])
    port = _PORTS_SENT.get(encoded[port_at]) if port_at >= 0 else 443 if scheme == "https" else 80
    if host_at >= 0 and encoded[host_at]:
        host = encoded[host_at].decode()
    if scheme is None or port is None or ":" in host:
        return None
    headers = list(zip(names, encoded))  # noqa: B905  # one length by construction
    if cookies is not None:  # cookies[] holds the Cookie header's parts, split by AWS
        if cookies.__class__ is not list or (cookies and (has_cookie or "" in cookies)):
            return None
        if cookies:
            headers.append((b"cookie", "; ".join(cookies).encode("ascii")))
    if body or length_at >= 0:  # the decoded length, not what the event said, where the header stood
        length = (b"content-length", str(len(body)).encode())
        if length_at >= 0:
            headers[length_at] = length
        else:
            headers.append(length)
    full = root + path
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": full,
        "raw_path": full.encode(),  # ASCII: _PATH_CHARS
        "root_path": root,
        "query_string": query,
        "headers": headers,
        "client": (client, 0) if client else None,
        "server": (host, port),
        "state": {},
        "aws.event": event,
        "aws.context": context,
    }


def _plain_layout(keys: tuple[str, ...]) -> PlainLayout | None:
    """What the direct readers need of an event's header names (remembered, bounded), or None when
    one is not plain: not an HTTP token, holding "_", two spellings of a name, a name of ``_NOT_PLAIN``."""
    if keys in _PLAIN:
        return _PLAIN[keys]
    layout: PlainLayout | None = None
    # ASCII before lower(): "\u212a" (KELVIN SIGN) lowers to "k", a name cgi_key refuses
    lowered = [name.lower() if name.__class__ is str and name.isascii() else "_" for name in keys]
    if (
        all(name and "_" not in name and _TOKEN_CHARS.issuperset(name) for name in lowered)
        and len(set(lowered)) == len(lowered)
        and _NOT_PLAIN.isdisjoint(lowered)
    ):
        at = {name: index for index, name in enumerate(lowered)}
        names = tuple(name.encode("ascii") for name in lowered)
        layout = (names, at.get("content-length", -1), "cookie" in at, at.get("host", -1),
                  at.get("x-forwarded-proto", -1), at.get("x-forwarded-port", -1))  # fmt: skip
    if len(_PLAIN) < _PLAIN_LIMIT:
        _PLAIN[keys] = layout
    return layout


# source -> its direct reader (``Handler.__call__`` tries it first for an ASGI app)
PLAIN_READERS = {"v2": v2_to_scope, "v1": v1_to_scope}
