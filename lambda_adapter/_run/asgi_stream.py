"""The ASGI runner, streaming: each ``http.response.body`` goes out as the app sends it.

Invariants:
- The same loop, lifespan and message rules as ``asgi`` (its ``Container`` and ``Cycle``): only
  the transport differs. The status and headers go out at ``http.response.start``, so a client
  of Server-Sent Events sees them at once; each body chunk goes out before ``send`` returns (the
  write blocks: that is the back-pressure).
- A write that fails (the Runtime API connection is gone) raises into the app, and ``receive``
  answers ``http.disconnect`` from then on, so a streaming app stops.
- Near the deadline the app is cancelled; before the first byte that is a 504, after it the
  stream ends with error trailers (the runtime's part).
"""

from __future__ import annotations

from .._errors import DeadlineExceeded, InvalidResponse
from .._events.response import checked_headers
from .._events.scope import to_scope
from .asgi import COMPLETE, START, Container, Cycle
from .faults import gateway_timeout, logger, request_id, seconds_left, server_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .._model import Environ, Event, LambdaContext, Options, Sink
    from .asgi import ASGIApp, Message

    StreamRunner = Callable[[Environ, bytes, Event, LambdaContext, Sink], None]

_DISCONNECT: Message = {"type": "http.disconnect"}


class _StreamCycle(Cycle):
    """``Cycle``'s rules, with the answer sent through the sink as it comes."""

    __slots__ = ("gone", "sink")

    def __init__(self, body: bytes, sink: Sink) -> None:
        super().__init__(body)
        self.sink = sink
        self.gone = False

    async def receive(self) -> Message:
        if self.gone:
            return _DISCONNECT
        return await super().receive()

    async def send(self, message: Message) -> None:
        if self.gone:
            raise ConnectionError("the client is gone: the Runtime API connection closed")
        await super().send(message)
        try:
            if self.state != START and not self.sink.started:
                self.sink.start(self.status, checked_headers(self.headers))
            if self.chunks:
                chunks, self.chunks = self.chunks, []
                for chunk in chunks:
                    self.sink.body(chunk)
        except OSError:
            self.gone = True
            if self.done is not None:
                self.done.set()  # a receive() waiting now answers http.disconnect
            raise


def make_stream_runner(app: ASGIApp, options: Options, container: Container) -> StreamRunner:
    """The streaming runner, sharing ``container`` (loop and lifespan) with the buffered one."""
    margin = options.deadline_margin

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext, sink: Sink) -> None:
        loop = container.ready_loop()
        cycle = _StreamCycle(body, sink)
        scope = to_scope(environ, container.state(), event, context)
        try:
            loop.run(app(scope, cycle.receive, cycle.send), seconds_left(context, margin))
            if cycle.state != COMPLETE:
                raise InvalidResponse(f"the ASGI app returned with the response at {cycle.state!r}")
        except DeadlineExceeded as exc:
            logger().error("cancelled the ASGI app near the Lambda deadline (request %s): %s", request_id(context), exc)
            if cycle.state == COMPLETE:
                return
            if sink.started:
                raise
            sink.whole(gateway_timeout())
        except Exception:
            if cycle.state == COMPLETE and not cycle.gone:  # the answer was whole: it stands
                logger().exception("the ASGI app failed after its response (request %s)", request_id(context))
            elif sink.started or cycle.gone:
                raise
            else:
                logger().exception("the ASGI app failed (request %s)", request_id(context))
                sink.whole(server_error())

    return run
