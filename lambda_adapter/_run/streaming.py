"""Streamed answers: the sink that writes a Function URL's or a REST API's answer as the app sends it,
for ``handler.stream(event, context, write)`` and the runtime loop in streaming mode.

Invariants:
- Only the transport differs from the buffered path: the pipeline (``_adapt``), the translator, the
  rules of ``_run.Answer`` (no body for HEAD, 1xx, 204, 304; excluded headers) and the adapter's
  own answers are the same; each translator's ``to_prelude`` (``apigw_v2`` for Function URLs,
  ``apigw_v1`` for REST APIs) shares its header rule with its ``from_response``.
- ``write`` gets the prelude (JSON, then 8 NUL bytes) at ``start``, then each body part at once.
- Only Function URLs (their host is ``*.lambda-url.*``) and REST APIs (an integration with
  ``responseTransferMode: STREAM``) invoke a function in streaming mode (``streamable``); HTTP APIs
  and ALB invoke it buffered and would take the prelude and NUL bytes for the payload.
- Imported on the first streamed event: a buffered function pays nothing for it.
"""

from __future__ import annotations

from .._model import InvalidResponse
from . import Answer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .._typing import Event, Sink

    Prelude = Callable[[int, list[tuple[str, str]]], bytes]

# Lambda streams at most 200 MB per answer (the first 6 MB at full speed, the rest at 2 MB/s):
# docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
STREAM_LIMIT = 200 * 1024 * 1024


class Streamed(Answer):
    """The answer written through the sink as it comes: the prelude once, then the body parts."""

    __slots__ = ("_prelude", "_sink", "sent")
    streamed = True

    def __init__(self, head: bool, exclude: frozenset[str], sink: Sink, prelude: Prelude) -> None:
        super().__init__(head, exclude)
        self._sink = sink
        self._prelude = prelude  # the source translator's to_prelude
        self.sent = 0

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.committed = True  # from here on, a failure can only cut the stream short
        self._sink.write(self._prelude(status, headers))

    def _body(self, chunk: bytes) -> None:
        self.sent += len(chunk)
        if self.sent > STREAM_LIMIT:
            raise InvalidResponse(f"the streamed answer passed Lambda's limit of {STREAM_LIMIT} bytes")
        self._sink.write(chunk)

    def _end(self) -> None:
        self._sink.end()

    async def drained(self) -> None:
        """Until the sink can take more: a sink that posts in another thread (the runtime loop's one-loop
        slots) says when; any other takes each part at once."""
        drained = getattr(self._sink, "drained", None)
        if drained is not None:
            await drained()


def streamable(source: str, event: Event) -> bool:
    """Whether an event of ``source`` comes from what can take a streamed answer: a Function URL (not an
    HTTP API, whose 2.0 events have the same shape) or a REST API (not an HTTP API's payload 1.0, whose
    events say ``"version": "1.0"``). A REST API streams only through an integration set to
    ``responseTransferMode: STREAM``: with streaming on, every REST API that invokes the function must be."""
    if source == "v1":
        return event.get("version") is None
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    return source == "v2" and isinstance(domain, str) and ".lambda-url." in domain
