"""HTTP API events of payload format 2.0, and Lambda Function URL events (the same shape).

AWS: docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
and docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import (
    _CGI_KEYS,
    _USUAL_PORTS,
    body_at,
    environ_from_headers,
    method_of,
    object_at,
    set_path,
    set_request,
    set_server,
    str_at,
    user_of,
    wrong_type,
)
from .encoding import (
    _NONE_KNOWN,
    _PATH_CHARS,
    _TEXT_MEMO,
    decode_body,
    encode_ascii,
    encode_body,
    encode_path,
    framed_prelude,
    query_from_decoded,
    split_root,
    stage_prefix,
    wsgi_str,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, Response, Result


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request an HTTP API 2.0 or Function URL event describes, as CGI variables and body.

    The shape AWS sends is read directly: its strings checked at once, no call per field. An event
    of another shape (a part absent, null, empty or of another type) raises inside and is read
    again by ``checked_request``, which applies the ``cgi`` rules to each field and names what is
    wrong; both give the same environ for every event the first takes (tests/events/test_translate.py).
    """
    try:
        context = event["requestContext"]
        http = context["http"]
        method, client, fallback = http["method"], http["sourceIp"], http["path"]
        domain, stage, path, query = context["domainName"], context["stage"], event["rawPath"], event["rawQueryString"]
        "".join((method, client, fallback, domain, stage, path))  # a TypeError unless all are strings
        is_base64, body, params = event["isBase64Encoded"], event.get("body"), event.get("queryStringParameters")
        if (
            not (method and domain and path)
            or is_base64.__class__ is not bool  # __class__, not type(): no call
            or (body is not None and body.__class__ is not str)
            or (params is not None and params.__class__ is not dict)  # AWS leaves it out; test events send null
        ):
            raise ValueError  # empty, or not what AWS sends
        headers, environ, keys = event["headers"], {}, _CGI_KEYS
        try:  # environ_from_headers' common case written in (a call fewer): names known, values ASCII strings
            for name, value in headers.items():
                if value.__class__ is not str or not value.isascii():
                    raise ValueError
                environ[keys[name]] = value  # a KeyError for a name not yet seen (or holding "_")
        except (KeyError, ValueError):
            environ = {}
        if len(environ) != len(headers) or headers.__class__ is not dict:  # a new name, another value, two
            environ = environ_from_headers(headers)  # spellings of a name, not a dict: the rules
        if "cookies" in event:  # cookies[] holds the Cookie header's parts, split by AWS
            cookies = event["cookies"]
            if cookies.__class__ is list and cookies and "HTTP_COOKIE" not in environ and "" not in cookies:
                environ["HTTP_COOKIE"] = joined = "; ".join(cookies)  # a TypeError unless all are strings
                if not joined.isascii():
                    environ["HTTP_COOKIE"] = wsgi_str(joined)
            else:
                _add_cookies(environ, cookies)
        # set_server, set_path and set_request written in for what AWS sends (a call fewer each):
        # X-Forwarded-Proto and -Port, a Host without a port, a path and query needing no encoding
        scheme, port = environ.get("HTTP_X_FORWARDED_PROTO"), environ.get("HTTP_X_FORWARDED_PORT")
        host = environ.get("HTTP_HOST") or domain
        if (scheme == "https" or scheme == "http") and port in _USUAL_PORTS and ":" not in host:
            environ["wsgi.url_scheme"], environ["SERVER_NAME"], environ["SERVER_PORT"] = scheme, host, port
        else:
            set_server(environ, domain, "https")
        if (
            (stage == "$default" or not stage)
            and not options.base_path
            and path[0] == "/"
            and _PATH_CHARS.issuperset(path)
            and (query.isascii() and query.isprintable() and " " not in query)  # str only: query's type check
        ):  # no root, nothing to encode or decode (Function URLs and HTTP APIs alike)
            environ["SCRIPT_NAME"], environ["PATH_INFO"], environ["QUERY_STRING"] = "", path, query
            environ["RAW_URI"] = f"{path}?{query}" if query else path
        else:
            root, path = _split_target(path, stage, domain, options)  # not *args: a call through
            set_path(environ, root, path, encode_ascii(query))  # CALL_FUNCTION_EX costs a C frame
        body_bytes = decode_body(body, is_base64) if body else b""
        authorizer = context.get("authorizer")  # AWS leaves it out without one; test events send null
        if authorizer is not None or "/" in client or "HTTP_TRANSFER_ENCODING" in environ:
            set_request(environ, method, client, _user(context) if authorizer is not None else None, body_bytes)
        else:
            environ["REQUEST_METHOD"] = method
            if client:
                environ["REMOTE_ADDR"] = client
            if body_bytes or "CONTENT_LENGTH" in environ:  # the decoded length, not what the event said
                environ["CONTENT_LENGTH"] = str(len(body_bytes))
    except Exception:
        return checked_request(event, options)
    return environ, body_bytes


