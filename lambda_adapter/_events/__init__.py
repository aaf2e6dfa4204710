"""Which source sent an event (``detect``: one function and one table, every rule in one place,
SPEC 2), and one module per payload format, all with the same two functions.

Rules of this package (as in h11's core):
1. Pure: an event dict and the options in, a CGI environ and the body out; a ``Response`` in, a result dict
   out. No I/O, no app calls, no ``os.environ``, no logging, no asyncio.
2. Every module implements ``EventSource``; ``adapt`` reaches them only through ``SOURCES``
   (filled by ``load``).
3. A part of the wrong type raises ``BadRequest`` (a 400), a recognised event without its method
   ``UnsupportedEvent`` (the rules of ``cgi``); anything else escaping is a bug of the adapter,
   which the shell answers with a 500 and a traceback in the log, never a 400.
"""

from __future__ import annotations

from .._model import UnsupportedEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from .._options import Options
    from .._typing import Environ, Event, Response, Result

    class EventSource(Protocol):
        """What every payload-format module provides."""

        def to_request(self, event: Event, options: Options) -> tuple[Environ, bytes]: ...

        def from_response(self, response: Response, event: Event, options: Options) -> Result: ...


# source (as detect() names it) -> module; a module is imported on its source's first event,
# so a cold start pays only for the formats the function really receives
_MODULES = {
    "v1": "apigw_v1",
    "v2": "apigw_v2",
    "alb": "alb",
    "edge": "edge",
    "lattice_v1": "lattice_v1",
    "lattice_v2": "lattice_v2",
}
SOURCES: dict[str, EventSource] = {}


def load(source: str) -> EventSource | None:
    """The module of ``source``, imported once; None for a source without one."""
    name = _MODULES.get(source)
    if name is None:
        return None
    module: EventSource = __import__(f"{__name__}.{name}", fromlist=("to_request",))
    SOURCES[source] = module
    return module


# What each recognised source is called in messages; the keys are what detect() returns.
NAMES = {
    "v1": "API Gateway REST / HTTP API payload 1.0",
    "v2": "HTTP API payload 2.0 / Lambda Function URL",
    "alb": "Application Load Balancer",
    "websocket": "API Gateway WebSocket",
    "edge": "CloudFront Lambda@Edge",
    "lattice_v1": "VPC Lattice payload 1.0",
    "lattice_v2": "VPC Lattice payload 2.0",
    "sqs": "SQS",
    "sns": "SNS",
    "s3": "S3",
    "dynamodb": "DynamoDB Streams",
    "kinesis": "Kinesis Data Streams",
    "eventbridge": "EventBridge",
    "schedule": "EventBridge scheduled",
    "warmup": "warm-up ping",
}
# the sources that are not HTTP requests: _route dispatches them
NON_HTTP = frozenset(("sqs", "sns", "s3", "dynamodb", "kinesis", "eventbridge", "schedule", "warmup"))
# Records[0]'s eventSource (SNS spells it EventSource) -> source
_RECORD_SOURCES = {
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:s3": "s3",
    "aws:dynamodb": "dynamodb",
    "aws:kinesis": "kinesis",
}


def detect(event: Any) -> str:
    """The source of ``event`` (a key of ``NAMES``), or ``UnsupportedEvent`` naming its keys.

    Each format is known by the fewest keys that identify it; every other part may be missing or
    null (hand-made and console test events): the translator says what it cannot do without.
    """
    if not isinstance(event, dict):
        raise UnsupportedEvent(f"expected the event to be a JSON object, got {type(event).__name__}")
    if "methodArn" in event or "routeArn" in event:  # authorizer events look like requests
        raise unsupported(event, "it is an API Gateway authorizer event, not a request")
    context = event.get("requestContext")
    if isinstance(context, dict):  # every real API Gateway, ALB and Lattice 2.0 event: the fast path
        if "elb" in context:
            return "alb"
        if "eventType" in context and "connectionId" in context:
            return "websocket"
        version = event.get("version")
        if version == "2.0":
            if "http" in context:
                return "v2"
            if "serviceNetworkArn" in context or "serviceArn" in context:
                return "lattice_v2"
        elif "httpMethod" in event and "path" in event and (version is None or version == "1.0"):
            return "v1"
    elif "Records" in event:  # Lambda@Edge, queues and streams
        return _other_source(event)
    if "raw_path" in event and "method" in event:
        return "lattice_v1"
    return _without_context(event)


def _without_context(event: dict[Any, Any]) -> str:
    """The source of an event without the requestContext that identifies it (or a null one)."""
    version = event.get("version")
    if version is None or version == "1.0":
        # REST (and HTTP API 1.0): httpMethod and path, or resource; a WebSocket event has neither
        if ("httpMethod" in event and "path" in event) or "resource" in event:
            return "v1"
    elif version == "2.0" and "rawPath" in event:
        return "v2"
    return _other_source(event)


def _other_source(event: dict[Any, Any]) -> str:
    """The source of an event without an HTTP request context: Lambda@Edge, queues, streams, schedules."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        if "cf" in first:
            return "edge"
        name = first.get("eventSource") or first.get("EventSource")
        if isinstance(name, str) and name in _RECORD_SOURCES:
            return _RECORD_SOURCES[name]
    if "detail-type" in event and "source" in event:
        return "schedule" if event["detail-type"] == "Scheduled Event" else "eventbridge"
    # serverless-plugin-warmup's default payload; {"warmer": true} from lambda-warmer
    if event.get("source") == "serverless-plugin-warmup" or event.get("warmer") is True:
        return "warmup"
    raise unsupported(event, "it matches no event source")


def unsupported(event: dict[Any, Any], why: str) -> UnsupportedEvent:
    keys = ", ".join(sorted(map(str, event))) or "none"
    return UnsupportedEvent(f"cannot handle this event: {why} (top-level keys: {keys})")
