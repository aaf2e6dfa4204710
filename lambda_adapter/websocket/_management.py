"""The API Gateway Management API: send to and close WebSocket connections (``@connections/{id}``).

Invariants:
- boto3 is imported on the first send or close, never before: it costs ~100 ms of start-up and
  is part of the Lambda Python runtime (the ``websocket`` extra elsewhere).
- The endpoint is, first that is set: ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` (the AWS SDKs'
  setting for this service, so local emulators work without code changes), the ``adapt()``
  option ``websocket_endpoint``, the event's ``https://{domainName}/{stage}``.
- One client per endpoint per process, kept (a client is thread-safe and costs ~50 ms to make).
- A connection that is gone (HTTP 410) is ``False``, not an error; other failures raise.
- A message over API Gateway's payload quota (128 KB) is a ``ValueError`` that says so, raised
  before any call: AWS would answer a bare 413 (PayloadTooLargeException).
- A call is bounded (``CONNECT_TIMEOUT``, ``READ_TIMEOUT``, ``ATTEMPTS``): it blocks the app's loop,
  where the Lambda deadline cannot cancel it, and botocore's defaults (60 s, 5 attempts) would
  outlast any Lambda timeout on a stalled endpoint.
- Clients are made under a lock: boto3's default session is not thread-safe (a WSGI app may send
  from threads), and two threads must not each pay ~50 ms for a client of the same endpoint.
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"
MAX_PAYLOAD = 128 * 1024  # API Gateway's "message payload size" quota for WebSocket APIs (fixed)
CONNECT_TIMEOUT, READ_TIMEOUT, ATTEMPTS = 3.0, 5.0, 2  # seconds, seconds, calls in all (one retry)
_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def resolve_endpoint(derived: str, option: str | None) -> str:
    """The Management API endpoint to use for an event whose domain and stage give ``derived``."""
    return os.environ.get(ENDPOINT_VARIABLE) or option or derived


def client_for(endpoint: str) -> Any:
    """The boto3 ``apigatewaymanagementapi`` client of ``endpoint``, made once."""
    client = _CLIENTS.get(endpoint)
    if client is not None:
        return client
    if not endpoint.startswith(("https://", "http://")):
        raise ValueError(f"no Management API endpoint to send to (got {endpoint!r}): pass websocket_endpoint")
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(endpoint)
        if client is None:
            client = _new_client(endpoint)
            _CLIENTS[endpoint] = client
    return client


def _new_client(endpoint: str) -> Any:
    import boto3  # lazily: only a function that sends pays for it
    from botocore.config import Config  # type: ignore[import-untyped]  # boto3 brings it; no stubs

    retries: Any = {"mode": "standard", "total_max_attempts": ATTEMPTS}
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries=retries)
    region = _region_of(endpoint)
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name=region, config=config)


def _region_of(endpoint: str) -> str:
    """The region: the runtime's, else the execute-api host's, else us-east-1 (local emulators)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    host = endpoint.partition("://")[2].partition("/")[0]
    parts = host.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "execute-api" else "us-east-1"


def post(endpoint: str, connection_id: str, data: bytes) -> bool:
    """``POST @connections/{id}``: True when sent, False when the connection is gone."""
    if len(data) > MAX_PAYLOAD:
        raise ValueError(
            f"a WebSocket message of {len(data)} bytes to connection {connection_id} is over API Gateway's "
            f"limit of {MAX_PAYLOAD} bytes (128 KB): split it into smaller messages"
        )
    client = client_for(endpoint)
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
    except Exception as exc:
        return _gone(exc)
    return True


def delete(endpoint: str, connection_id: str) -> bool:
    """``DELETE @connections/{id}``: True when closed, False when it was gone already."""
    client = client_for(endpoint)
    try:
        client.delete_connection(ConnectionId=connection_id)
    except Exception as exc:
        return _gone(exc)
    return True


def _gone(exc: Exception) -> bool:
    """False for an HTTP 410, else ``exc`` raised again. By status, not by GoneException: local
    emulators (serverless-offline) answer a bare 410 that botocore cannot name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 410:
        return False
    raise exc
