"""The ASGI runner: one event loop per container, lifespan once, one HTTP cycle per event.

Invariants:
- The loop and lifespan are the ``Container``'s (``container.py``): one loop per process, one
  thread at a time; ``arun`` runs on the caller's running loop instead (``Handler.ainvoke``).
- Lifespan startup runs once per loop (first event, or ``adapt()`` when eager; once however many
  invocations on a running loop ask at once), within the invocation's time left; shutdown runs on
  SIGTERM.
- The app runs as a task of the loop, none of its code outside it: an app whose call only makes a
  coroutine (``async def``, or an object with an ``async def __call__``) gives the task that
  coroutine; any other shape (a plain function returning one, a partial) is called inside a wrapper.
- The HTTP cycle is the state machine of ``Cycle``; a message out of order is an
  ``InvalidResponse`` raised into the app. Each part goes to the sink as the app sends it (the
  sink buffers or streams); the sink's ``end`` comes with the last body part, before the app's
  code after it (and its background tasks) runs.
- A sink write that fails (a streamed answer's client is gone) raises into the app, and
  ``receive`` answers ``http.disconnect`` from then on, so a streaming app stops.
"""

from __future__ import annotations

import asyncio

from .._events.encoding import checked_headers
from .._events.scope import to_scope
from .._model import DeadlineExceeded, InvalidResponse
from . import after_failure, seconds_left
from .container import GUARD, EagerLoop, Lifespan, container_loop, finish

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, LambdaContext, ResponseSink

    Message = dict[str, Any]
    ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# The states of one HTTP cycle, in order.
START, BODY, TRAILERS, COMPLETE = "start", "body", "trailers", "complete"
_DISCONNECT: Message = {"type": "http.disconnect"}
_NO_STATE: dict[str, Any] = {}  # the state of an app without lifespan; never written to: each scope has a copy


class Cycle:
    """One request and its response: ``receive`` and ``send`` for the app."""

    __slots__ = ("answer", "body", "done", "gone", "state", "trailers")

    def __init__(self, body: bytes, answer: ResponseSink) -> None:
        self.body: bytes | None = body  # None once received
        self.answer = answer
        self.state = START
        self.trailers = self.gone = False
        self.done: asyncio.Event | None = None

    async def receive(self) -> Message:
        body = self.body
        if body is not None:
            self.body = None
            return {"type": "http.request", "body": body, "more_body": False}
        if self.state != COMPLETE and not self.gone:  # the client stays until the response is complete
            if self.done is None:
                self.done = asyncio.Event()
            await self.done.wait()
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        if self.gone:
            raise ConnectionError("the client is gone: the Runtime API connection closed")
        try:  # the states in the order they come, each part to the sink as it comes
            kind = message.get("type")
            state = self.state
            if state == START and kind == "http.response.start":
                status = message["status"]
                if type(status) is not int:
                    status = int(status)
                headers = []
                for name, value in message.get("headers", ()):
                    try:
                        headers.append((name.decode("latin-1"), value.decode("latin-1")))
                    except AttributeError:  # not bytes (a memoryview, or no bytes at all): bytes() takes it or says why
                        headers.append((bytes(name).decode("latin-1"), bytes(value).decode("latin-1")))
                if message.get("trailers", False):
                    self.trailers = True
                self.state = BODY  # before the sink: headers it refuses leave no second start
                self.answer.start(status, checked_headers(headers))
            elif state == BODY and kind == "http.response.body":
                chunk = message.get("body", b"")
                if chunk:
                    self.answer.body(chunk if type(chunk) is bytes else bytes(chunk))
                if not message.get("more_body", False):
                    if self.trailers:
                        self.state = TRAILERS
                    else:  # _complete written in
                        self.state = COMPLETE
                        self.answer.end()
                        if self.done is not None:
                            self.done.set()
            elif state == TRAILERS and kind == "http.response.trailers":
                if not message.get("more_trailers", False):  # Lambda results carry no trailers
                    self._complete()
            else:
                raise InvalidResponse(f"ASGI message {kind!r} is out of order: the response is at {state!r}")
        except OSError:
            self.gone = True
            if self.done is not None:
                self.done.set()  # a receive() waiting now answers http.disconnect
            raise

    def _complete(self) -> None:
        self.state = COMPLETE
        self.answer.end()
        if self.done is not None:
            self.done.set()


