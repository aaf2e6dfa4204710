"""The chat sample end to end: real WebSocket clients (the ``websockets`` package) against
serverless-offline running the sample as a Lambda function (connections in DynamoDB on a moto
server, sends through serverless-offline's own ``@connections`` endpoint), and against uvicorn
running the same app unchanged."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
import websockets

from lambda_adapter import websocket
from tests.conftest import ROOT, SAMPLES, free_port

SERVERLESS = ROOT / "tests" / "node" / "node_modules" / ".bin" / "serverless"
START_TIMEOUT = 90.0  # seconds; serverless loads ~1000 modules on a cold npm cache
RECEIVE_TIMEOUT = 30.0  # seconds; a message may wait for a second handler process's cold start


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serverless offline exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"serverless offline did not listen on {port} within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture
def connections_table(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server)
    name = f"chat-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "connection_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connection_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture
def offline(moto_server: str, connections_table: str, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """``serverless offline`` serving the chat sample's WebSocket API; yields its port and log."""
    if not SERVERLESS.exists():
        pytest.fail(f"{SERVERLESS} is missing: run `npm ci --prefix tests/node` (bash tasks.sh test does)")
    port, http_port, lambda_port = free_port(), free_port(), free_port()
    environment = {
        **os.environ,
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        # serverless-offline runs `python3` with $VIRTUAL_ENV/bin first on PATH: this interpreter
        "VIRTUAL_ENV": sys.prefix,
        "PYTHONPATH": str(ROOT),
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": f"http://127.0.0.1:{port}",
        "AWS_ENDPOINT_URL_DYNAMODB": moto_server,
        "CONNECTIONS_TABLE": connections_table,
    }
    log = tmp_path / "serverless.log"
    ports = ["--httpPort", str(http_port), "--websocketPort", str(port), "--lambdaPort", str(lambda_port)]
    command = [str(SERVERLESS), "offline", "--host", "127.0.0.1", *ports]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=SAMPLES / "chat", env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: node and the Python handler it spawns
        )  # fmt: skip
    try:
        _wait_for_port(port, process, log)
        yield port, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def uvicorn_chat() -> Iterator[int]:
    """The same chat app under uvicorn; yields its port."""
    # imported by file, not through sys.path: its app.py must not shadow other samples' app.py
    spec = importlib.util.spec_from_file_location("chat_sample_app", SAMPLES / "chat" / "app.py")
    assert spec and spec.loader
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    port = free_port()
    config = uvicorn.Config(sample.app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


async def _next(client: Any, skip: str = "") -> str:
    """The next message, past any that start with ``skip`` (uvicorn greets the joiner too)."""
    while True:
        message = str(await asyncio.wait_for(client.recv(), RECEIVE_TIMEOUT))
        if not skip or not message.startswith(skip):
            return message


async def _chat(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/"
    async with websockets.connect(url + "?name=ann") as ann:
        async with websockets.connect(url + "?name=bob") as bob:
            assert await _next(ann, skip="ann joined") == "bob joined"
            await ann.send("hello from ann")
            assert await _next(ann) == "ann: hello from ann"
            assert await _next(bob, skip="bob joined") == "ann: hello from ann"
            await bob.send("and bob")
            assert await _next(ann) == "bob: and bob"
            assert await _next(bob) == "bob: and bob"
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(url)  # no name: refused
            assert refused.value.response.status_code == 403
        assert await _next(ann) == "bob left", "bob's disconnect reached the app"


def test_chat_under_serverless_offline(offline: tuple[int, Path]) -> None:
    port, log = offline
    try:
        asyncio.run(_chat(port))
    except BaseException:
        print(log.read_text(errors="replace"))  # serverless-offline's and the handler's output
        raise


def test_a_gone_connection_is_false_under_serverless_offline(offline: tuple[int, Path]) -> None:
    endpoint = f"http://127.0.0.1:{offline[0]}"
    assert websocket.send("no-such-connection", "x", endpoint=endpoint) is False
    assert websocket.close("no-such-connection", endpoint=endpoint) is False


def test_the_same_chat_under_uvicorn(uvicorn_chat: int) -> None:
    asyncio.run(_chat(uvicorn_chat))


def test_a_send_to_a_gone_connection_raises_an_oserror_into_the_app(
    offline: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_adapter import adapt
    from lambda_adapter.testing import LambdaContext, websocket_event

    errors: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await receive()
        try:
            await send({"type": "websocket.send", "text": "anyone there?"})
        except OSError as exc:
            errors.append(exc)

    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", f"http://127.0.0.1:{offline[0]}")
    event = websocket_event(event_type="MESSAGE", connection_id="long-gone", body="x")
    assert adapt(app, lifespan="off")(event, LambdaContext()) == {"statusCode": 200}
    assert len(errors) == 1 and "long-gone" in str(errors[0])
