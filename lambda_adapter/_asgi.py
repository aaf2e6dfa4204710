"""The ASGI runner: one event loop per container, lifespan once, one HTTP cycle per event.

Invariants:
- One loop per process (a Lambda container), made by this module and kept; never
  ``get_event_loop()``. If something closed it, a new one is made and lifespan starts again.
- Lifespan startup runs once per container (first event, or ``adapt()`` when eager); shutdown
  runs on SIGTERM, then the handler that was installed before runs.
- The HTTP cycle is the state machine of ``_Cycle``; a message out of order is an
  ``InvalidResponse`` raised into the app.
"""

from __future__ import annotations

import asyncio
import atexit
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
    """The lifespan of one app in this Lambda container (one per ``adapt()``), on the shared loop."""

    def __init__(self, app: ASGIApp, options: Options) -> None:
        self.app = app
        self.mode = options.lifespan
        self.lifespan: Lifespan | None = None

    def ready_loop(self) -> EagerLoop:
        """The container's loop, lifespan started on it (again, if the loop had to be made anew)."""
        loop = container_loop()
        if self.mode != "off" and (self.lifespan is None or self.lifespan.loop is not loop):
            lifespan = Lifespan(self.app, self.mode, loop)
            lifespan.start()  # raises LifespanFailure; the next event tries again
            self.lifespan = lifespan
        return loop

    def state(self) -> dict[str, Any]:
        return self.lifespan.state if self.lifespan is not None else {}


_LOOP: list[EagerLoop] = []  # the one loop of this process (a Lambda container)


def container_loop() -> EagerLoop:
    """The process's loop: made once, made anew only if something closed it."""
    if _LOOP and not _LOOP[0].is_closed():
        return _LOOP[0]
    loop = EagerLoop()
    _LOOP[:] = [loop]
    atexit.register(_close, loop)
    return loop


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """At interpreter exit (never on Lambda, which ends the process): cancel what waits, close."""
    if loop.is_closed() or loop.is_running():
        return
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.close()


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
