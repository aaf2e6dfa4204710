"""Connection stores: each WebSocket connection's connect-time request, by connection id.

API Gateway sends the client's headers and query only with ``$connect``; later events carry
the connection id alone. A store keeps the connect request (a CGI environ: str to str) so every
event reaches the app as the same request, and lists the connections so an app can broadcast.

Invariants: a store holds only what ``save`` was given (JSON-safe strings); ``load`` of an
unknown or expired id is None, never an error (the event still reaches the app, and a warning
says the connect-time request is missing); boto3 is imported only by ``DynamoDBStore``, its
client made once under a lock; reads are strongly consistent (a broadcast right after a connect
lists it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from .._events.websocket import CONNECT, DISCONNECT, to_request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._events.websocket import Frame
    from .._options import Options
    from .._typing import Environ, Event


@runtime_checkable
class ConnectionStore(Protocol):
    """Where connections keep their connect-time request; every method may block (I/O)."""

    def save(self, connection_id: str, request: Mapping[str, str]) -> None:
        """Keep ``request`` (the connect request's CGI variables) for ``connection_id``."""

    def load(self, connection_id: str) -> dict[str, str] | None:
        """The request kept for ``connection_id``, or None."""

    def delete(self, connection_id: str) -> None:
        """Forget ``connection_id`` (no error if unknown)."""

    def connections(self) -> Iterator[str]:
        """The ids of the connections kept (for a broadcast)."""


class MemoryStore:
    """A store in this process's memory: one Lambda container, tests and local runs.

    On Lambda each container has its own: a message that reaches another container than its
    connect did finds nothing (the app still runs, with what that event tells). Use
    ``DynamoDBStore`` in production.
    """

    def __init__(self) -> None:
        self._requests: dict[str, dict[str, str]] = {}

    def save(self, connection_id: str, request: Mapping[str, str]) -> None:
        self._requests[connection_id] = dict(request)

    def load(self, connection_id: str) -> dict[str, str] | None:
        request = self._requests.get(connection_id)
        return dict(request) if request is not None else None

    def delete(self, connection_id: str) -> None:
        self._requests.pop(connection_id, None)

    def connections(self) -> Iterator[str]:
        return iter(list(self._requests))


class DynamoDBStore:
    """A store in a DynamoDB table (partition key ``connection_id``, a string) with TTL.

    Items: ``connection_id``, ``request`` (the request as JSON), ``expires_at`` (epoch seconds;
    turn on TTL for that attribute). API Gateway closes a connection after 2 hours at most, so
    that is the default ``ttl``. Expired items that TTL has not removed yet are not listed.
    """

    def __init__(self, table_name: str, *, ttl: int = 7200, client: Any = None) -> None:
        if not table_name or not isinstance(table_name, str):
            raise ValueError(f"DynamoDBStore needs a table name, got {table_name!r}")
        self.table_name = table_name
        self.ttl = ttl
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 DynamoDB client (AWS_ENDPOINT_URL_DYNAMODB is honoured by boto3 itself)."""
        with self._lock:  # boto3's default session is not thread-safe; one client per store
            if self._client is None:
                import boto3

                self._client = boto3.client("dynamodb")
        return self._client

    def save(self, connection_id: str, request: Mapping[str, str]) -> None:
        import json

        item = {
            "connection_id": {"S": connection_id},
            "request": {"S": json.dumps(dict(request), separators=(",", ":"))},
            "expires_at": {"N": str(int(time.time()) + self.ttl)},
        }
        self.client.put_item(TableName=self.table_name, Item=item)

    def load(self, connection_id: str) -> dict[str, str] | None:
        key = {"connection_id": {"S": connection_id}}
        item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        if item is None or int(item["expires_at"]["N"]) < time.time():
            return None
        import json

        request: dict[str, str] = json.loads(item["request"]["S"])
        return request

    def delete(self, connection_id: str) -> None:
        self.client.delete_item(TableName=self.table_name, Key={"connection_id": {"S": connection_id}})

    def connections(self) -> Iterator[str]:
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            ConsistentRead=True,  # a scan is eventually consistent by default: it could miss a new connection
            ProjectionExpression="connection_id",
            FilterExpression="expires_at > :now",
            ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
        )
        for page in pages:
            for item in page.get("Items", ()):
                yield item["connection_id"]["S"]


def request_for(frame: Frame, event: Event, store: ConnectionStore, options: Options, path: str) -> Environ:
    """The connect request of ``frame``'s connection: the event's own at connect, else the stored
    one, else what this event tells (a store that lost it: another container, an expired item)."""
    if frame.event_type != CONNECT:
        stored = store.load(frame.connection_id)
        if stored is not None:
            return stored
        _warn_unknown(frame, store)
    return to_request(event, options, path)


def _warn_unknown(frame: Frame, store: ConnectionStore) -> None:
    logging.getLogger("lambda_adapter").warning(
        "WebSocket connection %s is not in the %s (%s event): the app gets no connect-time path, query or "
        "headers; a MemoryStore is per container, so use a DynamoDBStore on Lambda",
        frame.connection_id,
        type(store).__name__,
        frame.event_type,
    )


def settle(frame: Frame, store: ConnectionStore, request: Environ, accepted: bool) -> None:
    """After the app ran: keep an accepted connect's request, forget a disconnected connection."""
    if frame.event_type == CONNECT and accepted:
        store.save(frame.connection_id, request)
    elif frame.event_type == DISCONNECT:
        store.delete(frame.connection_id)
