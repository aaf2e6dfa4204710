"""API Gateway REST API events, and HTTP API events of payload format 1.0.

AWS: docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
and http-api-develop-integrations-lambda.html (payload 1.0); a REST API's streamed answer (an
integration with ``responseTransferMode: STREAM``): response-transfer-mode-lambda.html.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import (
    _CGI_KEYS,
    _USUAL_PORTS,
    body_at,
    environ_from_event_headers,
    method_of,
    object_at,
    query_params,
    set_path,
    set_request,
    set_server,
    str_at,
    user_of,
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
    group_headers,
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
    """The request a REST API (or HTTP API 1.0) event describes, as CGI variables and body.

    The shape AWS sends is read directly: its strings checked at once, no call per field. An event
    of another shape (a part absent, null, empty or of another type) raises inside and is read
    again by ``checked_request``, which applies the ``cgi`` rules to each field and names what is
    wrong; both give the same environ for every event the first takes (tests/events/test_translate.py).
    """
    try:
        context = event["requestContext"]
        method, path, domain, stage = event["httpMethod"], event["path"], context["domainName"], context["stage"]
        client = context["identity"]["sourceIp"]
        "".join((method, path, domain, stage, client))  # a TypeError unless all are strings
        body, is_base64 = event["body"], event["isBase64Encoded"]
        params, single = event["multiValueQueryStringParameters"], event["queryStringParameters"]
        multi, headers = event["multiValueHeaders"], event["headers"]
        if (
            not (method and path and domain)
            or is_base64.__class__ is not bool  # __class__, not type(): no call
            or (body is not None and body.__class__ is not str)
            or (params is not None and params.__class__ is not dict)
            or (single is not None and single.__class__ is not dict)
            or (headers is not None and headers.__class__ is not dict)
        ):
            raise ValueError  # empty, or not what AWS sends
        environ, keys, isascii = {}, _CGI_KEYS, str.isascii
        try:  # environ_from_multi_headers' common case written in: names known, one ASCII string each
            for name, values in multi.items():
                [value] = values  # a ValueError unless one value, a TypeError for null or a number
                if values.__class__ is not list or value.__class__ is not str or not isascii(value):
                    raise ValueError
                environ[keys[name]] = value  # a KeyError for a name not yet seen (or holding "_")
        except (AttributeError, KeyError, TypeError, ValueError):
            environ = {}
        if not multi or multi.__class__ is not dict or len(environ) != len(multi):  # the rules: no multi-value
            environ = environ_from_event_headers(event)  # headers, a repeat, a new name, two spellings...
        # set_server, set_path and set_request written in for what AWS sends (a call fewer each):
        # X-Forwarded-Proto and -Port, a Host without a port, a path needing no encoding, no base path
        scheme, port = environ.get("HTTP_X_FORWARDED_PROTO"), environ.get("HTTP_X_FORWARDED_PORT")
        host = environ.get("HTTP_HOST") or domain
        if (scheme == "https" or scheme == "http") and port in _USUAL_PORTS and ":" not in host:
            environ["wsgi.url_scheme"], environ["SERVER_NAME"], environ["SERVER_PORT"] = scheme, host, port
        else:
            set_server(environ, domain, "https")
        params = params or single
        query = query_from_decoded(params) if params else ""  # values arrive decoded
        if "version" in event or options.base_path or path[0] != "/" or not _PATH_CHARS.issuperset(path + stage):
            root, path = _split_target(path, stage, domain, event.get("version"), options)  # not *args: a call
            set_path(environ, root, path, query)  # through CALL_FUNCTION_EX costs a C frame
        else:  # REST: the path as sent; the stage is the root when the client's URL holds it
            in_url = options.stage_in_url
            if stage and stage != "$default" and (".execute-api." in domain if in_url is None else in_url):
                root = "/" + stage
            else:
                root = ""
            environ["SCRIPT_NAME"], environ["PATH_INFO"], environ["QUERY_STRING"] = root, path, query
            environ["RAW_URI"] = f"{root}{path}?{query}" if query else root + path
        body_bytes = decode_body(body, is_base64) if body else b""
        user = _user(context) if context.get("authorizer") is not None else None
        if "/" in client or "HTTP_TRANSFER_ENCODING" in environ:
            set_request(environ, method, client, user, body_bytes)
        else:
            environ["REQUEST_METHOD"] = method
            if client:
                environ["REMOTE_ADDR"] = client
            if user:
                environ["REMOTE_USER"] = wsgi_str(user)
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
    method = event.get("httpMethod")
    if method is None:  # hand-made events may carry it in requestContext alone
        method = context.get("httpMethod")
    if type(method) is not str or not method:
        method = method_of(method, "v1", "httpMethod")
    environ = environ_from_event_headers(event)
    domain = context.get("domainName")
    if type(domain) is not str:
        domain = str_at(context, "domainName", "requestContext.domainName") or ""
    set_server(environ, domain, "https")
    root, path = _split_path(event, context, environ["SERVER_NAME"], options)
    set_path(environ, root, path, _query(event))
    body = event.get("body")
    if body is None and event.get("isBase64Encoded") is False:  # AWS's own shape of a request without a body
        body_bytes = b""
    else:
        body_bytes = decode_body(*body_at(event, "body", "isBase64Encoded"))
    identity = context.get("identity")
    if type(identity) is not dict:
        identity = object_at(context, "identity", "requestContext.identity")
    client = identity.get("sourceIp")
    if client is not None and type(client) is not str:
        str_at(identity, "sourceIp", "requestContext.identity.sourceIp")  # raises: not a string
    authorizer = context.get("authorizer")
    set_request(environ, method, client, _user(context) if authorizer is not None else None, body_bytes)
    return environ, body_bytes


def _query(event: Event) -> str:
    multi = event.get("multiValueQueryStringParameters")
    single = event.get("queryStringParameters")
    if (multi is not None and type(multi) is not dict) or (single is not None and type(single) is not dict):
        query_params(event, "multiValueQueryStringParameters", "queryStringParameters")  # raises: names it
    params = multi or single
    return query_from_decoded(params) if params else ""  # values arrive decoded


def _split_path(event: Event, context: Any, host: str, options: Options) -> tuple[str, str]:
    path = event.get("path")
    stage = context.get("stage")
    if type(path) is not str or (stage is not None and type(stage) is not str):
        path = str_at(event, "path", "path")
        stage = str_at(context, "stage", "requestContext.stage")
    return _split_target(path or "/", stage, context.get("domainName") or host, event.get("version"), options)


def _split_target(path: str, stage: str | None, domain: str, version: object, options: Options) -> tuple[str, str]:
    """The root (a stage in the URL, the base path) and the rest of the path, both still encoded."""
    prefix = stage_prefix(stage, domain, options.stage_in_url) if stage else ""
    if version == "1.0":  # HTTP API: path decoded, a named stage still in it
        return split_root(encode_path(path), prefix or options.base_path)
    if prefix:  # REST: path as sent, without the stage the client's URL had
        return prefix, encode_ascii(path)
    return split_root(encode_ascii(path), options.base_path)


def _user(context: Any) -> str | None:
    # each part's type checked inline; the cgi helper only for a part absent, null or of another type
    authorizer = context.get("authorizer")
    if type(authorizer) is not dict:
        authorizer = object_at(context, "authorizer", "requestContext.authorizer")
    if not authorizer:
        return None
    claims = authorizer.get("claims")
    if type(claims) is not dict:
        claims = object_at(authorizer, "claims", "requestContext.authorizer.claims")
    return user_of(authorizer, claims, "requestContext.authorizer.claims")


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result dict API Gateway expects: every header value kept in multiValueHeaders.

    ``encode_multi_value`` written in (a call fewer per answer): the headers grouped as ``group_headers``
    does, the body of a type ``is_text``'s memo knows as text decoded here, any other by ``encode_body``.
    """
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        name = name.lower()  # as HTTP/2 carries them, and as ASGI apps send them
        if name in headers:
            headers[name].append(value)
        else:
            headers[name] = [value]
    raw, text_types = response.body, options.text_mime_types
    content_type = headers["content-type"][-1] if "content-type" in headers else None
    if raw and "content-encoding" not in headers and _TEXT_MEMO.get(text_types, _NONE_KNOWN).get(content_type):
        try:
            body, is_base64 = raw.decode("utf-8"), False
        except UnicodeDecodeError:  # claims text but is not UTF-8: encode_body's base64
            body, is_base64 = encode_body(raw, content_type, None, text_types)
    else:
        encoding = headers["content-encoding"][-1] if "content-encoding" in headers else None
        body, is_base64 = encode_body(raw, content_type, encoding, text_types)
    return {"statusCode": response.status, "multiValueHeaders": headers, "body": body, "isBase64Encoded": is_base64}


def to_prelude(status: int, pairs: list[tuple[str, str]]) -> bytes:
    """The JSON prelude of a REST API's streamed answer, then its 8 NUL bytes.

    The header rule of ``from_response`` (``group_headers``: names lower-case, every value kept, in
    order), laid out in the fields of the streaming format: a header with one value in ``headers``,
    a repeated one in ``multiValueHeaders``, the ``Set-Cookie`` values in ``cookies``.
    """
    grouped = group_headers(pairs)
    cookies = grouped.pop("set-cookie", None)
    document: dict[str, object] = {
        "statusCode": status,
        "headers": {name: values[0] for name, values in grouped.items() if len(values) == 1},
    }
    repeated = {name: values for name, values in grouped.items() if len(values) > 1}
    if repeated:
        document["multiValueHeaders"] = repeated
    if cookies:
        document["cookies"] = cookies
    return framed_prelude(document)
