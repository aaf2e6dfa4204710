"""Event builders and a Lambda context for testing handlers, as AWS would call them.

Each builder takes the HTTP request a client sent (method, path and query as on the wire,
headers, body) and returns the event that source delivers, with AWS's quirks: REST decodes
query values, HTTP APIs decode the path and split cookies, ALB keeps the query encoded, and
so on. All arguments are keyword-only.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported on first use by __getattr__ (they need httpx)
    from ._transport import AsyncLambdaTransport, LambdaTransport

__all__ = [
    "FORMATS", "LambdaContext", "alb_event", "body_of", "edge_event", "event_for", "headers_of", "http1_event",
    "http_event", "json_of", "lattice_event", "rest_event", "set_cookies_of", "status_of", "url_event",
    "LambdaTransport", "AsyncLambdaTransport",
    "websocket_event",
]  # fmt: skip

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
FORMATS = ("rest", "http", "http1", "url", "alb", "alb-multi", "edge", "lattice1", "lattice2")


class LambdaContext:
    """A Lambda context with the attributes the Python runtime provides."""

    def __init__(self, *, function_name: str = "app", timeout_ms: int = 30_000, request_id: str | None = None) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/11/22/[$LATEST]0123456789abcdef"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


# media types AWS passes as text (Function URLs and HTTP APIs base64-encode every other body)
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "application/yaml",
               "application/x-www-form-urlencoded", "application/graphql", "+json", "+xml")  # fmt: skip


def _is_binary_type(pairs: list[tuple[str, str]]) -> bool:
    """Whether the request's Content-Type names a binary body (absent: decided by the bytes)."""
    content_type = next((v for n, v in pairs if n.lower() == "content-type"), "").partition(";")[0].strip().lower()
    return bool(content_type) and not any(content_type.startswith(t) or content_type.endswith(t) for t in _TEXT_TYPES)


def _body(body: bytes | str, binary: bool | None, pairs: list[tuple[str, str]]) -> tuple[str, bool]:
    data = body.encode() if isinstance(body, str) else body
    if binary is None and data and _is_binary_type(pairs):
        binary = True
    if binary is None:
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            binary = True
    if binary:
        return base64.b64encode(data).decode("ascii"), True
    return data.decode("utf-8"), False


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _request_time(text: str, epoch: str) -> dict[str, Any]:
    """The request's time as API Gateway writes it twice: ``09/Apr/2015:12:34:56 +0000`` and epoch milliseconds."""
    now = int(time.time() * 1000)
    return {text: time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now // 1000)), epoch: now}


def _decoded_query(query: str) -> dict[str, list[str]]:
    return _multi(parse_qsl(query, keep_blank_values=True))


def _encoded_query(query: str) -> dict[str, list[str]]:
    return _multi([(part.partition("=")[0], part.partition("=")[2]) for part in query.split("&") if part])


def rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    stage: str = "prod",
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.7",
    authorizer: dict[str, Any] | None = None,
    request_id: str | None = None,
    domain_name: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0); ``path`` without the stage.

    ``domain_name`` (default ``host``): the API's domain in ``requestContext``; an ``execute-api``
    name means the client's URL holds the stage, as on AWS.
    """
    pairs = [("Host", host), *_pairs(headers)]
    text, is_b64 = _body(body, binary, pairs)
    multi_query = _decoded_query(query)
    domain_name = domain_name or host
    url_path = path if stage == "$default" or ".execute-api." not in domain_name else f"/{stage}{path}"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in _multi(pairs).items()},
        "multiValueHeaders": _multi(pairs),
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "authorizer": authorizer,
            "domainName": domain_name,
            "httpMethod": method,
            "path": url_path,
            "protocol": "HTTP/1.1",
            "requestId": request_id or str(uuid.uuid4()),
            **_request_time("requestTime", "requestTimeEpoch"),
            "resourcePath": "/{proxy+}",
            "stage": stage,
            "identity": {"sourceIp": source_ip, "userAgent": dict(pairs).get("User-Agent")},
        },
        "body": text or None,
        "isBase64Encoded": is_b64,
    }


def http1_event(**kwargs: Any) -> dict[str, Any]:
    """An HTTP API event of payload format 1.0: REST's shape, with the path decoded."""
    stage = kwargs.setdefault("stage", "$default")
    event = rest_event(**kwargs)
    path = unquote(kwargs.get("path", "/"))
    event["version"] = "1.0"
    in_url = stage != "$default" and ".execute-api." in event["requestContext"]["domainName"]
    event["path"] = f"/{stage}{path}" if in_url else path
    event["requestContext"]["path"] = event["path"]
    return event


