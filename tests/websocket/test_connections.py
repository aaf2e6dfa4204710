"""Connection stores: the in-memory one, and the DynamoDB one against a local moto server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from lambda_adapter._events.websocket import Frame
from lambda_adapter._options import Options
from lambda_adapter.testing import websocket_event
from lambda_adapter.websocket import ConnectionStore, DynamoDBStore, MemoryStore
from lambda_adapter.websocket._stores import request_for

REQUEST = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "name=ann", "HTTP_COOKIE": "a=1; b=\u00e9"}


@pytest.fixture
def table(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh DynamoDB table on the moto server, TTL on ``expires_at``, as the chat template has it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server)
    client = boto3.client("dynamodb")
    name = f"connections-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "connection_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connection_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    yield name
    client.delete_table(TableName=name)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> ConnectionStore:
    if request.param == "memory":
        return MemoryStore()
    return DynamoDBStore(request.getfixturevalue("table"))


def test_a_store_keeps_lists_and_forgets(store: ConnectionStore) -> None:
    assert isinstance(store, ConnectionStore)
    assert store.load("a") is None
    store.save("a", REQUEST)
    store.save("b", {**REQUEST, "QUERY_STRING": "name=bob"})
    assert store.load("a") == REQUEST
    assert sorted(store.connections()) == ["a", "b"]
    store.save("a", {**REQUEST, "QUERY_STRING": "name=ann2"})  # a reconnect under the same id replaces
    assert store.load("a") == {**REQUEST, "QUERY_STRING": "name=ann2"}
    store.delete("a")
    store.delete("never-there")
    assert store.load("a") is None
    assert list(store.connections()) == ["b"]


def test_memory_store_hands_out_copies() -> None:
    store = MemoryStore()
    request = dict(REQUEST)
    store.save("a", request)
    request["PATH_INFO"] = "/changed"
    loaded = store.load("a")
    assert loaded is not None
    loaded["PATH_INFO"] = "/changed too"
    assert store.load("a") == REQUEST


def test_dynamodb_items_carry_a_ttl_and_expired_ones_are_ignored(table: str) -> None:
    store = DynamoDBStore(table, ttl=60)
    store.save("fresh", REQUEST)
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"connection_id": {"S": "fresh"}})["Item"]
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 60)) < 5
    DynamoDBStore(table, ttl=-10).save("stale", REQUEST)  # expired, not yet removed by TTL
    assert store.load("stale") is None
    assert list(store.connections()) == ["fresh"]


def test_dynamodb_lists_past_one_page(table: str) -> None:
    store = DynamoDBStore(table)
    big = {**REQUEST, "HTTP_X_PAD": "x" * 30_000}  # 40 items of 30 kB: more than one 1 MB scan page
    for number in range(40):
        store.save(f"c{number:02}", big)
    assert sorted(store.connections()) == [f"c{number:02}" for number in range(40)]


def test_dynamodb_store_needs_a_table_name() -> None:
    with pytest.raises(ValueError, match="table name"):
        DynamoDBStore("")


def test_dynamodb_store_takes_a_client(table: str, moto_server: str) -> None:
    client: Any = boto3.client("dynamodb", endpoint_url=moto_server)
    store = DynamoDBStore(table, client=client)
    store.save("a", REQUEST)
    assert store.client is client and store.load("a") == REQUEST


def test_request_for_takes_the_stored_request_else_what_the_event_tells() -> None:
    store, options = MemoryStore(), Options()
    connect = websocket_event(event_type="CONNECT", connection_id="c1", query="name=ann")
    assert request_for(Frame(connect), connect, store, options, "/")["QUERY_STRING"] == "name=ann"
    store.save("c1", {**REQUEST, "QUERY_STRING": "name=stored"})
    message = websocket_event(event_type="MESSAGE", connection_id="c1")
    assert request_for(Frame(message), message, store, options, "/")["QUERY_STRING"] == "name=stored"
    lost = websocket_event(event_type="MESSAGE", connection_id="c2")
    fallback = request_for(Frame(lost), lost, store, options, "/chat")
    assert (fallback["QUERY_STRING"], fallback["SERVER_NAME"]) == ("", "abc123.execute-api.us-east-1.amazonaws.com")
    assert fallback["PATH_INFO"] == "/chat"


def test_an_event_of_a_connection_the_store_does_not_know_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    store, options = MemoryStore(), Options()
    store.save("known", REQUEST)
    with caplog.at_level(logging.WARNING, "lambda_adapter"):
        for event_type in ("MESSAGE", "DISCONNECT"):
            known = websocket_event(event_type=event_type, connection_id="known")
            assert request_for(Frame(known), known, store, options, "/") == REQUEST
        assert caplog.text == "", "a known connection is not logged"
        lost = websocket_event(event_type="DISCONNECT", connection_id="cold")
        assert request_for(Frame(lost), lost, store, options, "/")["PATH_INFO"] == "/"
    assert "connection cold is not in the MemoryStore (DISCONNECT event)" in caplog.text
    assert "use a DynamoDBStore" in caplog.text
