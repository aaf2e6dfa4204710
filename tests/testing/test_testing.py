"""The event builders' request details: binary bodies by content type, request id, domain, ALB's listener."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, alb_event, event_for, headers_of, json_of, rest_event, url_event
from tests.apps import wsgi_echo


@pytest.mark.parametrize(
    ("content_type", "body", "base64"),
    [
        ("application/json", b'{"a": 1}', False),
        ("text/plain; charset=utf-8", b"hi", False),
        ("application/x-www-form-urlencoded", b"a=1", False),
        ("application/vnd.api+json", b"{}", False),
        ("image/svg+xml", b"<svg/>", False),
        ("application/octet-stream", b"text-like bytes", True),
        ("multipart/form-data; boundary=x", b"--x--", True),
        ("image/png", b"\x89PNG", True),
        (None, b"\xff\xfe", True),  # no content type: not UTF-8 decides
        (None, b"plain", False),
    ],
)
@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb", "lattice2"])
def test_binary_bodies_by_content_type_or_bytes(format: str, content_type: str | None, body: bytes,
                                                base64: bool) -> None:  # fmt: skip
    headers = {"Content-Type": content_type} if content_type else {}
    event = event_for(format, method="POST", headers=headers, body=body)
    assert event["isBase64Encoded"] is base64
    assert json_of(adapt(wsgi_echo)(event, LambdaContext()))["body"] == body.decode("latin-1")


def test_request_id_and_domain_name() -> None:
    event = rest_event(path="/x", request_id="r-1", host="127.0.0.1:3000", domain_name="a.execute-api.localhost",
                       stage="dev")  # fmt: skip
    assert event["requestContext"]["requestId"] == "r-1"
    assert (event["requestContext"]["domainName"], event["requestContext"]["path"]) == ("a.execute-api.localhost",
                                                                                         "/dev/x")  # fmt: skip
    assert event["multiValueHeaders"]["Host"] == ["127.0.0.1:3000"]


def test_a_function_url_keeps_its_own_domain_behind_another_host() -> None:
    event = url_event(host="cdn.example.com", path="/a%20b")
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert json_of(adapt(wsgi_echo)(event, LambdaContext()))["path_info"] == "/a b"


def test_alb_listener_proto_and_port() -> None:
    event = alb_event(forwarded_proto="http", forwarded_port=8080, source_ip="192.0.2.9")
    seen = json_of(adapt(wsgi_echo)(event, LambdaContext()))
    assert (seen["scheme"], seen["server"][1], seen["remote_addr"]) == ("http", "8080", "192.0.2.9")


def test_request_time_in_both_shapes_api_gateway_writes_it() -> None:
    from datetime import datetime, timezone

    for context, epoch, text in [(rest_event()["requestContext"], "requestTimeEpoch", "requestTime"),
                                 (url_event()["requestContext"], "timeEpoch", "time")]:  # fmt: skip
        written = datetime.strptime(context[text], "%d/%b/%Y:%H:%M:%S %z")  # 09/Apr/2015:12:34:56 +0000
        assert written == datetime.fromtimestamp(context[epoch] // 1000, timezone.utc)


@pytest.mark.parametrize(
    ("result", "cookies"),
    [
        ({"headers": {"set-cookie": "a=1", "Set-cookie": "a=1"}}, ["a=1", "a=1"]),  # ALB: each case variant arrives
        ({"headers": {"set-cookie": "a=1", "Set-cookie": "b=2"}}, ["a=1", "b=2"]),
        ({"headers": {"Set-Cookie": "a=1"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}, ["a=1", "b=2"]),
        ({"headers": {"set-cookie": "a=1"}, "cookies": ["a=1"]}, ["a=1", "a=1"]),
    ],
)
def test_headers_of_gives_every_header_the_client_receives(result: dict[str, Any], cookies: list[str]) -> None:
    assert headers_of({"statusCode": 200, **result})["set-cookie"] == cookies


def test_the_test_context_answers_what_the_runtimes_context_answers_without_a_client_context() -> None:
    # a handler written for the managed runtime (awslambdaric 4.2) may call context.w3c(); the loop's context
    # gives {} for an invocation without a client context, and so does the one tests pass
    from lambda_adapter.runtime._context import Context

    runtime = Context("r-1", "arn:aws:lambda:us-east-1:123456789012:function:app", 0)
    assert LambdaContext().w3c() == runtime.w3c() == {}
