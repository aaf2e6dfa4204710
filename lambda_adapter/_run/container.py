"""What lives as long as the Lambda container: the event loop and each app's lifespan.

Invariants:
- One loop per process, made here and kept (never ``get_event_loop()``); made anew only if
  something closed it. One thread at a time runs it (``LoopGuard``): another thread waits its
  turn, as Lambda sends one event at a time anyway; a handler called from inside a running event
  loop (its own, or the caller's) is a ``RuntimeError`` saying so, never the app's 500.
  ``Handler.ainvoke`` runs on the caller's running loop instead.
- A task's first step runs at once: on Python 3.12+ by asyncio's own eager start; on 3.10 and 3.11
  (and for a task factory the app set) on the assumption that a new task schedules exactly its own
  first step with one ``call_soon``: checked per task, and when it does not hold the task runs
  through plain ``run_until_complete`` (tests/run/test_container.py are the canaries). During that
  step the loop is running, as ``is_running()`` says.
- A task that outlives its deadline is cancelled, given ``CANCEL_GRACE`` and ``DeadlineExceeded``
  raised; one that ignores the cancel is logged, kept, cancelled again (logged) and waited for
  before the next invocation runs anything
  (``shutdown.recancel``, imported only then).
- Lifespan startup runs at most once per loop, within the invocation's time left, its first step
  taken at once like a request's (a startup that waits on nothing needs no loop iteration); a
  failure in mode "on" (or a ``lifespan.startup.failed`` in any mode) raises ``LifespanFailure``; mode "auto"
  treats an app that raises (logged at WARNING with the exception) or returns before startup
  completes as one without lifespan.
  Shutdown runs on SIGTERM in a Lambda execution environment (``AWS_LAMBDA_RUNTIME_API`` set; not
  in test runs), then the SIGTERM handler that was there before. On a loop in ``FOREVER`` (run for
  good in the main thread by the runtime loop under Lambda Managed Instances, every invocation a
  task of it through ``Handler.ainvoke``) shutdown runs as a task of that loop, the earlier handler
  once it is done. That code is ``shutdown.py``'s, imported when SIGTERM comes.
"""

from __future__ import annotations

import _thread
import asyncio
import atexit
import os
import signal
import sys
import threading

from .._model import DeadlineExceeded, LifespanFailure
from . import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CANCEL_GRACE = 0.2  # seconds a cancelled app gets to unwind before the 504 goes out


_LOOP: list[EagerLoop] = []  # the one loop of this process (a Lambda container)
_get_running_loop = asyncio._get_running_loop


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