def _makes_coroutine(app: Any) -> bool:
    """Whether calling ``app`` only makes a coroutine, running none of its code: an ``async def``
    function, or an object whose ``__call__`` is one (a wrapper or partial may run code first)."""
    try:
        call = app if hasattr(app, "__code__") else type(app).__call__
    except AttributeError:  # not callable: the call fails in the task, as any app's failure
        return False
    code = getattr(call, "__code__", None)
    return code is not None and bool(code.co_flags & 0x80)  # inspect.CO_COROUTINE


class Container:
    """The lifespan of one app in this Lambda container (one per ``adapt()``), on the shared loop."""

    def __init__(self, app: ASGIApp, options: Options) -> None:
        self.app = app
        self.mode = options.lifespan
        self.lifespan: Lifespan | None = None
        self.ready: EagerLoop | None = None  # the container's loop, lifespan started on it (or "off")
        self._starting: asyncio.Task[None] | None = None  # startup under way on a running loop

    def ready_loop(self, timeout: float | None = None) -> EagerLoop:
        """The container's loop, lifespan started on it (again, if the loop had to be made anew).
        Call it holding ``GUARD``."""
        loop = container_loop()
        if self._stale(loop):
            lifespan = Lifespan(self.app, self.mode, loop)
            lifespan.start(timeout)  # raises LifespanFailure; the next event tries again
            self.lifespan = lifespan
        self.ready = loop
        return loop

    async def aready(self, timeout: float | None = None) -> None:
        """Lifespan started on the running loop: once, however many invocations wait for it at once."""
        loop = asyncio.get_running_loop()
        if not self._stale(loop):
            return
        starting = self._starting
        if starting is None or starting.get_loop() is not loop:
            starting = self._starting = loop.create_task(self._start_on(loop, timeout))
        try:
            await asyncio.shield(starting)  # an invocation cancelled meanwhile leaves startup to the others
        finally:
            if starting.done() and self._starting is starting:
                self._starting = None  # after a failure, the next invocation tries again

    async def _start_on(self, loop: asyncio.AbstractEventLoop, timeout: float | None) -> None:
        lifespan = Lifespan(self.app, self.mode, loop)
        await lifespan.astart(timeout)
        self.lifespan = lifespan
        self.ready = None  # the container's loop needs its own startup again

    def _stale(self, loop: asyncio.AbstractEventLoop) -> bool:
        return self.mode != "off" and (self.lifespan is None or self.lifespan.loop is not loop)

    def enter_timed(self, context: LambdaContext, margin: float) -> tuple[EagerLoop, float | None]:
        """``enter`` with the time left for the app: taken once when the loop was ready at once
        (the common case, written in), again after a wait for the guard or a lifespan startup."""
        try:  # seconds_left's common case written in: a context that answers an int
            remaining = context.get_remaining_time_in_millis()
            left = remaining / 1000 - margin if type(remaining) is int else seconds_left(context, margin)
        except Exception:  # absent, failing, or an int too large for a float: the rule's own answer (and its note)
            left = seconds_left(context, margin)
        if not GUARD.try_acquire():
            return self.enter(left), seconds_left(context, margin)
        loop = self.ready
        if loop is not None and not loop._closed:  # type: ignore[attr-defined]
            return loop, left
        try:
            return self.ready_loop(left), seconds_left(context, margin)
        except BaseException:
            GUARD.release()
            raise

    def state(self) -> dict[str, Any]:
        return self.lifespan.state if self.lifespan is not None else {}

    def enter(self, timeout: float | None) -> EagerLoop:
        """The ready loop, ``GUARD`` held (the caller releases it). Raised here, before the app runs:
        a call from inside a running loop, a lifespan that failed. Never the app's 500."""
        GUARD.acquire(timeout)
        try:
            return self.ready_loop(timeout)
        except BaseException:
            GUARD.release()
            raise


