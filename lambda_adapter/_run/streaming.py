"""Streamed answers: the sink that writes a Function URL's answer as the app sends it, for
``handler.stream(event, context, write)`` and the runtime loop in ``RESPONSE_STREAM`` mode.

Invariants:
- Only the transport differs from the buffered path: the pipeline (``_adapt``), the translator, the
  rules of ``answers.Answer`` (no body for HEAD, 1xx, 204, 304; excluded headers) and the adapter's
  own answers are the same; ``apigw_v2.to_prelude`` shares its header rules with ``from_response``.
- ``write`` gets the prelude (JSON, then 8 NUL bytes) at ``start``, then each body part at once.
- Only a Function URL (its host is ``*.lambda-url.*``) is invoked in streaming mode; API Gateway
  invokes a function buffered and would take the prelude and NUL bytes for the payload.
- Imported on the first streamed event: a buffered function pays nothing for it.
"""

from __future__ import annotations

from .._errors import InvalidResponse
from .answers import Answer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._model import Event, Sink

# Lambda streams at most 200 MB per answer (the first 6 MB at full speed, the rest at 2 MB/s):
# docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
STREAM_LIMIT = 200 * 1024 * 1024


class Streamed(Answer):
    """The answer written through the sink as it comes: the prelude once, then the body parts."""

    __slots__ = ("_sink", "sent")

    def __init__(self, head: bool, exclude: frozenset[str], sink: Sink) -> None:
        super().__init__(head, exclude)
        self._sink = sink
        self.sent = 0

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        from .._events.apigw_v2 import to_prelude

        self.committed = True  # from here on, a failure can only cut the stream short
        self._sink.write(to_prelude(status, headers))

    def _body(self, chunk: bytes) -> None:
        self.sent += len(chunk)
        if self.sent > STREAM_LIMIT:
            raise InvalidResponse(f"the streamed answer passed Lambda's limit of {STREAM_LIMIT} bytes")
        self._sink.write(chunk)

    def _end(self) -> None:
        self._sink.end()


def is_function_url(event: Event) -> bool:
    """Whether a 2.0-shaped event comes from a Function URL (which can stream) rather than an HTTP API."""
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    return isinstance(domain, str) and ".lambda-url." in domain
