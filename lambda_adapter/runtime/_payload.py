"""What goes into the handler and what comes out of it, as the managed Python runtime (awslambdaric) does it.

Invariants:
- The event is the invocation's JSON; one that is no JSON is a ``Runtime.UnmarshalError`` of that
  invocation, a Client-Context or Cognito-Identity header that is no JSON a
  ``Runtime.LambdaContextUnmarshalError``: reported to ``/invocation/{id}/error``, never a crash of the loop.
- The result is sent as JSON; ``Decimal`` (what boto3 gives for DynamoDB numbers) is a JSON number;
  ``bytes`` go out as they are (``application/unknown``). Anything else is a ``Runtime.MarshalError``.
- A ``Fault`` is the runtime's own error: its ``Runtime.*`` type goes in the header and the document,
  with no stack trace (the user's code is not at fault in a way a trace would show).
"""

from __future__ import annotations

import json

from ._context import Context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._api import Invocation


class Fault(Exception):
    """An error the runtime reports under a ``Runtime.*`` type, as awslambdaric names them."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type

    def document(self, request_id: str = "") -> dict[str, Any]:
        return {"errorMessage": str(self), "errorType": self.error_type, "requestId": request_id, "stackTrace": []}


def to_event(invocation: Invocation) -> tuple[Any, Context]:
    """The event and the context of ``invocation``; ``Fault`` when the Runtime API sent something unreadable."""
    try:
        event = json.loads(invocation.body) if invocation.body else None
    except ValueError as exc:
        raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
    headers = {"Client Context": invocation.client_context, "Cognito Identity": invocation.identity}
    documents: dict[str, Any] = {}
    for name, text in headers.items():
        try:
            documents[name] = json.loads(text) if text else None
        except ValueError as exc:
            raise Fault("Runtime.LambdaContextUnmarshalError", f"Unable to parse {name} JSON: {exc}") from None
    context = Context(
        invocation.request_id,
        invocation.function_arn,
        invocation.deadline_ms,
        documents["Client Context"],
        documents["Cognito Identity"],
        invocation.tenant_id,
        invocation.trace_id,
    )
    return event, context


def to_payload(result: Any) -> tuple[bytes, str]:
    """The handler's result as the body and content type of ``/response``; ``Fault`` if it cannot be."""
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), "application/unknown"
    try:
        return json.dumps(result, default=_number).encode(), "application/json"
    except (TypeError, ValueError, OverflowError) as exc:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def _number(value: object) -> object:
    from decimal import Decimal

    if not isinstance(value, Decimal):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    if value.is_finite() and value == value.to_integral_value():
        return int(value)  # exact, however many digits
    return float(value)
