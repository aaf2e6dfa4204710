"""The pure WebSocket translation: recorded and builder-made events to the connect request,
the frame each event is, and the results API Gateway gets back."""

from __future__ import annotations

import re
import wsgiref.validate
from io import BytesIO
from typing import Any

import pytest

from lambda_adapter._events.websocket import (
    INVOCATION_ENDED,
    Frame,
    endpoint_of,
    from_response,
    to_request,
    to_wsgi_request,
)
from lambda_adapter._model import BadRequest, Response, UnsupportedEvent
from lambda_adapter._options import Options
from lambda_adapter.testing import websocket_event
from tests.conftest import load_event

ENDPOINT = "https://asasasas.execute-api.us-east-1.amazonaws.com/prod"
# recorded event: (event type, route key, connection id, message, close code)
RECORDED = {
    "powertools/apiGatewayWebSocketApiConnect.json": ("CONNECT", "$connect", "BFHPhfCWIAMCKlQ=", "", 1005),
    "powertools/apiGatewayWebSocketApiMessage.json": (
        "MESSAGE", "chat", "BFaT_fALIAMCKug=", '{"action": "chat", "message": "Hello from client"}', 1005),
    "powertools/apiGatewayWebSocketApiDisconnect.json": ("DISCONNECT", "$disconnect", "BFaT_fALIAMCKug=", "", 1005),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recorded_events_are_read_as_frames(name: str) -> None:
    frame = Frame(load_event(name))
    expected = RECORDED[name]
    assert (frame.event_type, frame.route_key, frame.connection_id, frame.message, frame.close_code) == expected
    assert frame.endpoint == ENDPOINT


def test_recorded_disconnect_keeps_its_reason() -> None:
    frame = Frame(load_event("powertools/apiGatewayWebSocketApiDisconnect.json"))
    assert frame.close_reason == "Client-side close frame status not set"


def test_recorded_connect_gives_the_connect_request() -> None:
    request = to_request(load_event("powertools/apiGatewayWebSocketApiConnect.json"), Options())
    assert request["REQUEST_METHOD"] == "GET"
    assert (request["SCRIPT_NAME"], request["PATH_INFO"], request["QUERY_STRING"]) == ("/prod", "/", "")
    # the recorded Host (fjnq7njcv2...) differs from domainName (asasasas...): Host wins, as for HTTP
    assert request["SERVER_NAME"] == "fjnq7njcv2.execute-api.us-east-1.amazonaws.com"
    assert (request["wsgi.url_scheme"], request["SERVER_PORT"]) == ("https", "443")
    assert request["REMOTE_ADDR"] == "166.90.225.1"
    assert request["HTTP_SEC_WEBSOCKET_KEY"] == "+W5xw47OHh3OTFsWKjGu9Q=="
    assert all(isinstance(value, str) for value in request.values()), "a store keeps it as JSON"


def test_recorded_message_without_headers_still_gives_a_request() -> None:
    request = to_request(load_event("powertools/apiGatewayWebSocketApiMessage.json"), Options())
    assert request["SERVER_NAME"] == "asasasas.execute-api.us-east-1.amazonaws.com"
    assert (request["SCRIPT_NAME"], request["PATH_INFO"]) == ("/prod", "/")


@pytest.mark.parametrize(
    ("options", "host", "root", "path"),
    [
        ({}, "abc.execute-api.eu-west-1.amazonaws.com", "/prod", "/"),
        ({"websocket_path": "/ws"}, "abc.execute-api.eu-west-1.amazonaws.com", "/prod", "/ws"),
        ({"websocket_path": "/ws"}, "chat.example.org", "", "/ws"),
        ({"websocket_path": "/ws", "base_path": "/chat"}, "chat.example.org", "/chat", "/ws"),
        ({"stage_in_url": False}, "abc.execute-api.eu-west-1.amazonaws.com", "", "/"),
        ({"stage_in_url": True}, "localhost", "/prod", "/"),
    ],
)
def test_path_and_root_of_the_connect_request(options: dict[str, Any], host: str, root: str, path: str) -> None:
    event = websocket_event(event_type="CONNECT", host=host, query="name=ann&x=a%2Bb")
    request = to_request(event, Options(**options))
    assert (request["SCRIPT_NAME"], request["PATH_INFO"]) == (root, path)
    assert request["QUERY_STRING"] == "name=ann&x=a%2Bb"
    assert request["RAW_URI"] == f"{root}{path}?name=ann&x=a%2Bb"


def test_a_client_cannot_pose_as_an_event_with_marker_headers() -> None:
    spoof = {"X-WebSocket-Event": "DISCONNECT", "X-WebSocket-Connection-Id": "someone-else", "x-websocket-x": "1",
             "X-Lambda-Event-Source": "sqs"}  # fmt: skip
    request = to_request(websocket_event(event_type="CONNECT", headers=spoof), Options())
    assert not [key for key in request if key.startswith(("HTTP_X_WEBSOCKET_", "HTTP_X_LAMBDA_"))]
    environ, _ = to_wsgi_request(request, Frame(websocket_event(event_type="CONNECT", connection_id="mine")))
    assert environ["HTTP_X_WEBSOCKET_EVENT"] == "CONNECT"
    assert environ["HTTP_X_WEBSOCKET_CONNECTION_ID"] == "mine"


def test_authorizer_principal_is_the_remote_user() -> None:
    event = websocket_event(event_type="CONNECT", authorizer={"principalId": "user-7"})
    assert to_request(event, Options())["REMOTE_USER"] == "user-7"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": "hello"}, "hello"),
        ({"body": ""}, ""),
        ({"body": "h\u00e9llo \u2603"}, "h\u00e9llo \u2603"),
        ({"body": b"\x00\xffbinary"}, b"\x00\xffbinary"),
        ({"body": "text as bytes", "binary": True}, b"text as bytes"),
    ],
)
def test_messages_are_text_or_bytes(kwargs: dict[str, Any], message: str | bytes) -> None:
    assert Frame(websocket_event(event_type="MESSAGE", **kwargs)).message == message


