"""HTTP API events of payload format 2.0, and Lambda Function URL events (the same shape).

AWS: docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
and docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import add_headers, set_path, set_request, set_server
from .encoding import decode_body, encode_ascii, encode_path, query_from_decoded, split_root, stage_prefix, wsgi_str
from .fields import body_at, method_of, object_at, str_at, wrong_type
from .response import encode_body, framed_prelude

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._model import Environ, Event, Response, Result
    from .._options import Options


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request an HTTP API 2.0 or Function URL event describes, as CGI variables and body."""
    context = object_at(event, "requestContext", "requestContext")
    http = object_at(context, "http", "requestContext.http")
    method = method_of(http.get("method"), "v2", "requestContext.http.method")
    environ: Environ = {}
    headers = event.get("headers")
    if headers is not None:
        add_headers(environ, headers)
    cookies = event.get("cookies")
    if cookies is not None:  # cookies[] holds the Cookie header's parts, split by AWS
        _add_cookies(environ, cookies)
    domain = str_at(context, "domainName", "requestContext.domainName") or ""
    set_server(environ, domain, "https")
    set_path(environ, *_split_path(event, context, http, domain or environ["SERVER_NAME"], options), _query(event))
    body, is_base64 = body_at(event, "body", "isBase64Encoded")
    body_bytes = decode_body(body, is_base64)
    client = str_at(http, "sourceIp", "requestContext.http.sourceIp")
    set_request(environ, method, client, _user(context), body_bytes)
    return environ, body_bytes


def _add_cookies(environ: Environ, cookies: object) -> None:
    if type(cookies) is not list or not all(type(part) is str for part in cookies):
        raise wrong_type("cookies", cookies, "a list of strings")
    if not cookies:
        return
    joined = wsgi_str("; ".join([part for part in cookies if part]))  # "; " is ASCII: one conversion for all
    old = environ.get("HTTP_COOKIE")
    environ["HTTP_COOKIE"] = f"{old}; {joined}" if old else joined


def _split_path(event: Event, context: Any, http: Any, domain: str, options: Options) -> tuple[str, str]:
    # rawPath, never requestContext.http.path: the latter loses a trailing slash
    raw = str_at(event, "rawPath", "rawPath")
    fallback = str_at(http, "path", "requestContext.http.path")
    path = raw or fallback or "/"
    stage = str_at(context, "stage", "requestContext.stage")
    if ".lambda-url." in domain:  # Function URLs keep the path as sent; HTTP APIs decode it
        return split_root(encode_ascii(path), options.base_path)
    prefix = stage_prefix(stage, domain, options.stage_in_url)
    return split_root(encode_path(path), prefix or options.base_path)


def _query(event: Event) -> str:
    raw = str_at(event, "rawQueryString", "rawQueryString")
    params = event.get("queryStringParameters")
    if params is not None and type(params) is not dict:
        raise wrong_type("queryStringParameters", params, "an object")
    if raw is None:  # a hand-made event; queryStringParameters joins repeats with commas
        return query_from_decoded(params) if params else ""
    return encode_ascii(raw)


def _user(context: Any) -> str | None:
    authorizer = object_at(context, "authorizer", "requestContext.authorizer")
    if not authorizer:
        return None
    jwt = object_at(authorizer, "jwt", "requestContext.authorizer.jwt")
    claims = object_at(jwt, "claims", "requestContext.authorizer.jwt.claims")
    principal = str_at(authorizer, "principalId", "requestContext.authorizer.principalId")
    sub = str_at(claims, "sub", "requestContext.authorizer.jwt.claims.sub")
    return principal or sub


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result dict: Set-Cookie values in cookies[], other repeats joined with ``, ``."""
    headers, cookies = split_cookies(response.headers)
    body, is_base64 = encode_body(
        response.body, headers.get("content-type"), headers.get("content-encoding"), options.text_mime_types
    )
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
