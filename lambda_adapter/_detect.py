"""Which source sent an event: one function and one table, every rule in one place (SPEC 2)."""

from __future__ import annotations

from ._errors import UnsupportedEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# What each recognised source is called in messages; the keys are what detect() returns.
NAMES = {
    "v1": "API Gateway REST / HTTP API payload 1.0",
    "v2": "HTTP API payload 2.0 / Lambda Function URL",
    "alb": "Application Load Balancer",
    "websocket": "API Gateway WebSocket",
    "edge": "CloudFront Lambda@Edge",
    "lattice_v1": "VPC Lattice payload 1.0",
    "lattice_v2": "VPC Lattice payload 2.0",
}


def detect(event: Any) -> str:
    """The source of ``event`` (a key of ``NAMES``), or ``UnsupportedEvent`` naming its keys."""
    if not isinstance(event, dict):
        raise UnsupportedEvent(f"expected the event to be a JSON object, got {type(event).__name__}")
    context = event.get("requestContext")
    if "methodArn" in event or "routeArn" in event:  # authorizer events look like requests
        raise _unsupported(event, "it is an API Gateway authorizer event, not a request")
    if isinstance(context, dict):
        if "elb" in context:
            return "alb"
        if "eventType" in context and "connectionId" in context:
            return "websocket"
        version = event.get("version")
        if version == "2.0" and "http" in context:
            return "v2"
        if version == "2.0" and ("serviceNetworkArn" in context or "serviceArn" in context):
            return "lattice_v2"
        if "httpMethod" in event and version in (None, "1.0"):
            return "v1"
    if "raw_path" in event and "method" in event:
        return "lattice_v1"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) and "cf" in records[0]:
        return "edge"
    raise _unsupported(event, "it matches no HTTP event source")


def _unsupported(event: dict[Any, Any], why: str) -> UnsupportedEvent:
    keys = ", ".join(sorted(map(str, event))) or "none"
    return UnsupportedEvent(f"cannot handle this event: {why} (top-level keys: {keys})")
