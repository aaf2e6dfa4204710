"""What goes into the handler and what comes out of it, as the managed Python runtime (awslambdaric) does it.

Invariants:
- The event is the invocation's JSON; one that is no JSON is a ``Runtime.UnmarshalError`` of that
  invocation, a Client-Context or Cognito-Identity header that is no JSON a
  ``Runtime.LambdaContextUnmarshalError``: reported to ``/invocation/{id}/error``, never a crash of the loop.
- The result is sent as JSON, written as awslambdaric's simplejson writes it: a ``Decimal`` (what boto3
  gives for DynamoDB numbers) is the number as written, every digit kept; ``bytes`` inside the result
  are UTF-8 text; text is UTF-8 on the python3.12 runtimes and later, escaped to ASCII before
  (``ASCII_ONLY``). A result that is ``bytes`` goes out as it is (``application/unknown``). Anything
  else is a ``Runtime.MarshalError``.
- A ``Fault`` is the runtime's own error: its ``Runtime.*`` type goes in the header and the document,
  with no stack trace (the user's code is not at fault in a way a trace would show).
"""

from __future__ import annotations

import json
import os

from .._run import written_json
from ._api import ASCII_ONLY
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
        return written_json(lambda ascii_only: _dumps(result, ascii_only), ASCII_ONLY), "application/json"
    except (TypeError, ValueError, OverflowError) as exc:  # ValueError: bytes that are no UTF-8 too
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def _dumps(result: Any, ascii_only: bool) -> str:
    exact = _Exact()
    return exact.written(json.dumps(result, default=exact, ensure_ascii=ascii_only))


class _Exact:
    """``default`` of ``json.dumps`` for what simplejson writes and json does not: bytes as UTF-8 text, a
    Decimal as written (json has no raw numbers: a placeholder no result can hold, replaced after)."""

    def __init__(self) -> None:
        self.numbers: list[str] = []
        self.mark = ""

    def __call__(self, value: object) -> object:
        from decimal import Decimal

        if isinstance(value, bytes):
            return value.decode()
        if not isinstance(value, Decimal):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        if value.is_nan():
            return float("nan")
        self.mark = self.mark or os.urandom(12).hex()  # unguessable: no text of the result is taken for it
        self.numbers.append(str(value))
        return f"{self.mark}:{len(self.numbers) - 1}"

    def written(self, text: str) -> str:
        if not self.numbers:
            return text
        import re

        return re.sub(f'"{self.mark}:([0-9]+)"', lambda match: self.numbers[int(match[1])], text)