@pytest.mark.parametrize(
    ("event_type", "route_key", "method"),
    [("CONNECT", "$connect", "GET"), ("MESSAGE", "$default", "POST"), ("MESSAGE", "sendmessage", "POST"),
     ("DISCONNECT", "$disconnect", "DELETE")],
)  # fmt: skip
def test_wsgi_request_for_every_event_type_passes_wsgiref(event_type: str, route_key: str, method: str) -> None:
    request = to_request(websocket_event(event_type="CONNECT", query="name=ann"), Options())
    event = websocket_event(event_type=event_type, route_key=route_key, body="hi", close_code=4001)
    environ, body = to_wsgi_request(request, Frame(event))
    assert environ["REQUEST_METHOD"] == method
    assert environ["HTTP_X_WEBSOCKET_ROUTE_KEY"] == (route_key if event_type != "CONNECT" else "$connect")
    assert body == (b"hi" if event_type == "MESSAGE" else b"")
    assert ("HTTP_X_WEBSOCKET_CLOSE_CODE" in environ) == (event_type == "DISCONNECT")
    if event_type == "DISCONNECT":
        assert environ["HTTP_X_WEBSOCKET_CLOSE_CODE"] == "4001"
    assert "REQUEST_METHOD" in request and request["REQUEST_METHOD"] == "GET", "the stored request is not changed"
    environ.update({"wsgi.version": (1, 0), "wsgi.input": BytesIO(body), "wsgi.errors": BytesIO(),
                    "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
                    "SERVER_PROTOCOL": "HTTP/1.1"})  # fmt: skip
    wsgiref.validate.check_environ(environ)  # type: ignore[attr-defined]


def test_binary_message_is_octet_stream_for_wsgi() -> None:
    request = to_request(websocket_event(event_type="CONNECT"), Options())
    environ, body = to_wsgi_request(
        request, Frame(websocket_event(event_type="MESSAGE", body=b"\x00\x01", binary=True))
    )
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"], body) == ("application/octet-stream", "2", b"\x00\x01")


@pytest.mark.parametrize(
    ("context", "endpoint"),
    [
        ({"domainName": "a.execute-api.us-east-1.amazonaws.com", "stage": "prod"},
         "https://a.execute-api.us-east-1.amazonaws.com/prod"),
        ({"domainName": "ws.example.org", "stage": "$default"}, "https://ws.example.org"),
        ({"stage": "prod"}, ""),
    ],
)  # fmt: skip
def test_endpoint_from_domain_and_stage(context: dict[str, Any], endpoint: str) -> None:
    assert endpoint_of(context) == endpoint


