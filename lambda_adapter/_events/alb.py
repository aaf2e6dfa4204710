"""Application Load Balancer events, with and without multi-value headers.

AWS: docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from http import HTTPStatus  # imported with this module, on the first ALB event

from .cgi import body_at, environ_from_event_headers, method_of, query_params, set_path, set_request, set_server, str_at
from .encoding import decode_body, encode_ascii, query_from_encoded, split_root
from .response import encode_body, encode_multi_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._options import Options
    from .._typing import Environ, Event, Response, Result


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request an ALB event describes, as CGI variables and body; path and query still encoded."""
    method = method_of(event.get("httpMethod"), "alb", "httpMethod")
    environ = environ_from_event_headers(event)
    set_server(environ, "", "http")  # a health check carries no X-Forwarded-*: plain HTTP
    set_path(
        environ,
        *split_root(encode_ascii(str_at(event, "path", "path") or "/"), options.base_path),
        _query(event),
    )
    body, is_base64 = body_at(event, "body", "isBase64Encoded")
    body_bytes = decode_body(body, is_base64)
    # ALB appends the peer it saw to X-Forwarded-For: the last entry, not the client-written first
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    client = forwarded.rpartition(",")[2].strip() if forwarded else None
    set_request(environ, method, client, None, body_bytes)
    return environ, body_bytes


def _query(event: Event) -> str:
    params = query_params(event, "multiValueQueryStringParameters", "queryStringParameters")
    return query_from_encoded(params) if params else ""  # no second encoding: no %2520


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result dict ALB expects, multi-value when the target group has it on."""
    if event.get("multiValueHeaders") is None:  # the request tells whether multi-value is on
        return single_value_result(response, options)
    headers, body, is_base64 = encode_multi_value(response, options.text_mime_types)
    return _result(response.status, "multiValueHeaders", headers, body, is_base64)


def single_value_result(response: Response, options: Options) -> Result:
    """The result with one value per header name (ALB without multi-value, VPC Lattice)."""
    headers = single_value_headers(response.headers)
    body, is_base64 = encode_body(
        response.body, headers.get("content-type"), headers.get("content-encoding"), options.text_mime_types
    )
    return _result(response.status, "headers", headers, body, is_base64)


def _result(status: int, key: str, headers: object, body: str, is_base64: bool) -> Result:
    description = f"{status} {reason(status)}"  # ALB alone wants it; API Gateway refuses the key
    return {"statusCode": status, "statusDescription": description, key: headers, "body": body,
            "isBase64Encoded": is_base64}  # fmt: skip


def reason(status: int) -> str:
    """The reason phrase of a status code; a code with none known still gets one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def single_value_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """One value per name in the map: a repeated header's values go out under case variants of its
    name (``set-cookie``, ``Set-cookie``, ``sEt-cookie``...), each a header of its own on the wire,
    which clients read case-insensitively (as Mangum and serverless-wsgi do). Values beyond the
    name's case variants are left out; the shell logs them (the map then holds fewer pairs)."""
    single: dict[str, str] = {}
    repeats: dict[str, int] = {}
    for name, value in headers:
        name = name.lower()
        if name not in single:
            single[name] = value
            continue
        count = repeats.get(name, 1)
        variant = case_variant(name, count)
        if variant is not None:
            single[variant] = value
            repeats[name] = count + 1
    return single


def case_variant(name: str, number: int) -> str | None:
    """The ``number``-th spelling of a lower-case name, letter ``i`` upper-case when bit ``i`` of
    ``number`` is set (0: the name itself); None when the name has fewer spellings."""
    letters = [index for index, char in enumerate(name) if char.isalpha()]
    if number >= 1 << len(letters):
        return None
    chars = list(name)
    for bit, index in enumerate(letters):
        if number >> bit & 1:
            chars[index] = chars[index].upper()
    return "".join(chars)
