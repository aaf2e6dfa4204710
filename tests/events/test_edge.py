"""CloudFront Lambda@Edge: recorded request events, and the generated response CloudFront takes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter.testing import LambdaContext, body_of, edge_event, headers_of
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import load_event

# event: (path, query, client, host)
REQUESTS = {
    "awsdocs/cloudfront-origin-request.json": ("/", "", "203.0.113.178", "example.org"),  # the origin's Host
    "awsdocs/cloudfront-viewer-request.json": ("/", "", "203.0.113.178", "d111111abcdef8.cloudfront.net"),
    "sam/cloudfront-modify-querystring.json": ("/test", "auth=test&foo=bar", "2001:cdba::3257:9652", None),
    "sam/cloudfront-normalize-querystring-to-improve-cache-hit.json": (
        "/test", "size=LARGE&color=RED", "2001:cdba::3257:9652", None),
    "sam/cloudfront-multiple-remote-calls-aggregate-response.json": (
        "/forecast/Seattle:NewYork:Chicago:SanFrancisco", "", "2001:cdba::3257:9652", None),
    "sam/cloudfront-http-redirect.json": ("/test", "", "2001:cdba::3257:9652", None),
}  # fmt: skip
RESPONSE_EVENTS = [
    "awsdocs/cloudfront-origin-response.json",
    "awsdocs/cloudfront-viewer-response.json",
    "sam/cloudfront-access-request-in-response.json",
    "sam/cloudfront-modify-response-header.json",
]


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_recorded_requests_reach_the_app(name: str) -> None:
    path, query, client, host = REQUESTS[name]
    event = load_event(name)
    result = adapt(wsgi_echo)(event, LambdaContext())
    assert result["status"] == "200" and result["statusDescription"] == "OK"
    seen = json.loads(body_of(result))
    assert (seen["method"], seen["path_info"], seen["query"], seen["remote_addr"]) == ("GET", path, query, client)
    assert seen["scheme"] == "https"
    if host:
        assert seen["server"] == [host, "443"]
    asgi_seen = json.loads(body_of(adapt(asgi_echo, lifespan="off")(event, LambdaContext())))
    assert asgi_seen["client"] == [client, 0] and asgi_seen["path"] == path


@pytest.mark.parametrize("name", RESPONSE_EVENTS)
def test_response_events_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedEvent):
        adapt(wsgi_echo)(load_event(name), LambdaContext())


def answering(status: str, headers: list[tuple[str, str]], body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers)
        return [body]

    return app


def test_generated_response_keeps_repeats_and_drops_what_cloudfront_refuses() -> None:
    app = answering("201 Created", [
        ("Content-Type", "text/plain"), ("Content-Length", "2"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
        ("Connection", "keep-alive"), ("X-Amz-Cf-Id", "x"), ("X-Amzn-RequestId", "y"), ("Transfer-Encoding", "chunked"),
        ("Via", "1.1 app"), ("X-Edge-Thing", "z"), ("Vary", "Accept"), ("Vary", "Cookie"),
    ], b"hi")  # fmt: skip
    result = adapt(app)(edge_event(), LambdaContext())
    assert result["status"] == "201" and result["statusDescription"] == "Created"
    assert result["bodyEncoding"] == "text" and result["body"] == "hi"
    assert set(result["headers"]) == {"content-type", "set-cookie", "vary"}
    assert result["headers"]["set-cookie"] == [
        {"key": "set-cookie", "value": "a=1"},
        {"key": "set-cookie", "value": "b=2"},
    ]
    assert headers_of(result)["vary"] == ["Accept", "Cookie"]


# AWS "Restrictions on all edge functions" (edge-function-restrictions-all.html): a generated response
# that adds a disallowed header, or one read-only for its event type, fails validation (a 502 to the
# viewer: Mangum issue 262, Content-Length in an origin-request answer); the disallowed X-Amzn-*
# headers are ten named ones, not the whole prefix. (header, event type, kept)
EDGE_HEADERS = [
    ("X-Amzn-Trace-Id", "origin-request", True),  # not among the disallowed X-Amzn-* headers
    ("X-Amzn-Remapped-Date", "viewer-request", True),
    ("X-Amzn-RequestId", "origin-request", False),
    ("X-Amzn-ErrorType", "viewer-request", False),
    ("X-Amz-Cf-Pop", "viewer-request", False),
    ("Accept-Encoding", "origin-request", False),  # read-only in origin-request events
    ("If-None-Match", "origin-request", False),
    ("If-Modified-Since", "origin-request", False),
    ("If-Range", "origin-request", False),
    ("If-Unmodified-Since", "origin-request", False),
    ("Accept-Encoding", "viewer-request", True),  # read-only only in origin-request events
    ("Host", "viewer-request", False),  # read-only in viewer-request events
    ("Host", "origin-request", True),
    ("Content-Length", "viewer-request", False),
    ("Warning", "viewer-request", True),  # read-only only in viewer-response events
]


@pytest.mark.parametrize("name, event_type, kept", EDGE_HEADERS)
def test_generated_response_headers_per_event_type(name: str, event_type: str, kept: bool) -> None:
    app = answering("200 OK", [("Content-Type", "text/plain"), (name, "v")], b"ok")
    result = adapt(app)(edge_event(event_type=event_type), LambdaContext())
    assert (name.lower() in result["headers"]) is kept
    assert headers_of(result)["content-type"] == ["text/plain"]


# AWS "Generating HTTP responses in request triggers", Errors: a 204 whose response includes a value
# for body is a 502; an empty string is such a value (serverless-next.js issue 436).
@pytest.mark.parametrize("event_type", ["viewer-request", "origin-request"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_no_content_has_no_body_field(event_type: str, method: str) -> None:
    app = answering("204 No Content", [("X-A", "1")], b"")
    result = adapt(app)(edge_event(event_type=event_type, method=method), LambdaContext())
    assert result["status"] == "204" and headers_of(result)["x-a"] == ["1"]
    assert "body" not in result and "bodyEncoding" not in result


@pytest.mark.parametrize("config", ["oops", [1], {"eventType": ["viewer-request"]}, {"eventType": 5}])
def test_malformed_config_gets_a_well_formed_400(config: Any) -> None:
    event = edge_event()
    event["Records"][0]["cf"]["config"] = config
    result = adapt(answering("200 OK", [], b""))(event, LambdaContext())
    assert result["status"] == "400" and body_of(result) == b"Bad Request"


def test_binary_answer_is_base64() -> None:
    result = adapt(answering("200 OK", [("Content-Type", "image/png")], b"\x89PNG\x00"))(edge_event(), LambdaContext())
    assert result["bodyEncoding"] == "base64" and body_of(result) == b"\x89PNG\x00"


@pytest.mark.parametrize("event_type, size, status", [
    ("viewer-request", 30_000, "200"), ("viewer-request", 50_000, "500"),
    ("origin-request", 900_000, "200"), ("origin-request", 1_100_000, "500"),
])  # fmt: skip
def test_generated_response_size_limits(
    event_type: str, size: int, status: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = answering("200 OK", [("Content-Type", "text/plain")], b"x" * size)
    result = adapt(app)(edge_event(event_type=event_type), LambdaContext())
    assert result["status"] == status
    if status == "500":
        assert "the limit is" in result["body"] and "over the" in caplog.text


def test_request_body_and_truncated_body() -> None:
    event = edge_event(method="POST", body=b"\x00\x01payload")
    assert json.loads(body_of(adapt(wsgi_echo)(event, LambdaContext())))["body"] == "\x00\x01payload"
    event["Records"][0]["cf"]["request"]["body"]["inputTruncated"] = True
    result = adapt(wsgi_echo)(event, LambdaContext())
    assert result["status"] == "413"


def test_repeated_request_headers_and_cookies() -> None:
    event = edge_event(headers=[("Accept", "a"), ("Accept", "b"), ("Cookie", "x=1"), ("Cookie", "y=2")])
    seen = json.loads(body_of(adapt(wsgi_echo)(event, LambdaContext())))
    assert seen["headers"]["HTTP_ACCEPT"] == "a, b"
    assert seen["headers"]["HTTP_COOKIE"] == "x=1; y=2"