def checked_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """``to_request`` for an event of any shape: each field read once and its type checked inline;
    only a field that is absent, null or of the wrong type takes the ``cgi`` helper that defaults it
    or names the error.
    """
    context = event.get("requestContext")
    if type(context) is not dict:
        context = object_at(event, "requestContext", "requestContext")
    http = context.get("http")
    if type(http) is not dict:
        http = object_at(context, "http", "requestContext.http")
    method = http.get("method")
    if type(method) is not str or not method:
        method = method_of(method, "v2", "requestContext.http.method")
    headers = event.get("headers")
    environ = environ_from_headers(headers) if headers is not None else {}
    cookies = event.get("cookies")
    if cookies is not None:  # cookies[] holds the Cookie header's parts, split by AWS
        _add_cookies(environ, cookies)
    domain = context.get("domainName")
    if type(domain) is not str:
        domain = str_at(context, "domainName", "requestContext.domainName") or ""
    set_server(environ, domain, "https")
    root, path = _split_path(event, context, http, domain or environ["SERVER_NAME"], options)
    set_path(environ, root, path, _query(event))
    body = event.get("body")
    if body is None and event.get("isBase64Encoded") is False:  # AWS's own shape of a request without a body
        body_bytes = b""
    else:
        body_bytes = decode_body(*body_at(event, "body", "isBase64Encoded"))
    client = http.get("sourceIp")
    if client is not None and type(client) is not str:
        str_at(http, "sourceIp", "requestContext.http.sourceIp")
    authorizer = context.get("authorizer")
    set_request(environ, method, client, _user(context) if authorizer is not None else None, body_bytes)
    return environ, body_bytes


def _add_cookies(environ: Environ, cookies: object) -> None:
    if type(cookies) is not list:
        raise wrong_type("cookies", cookies, "a list of strings")
    try:
        joined = "; ".join(cookies)
    except TypeError:
        raise wrong_type("cookies", cookies, "a list of strings") from None
    if not cookies:
        return
    if "" in cookies:
        joined = "; ".join([part for part in cookies if part])
    if not joined.isascii():  # "; " is ASCII: one conversion for all
        joined = wsgi_str(joined)
    old = environ.get("HTTP_COOKIE")
    environ["HTTP_COOKIE"] = f"{old}; {joined}" if old else joined


def _split_path(event: Event, context: Any, http: Any, domain: str, options: Options) -> tuple[str, str]:
    # rawPath, never requestContext.http.path: the latter loses a trailing slash
    path = event.get("rawPath")
    fallback = http.get("path")
    if type(path) is not str or type(fallback) is not str:
        path = str_at(event, "rawPath", "rawPath")
        fallback = str_at(http, "path", "requestContext.http.path")
    path = path or fallback or "/"
    stage = context.get("stage")
    if stage is not None and type(stage) is not str:
        str_at(context, "stage", "requestContext.stage")
    return _split_target(path, stage, domain, options)


