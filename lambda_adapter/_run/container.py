"""What lives as long as the Lambda container: the event loop and each app's lifespan.

Invariants:
- One loop per process, made here and kept (never ``get_event_loop()``); made anew only if
  something closed it. A task's first step runs at once (like Python 3.12's eager tasks); a
  task that outlives its deadline is cancelled and ``DeadlineExceeded`` raised.
- Lifespan startup runs at most once per loop; a failure in mode "on" (or a
  ``lifespan.startup.failed`` in any mode) raises ``LifespanFailure``; mode "auto" treats an
  app that raises or returns before startup completes as one without lifespan. Shutdown runs
  on SIGTERM, then the SIGTERM handler that was there before.
- Shared across threads (the runtime loop under Lambda Managed Instances, ``serve_forever``): the
  loop runs for good in the main thread, and a handler called in another thread hands its app to
  it (``run`` and ``Lifespan.start`` see that the loop runs elsewhere): one loop, one lifespan,
  each invocation a task carrying the calling thread's context variables. SIGTERM's lifespan
  shutdown then runs on that loop before the earlier SIGTERM handler.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import signal
import socket
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
        if self.is_running() and asyncio.events._get_running_loop() is not self:
            self._run_from_thread(coroutine, timeout)
            return
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

    def _run_from_thread(self, coroutine: Any, timeout: float | None) -> None:
        """From another thread while the loop serves for good: a task on it, this thread waiting for its end."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self)  # the task gets this thread's context
        try:
            future.result(None if timeout is None else max(timeout, 0))
        except concurrent.futures.TimeoutError:
            if not future.cancel():  # it ended in between
                future.result()
                return
            raise DeadlineExceeded(
                f"the app was still running {max(timeout or 0, 0):.3f} s into the invocation"
            ) from None

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
        if self.loop.is_running():  # serving for good in the main thread: startup goes there
            asyncio.run_coroutine_threadsafe(self._start_there(), self.loop).result()
            return
        self.loop.run_until_complete(self._startup())
        if self.supported:
            _chain_sigterm(self)

    async def _start_there(self) -> None:
        await self._startup()
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
        else:
            logger().debug("the ASGI app does not support lifespan (%r); going on without", self.error)

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
        """Send ``lifespan.shutdown`` and wait (bounded) for the app to finish it; when the loop is
        running (SIGTERM inside an invocation, or while it serves for good), the task that will."""
        if not self.supported or self.loop.is_closed():
            return None
        self.supported = False
        if self.loop.is_running():  # let the loop do it
            return self.loop.create_task(self._shutdown())
        self.loop.run_until_complete(self._shutdown())
        return None

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
        loop = lifespan.loop
        if loop in _FOREVER and loop.is_running():  # the loop goes on: shutdown on it, then the rest
            loop.call_soon_threadsafe(_shutdown_then, lifespan, lambda: _previous(previous, signum, frame))
            return
        try:
            lifespan.shutdown()
        finally:
            _previous(previous, signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


def _shutdown_then(lifespan: Lifespan, then: Any) -> None:
    task = lifespan.shutdown()
    if task is None:
        then()
    else:
        task.add_done_callback(lambda _: then())


def _previous(previous: Any, signum: int, frame: Any) -> None:
    """What handled SIGTERM before the lifespan's handler: called, or the default done again."""
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # the default: end the process, as it would have
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


_FOREVER: list[EagerLoop] = []  # the loop serving for good, if one does


def serve_forever(until: threading.Event, then: Any) -> None:
    """Run the process's loop in this (the main) thread until ``until`` is set, calling ``then()`` once it
    runs: handlers called in other threads run their apps on it (the runtime loop's slots under Lambda
    Managed Instances)."""
    loop = container_loop()
    _FOREVER[:] = [loop]
    loop.call_soon(then)

    def stop_when_set() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # the main thread's to handle
        until.wait()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=stop_when_set, name="loop-stopper", daemon=True).start()
    # a signal that comes just before the loop blocks in select() would wait for the next event: its
    # byte on this socket wakes the loop, which then runs the signal's handler (asyncio does the same)
    wake_read, wake_write = socket.socketpair()
    for end in (wake_read, wake_write):
        end.setblocking(False)
    loop.add_reader(wake_read.fileno(), _drain, wake_read)
    earlier = signal.set_wakeup_fd(wake_write.fileno())
    try:
        loop.run_forever()
    finally:
        signal.set_wakeup_fd(earlier)
        loop.remove_reader(wake_read.fileno())
        wake_read.close()
        wake_write.close()
        _FOREVER.clear()


def _drain(wake: socket.socket) -> None:
    try:
        while wake.recv(4096):
            pass
    except OSError:  # nothing more to read
        pass
