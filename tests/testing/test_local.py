"""The translation ``serve`` and the transports share: requests to events, results to answers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import json_of
from lambda_adapter.testing._local import LocalFunction, Request
from tests.apps import wsgi_echo
from tests.testing.test_result import FAILURES


def seen_through(format: str, target: str, headers: list[tuple[str, str]], stage: str | None = None) -> Any:
    answer = LocalFunction(adapt(wsgi_echo), format=format, stage=stage).answer(
        Request("GET", target, [("Host", "localhost:3000"), *headers], client="10.0.0.9", port=3000)
    )
    return json_of({"statusCode": answer.status, "body": answer.body.decode()})


@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb", "alb-multi"])
def test_forwarded_headers_are_the_sources_not_the_clients(format: str) -> None:
    sent = [("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "1")]
    seen = seen_through(format, "/p?q=1", sent)
    assert seen["headers"]["HTTP_X_FORWARDED_FOR"] == "192.0.2.1, 10.0.0.9"  # the client appended
    assert (seen["scheme"], seen["server"]) == ("http", ["localhost", "3000"])
    assert (seen["remote_addr"], seen["path_info"], seen["query"]) == ("10.0.0.9", "/p", "q=1")


@pytest.mark.parametrize(
    ("target", "root", "path"),
    [("/dev", "/dev", "/"), ("/dev/", "/dev", "/"), ("/dev?x=1", "/dev", "/"), ("/dev/a/b", "/dev", "/a/b")],
)
@pytest.mark.parametrize("format", ["rest", "http", "http1"])
def test_the_stage_is_the_first_segment(format: str, target: str, root: str, path: str) -> None:
    seen = seen_through(format, target, [], stage="dev")
    assert (seen["script_name"], seen["path_info"]) == (root, path)


@pytest.mark.parametrize("target", ["/", "/devx", "/prod/dev", "/Dev/a"])
def test_outside_the_stage_the_handler_is_not_called(target: str) -> None:
    calls: list[object] = []
    function = LocalFunction(lambda event, context: calls.append(event), format="rest", stage="dev")
    answer = function.answer(Request("GET", target, []))
    assert (answer.status, answer.body, calls) == (403, b'{"message":"Forbidden"}', [])


@pytest.mark.parametrize("format", ["http", "http1"])
def test_an_http_api_answers_a_handler_that_raises_with_its_own_500(format: str) -> None:
    def broken(event: Any, context: Any) -> Any:
        raise ValueError("handler bug")

    answer = LocalFunction(broken, format=format).answer(Request("GET", "/", []))
    assert (answer.status, answer.body) == FAILURES[format]


def test_a_result_lambda_cannot_marshal_is_a_502_with_lambdas_error(capsys: pytest.CaptureFixture[str]) -> None:
    function = LocalFunction(lambda event, context: {"statusCode": 200, "body": b"bytes"}, format="rest")
    assert function.answer(Request("GET", "/", [])).status == 502
    assert "Runtime.MarshalError: Unable to marshal response: Object of type bytes is not JSON serializable" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("format", ["rest", "http", "url", "alb"])
def test_the_answer_to_head_has_no_body_whatever_the_handler_returned(format: str) -> None:
    result = {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "a body"}
    answer = LocalFunction(lambda event, context: result, format=format).answer(Request("HEAD", "/", []))
    assert (answer.status, answer.body, ("Content-Length", "6") in answer.headers) == (200, b"", True)


@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb", "alb-multi"])
def test_the_source_adds_a_trace_id_and_keeps_the_clients(format: str) -> None:
    import re

    added = seen_through(format, "/", [])["headers"]["HTTP_X_AMZN_TRACE_ID"]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", added), added
    assert added != seen_through(format, "/", [])["headers"]["HTTP_X_AMZN_TRACE_ID"]  # one per request
    sent = [("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000001")]
    assert seen_through(format, "/", sent)["headers"]["HTTP_X_AMZN_TRACE_ID"] == sent[0][1]


@pytest.mark.parametrize(("content_type", "body"), [("application/json", b'{"a": 1}'), ("text/plain", b"hi"),
                                                    (None, b"x=1"), ("image/png", b"\x89PNG")])  # fmt: skip
def test_rest_sends_every_body_base64_as_with_binary_media_types_for_everything(content_type: str | None,
                                                                                body: bytes) -> None:  # fmt: skip
    events: list[dict[str, Any]] = []
    headers = [("Content-Type", content_type)] if content_type else []
    LocalFunction(lambda event, context: events.append(event), format="rest").answer(
        Request("POST", "/", headers, body)
    )
    assert (events[0]["isBase64Encoded"], base64.b64decode(events[0]["body"])) == (True, body)


def test_an_event_over_lambdas_payload_limit_is_a_413_without_calling_the_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[object] = []
    function = LocalFunction(lambda event, context: calls.append(event), format="http")
    body = bytes(4_800_000)  # under 6 MiB, over it in base64
    answer = function.answer(Request("POST", "/", [("Content-Type", "application/octet-stream")], body))
    assert (answer.status, calls) == (413, [])
    assert "Request must be smaller than 6291456 bytes for the InvokeFunction operation" in capsys.readouterr().err
    assert function.answer(Request("POST", "/", [], b"a" * 6_000_000)).status == 200  # as text it fits


@pytest.mark.parametrize("format", ["rest", "http"])
def test_a_result_over_lambdas_payload_limit_is_the_sources_failure(
    format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    function = LocalFunction(lambda event, context: {"statusCode": 200, "body": "x" * 6_300_000}, format=format)
    assert (function.answer(Request("GET", "/", [])).status, function.answer(Request("GET", "/", [])).body) == (
        FAILURES[format]
    )
    assert "exceeded maximum allowed payload size (6291556 bytes)" in capsys.readouterr().err


@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb"])
def test_hop_by_hop_headers_end_at_api_gateway_not_at_alb(format: str) -> None:
    events: list[dict[str, Any]] = []
    sent = [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("X-Kept", "1")]
    LocalFunction(lambda event, context: events.append(event), format=format).answer(Request("GET", "/", sent))
    names = {name.lower() for name in events[0]["headers"]}
    assert "x-kept" in names
    assert ("connection" in names, "keep-alive" in names, "te" in names) == ((True,) * 3 if format == "alb" else
                                                                               (False,) * 3)  # fmt: skip


def flask_without_content() -> Any:
    from flask import Flask, request

    app = Flask(__name__)

    @app.delete("/item")
    def deleted() -> tuple[str, int]:
        return "", 204

    @app.get("/item")
    def item() -> Any:
        answer = app.make_response("the item")
        answer.set_etag("v1")
        return answer.make_conditional(request)

    return app


@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb", "alb-multi"])
@pytest.mark.parametrize(
    ("method", "headers", "status"), [("DELETE", [], 204), ("GET", [("If-None-Match", '"v1"')], 304)]
)
def test_a_204_or_304_goes_out_without_the_content_length_the_app_left_out(
    format: str, method: str, headers: list[tuple[str, str]], status: int
) -> None:
    """RFC 9110 8.6: no Content-Length in a 204; in a 304 only the length the 200 would have (Flask sends none)."""
    function = LocalFunction(adapt(flask_without_content()), format=format)
    answer = function.answer(Request(method, "/item", [("Host", "localhost"), *headers]))
    assert (answer.status, answer.body) == (status, b"")
    assert [name for name, _ in answer.headers if name.lower() == "content-length"] == []


@pytest.mark.parametrize("format", ["rest", "http", "url", "alb"])
@pytest.mark.parametrize("status", [204, 304])
def test_a_204_or_304_has_no_body_whatever_the_handler_returned(format: str, status: int) -> None:
    result = {"statusCode": status, "headers": {"ETag": '"v1"'}, "body": "a body"}
    answer = LocalFunction(lambda event, context: result, format=format).answer(Request("GET", "/", []))
    assert (answer.status, answer.body, answer.headers) == (status, b"", [("etag", '"v1"')])
