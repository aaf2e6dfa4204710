"""Non-HTTP events (SQS, SNS, S3, EventBridge, DynamoDB and Kinesis streams) posted to an app's route,
and the checks on what a handler of such an event returns.

Invariants:
- Pure, as every module of this package: the event in, an environ and a body out; the app's answer in,
  the Lambda result out. The caller chooses the route and runs the app.
- The event reaches the app as ``POST <route>`` with the event JSON as the body, as AWS delivered it.
- A result with ``batchItemFailures`` names only items of the batch: Lambda fails the whole batch on an
  identifier it does not know, so a wrong one is the app's error, said at once.
"""

from __future__ import annotations

import json

from .._model import EventFailed, InvalidResponse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._typing import Environ, Event, Response

# sources whose batches may report partial failures, and where each record keeps its identifier
_BATCH_IDS = {
    "sqs": ("messageId",),
    "kinesis": ("kinesis", "sequenceNumber"),
    "dynamodb": ("dynamodb", "SequenceNumber"),
}


def is_keep_warm(event: Event) -> bool:
    """Whether a scheduled event comes from a keep-warm rule: one whose name holds the whole word
    "keep-warm" (or keep_warm), as Zappa names it (<function>-zappa-keep-warm-handler.keep_warm_callback).
    A rule named "cache-warmer" is a real job and is not taken for a ping."""
    resources = event.get("resources")
    if not isinstance(resources, list) or not resources:
        return False
    words = "-" + str(resources[0]).rpartition("/")[2].lower().replace("_", "-").replace(".", "-") + "-"
    return "-keep-warm-" in words


def to_request(event: Event, route: str, source: str) -> tuple[Environ, bytes]:
    """The ``POST route`` request that carries ``event`` (from ``source``) to an app."""
    body = json.dumps(event, separators=(",", ":")).encode()
    environ: Environ = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": route,
        "QUERY_STRING": "",
        "RAW_URI": route,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "localhost",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_LAMBDA_EVENT_SOURCE": source,
    }
    return environ, body


# why an app refuses a POST it did not expect, by status
_HINTS = {
    301: "it redirects: does the route end with a slash the target lacks?",
    308: "it redirects: does the route end with a slash the target lacks?",
    400: "a Django app refuses the Host 'localhost' unless ALLOWED_HOSTS allows it",
    403: "CSRF protection? exempt the route (Django: csrf_exempt)",
    404: "no such route in the app",
    405: "the route does not take POST",
}


def from_response(response: Response, source: str, event: Event, route: str) -> Any:
    """The Lambda result for the app's answer: its JSON (or None); ``EventFailed`` for an error status."""
    if not 200 <= response.status < 300:
        hint = _HINTS.get(response.status)
        raise EventFailed(
            f"the app answered {response.status} to the {source} event posted to {route}"
            + (f" ({hint})" if hint else "")
            + "; raised so that the event source retries it"
        )
    media = next((value for name, value in response.headers if name.lower() == "content-type"), "")
    if "json" not in media.lower() or not response.body.strip():
        return None
    try:
        result = json.loads(response.body)
    except ValueError as exc:
        raise InvalidResponse(f"the app's JSON answer to the {source} event does not parse: {exc}") from None
    return checked_result(result, source, event)


def checked_result(result: Any, source: str, event: Event) -> Any:
    """``result`` as it is, once its ``batchItemFailures`` (if any) are known to name items of the batch."""
    if source not in _BATCH_IDS or not isinstance(result, dict) or "batchItemFailures" not in result:
        return result
    failures = result["batchItemFailures"]
    if failures is None:  # Lambda takes a null list as "no failures"
        return result
    if not isinstance(failures, list) or not all(isinstance(item, dict) for item in failures):
        raise InvalidResponse('batchItemFailures must be a list of {"itemIdentifier": ...} objects')
    # a null or empty itemIdentifier fails the whole batch (AWS: services-ddb-batchfailurereporting.html)
    known = {ident for ident in _batch_ids(event, _BATCH_IDS[source]) if isinstance(ident, str)}
    unknown = [ident for ident in (item.get("itemIdentifier") for item in failures)
               if not isinstance(ident, str) or ident not in known]  # fmt: skip
    if unknown:
        raise InvalidResponse(f"batchItemFailures names items that are not in the {source} batch: {unknown!r}")
    return result


def _batch_ids(event: Event, path: tuple[str, ...]) -> list[Any]:
    found = []
    for record in event.get("Records", ()):
        value = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        found.append(value)
    return found
