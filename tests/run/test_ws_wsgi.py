"""WSGI apps behind WebSocket events: a Flask app's plain routes get each event as an HTTP
request to the connect-time path, marked by the X-WebSocket-* headers, and send through the
public helper (to moto's Management API)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import wsgiref.validate
from typing import Any

import pytest
from flask import Flask, request

from lambda_adapter import adapt, websocket
from lambda_adapter.testing import LambdaContext, websocket_event
from tests.conftest import ROOT, load_event, posted_to


def flask_chat(seen: list[Any], store: websocket.ConnectionStore) -> Flask:
    app = Flask(__name__)

    @app.route("/ws", methods=["GET", "POST", "DELETE"])
    def chat() -> tuple[str, int]:
        kind = request.headers["X-WebSocket-Event"]
        headers = request.headers
        seen.append((request.method, kind, headers["X-WebSocket-Route-Key"], request.args.get("name"),
                     request.get_data(), request.content_type, headers.get("X-WebSocket-Close-Code")))  # fmt: skip
        if kind == "CONNECT":
            return ("", 200) if request.args.get("name") else ("a name, please", 403)
        if kind == "MESSAGE":
            text = f"{request.args['name']}: {request.get_data(as_text=True)}"
            for other in store.connections():
                websocket.send(other, text, endpoint=request.environ)
            return "", 200
        return "", 200

    @app.route("/ws/echo", methods=["POST"])
    def echo() -> str:
        return "echo " + request.get_data(as_text=True)

    return app


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", moto_server)
    return moto_server


def test_a_flask_chat_through_its_routes(endpoint: str) -> None:
    seen: list[Any] = []
    store = websocket.MemoryStore()
    handler = adapt(flask_chat(seen, store), connection_store=store, websocket_path="/ws")
    ann, bob = uuid.uuid4().hex, uuid.uuid4().hex
    spoof = {"X-WebSocket-Event": "DISCONNECT", "X-WebSocket-Connection-Id": bob}
    event = websocket_event(event_type="CONNECT", connection_id=ann, query="name=ann", headers=spoof)
    assert handler(event, LambdaContext()) == {"statusCode": 200}
    assert handler(websocket_event(event_type="CONNECT", connection_id=bob, query="name=bob"), LambdaContext()) == {
        "statusCode": 200
    }
    assert handler(websocket_event(event_type="CONNECT", connection_id="x"), LambdaContext()) == {"statusCode": 403}
    assert sorted(store.connections()) == sorted([ann, bob])
    event = websocket_event(event_type="MESSAGE", connection_id=ann, route_key="sendmessage", body="hi all")
    assert handler(event, LambdaContext()) == {"statusCode": 200}
    assert posted_to(ann) == posted_to(bob) == b"ann: hi all"
    event = websocket_event(event_type="MESSAGE", connection_id=bob, body=b"\xff\x00", binary=True)
    assert handler(event, LambdaContext())["statusCode"] == 200
    event = websocket_event(event_type="DISCONNECT", connection_id=ann, close_code=1001)
    assert handler(event, LambdaContext()) == {"statusCode": 200}
    assert list(store.connections()) == [bob]
    text = "text/plain; charset=utf-8"
    assert seen == [
        ("GET", "CONNECT", "$connect", "ann", b"", None, None),
        ("GET", "CONNECT", "$connect", "bob", b"", None, None),
        ("GET", "CONNECT", "$connect", None, b"", None, None),
        ("POST", "MESSAGE", "sendmessage", "ann", b"hi all", text, None),
        ("POST", "MESSAGE", "$default", "bob", b"\xff\x00", "application/octet-stream", None),
        ("DELETE", "DISCONNECT", "$disconnect", "ann", b"", None, "1001"),
    ]


def test_a_two_way_route_answers_with_the_body() -> None:
    handler = adapt(flask_chat([], websocket.MemoryStore()), websocket_path="/ws/echo")
    event = websocket_event(event_type="MESSAGE", body="ping")
    assert handler(event, LambdaContext()) == {"statusCode": 200, "body": "echo ping"}


@pytest.mark.parametrize("name", ["Connect", "Message", "Disconnect"])
def test_recorded_events_pass_wsgiref_validate(name: str) -> None:
    seen: list[dict[str, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append({k: v for k, v in environ.items() if isinstance(v, str)})
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    result = adapt(wsgiref.validate.validator(app))(load_event(f"powertools/apiGatewayWebSocketApi{name}.json"), None)
    assert result["statusCode"] == 200
    assert seen[0]["HTTP_X_WEBSOCKET_EVENT"] == name.upper()
    assert seen[0]["SCRIPT_NAME"] == "/prod"


def test_an_app_crash_is_a_500_and_the_next_event_works() -> None:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["REQUEST_METHOD"])
        if len(calls) == 1:
            raise RuntimeError("broken")
        start_response("204 No Content", [])
        return []

    handler = adapt(app)
    assert handler(websocket_event(event_type="CONNECT"), LambdaContext())["statusCode"] == 500
    assert handler(websocket_event(event_type="CONNECT"), LambdaContext()) == {"statusCode": 204}


def test_a_malformed_event_is_a_400() -> None:
    event = websocket_event(event_type="MESSAGE")
    event["requestContext"]["eventType"] = "PING"
    assert adapt(flask_chat([], websocket.MemoryStore()))(event, LambdaContext()) == {"statusCode": 400}


def test_a_failing_connection_store_is_no_400_for_the_client() -> None:
    """What breaks in the store is the deployment's fault, not the client's: it is raised (Lambda logs
    it and API Gateway answers its own error), never answered as a malformed event."""

    class Broken(websocket.MemoryStore):
        def load(self, connection_id: str) -> dict[str, str] | None:
            raise KeyError("table schema")  # a bug of the store's

    store = Broken()
    handler = adapt(flask_chat([], store), connection_store=store)
    with pytest.raises(KeyError, match="table schema"):
        handler(websocket_event(event_type="MESSAGE", body="hi"), LambdaContext())
    working = adapt(flask_chat([], websocket.MemoryStore()))
    connect = websocket_event(event_type="CONNECT")
    assert handler(connect, LambdaContext()) == working(connect, LambdaContext())  # and the next event works


def test_the_wsgi_websocket_path_never_imports_asyncio() -> None:
    event = websocket_event(event_type="CONNECT", query="name=ann")
    code = (
        "import json, sys\n"
        "from lambda_adapter import adapt\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n"
        f"event = json.loads({json.dumps(json.dumps(event))})\n"
        "assert adapt(app)(event, None)['statusCode'] == 200\n"
        "print(sorted(name for name in sys.modules if name in ('asyncio', 'boto3')))\n"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_an_empty_store_of_ones_own_is_kept(interface: str) -> None:
    """Bug 6: ``connection_store or MemoryStore()`` replaced a store that defines ``__len__`` and was empty."""

    class SizedStore(websocket.MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.saved: list[str] = []

        def __len__(self) -> int:
            return len(list(self.connections()))

        def save(self, connection_id: str, request: Any) -> None:
            self.saved.append(connection_id)
            super().save(connection_id, request)

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    store = SizedStore()
    assert len(store) == 0
    handler = adapt(wsgi if interface == "wsgi" else asgi, connection_store=store,
                    **({"lifespan": "off"} if interface == "asgi" else {}))  # fmt: skip
    assert handler(websocket_event(event_type="CONNECT", connection_id="c-1"), LambdaContext())["statusCode"] == 200
    assert store.saved == ["c-1"] and list(store.connections()) == ["c-1"]