class ASGIRunner:
    """Runs an ASGI app per event: scope, app on the container's loop, its answer through the sink."""

    interface = "asgi"
    __slots__ = ("app", "container", "direct", "margin")

    def __init__(self, app: ASGIApp, options: Options) -> None:
        self.app = app
        self.direct = _makes_coroutine(app)
        self.margin = options.deadline_margin
        self.container = Container(app, options)  # shared with the WebSocket handler
        if options.eager_startup:
            self.container.enter(None)
            GUARD.release()

    def run(self, environ: Environ, body: bytes, event: Event, context: LambdaContext, answer: ResponseSink) -> None:
        """``run_scope`` with the scope derived from the environ (the lifespan state is put in there)."""
        try:
            scope = to_scope(environ, _NO_STATE, event, context)
        except Exception:  # the adapter's bug, not the app's: a 500 all the same, before anything went out
            after_failure(answer, "the ASGI scope could not be made from the request", context)
            return
        self.run_scope(scope, body, context, answer)

    def run_scope(self, scope: dict[str, Any], body: bytes, context: LambdaContext, answer: ResponseSink) -> None:
        """``run`` for a scope read straight from the event (``_events.scope``): the lifespan state put in."""
        cycle = Cycle(body, answer)
        loop, left = self.container.enter_timed(context, self.margin)
        try:
            lifespan = self.container.lifespan
            if lifespan is not None and lifespan.state:
                scope["state"] = lifespan.state.copy()
            if self.direct:  # the app's own coroutine is the task's (no app code runs here)
                loop.run(self.app(scope, cycle.receive, cycle.send), left)
                if cycle.state != COMPLETE:
                    raise InvalidResponse(f"the ASGI app returned with the response at {cycle.state!r}")
            else:
                loop.run(self._call_scope(cycle, scope), left)
        except DeadlineExceeded:
            self._timed_out(cycle, context)
        except Exception:
            self._failed(cycle, context)
        finally:
            GUARD.release()

    async def arun(self, environ: Environ, body: bytes, event: Event, context: LambdaContext,
                   answer: ResponseSink) -> None:  # fmt: skip
        """``run`` on the caller's running loop."""
        cycle = Cycle(body, answer)
        await self.container.aready(seconds_left(context, self.margin))
        try:
            lifespan = self.container.lifespan
            scope = to_scope(environ, lifespan.state if lifespan is not None else _NO_STATE, event, context)
            task = asyncio.ensure_future(self._call_scope(cycle, scope))
            await finish(task, seconds_left(context, self.margin))
            task.result()  # the app's failure, as run's loop.run raises it: finish only waits
        except DeadlineExceeded:
            self._timed_out(cycle, context)
        except Exception:
            self._failed(cycle, context)

    async def _call_scope(self, cycle: Cycle, scope: dict[str, Any]) -> None:
        await self.app(scope, cycle.receive, cycle.send)
        if cycle.state != COMPLETE:
            raise InvalidResponse(f"the ASGI app returned with the response at {cycle.state!r}")

    def _timed_out(self, cycle: Cycle, context: LambdaContext) -> None:
        after_failure(cycle.answer, "cancelled the ASGI app near the Lambda deadline", context, timeout=True)

    def _failed(self, cycle: Cycle, context: LambdaContext) -> None:
        if cycle.gone and not cycle.answer.ended:
            raise  # the client went away mid-stream: the runtime ends it
        after_failure(cycle.answer, "the ASGI app failed", context)
