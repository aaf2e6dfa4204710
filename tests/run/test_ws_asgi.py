"""ASGI apps behind WebSocket events: FastAPI endpoints and raw ASGI apps, every event type,
accept / reject / subprotocol, text and bytes, close codes; sends reach moto's Management API."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from lambda_adapter import adapt
from lambda_adapter._events.websocket import to_request
from lambda_adapter._options import Options
from lambda_adapter.testing import LambdaContext, event_for, websocket_event
from lambda_adapter.websocket import INVOCATION_ENDED, MemoryStore
from tests.conftest import ainvoke, load_event, posted_to

Handler = Any


def fastapi_app(seen: list[Any]) -> FastAPI:
    """An endpoint written as for uvicorn: accept (or refuse without a name), echo, note the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        seen.append("startup")
        yield {"greeting": "hi"}

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/ws")
    async def endpoint(ws: WebSocket) -> None:
        if ws.query_params.get("name") == "nobody":
            await ws.close(code=1008)
            return
        await ws.accept(subprotocol="chat.v2" if "chat.v2" in ws.scope["subprotocols"] else None)
        seen.append(("scope", ws.query_params.get("name"), ws.headers.get("x-team"), ws.client, ws.state.greeting))
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(message["code"], message.get("reason"))
                seen.append(("got", message.get("text"), message.get("bytes")))
                await ws.send_text(f"echo {message.get('text') or message.get('bytes')!r}")
        except WebSocketDisconnect as exc:
            seen.append(("end", exc.code))

    @app.get("/hello")
    async def hello() -> dict[str, int]:
        return {"startups": seen.count("startup")}

    return app


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", moto_server)
    return moto_server


def ws_event(event_type: str, connection_id: str, **kwargs: Any) -> dict[str, Any]:
    return websocket_event(event_type=event_type, connection_id=connection_id, **kwargs)


def test_connect_message_disconnect_with_fastapi(endpoint: str) -> None:
    seen: list[Any] = []
    store = MemoryStore()
    handler = adapt(fastapi_app(seen), connection_store=store, websocket_path="/ws")
    cid = uuid.uuid4().hex
    connect = ws_event(
        "CONNECT", cid, query="name=ann", headers={"X-Team": "red", "Sec-WebSocket-Protocol": "x, chat.v2"}
    )
    assert handler(connect, LambdaContext()) == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v2"}}
    assert list(store.connections()) == [cid]
    assert handler(ws_event("MESSAGE", cid, body="hello"), LambdaContext()) == {"statusCode": 200}
    assert handler(ws_event("MESSAGE", cid, body=b"\x00\xff"), LambdaContext()) == {"statusCode": 200}
    assert posted_to(cid) == b"echo 'hello'echo b'\\x00\\xff'"
    assert handler(ws_event("DISCONNECT", cid, close_code=1001), LambdaContext()) == {"statusCode": 200}
    assert list(store.connections()) == []
    scope = ("scope", "ann", "red", ("203.0.113.7", 0), "hi")
    assert seen == [
        "startup", scope, ("end", INVOCATION_ENDED),
        scope, ("got", "hello", None), ("end", INVOCATION_ENDED),
        scope, ("got", None, b"\x00\xff"), ("end", INVOCATION_ENDED),
        scope, ("end", 1001),
    ]  # fmt: skip


def test_lifespan_runs_once_for_http_and_websocket_events(endpoint: str) -> None:
    seen: list[Any] = []
    handler = adapt(fastapi_app(seen), websocket_path="/ws")
    assert handler(ws_event("CONNECT", "c1", query="name=ann"), LambdaContext())["statusCode"] == 200
    assert handler(event_for("http", path="/hello"), LambdaContext())["body"] == '{"startups":1}'


def test_a_refused_connect_is_403_and_not_stored() -> None:
    seen: list[Any] = []
    store = MemoryStore()
    handler = adapt(fastapi_app(seen), connection_store=store, websocket_path="/ws")
    assert handler(ws_event("CONNECT", "c1", query="name=nobody"), LambdaContext()) == {"statusCode": 403}
    assert list(store.connections()) == []


def test_a_connect_to_a_path_without_an_endpoint_is_refused() -> None:
    handler = adapt(fastapi_app([]), websocket_path="/elsewhere")
    assert handler(ws_event("CONNECT", "c1", query="name=ann"), LambdaContext())["statusCode"] == 403


