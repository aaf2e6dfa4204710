"""CloudFront Lambda@Edge viewer-request and origin-request events; the app's answer becomes a
response CloudFront generates at the edge.

AWS: docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html,
lambda-generating-http-responses.html and edge-functions-restrictions.html.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .._model import PayloadTooLarge, UnsupportedEvent
from .cgi import (
    environ_from_headers,
    method_of,
    missing,
    object_at,
    set_path,
    set_request,
    set_server,
    str_at,
    wrong_type,
)
from .encoding import decode_body, encode_ascii, encode_body, split_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, Response, Result

# CloudFront answers 502 to a generated response carrying these: disallowed headers (ten named X-Amzn-*,
# not the prefix) and those read-only in every request event (edge-function-restrictions-all.html)
_DROPPED = frozenset(
    ("connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "trailer", "upgrade", "x-accel-buffering", "x-accel-charset", "x-accel-limit-rate", "x-accel-redirect",
     "x-amzn-auth", "x-amzn-cf-billing", "x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile",
     "x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag", "x-amzn-requestid",
     "x-cache", "x-forwarded-proto", "x-real-ip", "content-length", "transfer-encoding", "via")
)  # fmt: skip
_DROPPED_PREFIXES = ("x-amz-cf-", "x-edge-")
# and those read-only in the event type's own list (kind_of)
_READ_ONLY = {
    "viewer-request": frozenset(("host",)),
    "origin-request": frozenset(
        ("accept-encoding", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since")
    ),
}
# the largest response a function may generate, headers and body (CloudFront quotas)
LIMITS = {"viewer-request": 40 * 1024, "origin-request": 1024 * 1024}


def _request(event: Event) -> tuple[Any, Any]:
    """The cf object and its request; refused when the event is a response event."""
    cf = event["Records"][0]["cf"]  # detect() found Records[0].cf
    if type(cf) is not dict:
        raise wrong_type("Records[0].cf", cf, "an object")
    kind = str_at(object_at(cf, "config", "cf.config"), "eventType", "cf.config.eventType")
    if "response" in cf or (kind and kind not in LIMITS):
        raise UnsupportedEvent(f"a Lambda@Edge {kind or 'response'} event carries no request to answer")
    request = cf.get("request")
    if request is None:
        raise missing("edge", "Records[0].cf.request")
    if type(request) is not dict:
        raise wrong_type("cf.request", request, "an object")
    return cf, request


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a viewer-request or origin-request event describes."""
    cf, request = _request(event)
    method = method_of(request.get("method"), "edge", "Records[0].cf.request.method")
    headers = object_at(request, "headers", "cf.request.headers")
    # CloudFront: {lower-case name: [{"key": Name, "value": v}, ...]}
    environ = environ_from_headers({name: ", ".join(_values(items)) for name, items in headers.items()})
    if "cookie" in headers:  # cookies join with "; ", not ", "
        environ["HTTP_COOKIE"] = "; ".join(_values(headers["cookie"]))
    config = object_at(cf, "config", "cf.config")
    domain = str_at(config, "distributionDomainName", "cf.config.distributionDomainName") or ""
    forwarded = environ.get("HTTP_CLOUDFRONT_FORWARDED_PROTO")
    set_server(environ, domain, forwarded or "https")
    set_path(
        environ,
        *split_root(encode_ascii(str_at(request, "uri", "cf.request.uri") or "/"), options.base_path),
        encode_ascii(str_at(request, "querystring", "cf.request.querystring") or ""),
    )
    body = _body(object_at(request, "body", "cf.request.body"))
    set_request(environ, method, str_at(request, "clientIp", "cf.request.clientIp"), None, body)
    return environ, body


def _values(items: object) -> list[str]:
    """The values of one CloudFront header: a list of {"key": Name, "value": v}."""
    if type(items) is not list:
        raise wrong_type("value of a header in cf.request.headers", items, "a list")
    values = []
    for item in items:
        value = item.get("value") if type(item) is dict else item
        if type(value) is not str:
            raise wrong_type("value of a header in cf.request.headers", value, "a string")
        values.append(value)
    return values


def _body(body: Any) -> bytes:
    if not body:
        return b""
    if body.get("inputTruncated"):  # the app would see part of the body as if it were all of it
        raise PayloadTooLarge("CloudFront truncated the request body (the include-body limit)")
    data = str_at(body, "data", "cf.request.body.data")
    encoding = str_at(body, "encoding", "cf.request.body.encoding")
    return decode_body(data, encoding == "base64")


def kind_of(event: Event) -> str:
    """The request event's type, for its limits and read-only headers: origin-request (the larger limit)
    when the event does not say, or says it wrongly (the 400 for such an event is answered too)."""
    config = event["Records"][0]["cf"].get("config")
    kind = config.get("eventType") if type(config) is dict else None
    return kind if type(kind) is str and kind in LIMITS else "origin-request"


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The generated response: status as a string, every header value kept, forbidden ones removed."""
    headers: dict[str, list[dict[str, str]]] = {}
    read_only = _READ_ONLY[kind_of(event)]
    for name, value in response.headers:
        lower = name.lower()
        if lower in _DROPPED or lower in read_only or lower.startswith(_DROPPED_PREFIXES):
            continue
        headers.setdefault(lower, []).append({"key": lower, "value": value})  # lower-case, as elsewhere
    content_type = headers.get("content-type")
    content_encoding = headers.get("content-encoding")
    body, is_base64 = encode_body(
        response.body,
        content_type[-1]["value"] if content_type else None,
        content_encoding[-1]["value"] if content_encoding else None,
        options.text_mime_types,
    )
    from .alb import reason  # one reason-phrase table

    result: Result = {"status": str(response.status), "statusDescription": reason(response.status), "headers": headers}
    if response.status != 204:  # a 204 with a body field, even "", is a 502 (lambda-generating-http-responses.html)
        result["body"] = body
        result["bodyEncoding"] = "base64" if is_base64 else "text"
    return result