def _split_target(path: str, stage: str | None, domain: str, options: Options) -> tuple[str, str]:
    """The root (a stage in the URL, the base path) and the rest of the path, both still encoded."""
    if ".lambda-url." in domain:  # Function URLs keep the path as sent; HTTP APIs decode it
        path = encode_ascii(path)
        prefix = options.base_path
    else:
        path = encode_path(path)
        prefix = (stage_prefix(stage, domain, options.stage_in_url) if stage and stage != "$default" else "") or (
            options.base_path
        )
    return split_root(path, prefix) if prefix else ("", path)


def _query(event: Event) -> str:
    raw = event.get("rawQueryString")
    if raw is not None and type(raw) is not str:
        str_at(event, "rawQueryString", "rawQueryString")  # raises: not a string
    params = event.get("queryStringParameters")
    if params is not None and type(params) is not dict:
        raise wrong_type("queryStringParameters", params, "an object")
    if raw is None:  # a hand-made event; queryStringParameters joins repeats with commas
        return query_from_decoded(params) if params else ""
    return encode_ascii(raw)


def _user(context: Any) -> str | None:
    # each part's type checked inline; the cgi helper only for a part absent, null or of another type
    authorizer = context.get("authorizer")
    if type(authorizer) is not dict:
        authorizer = object_at(context, "authorizer", "requestContext.authorizer")
    if not authorizer:
        return None
    jwt = authorizer.get("jwt")
    if type(jwt) is not dict:
        jwt = object_at(authorizer, "jwt", "requestContext.authorizer.jwt")
    claims = jwt.get("claims")
    if type(claims) is not dict:
        claims = object_at(jwt, "claims", "requestContext.authorizer.jwt.claims")
    return user_of(authorizer, claims, "requestContext.authorizer.jwt.claims")


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result dict: Set-Cookie values in cookies[], other repeats joined with ``, ``."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in response.headers:  # split_cookies written in: a call fewer per answer
        name = name.lower()  # as HTTP/2 carries them, and as ASGI apps send them
        if name in headers:
            headers[name] = f"{headers[name]}, {value}"
        elif name == "set-cookie":
            if value not in cookies:  # no cookie twice
                cookies.append(value)
        else:
            headers[name] = value
    raw, content_type, text_types = response.body, headers.get("content-type"), options.text_mime_types
    # encode_body's common case written in (a call fewer): a body of a type is_text's memo knows as text, not encoded
    if raw and "content-encoding" not in headers and _TEXT_MEMO.get(text_types, _NONE_KNOWN).get(content_type):
        try:
            body, is_base64 = raw.decode("utf-8"), False
        except UnicodeDecodeError:  # claims text but is not UTF-8: encode_body's base64
            body, is_base64 = encode_body(raw, content_type, None, text_types)
    else:
        body, is_base64 = encode_body(raw, content_type, headers.get("content-encoding"), text_types)
    result: Result = {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        result["cookies"] = cookies
    return result


def split_cookies(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Headers by lower-case name, repeats joined with ``, ``; Set-Cookie values apart, none twice."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        name = name.lower()  # as HTTP/2 carries them, and as ASGI apps send them
        if name in headers:
            headers[name] = f"{headers[name]}, {value}"
        elif name == "set-cookie":
            if value not in cookies:  # no cookie twice
                cookies.append(value)
        else:
            headers[name] = value
    return headers, cookies


def to_prelude(status: int, pairs: list[tuple[str, str]]) -> bytes:
    """The JSON prelude of a streamed answer (statusCode, headers, cookies), then its 8 NUL bytes.

    The same header rules as ``from_response``: a streamed answer and a buffered one carry the
    same headers and cookies.
    """
    headers, cookies = split_cookies(pairs)
    return framed_prelude({"statusCode": status, "headers": headers, "cookies": cookies})
