"""adapt(): options checked up front, interfaces chosen, limits and malformed events."""

from __future__ import annotations

import os
from typing import Any

import pytest

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, json_of
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import load_event


@pytest.mark.parametrize(
    "options, error, words",
    [
        ({"interface": "rsgi"}, ValueError, "interface"),
        ({"lifespan": "maybe"}, ValueError, "lifespan"),
        ({"base_path": "api"}, ValueError, "base_path"),
        ({"base_path": 3}, TypeError, "base_path"),
        ({"text_mime_types": "text/csv"}, TypeError, "text_mime_types"),
        ({"text_mime_types": ["csv"]}, ValueError, "text_mime_types"),
        ({"stage_in_url": "yes"}, TypeError, "stage_in_url"),
        ({"eager_startup": 1}, TypeError, "eager_startup"),
    ],
)
def test_wrong_options_fail_at_adapt_time_naming_the_option(options: dict[str, Any], error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        adapt(wsgi_echo, **options)


def test_unknown_option_and_non_app_fail_at_adapt_time() -> None:
    with pytest.raises(TypeError):
        adapt(wsgi_echo, binary=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="WSGI or ASGI app"):
        adapt("app:handler")


def test_interface_can_be_forced() -> None:
    class AsyncCallable:
        def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
            return asgi_echo(scope, receive, send)

    result = adapt(AsyncCallable(), interface="asgi", lifespan="off")(event_for("http"), LambdaContext())
    assert json_of(result)["has_event"] is True


def test_text_mime_types_extend_the_text_rule() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/vnd.custom")])
        return [b"plain words"]

    assert adapt(app)(event_for("http"), LambdaContext())["isBase64Encoded"] is True
    result = adapt(app, text_mime_types=["application/vnd.custom"])(event_for("http"), LambdaContext())
    assert (result["isBase64Encoded"], result["body"]) == (False, "plain words")


@pytest.mark.parametrize(
    "content_type, body, is_base64",
    [
        ("text/html; charset=utf-8", "caf\u00e9".encode(), False),
        ("application/json", b"{}", False),
        ("application/problem+json", b"{}", False),
        ("image/svg+xml", b"<svg/>", False),
        ("text/plain", b"\xff\xfe not utf-8", True),
        ("image/png", b"\x89PNG", True),
        (None, b"no type", False),
    ],
)
def test_text_or_base64(content_type: str | None, body: bytes, is_base64: bool) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", content_type)] if content_type else [])
        return [body]

    for format in ("rest", "http", "alb"):
        result = adapt(app)(event_for(format), LambdaContext())
        assert result["isBase64Encoded"] is is_base64
        assert body_of(result) == body


def test_too_large_a_response_is_a_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    size = {"n": 7_000_000}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
        return [b"x" * size["n"]]

    handler = adapt(app)
    result = handler(event_for("http"), LambdaContext())
    assert result["statusCode"] == 500
    assert "the limit is 6291556 bytes" in result["body"]
    assert "cookies" not in result
    assert "over the 6291556-byte limit" in caplog.text
    size["n"] = 1_200_000  # under Lambda's cap, over ALB's
    assert handler(event_for("http"), LambdaContext())["statusCode"] == 200
    assert handler(event_for("alb"), LambdaContext())["statusCode"] == 500


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(rawPath=5),
        lambda e: e.update(headers=["not", "a", "dict"]),
        lambda e: e.update(body="!!!", isBase64Encoded=True),
        lambda e: e.update(requestContext={"http": "GET"}),
    ],
    ids=["number-path", "list-headers", "bad-base64", "bad-context"],
)
@pytest.mark.parametrize("app", [wsgi_echo, asgi_echo], ids=["wsgi", "asgi"])
def test_malformed_events_are_a_400_and_the_next_event_works(change: Any, app: Any) -> None:
    handler = adapt(app, lifespan="off")
    event = event_for("http")
    change(event)
    result = handler(event, LambdaContext())
    assert result["statusCode"] == 400
    assert handler(event_for("http"), LambdaContext())["statusCode"] == 200


def test_websocket_events_reach_the_app() -> None:
    # the full behaviour: tests/test_ws_wsgi.py and tests/test_ws_asgi.py
    result = adapt(wsgi_echo)(load_event("powertools/apiGatewayWebSocketApiMessage.json"), LambdaContext())
    seen = json_of(result)
    assert (seen["method"], seen["headers"]["HTTP_X_WEBSOCKET_ROUTE_KEY"]) == ("POST", "chat")


def test_no_body_for_204_and_304() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(environ["PATH_INFO"][1:] + " X", [("Content-Type", "text/plain")])
        return [b"should not be sent"]

    for status in ("204", "304"):
        assert adapt(app)(event_for("http", path=f"/{status}"), LambdaContext())["body"] == ""


