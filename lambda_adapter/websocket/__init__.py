"""API Gateway WebSocket APIs: send to and close any connection, and the connection stores.

```python
from lambda_adapter import adapt, websocket

store = websocket.DynamoDBStore("connections")
handler = adapt(app, connection_store=store)

# in the app, on any WebSocket event (scope for ASGI, environ for WSGI):
for connection_id in store.connections():
    websocket.send(connection_id, "hello", endpoint=scope)
```

``endpoint`` is the Management API URL, or the scope / environ of the current WebSocket
event, whose ``aws.websocket`` entry holds the endpoint the adapter chose for it:
``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` if set, else ``adapt(websocket_endpoint=...)``,
else ``https://{domainName}/{stage}`` of the event. boto3 is imported on the first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._events.websocket import INVOCATION_ENDED, MARKERS
from . import _management
from ._stores import ConnectionStore, DynamoDBStore, MemoryStore

__all__ = ["HEADERS", "INVOCATION_ENDED", "ConnectionStore", "DynamoDBStore", "MemoryStore", "close", "send"]

# the headers that mark a WebSocket event for a WSGI app, by what they carry
HEADERS = {
    "event_type": "X-WebSocket-Event",  # CONNECT, MESSAGE or DISCONNECT
    "route_key": "X-WebSocket-Route-Key",  # $connect, $disconnect, $default or the custom route
    "connection_id": "X-WebSocket-Connection-Id",
    "close_code": "X-WebSocket-Close-Code",  # DISCONNECT only: the client's close code
}
assert all(MARKERS[what] == "HTTP_" + name.upper().replace("-", "_") for what, name in HEADERS.items())


def send(connection_id: str, data: str | bytes, *, endpoint: str | Mapping[str, Any]) -> bool:
    """Send ``data`` (text or binary) to a connection; False when the connection is gone.
    ``ValueError`` when ``data`` is over API Gateway's 128 KB message quota (nothing is sent)."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return _management.post(_endpoint(endpoint), connection_id, payload)


def close(connection_id: str, *, endpoint: str | Mapping[str, Any]) -> bool:
    """Close a connection; False when it was gone already."""
    return _management.delete(_endpoint(endpoint), connection_id)


def _endpoint(endpoint: str | Mapping[str, Any]) -> str:
    if isinstance(endpoint, str):
        return _management.resolve_endpoint(endpoint.rstrip("/"), None)
    info = endpoint.get("aws.websocket")
    if not isinstance(info, Mapping):
        raise ValueError("endpoint: this scope or environ is not of a WebSocket event (no 'aws.websocket')")
    return str(info["endpoint"])
