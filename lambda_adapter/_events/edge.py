"""CloudFront Lambda@Edge viewer-request and origin-request events; the app's answer becomes a
response CloudFront generates at the edge.

AWS: docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html,
lambda-generating-http-responses.html and edge-functions-restrictions.html.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .._errors import PayloadTooLarge, UnsupportedEvent
from .cgi import add_headers, set_path, set_request, set_server
from .encoding import decode_body, encode_ascii, split_root
from .response import encode_body

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._model import Environ, Event, Options, Response, Result

# CloudFront answers 502 to a generated response carrying these: disallowed or read-only headers
_DROPPED = frozenset(
    ("connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "trailer", "upgrade", "x-accel-buffering", "x-accel-charset", "x-accel-limit-rate", "x-accel-redirect",
     "x-cache", "x-forwarded-proto", "x-real-ip", "content-length", "transfer-encoding", "via")
)  # fmt: skip
_DROPPED_PREFIXES = ("x-amz-cf-", "x-amzn-", "x-edge-")
# the largest response a function may generate, headers and body (CloudFront quotas)
LIMITS = {"viewer-request": 40 * 1024, "origin-request": 1024 * 1024}


def _request(event: Event) -> Any:
    cf = event["Records"][0]["cf"]
    kind = (cf.get("config") or {}).get("eventType")
    if "response" in cf or (kind and kind not in LIMITS):
        raise UnsupportedEvent(f"a Lambda@Edge {kind or 'response'} event carries no request to answer")
    return cf


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a viewer-request or origin-request event describes."""
    cf = _request(event)
    request = cf["request"]
    environ: Environ = {}
    headers = request.get("headers") or {}
    # CloudFront: {lower-case name: [{"key": Name, "value": v}, ...]}
    add_headers(environ, {name: ", ".join(item["value"] for item in items) for name, items in headers.items()})
    if "cookie" in headers:  # cookies join with "; ", not ", "
        environ["HTTP_COOKIE"] = "; ".join(item["value"] for item in headers["cookie"])
    domain = (cf.get("config") or {}).get("distributionDomainName") or ""
    forwarded = environ.get("HTTP_CLOUDFRONT_FORWARDED_PROTO")
    set_server(environ, domain, forwarded or "https")
    set_path(
        environ,
        *split_root(encode_ascii(request.get("uri") or "/"), options.base_path),
        encode_ascii(request.get("querystring") or ""),
    )
    body = _body(request.get("body"))
    set_request(environ, request.get("method") or "GET", request.get("clientIp"), None, body)
    return environ, body


def _body(body: Any) -> bytes:
    if not body:
        return b""
    if body.get("inputTruncated"):  # the app would see part of the body as if it were all of it
        raise PayloadTooLarge("CloudFront truncated the request body (the include-body limit)")
    return decode_body(body.get("data"), body.get("encoding") == "base64")


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The generated response: status as a string, every header value kept, forbidden ones removed."""
    headers: dict[str, list[dict[str, str]]] = {}
    for name, value in response.headers:
        lower = name.lower()
        if lower in _DROPPED or lower.startswith(_DROPPED_PREFIXES):
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

    return {
        "status": str(response.status),
        "statusDescription": reason(response.status),
        "headers": headers,
        "body": body,
        "bodyEncoding": "base64" if is_base64 else "text",
    }
