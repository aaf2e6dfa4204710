"""The public helpers (``lambda_adapter.websocket``) and the Management API client behind them,
against the Management API of a local moto server."""

from __future__ import annotations

import subprocess
import sys
import uuid

import boto3
import pytest

from lambda_adapter import websocket
from lambda_adapter.websocket import _management
from tests.conftest import ROOT, posted_to

VARIABLE = "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"


@pytest.fixture
def no_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)


def test_public_names() -> None:
    assert sorted(websocket.__all__) == [
        "ConnectionStore", "DynamoDBStore", "HEADERS", "INVOCATION_ENDED", "MemoryStore", "close", "send",
    ]  # fmt: skip
    assert websocket.INVOCATION_ENDED == 3599


def test_send_text_and_bytes_then_close(moto_server: str, no_endpoint_variable: None) -> None:
    connection = uuid.uuid4().hex
    assert websocket.send(connection, "h\u00e9llo ", endpoint=moto_server)
    assert websocket.send(connection, b"\x00\xff", endpoint=moto_server + "/")
    assert posted_to(connection) == "h\u00e9llo ".encode() + b"\x00\xff"
    assert websocket.close(connection, endpoint=moto_server)
    assert posted_to(connection) == b"", "moto forgets a deleted connection"


def test_endpoint_from_the_scope_or_environ_of_a_websocket_event(moto_server: str, no_endpoint_variable: None) -> None:
    connection = uuid.uuid4().hex
    scope = {"type": "websocket", "aws.websocket": {"endpoint": moto_server, "connection_id": "x"}}
    assert websocket.send(connection, "via scope", endpoint=scope)
    assert posted_to(connection) == b"via scope"


def test_a_scope_of_no_websocket_event_is_refused() -> None:
    with pytest.raises(ValueError, match="not of a WebSocket event"):
        websocket.send("c", "x", endpoint={"type": "http"})


def test_the_sdk_endpoint_variable_overrides_any_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, moto_server)
    connection = uuid.uuid4().hex
    assert websocket.send(connection, "redirected", endpoint="https://nowhere.invalid/prod")
    assert posted_to(connection) == b"redirected"
    assert _management.resolve_endpoint("https://derived/prod", "https://option") == moto_server


def test_endpoint_order_without_the_variable(no_endpoint_variable: None) -> None:
    assert _management.resolve_endpoint("https://derived/prod", "https://option") == "https://option"
    assert _management.resolve_endpoint("https://derived/prod", None) == "https://derived/prod"


def test_boto3_itself_honours_the_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # why the variable is the standard one: boto3 >= 1.28 reads it for this service on its own
    monkeypatch.setenv(VARIABLE, "http://127.0.0.1:9")
    client = boto3.client("apigatewaymanagementapi", region_name="us-east-1")
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_no_endpoint_is_a_clear_error(no_endpoint_variable: None) -> None:
    with pytest.raises(ValueError, match="no Management API endpoint"):
        websocket.send("c", "x", endpoint="")


@pytest.mark.parametrize(
    ("region", "endpoint", "expected"),
    [
        ("eu-west-3", "https://a.execute-api.us-east-1.amazonaws.com/prod", "eu-west-3"),
        (None, "https://a.execute-api.ap-south-1.amazonaws.com/prod", "ap-south-1"),
        (None, "http://localhost:3001", "us-east-1"),
    ],
)
def test_region(region: str | None, endpoint: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    if region:
        monkeypatch.setenv("AWS_REGION", region)
    assert _management._region_of(endpoint) == expected


def test_importing_the_module_does_not_import_boto3() -> None:
    code = "import lambda_adapter.websocket, sys; print('boto3' in sys.modules, 'asyncio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "False"]


def test_headers_are_documented_names_of_the_markers() -> None:
    assert websocket.HEADERS == {
        "event_type": "X-WebSocket-Event",
        "route_key": "X-WebSocket-Route-Key",
        "connection_id": "X-WebSocket-Connection-Id",
        "close_code": "X-WebSocket-Close-Code",
    }


def test_errors_other_than_gone_are_raised() -> None:
    from botocore.exceptions import ClientError

    error = {"Error": {"Code": "ForbiddenException"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
    forbidden = ClientError(error, "PostToConnection")  # type: ignore[arg-type]
    with pytest.raises(ClientError, match="ForbiddenException"):
        _management._gone(forbidden)
    gone = ClientError({"Error": {"Code": "410"}, "ResponseMetadata": {"HTTPStatusCode": 410}}, "PostToConnection")
    assert _management._gone(gone) is False


def test_a_message_over_128_kb_is_a_clear_error(moto_server: str, no_endpoint_variable: None) -> None:
    # AWS would answer a bare 413 (PayloadTooLargeException); the error says what and how much
    connection = uuid.uuid4().hex
    with pytest.raises(ValueError, match=r"131073 bytes .* over API Gateway's limit of 131072 bytes"):
        websocket.send(connection, b"x" * (128 * 1024 + 1), endpoint=moto_server)
    with pytest.raises(ValueError, match="131073 bytes"):
        websocket.send(connection, "\u00e9" * (64 * 1024) + "x", endpoint=moto_server)  # counted in UTF-8 bytes
    assert posted_to(connection) == b"", "nothing was sent"
    assert websocket.send(connection, b"y" * (128 * 1024), endpoint=moto_server)
    assert posted_to(connection) == b"y" * (128 * 1024)


def test_threads_share_one_client_per_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:9/{uuid.uuid4().hex}"  # never called: only the clients are made
    start, clients = threading.Barrier(6), []

    def make() -> None:
        start.wait()
        clients.append(_management.client_for(endpoint))

    threads = [threading.Thread(target=make) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 6, "every thread got a client (boto3's session raised in none)"
    assert all(client is clients[0] for client in clients), "one client made for the endpoint, not one per thread"


def test_a_stalled_management_api_fails_within_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # a send blocks the app's loop, where the Lambda deadline cannot cancel it: it must give up by itself
    import socket
    import time

    from botocore.exceptions import ReadTimeoutError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv(VARIABLE, raising=False)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (the kernel's backlog), never answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/{uuid.uuid4().hex}"
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            websocket.send("c1", "hello?", endpoint=endpoint)
        elapsed = time.monotonic() - started
    bound = _management.ATTEMPTS * (_management.READ_TIMEOUT + _management.CONNECT_TIMEOUT) + 2
    assert elapsed < bound < 30, f"took {elapsed:.1f} s"