class LoopGuard:
    """The process's loop, one thread at a time; never from inside a running loop."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._owner: int | None = None

    def try_acquire(self) -> bool:
        """``acquire`` when the loop is free and this thread runs no loop (the common case): True;
        else False, and ``acquire`` waits or says what is wrong."""
        if self._lock.acquire(False):  # free: no thread holds it, this one included
            if _get_running_loop() is None:
                self._owner = _thread.get_ident()
                return True
            self._lock.release()
        return False

    def acquire(self, timeout: float | None) -> None:
        me = _thread.get_ident()
        if self._owner == me or _get_running_loop() is not None:
            raise RuntimeError(
                "a handler made by adapt() was called from inside a running event loop (an ASGI app "
                "calling it, or async code): await handler.ainvoke(event, context, sink) there instead"
            )
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            raise RuntimeError("another thread kept the adapter's event loop for the whole time left")
        self._owner = me

    def release(self) -> None:
        self._owner = None
        self._lock.release()


GUARD = LoopGuard()


class EagerLoop(asyncio.SelectorEventLoop):
    """The container's loop: a task's first step runs at once, as Python 3.12's eager tasks do.

    Most requests never wait on I/O, so they finish in that first step and no loop iteration
    (two ``select()`` calls, callbacks, hooks) is paid; a task that does wait goes on in the
    ordinary ``run_until_complete``. The step runs as a real ``Task`` with this loop as the
    running loop, so ``current_task()``, ``get_running_loop()``, contextvars and anyio behave.
    While ``run`` makes the task, ``call_soon`` only records what it is asked (and returns None:
    asyncio's Task ignores the handle; a task factory gets one); ``run`` checks that it is the
    task's own first step.
    """

    _captured: list[tuple[Any, Any, Any]] | None = None
    leftovers: set[asyncio.Task[Any]]

    def __init__(self) -> None:
        super().__init__()
        self.leftovers = set()
        # the hooks run_forever() sets, so async generators are finalised on this loop
        self._hooks = (self._asyncgen_firstiter_hook, self._asyncgen_finalizer_hook)  # type: ignore[attr-defined]

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:  # type: ignore[override]
        captured = self._captured
        if captured is not None:  # inside run()'s Task(): kept for run(), which checks what it got
            captured.append((callback, args, context))
            if self._task_factory is None:  # type: ignore[attr-defined]
                return None  # type: ignore[return-value]  # asyncio's Task ignores it: no Handle made
            return asyncio.Handle(callback, args, self, context)  # a task factory's code may use it
        return super().call_soon(callback, *args, context=context)

    def run(self, coroutine: Any, timeout: float | None = None) -> None:
        """Run ``coroutine`` as a task to its end, or cancel it after ``timeout`` seconds."""
        if self.leftovers:  # only after a deadline an app ignored: its code is not on a cold start's path
            from .shutdown import recancel

            self.run_until_complete(recancel(self.leftovers, CANCEL_GRACE))
        task = self.begin(coroutine)
        if not task.done() or self._ready:  # type: ignore[attr-defined]  # it waits, or scheduled work
            self.run_until_complete(finish(task, timeout, self))
        task.result()

    def begin(self, coroutine: Any) -> asyncio.Task[Any]:
        """``coroutine`` as a task of this loop, its first step taken at once (the rest, if it waits,
        when the loop runs)."""
        if self._closed:  # type: ignore[attr-defined]
            coroutine.close()
            raise RuntimeError("Event loop is closed")
        if self._task_factory is not None:  # type: ignore[attr-defined]
            return self._captured_task(coroutine)
        if not _EAGER_START:
            return self._captured_task(coroutine)
        # asyncio's own eager start (3.12+): no call_soon, and a task done in that step never joins
        # the loop's registry
        hooks = _get_asyncgen_hooks()
        _set_asyncgen_hooks(*self._hooks)
        _set_running_loop(self)
        self._thread_id = _get_ident()  # as run_forever() sets it: is_running() says True (eager_start asks)
        try:
            return _Task(coroutine, loop=self, eager_start=True)  # type: ignore[call-arg]
        finally:
            self._thread_id = None  # type: ignore[assignment]
            _set_running_loop(None)
            _set_asyncgen_hooks(*hooks)

    def _captured_task(self, coroutine: Any) -> asyncio.Task[Any]:
        """The task, its first step captured from its ``call_soon`` and taken here (3.10, 3.11, a
        task factory); when it asked for anything else, the steps go on the loop as asked."""
        captured: list[tuple[Any, Any, Any]] = []
        self._captured = captured
        try:
            task: asyncio.Task[Any] = (
                _Task(coroutine, loop=self) if self._task_factory is None else self.create_task(coroutine)  # type: ignore[attr-defined]
            )
        finally:
            self._captured = None
        if len(captured) == 1 and not captured[0][1] and getattr(captured[0][0], "__self__", None) is task:
            hooks = _get_asyncgen_hooks()
            _set_asyncgen_hooks(*self._hooks)
            _set_running_loop(self)
            self._thread_id = _get_ident()
            try:
                captured[0][2].run(captured[0][0])
            finally:
                self._thread_id = None  # type: ignore[assignment]
                _set_running_loop(None)
                _set_asyncgen_hooks(*hooks)
        else:  # the assumption does not hold on this Python: the steps go on the loop as asked
            for callback, args, context in captured:
                super().call_soon(callback, *args, context=context)
        return task


_Task = asyncio.Task  # what run() makes: the canaries replace it to break the eager step's assumption
_EAGER_START = sys.version_info >= (3, 12)  # Task(..., eager_start=True): the canaries turn it off
_set_running_loop = asyncio._set_running_loop
_get_ident = _thread.get_ident
_get_asyncgen_hooks, _set_asyncgen_hooks = sys.get_asyncgen_hooks, sys.set_asyncgen_hooks


async def finish(task: asyncio.Task[Any], timeout: float | None, loop: EagerLoop | None = None) -> None:
    """Wait for ``task``; past ``timeout`` seconds cancel it, give it ``CANCEL_GRACE`` and raise
    ``DeadlineExceeded``. A task that ignores the cancel goes to ``loop.leftovers``."""
    try:
        if timeout is None:
            await asyncio.wait({task})
            return
        await asyncio.wait({task}, timeout=max(timeout, 0))
    except asyncio.CancelledError:  # the invocation itself was cancelled: so is the app
        task.cancel()
        raise
    if task.done():
        return
    task.cancel()
    await asyncio.wait({task}, timeout=CANCEL_GRACE)
    if not task.done():
        logger().warning("the ASGI app ignored its cancellation for %.1f s; it is cancelled again before the "
                         "next invocation", CANCEL_GRACE)  # fmt: skip
        if loop is not None:
            loop.leftovers.add(task)
    if timeout <= 0:
        raise DeadlineExceeded("the invocation had no time left before deadline_margin when the app started")
    raise DeadlineExceeded(f"the app was still running {timeout:.3f} s after it started, at deadline_margin "
                           "before the Lambda deadline")  # fmt: skip


_DONE: dict[str, Any] = {"type": "lambda_adapter.app_returned"}
_RUNNING: set[asyncio.Task[None]] = set()  # lifespan tasks waiting for shutdown
FOREVER: set[asyncio.AbstractEventLoop] = set()  # loops run for good in the main thread (see the docstring)


class Lifespan:
    """One lifespan conversation with the app, on the container's loop."""

    def __init__(self, app: Any, mode: str, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.mode = mode
        self.loop = loop
        self.state: dict[str, Any] = {}
        self.supported = False
        self.error: BaseException | None = None
        self._to_app: asyncio.Queue[dict[str, Any]] | None = None
        self._from_app: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, timeout: float | None = None) -> None:
        """Run startup to its end, within ``timeout`` seconds; raise ``LifespanFailure`` when it failed.

        On the container's loop the app's first step runs at once: a startup that waits on nothing
        completes without a loop iteration; one that waits goes on in the loop, within the time left."""
        loop = self.loop
        if not isinstance(loop, EagerLoop):
            loop.run_until_complete(self.astart(timeout))
            return
        started = loop.time()
        self._launch(loop.begin)
        assert self._from_app is not None
        if self._from_app.empty():  # the app waits on something before it answers
            left = None if timeout is None else timeout - (loop.time() - started)
            loop.run_until_complete(self._bounded(self._reply(), timeout, left))
        else:
            self._conclude(self._from_app.get_nowait())
        if self.supported:
            _chain_sigterm(self)

    async def astart(self, timeout: float | None = None) -> None:
        """``start`` on the running loop."""
        await self._bounded(self._startup(), timeout, timeout)
        if self.supported:
            _chain_sigterm(self)

    async def _bounded(self, startup: Any, timeout: float | None, left: float | None) -> None:
        """``startup`` within ``left`` of the ``timeout`` seconds the invocation had."""
        try:
            await asyncio.wait_for(startup, None if left is None else max(left, 0))
        except asyncio.TimeoutError:
            if self._task is not None:
                self._task.cancel()
            raise LifespanFailure(
                f"ASGI lifespan startup did not complete within the {max(timeout or 0, 0):.3f} s the "
                "invocation had left (less deadline_margin); the next invocation starts it again"
            ) from None

    async def _startup(self) -> None:
        self._launch(asyncio.ensure_future)
        await self._reply()

    def _launch(self, start_task: Any) -> None:
        """The app's lifespan as a task (``start_task`` makes it), ``lifespan.startup`` waiting for it."""
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        self._to_app.put_nowait({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task = task = start_task(self._main(scope))
        _RUNNING.add(task)  # the loop keeps only weak references to its tasks
        task.add_done_callback(_RUNNING.discard)

    async def _reply(self) -> None:
        assert self._from_app is not None
        self._conclude(await self._from_app.get())

    def _conclude(self, message: dict[str, Any]) -> None:
        """What the app answered to ``lifespan.startup`` (or that it returned, or raised)."""
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self.supported = True
        elif kind == "lifespan.startup.failed":
            raise LifespanFailure(f"ASGI lifespan startup failed: {message.get('message') or 'no message'}")
        elif self.mode == "on":
            why = f"raised {self.error!r}" if self.error else "returned"
            raise LifespanFailure(f"lifespan='on', but the app {why} before lifespan startup completed")
        elif self.error is not None:  # seen once: startup runs once per container
            logger().warning(
                "the ASGI app raised %r in lifespan startup; going on without lifespan (lifespan='off' "
                "for an app without it, 'on' to make this fatal)", self.error, exc_info=self.error,
            )  # fmt: skip
        else:
            logger().debug("the ASGI app returned before lifespan startup completed; going on without")

    async def _main(self, scope: dict[str, Any]) -> None:
        assert self._to_app is not None and self._from_app is not None
        try:
            await self.app(scope, self._to_app.get, self._send)
        except BaseException as exc:  # the app's own failure: reported, never raised here
            self.error = exc
        finally:
            self._from_app.put_nowait(_DONE)

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._from_app is not None
        self._from_app.put_nowait(message)

    def shutdown(self) -> asyncio.Task[None] | None:
        """Send ``lifespan.shutdown`` and wait (bounded) for the app to finish it; on a running loop
        (SIGTERM inside an invocation, or on a loop in ``FOREVER``) the task that will."""
        from .shutdown import shutdown  # on SIGTERM: never on a cold start's path

        return shutdown(self)


def _chain_sigterm(lifespan: Lifespan) -> None:
    """Run lifespan shutdown on SIGTERM, then whatever handled SIGTERM before."""
    if "AWS_LAMBDA_RUNTIME_API" not in os.environ:  # not in Lambda: a test run's handlers stay as they are
        logger().debug("not in a Lambda execution environment: lifespan shutdown will not run on SIGTERM")
        return
    if threading.current_thread() is not threading.main_thread():
        logger().debug("not in the main thread: lifespan shutdown will not run on SIGTERM")
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        from .shutdown import on_sigterm as shut_down  # when SIGTERM comes: never on a cold start's path

        shut_down(lifespan, previous, signum, frame, lifespan.loop in FOREVER)

    signal.signal(signal.SIGTERM, on_sigterm)
