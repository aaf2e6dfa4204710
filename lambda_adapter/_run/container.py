"""What lives as long as the Lambda container: the event loop and each app's lifespan.

Invariants:
- One loop per process, made here and kept (never ``get_event_loop()``); made anew only if
  something closed it. A task's first step runs at once (like Python 3.12's eager tasks); a
  task that outlives its deadline is cancelled and ``DeadlineExceeded`` raised.
- Lifespan startup runs at most once per loop; a failure in mode "on" (or a
  ``lifespan.startup.failed`` in any mode) raises ``LifespanFailure``; mode "auto" treats an
  app that raises (logged at WARNING with the exception) or returns before startup completes
  as one without lifespan. Shutdown runs
  on SIGTERM, then the SIGTERM handler that was there before.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import sys
import threading

from .._errors import DeadlineExceeded, LifespanFailure
from .faults import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CANCEL_GRACE = 0.2  # seconds a cancelled app gets to unwind before the 504 goes out


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

    def run(self, coroutine: Any, timeout: float | None = None) -> None:
        """Run ``coroutine`` as a task to its end, or cancel it after ``timeout`` seconds."""
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
            self._wait(task, timeout)
        task.result()

    def _wait(self, task: asyncio.Task[Any], timeout: float | None) -> None:
        if timeout is None:
            self.run_until_complete(task)
            return
        self.run_until_complete(asyncio.wait({task}, timeout=max(timeout, 0)))
        if not task.done():
            task.cancel()
            self.run_until_complete(asyncio.wait({task}, timeout=CANCEL_GRACE))
            raise DeadlineExceeded(f"the app was still running {max(timeout, 0):.3f} s into the invocation")


SHUTDOWN_TIMEOUT = 1.0  # seconds; Lambda gives the runtime little time after SIGTERM
_DONE: dict[str, Any] = {"type": "lambda_adapter.app_returned"}
_RUNNING: set[asyncio.Task[None]] = set()  # lifespan tasks waiting for shutdown


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

    def start(self) -> None:
        """Run startup to its end; raise ``LifespanFailure`` when it failed."""
        self.loop.run_until_complete(self._startup())
        if self.supported:
            _chain_sigterm(self)

    async def _startup(self) -> None:
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task = task = asyncio.ensure_future(self._main(scope))
        _RUNNING.add(task)  # the loop keeps only weak references to its tasks
        task.add_done_callback(_RUNNING.discard)
        await self._to_app.put({"type": "lifespan.startup"})
        message = await self._from_app.get()
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

    def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait (bounded) for the app to finish it."""
        if not self.supported or self.loop.is_closed():
            return
        self.supported = False
        if self.loop.is_running():  # SIGTERM inside an invocation: let the loop do it
            self.loop.create_task(self._shutdown())
            return
        self.loop.run_until_complete(self._shutdown())

    async def _shutdown(self) -> None:
        assert self._to_app is not None and self._from_app is not None
        await self._to_app.put({"type": "lifespan.shutdown"})
        try:
            message = await asyncio.wait_for(self._from_app.get(), SHUTDOWN_TIMEOUT)
        except asyncio.TimeoutError:
            logger().warning("ASGI lifespan shutdown did not finish within %.1f s", SHUTDOWN_TIMEOUT)
            return
        if message["type"] == "lifespan.shutdown.failed":
            logger().error("ASGI lifespan shutdown failed: %s", message.get("message") or "no message")


def _chain_sigterm(lifespan: Lifespan) -> None:
    """Run lifespan shutdown on SIGTERM, then whatever handled SIGTERM before."""
    if threading.current_thread() is not threading.main_thread():
        logger().debug("not in the main thread: lifespan shutdown will not run on SIGTERM")
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        try:
            lifespan.shutdown()
        finally:
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:  # the default: end the process, as it would have
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