@pytest.mark.parametrize("name", ["Connect", "Message", "Disconnect"])
def test_recorded_events_reach_a_fastapi_endpoint(name: str, endpoint: str) -> None:
    seen: list[Any] = []
    event = load_event(f"powertools/apiGatewayWebSocketApi{name}.json")
    handler = adapt(fastapi_app(seen))  # the app's one WebSocket route, /ws, is where events go
    result = handler(event, LambdaContext())
    assert result == {"statusCode": 200}
    connection = event["requestContext"]["connectionId"]
    if name == "Message":
        assert posted_to(connection).endswith(b"""echo '{"action": "chat", "message": "Hello from client"}'""")
    if name == "Disconnect":
        assert seen[-1] == ("end", 1005)


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI app driven by the query string: what to do on each event."""
    if scope["type"] != "websocket":
        return
    script = unquote(scope["query_string"].decode()).rstrip("=")  # rebuilt from decoded values: "a" is "a="
    connect = await receive()
    assert connect == {"type": "websocket.connect"}
    for step in script.split(","):
        if step == "accept":
            await send({"type": "websocket.accept", "headers": [(b"x-a", b"1")]})
        elif step == "close":
            await send({"type": "websocket.close", "code": 4000})
        elif step == "deny":
            await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-why", b"no")]})
            await send({"type": "websocket.http.response.body", "body": b"who ", "more_body": True})
            await send({"type": "websocket.http.response.body", "body": b"are you?"})
        elif step == "send":
            await send({"type": "websocket.send", "text": "out"})
        elif step == "receive":
            RECEIVED.append(await receive())
        elif step == "boom":
            raise RuntimeError("the app broke")
        elif step == "hang":
            await asyncio.Event().wait()
        elif step == "bad":
            await send({"type": "websocket.nonsense"})


RECEIVED: list[dict[str, Any]] = []


@pytest.mark.parametrize(
    ("script", "status"),
    [
        ("accept", 200),
        ("", 403),
        ("close", 403),
        ("accept,close", 403),
        ("receive", 403),
        ("boom", 500),
        ("accept,boom", 500),
        ("send", 500),
        ("bad", 500),
        ("accept,accept", 500),
        ("close,close", 403),
        ("close,send", 500),
    ],
)
def test_connect_outcomes(script: str, status: int) -> None:
    store = MemoryStore()
    handler = adapt(raw_app, lifespan="off", connection_store=store)
    result = handler(ws_event("CONNECT", "c1", query=script), LambdaContext())
    assert result["statusCode"] == status
    assert list(store.connections()) == (["c1"] if status == 200 else [])
    assert result.get("headers") == ({"x-a": "1"} if status == 200 else None), "the accept's headers go back"


def test_a_denial_response_refuses_with_its_status() -> None:
    handler = adapt(raw_app, lifespan="off")
    assert handler(ws_event("CONNECT", "c1", query="deny"), LambdaContext()) == {"statusCode": 401}


def test_a_denial_response_without_headers_refuses_with_its_status() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()  # ASGI: the denial's headers are optional, an empty list when missing (as uvicorn reads them)
        await send({"type": "websocket.http.response.start", "status": 401})
        await send({"type": "websocket.http.response.body", "body": b"who are you?"})

    assert adapt(app, lifespan="off")(ws_event("CONNECT", "c1"), LambdaContext()) == {"statusCode": 401}


def test_a_denial_response_with_a_2xx_status_still_refuses(caplog: pytest.LogCaptureFixture) -> None:
    from starlette.responses import PlainTextResponse

    app = FastAPI()

    @app.websocket("/")
    async def endpoint(ws: WebSocket) -> None:
        await ws.send_denial_response(PlainTextResponse("not today"))  # Starlette's default status: 200

    store = MemoryStore()
    with caplog.at_level(logging.WARNING, "lambda_adapter"):
        result = adapt(app, lifespan="off", connection_store=store)(ws_event("CONNECT", "c1"), LambdaContext())
    assert result == {"statusCode": 403}, "uvicorn answers the 200, and the client's handshake fails: no 101"
    assert list(store.connections()) == []
    assert "denial response of status 200" in caplog.text


def test_send_during_connect_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    handler = adapt(raw_app, lifespan="off")
    with caplog.at_level(logging.WARNING, "lambda_adapter"):
        assert handler(ws_event("CONNECT", "c1", query="accept,send"), LambdaContext())["statusCode"] == 200
    assert "opens the connection only once $connect returns" in caplog.text


def connected(script: str) -> tuple[Handler, str]:
    """A handler of ``raw_app`` and a connection whose connect request (kept in the store) runs ``script``."""
    store, cid = MemoryStore(), uuid.uuid4().hex
    store.save(cid, to_request(ws_event("CONNECT", cid, query=script), Options()))
    return adapt(raw_app, lifespan="off", connection_store=store), cid


def test_message_receive_then_invocation_end(endpoint: str) -> None:
    RECEIVED.clear()
    handler, cid = connected("accept,receive,receive,send,receive")
    assert handler(ws_event("MESSAGE", cid, body="m"), LambdaContext()) == {"statusCode": 200}
    ended = {"type": "websocket.disconnect", "code": INVOCATION_ENDED, "reason": RECEIVED[1].get("reason")}
    assert RECEIVED[:] == [{"type": "websocket.receive", "text": "m"}, ended, ended]
    assert posted_to(cid) == b"out", "a send after the end of the invocation still reaches the client"


def test_connect_without_a_message_ends_at_once() -> None:
    RECEIVED.clear()
    handler = adapt(raw_app, lifespan="off")
    assert handler(ws_event("CONNECT", "c1", query="accept,receive"), LambdaContext())["statusCode"] == 200
    assert [message["code"] for message in RECEIVED] == [INVOCATION_ENDED]


def test_close_on_a_message_closes_the_connection(endpoint: str) -> None:
    handler, cid = connected("accept,send,close")
    assert handler(ws_event("MESSAGE", cid), LambdaContext()) == {"statusCode": 200}
    assert posted_to(cid) == b"", "moto forgot the deleted connection"
    handler, cid = connected("close,send")
    assert handler(ws_event("MESSAGE", cid), LambdaContext()) == {"statusCode": 500}, "a send after close"


def test_send_on_disconnect_raises_an_oserror_into_the_app() -> None:
    errors: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        assert (await receive())["code"] == 1006
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError as exc:
            errors.append(exc)
        await send({"type": "websocket.close"})

    result = adapt(app, lifespan="off")(ws_event("DISCONNECT", "c9", close_code=1006), LambdaContext())
    assert result == {"statusCode": 200}
    assert len(errors) == 1 and "c9" in str(errors[0])


def test_deadline_cancels_a_hanging_app() -> None:
    handler = adapt(raw_app, lifespan="off", deadline_margin=0)
    result = handler(ws_event("CONNECT", "c1", query="accept,hang"), LambdaContext(timeout_ms=200))
    assert result == {"statusCode": 500}
    assert handler(ws_event("CONNECT", "c2", query="accept"), LambdaContext())["statusCode"] == 200


def test_malformed_event_is_a_400_and_the_next_works() -> None:
    handler = adapt(raw_app, lifespan="off")
    event = ws_event("MESSAGE", "c1", body="not base64", binary=False)
    event["isBase64Encoded"] = True
    assert handler(event, LambdaContext()) == {"statusCode": 400}
    assert handler(ws_event("CONNECT", "c1", query="accept"), LambdaContext())["statusCode"] == 200


def test_scope_of_a_websocket_event() -> None:
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scopes.append(scope)
        await receive()
        await send({"type": "websocket.accept"})

    handler = adapt(app, lifespan="off", websocket_endpoint="https://ws.example.org/")
    event = ws_event("CONNECT", "c1", query="a=1", headers={"Sec-WebSocket-Protocol": "one, two"})
    handler(event, LambdaContext())
    scope = scopes[0]
    assert (scope["type"], scope["scheme"]) == ("websocket", "wss")
    assert (scope["path"], scope["root_path"]) == ("/prod/", "/prod")
    assert (scope["query_string"], scope["subprotocols"]) == (b"a=1", ["one", "two"])
    assert "method" not in scope and scope["asgi"]["spec_version"] == "2.4"
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert scope["aws.event"] is event
    assert scope["aws.websocket"] == {
        "event_type": "CONNECT", "route_key": "$connect", "connection_id": "c1", "endpoint": "https://ws.example.org"
    }  # fmt: skip


def test_mounted_apps_refuse_websocket_events() -> None:
    from lambda_adapter import UnsupportedEvent

    handler = adapt({"/api": raw_app}, lifespan="off")
    with pytest.raises(UnsupportedEvent, match="one app"):
        handler(ws_event("CONNECT", "c1"), LambdaContext())


def test_disconnect_is_given_again_if_the_app_asks_again() -> None:
    codes: list[int] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        codes.append((await receive())["code"])
        codes.append((await receive())["code"])

    assert (
        adapt(app, lifespan="off")(ws_event("DISCONNECT", "c1", close_code=4002), LambdaContext())["statusCode"] == 200
    )
    assert codes == [4002, 4002], "the client is gone: never INVOCATION_ENDED"


def test_an_endpoint_that_lets_websocket_disconnect_escape_is_fine(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI()

    @app.websocket("/")
    async def echo(ws: WebSocket) -> None:  # as many endpoints are written: no try/except
        await ws.accept()
        while True:
            await ws.send_text(await ws.receive_text())

    handler = adapt(app)
    cid = uuid.uuid4().hex
    assert handler(ws_event("CONNECT", cid), LambdaContext()) == {"statusCode": 200}
    assert handler(ws_event("MESSAGE", cid, body="again"), LambdaContext()) == {"statusCode": 200}
    assert posted_to(cid) == b"again"
    with caplog.at_level(logging.ERROR, "lambda_adapter"):
        assert handler(ws_event("DISCONNECT", cid, close_code=1005), LambdaContext()) == {"statusCode": 200}
    assert not [r for r in caplog.records if r.name == "lambda_adapter"], "the framework's WebSocketDisconnect"


def test_a_websocket_disconnect_in_a_task_group_is_fine(endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    import anyio

    app = FastAPI()

    @app.websocket("/")
    async def echo(ws: WebSocket) -> None:  # a reader in a task group: the group wraps its WebSocketDisconnect
        await ws.accept()

        async def reader() -> None:
            while True:
                text = await ws.receive_text()
                if text == "boom":
                    raise RuntimeError("the reader broke")
                await ws.send_text(text)

        async with anyio.create_task_group() as group:
            group.start_soon(reader)

    handler = adapt(app)
    cid = uuid.uuid4().hex
    with caplog.at_level(logging.ERROR, "lambda_adapter"):
        assert handler(ws_event("CONNECT", cid), LambdaContext()) == {"statusCode": 200}
        assert handler(ws_event("MESSAGE", cid, body="again"), LambdaContext()) == {"statusCode": 200}
        assert handler(ws_event("DISCONNECT", cid, close_code=1001), LambdaContext()) == {"statusCode": 200}
    assert posted_to(cid) == b"again"
    assert not [r for r in caplog.records if r.name == "lambda_adapter"], "a group of WebSocketDisconnect only"
    assert handler(ws_event("MESSAGE", cid, body="boom"), LambdaContext()) == {"statusCode": 500}, "any other error"


def test_accept_headers_with_a_line_break_refuse_the_connect() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept", "headers": [(b"x-bad", b"a\r\nSet-Cookie: x=1")]})

    assert adapt(app, lifespan="off")(ws_event("CONNECT", "c1"), LambdaContext()) == {"statusCode": 500}


def test_the_one_websocket_route_of_a_starlette_app_is_the_path() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket as StarletteWebSocket

    paths: list[str] = []

    async def endpoint(ws: StarletteWebSocket) -> None:
        paths.append(ws.scope["path"])
        await ws.accept()

    async def page(request: Any) -> Any:
        raise AssertionError("not an HTTP route")

    app = Starlette(routes=[Route("/", page), WebSocketRoute("/live/feed", endpoint)])
    assert adapt(app, lifespan="off")(ws_event("CONNECT", "c1"), LambdaContext())["statusCode"] == 200
    assert paths == ["/prod/live/feed"]


@pytest.mark.parametrize(
    ("routes", "path"),
    [
        (["/ws"], "/ws"),
        (["/a", "/b"], None),
        (["/rooms/{room}"], None),
        ([], None),
    ],
)
def test_websocket_route_of(routes: list[str], path: str | None, caplog: pytest.LogCaptureFixture) -> None:
    from lambda_adapter._run.ws_wsgi import websocket_route_of

    app = FastAPI()
    for route in routes:
        app.add_api_websocket_route(route, lambda ws: None)
    app.add_api_route("/http", lambda: None)
    with caplog.at_level(logging.WARNING, "lambda_adapter"):
        assert websocket_route_of(app) == path
    assert ("2 WebSocket routes" in caplog.text) == (len(routes) == 2)
    assert websocket_route_of(raw_app) is None, "an app without routes"


def test_boto3_is_imported_only_by_a_send() -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    connect = json.dumps(ws_event("CONNECT", "c1"))
    code = (
        "import json, sys\n"
        "from lambda_adapter import adapt\n"
        "async def app(scope, receive, send):\n"
        "    await receive()\n"
        "    await send({'type': 'websocket.accept'})\n"
        f"assert adapt(app, lifespan='off')(json.loads({connect!r}), None)['statusCode'] == 200\n"
        "print('boto3' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("message", [{}, {"text": None, "bytes": None}, {"text": "a", "bytes": b"b"}])
def test_a_send_without_exactly_one_of_text_and_bytes_is_the_apps_error(
    message: dict[str, Any], endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        try:
            await send({"type": "websocket.send", **message})
        except Exception as exc:
            errors.append(exc)
        await send({"type": "websocket.send", "text": "fine"})

    cid = uuid.uuid4().hex
    assert adapt(app, lifespan="off")(ws_event("MESSAGE", cid), LambdaContext()) == {"statusCode": 200}
    assert [type(exc).__name__ for exc in errors] == ["InvalidResponse"]
    assert "exactly one of 'text' and 'bytes'" in str(errors[0])
    assert posted_to(cid) == b"fine", "no empty frame was posted for the bad send"


def test_an_oversize_send_is_raised_into_the_app(endpoint: str) -> None:
    errors: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        try:
            await send({"type": "websocket.send", "bytes": b"z" * (128 * 1024 + 1)})
        except ValueError as exc:
            errors.append(exc)

    cid = uuid.uuid4().hex
    assert adapt(app, lifespan="off")(ws_event("MESSAGE", cid), LambdaContext()) == {"statusCode": 200}
    assert len(errors) == 1 and "128 KB" in str(errors[0])
    assert posted_to(cid) == b""


def test_an_accept_with_a_subprotocol_and_its_header_too_is_refused() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        both = scope["aws.websocket"]["connection_id"] == "c1"
        headers = [(b"Sec-WebSocket-Protocol", b"chat.v1")] if both else []
        await send({"type": "websocket.accept", "subprotocol": "chat.v2", "headers": headers})

    handler = adapt(app, lifespan="off")
    assert handler(ws_event("CONNECT", "c1"), LambdaContext()) == {"statusCode": 500}
    accepted = handler(ws_event("CONNECT", "c2"), LambdaContext())
    assert accepted == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v2"}}


def test_ainvoke_makes_the_stores_and_the_management_apis_calls_off_the_shared_loop(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Managed Instances: every slot's invocation is a task of one loop; a blocking call there would hold up the rest
    import threading

    from lambda_adapter.websocket import _management

    threads: list[tuple[str, bool]] = []

    class Recording(MemoryStore):
        def save(self, connection_id: str, request: Any) -> None:
            threads.append(("save", threading.current_thread() is threading.main_thread()))
            super().save(connection_id, request)

        def load(self, connection_id: str) -> dict[str, str] | None:
            threads.append(("load", threading.current_thread() is threading.main_thread()))
            return super().load(connection_id)

    post, delete = _management.post, _management.delete

    def recorded(name: str, call: Any) -> Any:
        def run(*args: Any) -> Any:
            threads.append((name, threading.current_thread() is threading.main_thread()))
            return call(*args)

        return run

    monkeypatch.setattr(_management, "post", recorded("post", post))
    monkeypatch.setattr(_management, "delete", recorded("delete", delete))
    seen: list[Any] = []
    handler = adapt(fastapi_app(seen), connection_store=Recording(), websocket_path="/ws")
    cid = uuid.uuid4().hex
    assert ainvoke(handler, ws_event("CONNECT", cid))["statusCode"] == 200  # on a loop of the main thread
    assert ainvoke(handler, ws_event("MESSAGE", cid, body="hi")) == {"statusCode": 200}
    assert posted_to(cid) == b"echo 'hi'"
    assert [name for name, _ in threads] == ["save", "load", "post"]
    assert not any(on_loop for _, on_loop in threads), threads


def test_under_ainvoke_an_app_that_raises_is_a_500_and_the_connection_is_not_stored() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        raise RuntimeError("the app broke after accepting")

    store = MemoryStore()
    result = ainvoke(adapt(app, connection_store=store), ws_event("CONNECT", uuid.uuid4().hex))
    assert result["statusCode"] == 500  # as handler(event, context) answers it
    assert list(store.connections()) == []