def test_alb_status_description() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(environ["PATH_INFO"][1:] + " Whatever", [])
        return []

    handler = adapt(app)
    assert handler(event_for("alb", path="/404"), LambdaContext())["statusDescription"] == "404 Not Found"
    assert handler(event_for("alb", path="/599"), LambdaContext())["statusDescription"] == "599 Unknown"
    assert "statusDescription" not in handler(event_for("rest", path="/404"), LambdaContext())


def test_os_environ_is_untouched_by_requests() -> None:
    import os

    before = dict(os.environ)
    adapt(wsgi_echo)(event_for("rest", headers={"X-Env": "1"}, stage="dev"), LambdaContext())
    adapt(asgi_echo)(event_for("http"), LambdaContext())
    assert dict(os.environ) == before


def test_no_request_data_in_the_log_of_a_malformed_event(caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-token-value"
    events = [
        event_for("http", headers={"Authorization": secret}, body=secret),
        event_for("rest", headers={"Authorization": secret}),
    ]
    events[0]["isBase64Encoded"] = True
    events[1]["multiValueHeaders"]["X-\u0100" + secret] = ["x"]
    for event in events:
        assert adapt(wsgi_echo)(event, LambdaContext())["statusCode"] == 400
    assert "400 for a malformed event" in caplog.text
    assert secret not in caplog.text
    events.append(event_for("http"))
    events[-1]["requestContext"]["http"] = [secret]
    assert adapt(wsgi_echo)(events[-1], LambdaContext())["statusCode"] == 400
    assert secret not in caplog.text


def test_the_limit_counts_the_serialised_result_not_the_characters() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return ["\u20ac".encode() * 2_500_000]  # 2.5 M characters, 7.5 MB of UTF-8, more as JSON

    assert adapt(app)(event_for("http"), LambdaContext())["statusCode"] == 500


def test_console_nulls_are_tolerated_a_path_without_slash_is_a_400_and_no_method_is_unsupported() -> None:
    event = event_for("rest", headers={"Accept": "x"})
    event["headers"]["X-Null"] = None
    event["multiValueHeaders"] = None
    assert adapt(wsgi_echo)(event, LambdaContext())["statusCode"] == 200
    event = event_for("rest")
    event["path"] = "x"
    assert adapt(wsgi_echo)(event, LambdaContext())["statusCode"] == 400
    event = event_for("rest")
    event["httpMethod"] = None  # requestContext.httpMethod stands in
    assert adapt(wsgi_echo)(event, LambdaContext())["statusCode"] == 200
    event["requestContext"]["httpMethod"] = None
    with pytest.raises(UnsupportedEvent, match="has no httpMethod"):
        adapt(wsgi_echo)(event, LambdaContext())
    event["httpMethod"] = ""
    assert adapt(wsgi_echo)(event, LambdaContext())["statusCode"] == 400


def test_a_chunked_request_body_reaches_flask_whole(flask_sample: Any) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"}
    for format in ("rest", "http", "url", "alb"):
        event = event_for(format, method="POST", path="/form", body=b"a=1&b=2", headers=headers)
        assert json_of(flask_sample.handler(event, LambdaContext()))["form"] == {"a": ["1"], "b": ["2"]}


def test_a_forwarded_proto_chain_gives_the_last_scheme() -> None:
    import wsgiref.validate

    event = event_for("alb-multi", headers=[("X-Forwarded-Proto", "http")])  # ALB appends its own: http, https
    seen = json_of(adapt(wsgiref.validate.validator(wsgi_echo))(event, LambdaContext()))
    assert seen["scheme"] == "https"


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_non_ascii_header_values_come_back_as_sent(interface: str) -> None:
    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Echo", environ["HTTP_X_NAME"])])
        return [b""]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        value = dict(scope["headers"])[b"x-name"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-echo", value)]})
        await send({"type": "http.response.body", "body": b""})

    app = wsgi_app if interface == "wsgi" else asgi_app
    result = adapt(app, lifespan="off")(event_for("http", headers={"X-Name": "caf\u00e9 \u2713"}), LambdaContext())
    assert result["headers"]["x-echo"] == "caf\u00e9 \u2713"


def test_alb_reason_phrases_for_less_common_codes() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(environ["PATH_INFO"][1:] + " X", [])
        return []

    for code, phrase in (("412", "Precondition Failed"), ("418", "I'm a Teapot"), ("207", "Multi-Status")):
        result = adapt(app)(event_for("alb", path=f"/{code}"), LambdaContext())
        assert result["statusDescription"].lower() == f"{code} {phrase}".lower()


@pytest.mark.parametrize("encoded", [{"isBase64Encoded": True}, {"bodyEncoding": "base64"}])
def test_a_base64_body_is_measured_without_serialising_it(encoded: dict[str, Any]) -> None:
    import base64
    import json

    from lambda_adapter._run import size_and_limit

    body = base64.b64encode(os.urandom(4_700_000)).decode()
    result = {"statusCode": 200, "headers": {"content-type": "image/png", "x-note": 'a "quoted" é'}, "body": body}
    result.update(encoded)
    assert size_and_limit(result, "v1", {}, None)[0] == len(json.dumps(result))  # type: ignore[arg-type]
