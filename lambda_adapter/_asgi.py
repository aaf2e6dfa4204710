"""The ASGI runner: one event loop per container, lifespan once, one HTTP cycle per event.

Invariants:
- The loop is made with ``asyncio.new_event_loop()`` and kept; never ``get_event_loop()``. If
  something closed it, a new one is made and lifespan starts again on it.
- Lifespan startup runs once per container (first event, or ``adapt()`` when eager); shutdown
  runs on SIGTERM, then the handler that was installed before runs.
- The HTTP cycle is the state machine of ``_Cycle``; a message out of order is an
  ``InvalidResponse`` raised into the app.
"""

from __future__ import annotations

import asyncio
import sys

from ._errors import InvalidResponse, LifespanFailure
from ._faults import server_error
from ._lifespan import Lifespan
from ._log import logger, request_id
from ._model import Response
from ._scope import to_scope

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any

    from ._model import Environ, Event, LambdaContext
    from ._options import Options

    Message = dict[str, Any]
    ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]

# The states of one HTTP cycle, in order.
START, BODY, TRAILERS, COMPLETE = "start", "body", "trailers", "complete"


class _Cycle:
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
        from ._encoding import checked_headers

        return Response(self.status, checked_headers(self.headers), b"".join(self.chunks))


class _Container:
    """The loop and lifespan of this Lambda container (one per ``adapt()``)."""

    def __init__(self, app: ASGIApp, options: Options) -> None:
        self.app = app
        self.mode = options.lifespan
        self.loop: EagerLoop | None = None
        self.lifespan: Lifespan | None = None

    def ready_loop(self) -> EagerLoop:
        """The container's loop, made anew if something closed it; lifespan started on it."""
        loop = self.loop
        if loop is None or loop.is_closed():
            loop = self.loop = EagerLoop()
            self.lifespan = None
        if self.lifespan is None and self.mode != "off":
            lifespan = Lifespan(self.app, self.mode, loop)
            lifespan.start()  # raises LifespanFailure; the next event tries again
            self.lifespan = lifespan
        return loop

    def __del__(self) -> None:  # the handler is gone (tests; never on Lambda): free the loop
        loop = self.loop
        if loop is not None and not loop.is_closed() and not loop.is_running():
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    def state(self) -> dict[str, Any]:
        return self.lifespan.state if self.lifespan is not None else {}


class EagerLoop(asyncio.SelectorEventLoop):
    """The container's loop: a task's first step runs at once, as Python 3.12's eager tasks do.

    Most requests never wait on I/O, so they finish in that first step and no loop iteration
    (two ``select()`` calls, callbacks, hooks) is paid; a task that does wait goes on in the
    ordinary ``run_until_complete``. The step runs as a real ``Task`` with this loop as the
    running loop, so ``current_task()``, ``get_running_loop()``, contextvars and anyio behave.
    """

    _captured: list[tuple[Any, Any]] | None = None

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:  # type: ignore[override]
        captured = self._captured
        if captured is not None and not captured:  # the new task's first step: kept for run()
            captured.append((callback, context))
            return asyncio.Handle(callback, args, self, context)
        return super().call_soon(callback, *args, context=context)

    def run(self, coroutine: Any) -> None:
        """Run ``coroutine`` as a task to its end; raise what it raised."""
        captured: list[tuple[Any, Any]] = []
        self._captured = captured
        try:
            task = self.create_task(coroutine)
        finally:
            self._captured = None
        step, context = captured[0]
        hooks = sys.get_asyncgen_hooks()
        # the hooks run_forever() sets, so async generators are finalised on this loop
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
            finalizer=self._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
        )
        asyncio.events._set_running_loop(self)
        try:
            context.run(step)
        finally:
            asyncio.events._set_running_loop(None)
            sys.set_asyncgen_hooks(*hooks)
        if not task.done() or self._ready:  # type: ignore[attr-defined]  # it waits, or scheduled work
            self.run_until_complete(task)
        task.result()


def make_runner(app: ASGIApp, options: Options) -> Runner:
    """The runner ``adapt()`` calls per event: scope, app on the container's loop, response."""
    container = _Container(app, options)
    if options.eager_startup:
        container.ready_loop()

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        loop = container.ready_loop()
        cycle = _Cycle(body)
        scope = to_scope(environ, container.state(), event, context)
        try:
            loop.run(app(scope, cycle.receive, cycle.send))
            if cycle.state != COMPLETE:
                raise InvalidResponse(f"the ASGI app returned with the response at {cycle.state!r}")
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

    return run


__all__ = ["LifespanFailure", "make_runner"]