def http_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    stage: str = "$default",
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.7",
    authorizer: dict[str, Any] | None = None,
    request_id: str | None = None,
    domain_name: str | None = None,
) -> dict[str, Any]:
    """An HTTP API event of payload 2.0: path decoded, stage in it, cookies split out.

    ``domain_name`` (default ``host``) as in ``rest_event``.
    """
    pairs = [(name.lower(), value) for name, value in [("host", host), *_pairs(headers)]]
    cookies = [part.strip() for name, value in pairs if name == "cookie" for part in value.split(";")]
    joined = {name: ",".join(values) for name, values in _multi(pairs).items() if name != "cookie"}
    text, is_b64 = _body(body, binary, pairs)
    domain_name = domain_name or host
    in_url = stage != "$default" and ".execute-api." in domain_name  # custom domains hide the stage
    raw_path = f"/{stage}{unquote(path)}" if in_url else unquote(path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": joined,
        "queryStringParameters": {k: ",".join(v) for k, v in _decoded_query(query).items()} or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "authorizer": authorizer,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": stage,
            **_request_time("time", "timeEpoch"),
        },
        "body": text or None,
        "isBase64Encoded": is_b64,
    }
    if cookies:
        event["cookies"] = cookies
    return event


def url_event(
    *, host: str = "abc123.lambda-url.us-east-1.on.aws", domain_name: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A Lambda Function URL event: the 2.0 shape, path kept as sent, no stage.

    ``domainName`` is the function URL's own name even when the Host header is another (behind CloudFront).
    """
    path = kwargs.get("path", "/")
    domain_name = domain_name or (host if ".lambda-url." in host else "abc123.lambda-url.us-east-1.on.aws")
    event = http_event(host=host, stage="$default", domain_name=domain_name, **kwargs)
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    return event


def alb_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    multi_value: bool = False,
    host: str = "my-alb-123.us-east-1.elb.amazonaws.com",
    source_ip: str = "203.0.113.7",
    forwarded_proto: str = "https",
    forwarded_port: int = 443,
) -> dict[str, Any]:
    """An ALB event: path and query as sent; X-Forwarded-For with the peer appended.

    ``forwarded_proto`` and ``forwarded_port``: the listener the client reached.
    """
    pairs = [("host", host), *[(n.lower(), v) for n, v in _pairs(headers)]]
    forwarded = [v for n, v in pairs if n == "x-forwarded-for"]
    pairs = [(n, v) for n, v in pairs if n != "x-forwarded-for"]
    pairs += [("x-forwarded-for", ", ".join([*forwarded, source_ip])), ("x-forwarded-proto", forwarded_proto),
              ("x-forwarded-port", str(forwarded_port))]  # fmt: skip
    text, is_b64 = _body(body, binary, pairs)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/abc"}
        },
        "httpMethod": method,
        "path": path,
        "body": text,
        "isBase64Encoded": is_b64,
    }
    if multi_value:
        event["multiValueHeaders"] = _multi(pairs)
        event["multiValueQueryStringParameters"] = _encoded_query(query)
    else:
        event["headers"] = {name: values[-1] for name, values in _multi(pairs).items()}
        event["queryStringParameters"] = {k: v[-1] for k, v in _encoded_query(query).items()}
    return event


def edge_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    event_type: str = "origin-request",
    host: str = "d111111abcdef8.cloudfront.net",
    source_ip: str = "203.0.113.7",
) -> dict[str, Any]:
    """A CloudFront Lambda@Edge request event (body included, always base64)."""
    grouped: dict[str, list[dict[str, str]]] = {}
    for name, value in [("Host", host), *_pairs(headers)]:
        grouped.setdefault(name.lower(), []).append({"key": name, "value": value})
    data = body.encode() if isinstance(body, str) else body
    request: dict[str, Any] = {"clientIp": source_ip, "headers": grouped, "method": method, "querystring": query,
                               "uri": path}  # fmt: skip
    if data or method in ("POST", "PUT", "PATCH"):
        request["body"] = {"inputTruncated": False, "action": "read-only", "encoding": "base64",
                           "data": base64.b64encode(data).decode("ascii")}  # fmt: skip
    config = {"distributionDomainName": host, "distributionId": "EDFDVBD6EXAMPLE", "eventType": event_type,
              "requestId": str(uuid.uuid4())}  # fmt: skip
    return {"Records": [{"cf": {"config": config, "request": request}}]}


def lattice_event(
    *,
    version: int = 2,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    host: str = "svc-0123.7d67968.vpc-lattice-svcs.us-east-1.on.aws",
    source_ip: str = "10.0.0.7",
) -> dict[str, Any]:
    """A VPC Lattice event of payload 1.0 or 2.0."""
    pairs = [("host", host), *[(n.lower(), v) for n, v in _pairs(headers)], ("x-forwarded-for", source_ip)]
    text, is_b64 = _body(body, binary, pairs)
    multi_query = _decoded_query(query)
    if version == 1:
        return {"raw_path": path, "method": method, "headers": {n: v[-1] for n, v in _multi(pairs).items()},
                "query_string_parameters": {k: v[-1] for k, v in multi_query.items()}, "body": text,
                "is_base64_encoded": is_b64}  # fmt: skip
    return {
        "version": "2.0", "path": path, "method": method, "headers": _multi(pairs),
        "queryStringParameters": multi_query, "body": text, "isBase64Encoded": is_b64,
        "requestContext": {
            "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0123",
            "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123",
            "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123",
            "identity": {"type": "AWS_IAM", "principal": "arn:aws:iam::123456789012:role/caller"},
            "region": "us-east-1", "timeEpoch": str(int(time.time() * 1_000_000)),
        },
    }  # fmt: skip


def event_for(format: str, **kwargs: Any) -> dict[str, Any]:
    """The event of ``format`` (one of ``FORMATS``) for the request described by ``kwargs``."""
    if format == "alb-multi":
        return alb_event(multi_value=True, **kwargs)
    if format == "edge":
        kwargs.pop("stage", None)
        kwargs.pop("binary", None)
        return edge_event(**kwargs)
    if format in ("lattice1", "lattice2"):
        kwargs.pop("stage", None)
        return lattice_event(version=int(format[-1]), **kwargs)
    builders: dict[str, Callable[..., dict[str, Any]]] = {
        "rest": rest_event, "http": http_event, "http1": http1_event, "url": url_event, "alb": alb_event,
    }  # fmt: skip
    if format not in builders:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    return builders[format](**kwargs)


def body_of(result: Mapping[str, Any]) -> bytes:
    """The bytes the client receives from a handler's result."""
    body = result.get("body") or ""
    encoded = result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64"
    return base64.b64decode(body) if encoded else body.encode("utf-8")


def status_of(result: Mapping[str, Any]) -> int:
    """The status code the client receives (Lambda@Edge gives it as a string)."""
    return int(result["status"] if "status" in result else result["statusCode"])


def headers_of(result: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every response header the client receives, by lower-case name, whatever the format."""
    headers: dict[str, list[str]] = {}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    for name, value in (result.get("headers") or {}).items():
        if isinstance(value, list):  # Lambda@Edge: [{"key": Name, "value": v}]
            headers.setdefault(name.lower(), []).extend(item["value"] for item in value)
        elif value not in headers.get(name.lower(), []):  # API Gateway: a pair in both fields arrives once
            headers.setdefault(name.lower(), []).append(value)
    if result.get("cookies"):
        headers.setdefault("set-cookie", []).extend(result["cookies"])
    return headers


def set_cookies_of(result: Mapping[str, Any]) -> list[str]:
    """Every Set-Cookie the client receives from a handler's result, whatever the format."""
    return headers_of(result).get("set-cookie", [])


def json_of(result: Mapping[str, Any]) -> Any:
    """The JSON body of a handler's result."""
    return json.loads(body_of(result))


def websocket_event(
    *,
    event_type: str = "MESSAGE",
    connection_id: str = "L0SM9cOFvHcCIhw=",
    route_key: str | None = None,
    body: bytes | str | None = None,
    binary: bool | None = None,
    query: str = "",
    headers: Headers | None = None,
    close_code: int = 1000,
    close_reason: str = "",
    stage: str = "prod",
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.7",
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway WebSocket event: CONNECT (headers, query), MESSAGE (body) or DISCONNECT.

    As API Gateway sends them: only CONNECT carries the client's headers and query; MESSAGE carries
    the message (base64 for a binary frame); DISCONNECT a close code. ``route_key`` defaults to
    ``$connect`` / ``$default`` / ``$disconnect``.
    """
    routes = {"CONNECT": "$connect", "MESSAGE": "$default", "DISCONNECT": "$disconnect"}
    if event_type not in routes:
        raise ValueError(f"event_type must be one of {', '.join(routes)}, got {event_type!r}")
    context: dict[str, Any] = {
        "routeKey": route_key or routes[event_type],
        "eventType": event_type,
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": int(time.time() * 1000) - 1000,
        "requestTimeEpoch": int(time.time() * 1000),
        "identity": {"sourceIp": source_ip},
        "requestId": str(uuid.uuid4()),
        "domainName": host,
        "connectionId": connection_id,
        "apiId": host.split(".")[0],
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "MESSAGE":
        context["messageId"] = str(uuid.uuid4())
        event["body"], event["isBase64Encoded"] = _body(body or b"", binary, [])
    elif event_type == "DISCONNECT":
        context["disconnectStatusCode"] = close_code
        context["disconnectReason"] = close_reason
    if event_type != "MESSAGE":
        pairs = [("Host", host), *_pairs(headers)]
        if event_type == "CONNECT":
            pairs += [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
        pairs += [("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"), ("X-Forwarded-Proto", "https")]
        event["headers"] = {name: values[-1] for name, values in _multi(pairs).items()}
        event["multiValueHeaders"] = _multi(pairs)
    if event_type == "CONNECT" and query:
        multi_query = _decoded_query(query)
        event["queryStringParameters"] = {k: v[-1] for k, v in multi_query.items()}
        event["multiValueQueryStringParameters"] = multi_query
    return event


def __getattr__(name: str) -> Any:
    """``LambdaTransport`` and ``AsyncLambdaTransport``, imported on first use (they need httpx)."""
    if name in ("LambdaTransport", "AsyncLambdaTransport"):
        from . import _transport

        return getattr(_transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