# a part of the wrong type: a BadRequest naming the field (the runners answer 400); what identifies the
# format missing: UnsupportedEvent; (which reader, change, error, what the message says)
MALFORMED = [
    ("frame", lambda e: e["requestContext"].update(eventType="UPGRADE"), BadRequest, "unknown WebSocket eventType"),
    ("frame", lambda e: e["requestContext"].update(eventType=7), BadRequest, "eventType is int, not a string"),
    (
        "frame",
        lambda e: e["requestContext"].update(connectionId=""),
        BadRequest,
        "requestContext.connectionId is empty",
    ),
    ("frame", lambda e: e["requestContext"].update(connectionId=["x"]), BadRequest, "connectionId is list, not a"),
    (
        "frame",
        lambda e: e["requestContext"].pop("connectionId"),
        UnsupportedEvent,
        "has no requestContext.connectionId",
    ),
    ("frame", lambda e: e["requestContext"].pop("eventType"), UnsupportedEvent, "has no requestContext.eventType"),
    ("frame", lambda e: e.update(requestContext="ctx"), BadRequest, "requestContext is str, not an object"),
    ("frame", lambda e: e["requestContext"].update(routeKey=5), BadRequest, "requestContext.routeKey is int"),
    ("frame", lambda e: e["requestContext"].update(disconnectStatusCode="soon"), BadRequest, "StatusCode is str"),
    ("frame", lambda e: e["requestContext"].update(disconnectStatusCode="\u00b2"), BadRequest, "not an integer"),
    ("frame", lambda e: e["requestContext"].update(disconnectStatusCode=4.5), BadRequest, "is float, not an integer"),
    ("frame", lambda e: e["requestContext"].update(disconnectReason=1), BadRequest, "disconnectReason is int"),
    ("frame", lambda e: e.update(body="not base64!", isBase64Encoded=True), BadRequest, "base64"),
    ("frame", lambda e: e.update(isBase64Encoded="yes"), BadRequest, "isBase64Encoded is str, not true or false"),
    ("frame", lambda e: e.update(body=42), BadRequest, "body is int, not a string"),
    ("request", lambda e: e.update(requestContext="ctx"), BadRequest, "requestContext is str, not an object"),
    ("request", lambda e: e["requestContext"].update(domainName=1), BadRequest, "requestContext.domainName is int"),
    ("request", lambda e: e["requestContext"].update(stage=[]), BadRequest, "requestContext.stage is list"),
    ("request", lambda e: e["requestContext"].update(identity="me"), BadRequest, "requestContext.identity is str"),
    ("request", lambda e: e["requestContext"].update(authorizer=3), BadRequest, "requestContext.authorizer is int"),
    ("request", lambda e: e.update(headers=["h"]), BadRequest, "headers is list"),
    ("request", lambda e: e.update(queryStringParameters="a=1"), BadRequest, "queryStringParameters is str"),
]


@pytest.mark.parametrize(("reader", "change", "error", "says"), MALFORMED)
def test_malformed_events_raise_an_error_that_names_the_field(reader: str, change: Any, error: type, says: str) -> None:
    event = websocket_event(event_type="MESSAGE", body="x")
    change(event)
    with pytest.raises(error, match=re.escape(says)):
        if reader == "frame":
            Frame(event)
        else:
            to_request(event, Options())


@pytest.mark.parametrize(
    ("change", "close_code", "route_key"),
    [
        (lambda e: None, 4001, "$disconnect"),
        (lambda e: e["requestContext"].update(routeKey=None, disconnectStatusCode=None, disconnectReason=None),
         1005, ""),
        (lambda e: e["requestContext"].update(identity=None, authorizer=None, domainName=None, stage=None),
         4001, "$disconnect"),
        (lambda e: e.update(headers=None, multiValueHeaders=None, queryStringParameters=None, body=None),
         4001, "$disconnect"),
        (lambda e: e["requestContext"].update(disconnectStatusCode="4002"), 4002, "$disconnect"),
    ],
)  # fmt: skip
def test_absent_or_null_parts_are_their_defaults(change: Any, close_code: int, route_key: str) -> None:
    event = websocket_event(event_type="DISCONNECT", close_code=4001)
    change(event)
    frame = Frame(event)
    assert (frame.close_code, frame.route_key) == (close_code, route_key)
    assert to_request(event, Options())["REQUEST_METHOD"] == "GET"


@pytest.mark.parametrize(
    ("event_type", "response", "result"),
    [
        ("CONNECT", Response(200, [("Sec-WebSocket-Protocol", "chat"), ("Content-Type", "text/plain"),
                                   ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], b"ignored"),
         {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat", "Set-Cookie": "a=1, b=2"}}),
        ("CONNECT", Response(204, [("Content-Length", "0")], b""), {"statusCode": 204}),
        ("CONNECT", Response(403, [("Sec-WebSocket-Protocol", "chat")], b"no"), {"statusCode": 403}),
        ("MESSAGE", Response(200, [], b"pong"), {"statusCode": 200, "body": "pong"}),
        ("MESSAGE", Response(200, [], b"\xff"), {"statusCode": 200, "body": "/w==", "isBase64Encoded": True}),
        ("MESSAGE", Response(500, [], b""), {"statusCode": 500}),
        ("DISCONNECT", Response(200, [], b"bye"), {"statusCode": 200}),
    ],
)  # fmt: skip
def test_results(event_type: str, response: Response, result: dict[str, Any]) -> None:
    assert from_response(response, Frame(websocket_event(event_type=event_type))) == result


def test_invocation_ended_code_is_one_no_client_sends_by_accident() -> None:
    assert 3000 <= INVOCATION_ENDED <= 3999  # IANA: libraries and frameworks


def test_builder_refuses_an_unknown_event_type() -> None:
    with pytest.raises(ValueError, match="event_type"):
        websocket_event(event_type="OPEN")


def test_single_value_headers_when_there_are_no_multi_value_ones() -> None:
    event = websocket_event(event_type="CONNECT", headers={"X-Team": "red"})
    del event["multiValueHeaders"]
    assert to_request(event, Options())["HTTP_X_TEAM"] == "red"
