"""The event builders of the other sources (ALB, CloudFront Lambda@Edge, VPC Lattice, API Gateway
WebSocket) and ``event_for``, which picks a builder by format name. Rules shared with
``_builders``: headers as pairs, bodies as text or base64, queries decoded or encoded.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from typing import Any

from ._builders import (
    FORMATS,
    Headers,
    _body,
    _decoded_query,
    _encoded_query,
    _multi,
    _pairs,
    _request_time,
    http1_event,
    http_event,
    rest_event,
    url_event,
)


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
        # 1.0: a repeated header's values joined with "," (AWS's example: "header2": "value1,value2")
        return {"raw_path": path, "method": method, "headers": {n: ",".join(v) for n, v in _multi(pairs).items()},
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


def _websocket_context(
    event_type: str, route_key: str, stage: str, host: str, connection_id: str, source_ip: str
) -> dict[str, Any]:
    """A WebSocket event's ``requestContext``, without what only one event type carries."""
    request_id = str(uuid.uuid4())  # API Gateway writes the same id twice (real captures in Powertools' events)
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": int(time.time() * 1000) - 1000,
        **_request_time("requestTime", "requestTimeEpoch"),
        "identity": {"sourceIp": source_ip},
        "requestId": request_id,
        "domainName": host,
        "connectionId": connection_id,
        "apiId": host.split(".")[0],
    }


def _websocket_headers(
    event_type: str, host: str, headers: list[tuple[str, str]], source_ip: str
) -> list[tuple[str, str]]:
    """The headers of a CONNECT (the client's, and the handshake's) or a DISCONNECT event."""
    pairs = [("Host", host), *headers]
    if event_type == "CONNECT":
        pairs += [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
    return [*pairs, ("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"), ("X-Forwarded-Proto", "https")]


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
    context = _websocket_context(event_type, route_key or routes[event_type], stage, host, connection_id, source_ip)
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "MESSAGE":
        context["messageId"] = str(uuid.uuid4())
        event["body"], event["isBase64Encoded"] = _body(body or b"", binary, [])
    else:
        pairs = _websocket_headers(event_type, host, _pairs(headers), source_ip)
        event["headers"] = {name: values[-1] for name, values in _multi(pairs).items()}
        event["multiValueHeaders"] = _multi(pairs)
    if event_type == "DISCONNECT":
        context["disconnectStatusCode"] = close_code
        context["disconnectReason"] = close_reason
    if event_type == "CONNECT" and query:
        multi_query = _decoded_query(query)
        event["queryStringParameters"] = {k: v[-1] for k, v in multi_query.items()}
        event["multiValueQueryStringParameters"] = multi_query
    return event
