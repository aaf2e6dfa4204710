"""The ASGI runner: one event loop per container, lifespan once, one HTTP cycle per event.

Invariants:
- One loop per process (a Lambda container), made by this module and kept; never
  ``get_event_loop()``. If something closed it, a new one is made and lifespan starts again.
- Lifespan startup runs once per container (first event, or ``adapt()`` when eager); shutdown
  runs on SIGTERM, then the handler that was installed before runs.
- The HTTP cycle is the state machine of ``Cycle``; a message out of order is an
  ``InvalidResponse`` raised into the app.
- Its streaming twin ``asgi_stream`` extends ``Cycle`` and shares the runner's ``Container``: one
  set of rules, two transports (the only module that imports this one besides ``_adapt``).
"""

from __future__ import annotations

import asyncio
import threading

from .._errors import DeadlineExceeded, InvalidResponse
from .._events.response import checked_headers
from .._events.scope import to_scope
from .._model import Response, seconds_left
from .container import EagerLoop, Lifespan, container_loop
from .faults import gateway_timeout, logger, request_id, server_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any

    from .._model import Environ, Event, LambdaContext, Options

    Message = dict[str, Any]
    ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]

# The states of one HTTP cycle, in order.
START, BODY, TRAILERS, COMPLETE = "start", "body", "trailers", "complete"


class Cycle:
    """One request and its response: ``receive`` and ``send`` for the app."""

    __slots__ = ("body", "chunks", "done", "headers", "received", "state", "status", "trailers")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.state = START
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.trailers = False
        self.done: asyncio.Event | None = None
        self.received = False

    async def receive(self) -> Message:
        if not self.received:
            self.received = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        if self.state != COMPLETE:  # the client stays until the response is complete
            if self.done is None:
                self.done = asyncio.Event()
            await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if self.state == START and kind == "http.response.start":
            self.status = int(message["status"])
            self.headers = [
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in message.get("headers", ())
            ]
            self.trailers = bool(message.get("trailers", False))
            self.state = BODY
        elif self.state == BODY and kind == "http.response.body":
            chunk = message.get("body", b"")
            if chunk:
                self.chunks.append(bytes(chunk))
            if not message.get("more_body", False):
                self._advance(TRAILERS if self.trailers else COMPLETE)
        elif self.state == TRAILERS and kind == "http.response.trailers":
            if not message.get("more_trailers", False):  # Lambda results carry no trailers
                self._advance(COMPLETE)
        else:
            raise InvalidResponse(f"ASGI message {kind!r} is out of order: the response is at {self.state!r}")

    def _advance(self, state: str) -> None:
        self.state = state
        if state == COMPLETE and self.done is not None:
            self.done.set()

    def response(self) -> Response:
        return Response(self.status, checked_headers(self.headers), b"".join(self.chunks))


class Container:
    """The lifespan of one app in this Lambda container (one per ``adapt()``), on the shared loop."""

    def __init__(self, app: ASGIApp, options: Options) -> None:
        self.app = app
        self.mode = options.lifespan
        self.lifespan: Lifespan | None = None
        self._starting = threading.Lock()  # handlers called in several threads start one lifespan

    def ready_loop(self) -> EagerLoop:
        """The container's loop, lifespan started on it (again, if the loop had to be made anew)."""
        loop = container_loop()
        if self.mode != "off" and (self.lifespan is None or self.lifespan.loop is not loop):
            with self._starting:
                if self.lifespan is None or self.lifespan.loop is not loop:
                    lifespan = Lifespan(self.app, self.mode, loop)
                    lifespan.start()  # raises LifespanFailure; the next event tries again
                    self.lifespan = lifespan
        return loop

    def state(self) -> dict[str, Any]:
        return self.lifespan.state if self.lifespan is not None else {}


def make_runner(app: ASGIApp, options: Options) -> Runner:
    """The runner ``adapt()`` calls per event: scope, app on the container's loop, response.

    The runner keeps its container as ``run.container``: the streaming runner shares it.
    """
    container = Container(app, options)
    margin = options.deadline_margin
    if options.eager_startup:
        container.ready_loop()

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        loop = container.ready_loop()
        cycle = Cycle(body)
        scope = to_scope(environ, container.state(), event, context)
        try:
            loop.run(app(scope, cycle.receive, cycle.send), seconds_left(context, margin))
            if cycle.state != COMPLETE:
                raise InvalidResponse(f"the ASGI app returned with the response at {cycle.state!r}")
        except DeadlineExceeded as exc:
            logger().error("cancelled the ASGI app near the Lambda deadline (request %s): %s", request_id(context), exc)
            if cycle.state != COMPLETE:
                return gateway_timeout()
        except Exception:
            if cycle.state == COMPLETE:  # the response was whole: it stands
                logger().exception("the ASGI app failed after its response (request %s)", request_id(context))
            else:
                logger().exception("the ASGI app failed (request %s)", request_id(context))
                return server_error()
        try:
            return cycle.response()
        except InvalidResponse:
            logger().exception("the ASGI app sent invalid headers (request %s)", request_id(context))
            return server_error()

    run.container = container  # type: ignore[attr-defined]
    return run
