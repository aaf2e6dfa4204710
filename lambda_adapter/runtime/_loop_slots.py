"""Lambda Managed Instances for an ASGI app: one event loop, run for good in the main thread, serves every slot.

Each slot's thread takes its invocation from the Runtime API and hands the work to the loop as a task
(``await handler.ainvoke(event, context, sink)``, the task carrying the slot's context variables:
request id, tenant id, trace id), so the app has one loop, one lifespan and one connection pool for
all slots. Invariants:

- The loop thread never waits on the Runtime API: the task's sink (``Handoff``) queues each part of
  the answer for the slot's thread, which posts it, and the task goes on. Only when more than
  ``BACKLOG`` bytes of a streamed answer wait to be sent does the task wait for them (``drained``,
  awaited by the ASGI cycle after each part: back-pressure, so a fast app's answer is not held whole
  in memory), and the loop serves the other slots meanwhile. A write that failed (the client is
  gone) is raised into the app at its next write, so it stops.
- The slot asks for its next invocation only when the task is over: the app's work after its answer
  (background tasks, code after the last send) is done or was cancelled at the deadline.
- SIGTERM runs the lifespan's shutdown on the loop, then ends the process (``container.FOREVER``);
  a signal that comes just before the loop sleeps wakes it through ``signal.set_wakeup_fd``.
"""

from __future__ import annotations

import asyncio
import queue
import signal
import socket
import threading

from .._run.container import FOREVER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._answer import Posting

BACKLOG = 1 << 20  # bytes of a streamed answer that may wait for the slot's thread before the task waits
_DONE = object()


def serve_on_loop(state: Any, start: Callable[[Callable[..., None]], None]) -> int:
    """Run a new loop for good in this (the main) thread until ``state.done``; ``start(run)`` starts the
    slots, ``run`` being what a slot calls to serve an invocation on the loop. The exit status."""
    loop = asyncio.new_event_loop()
    FOREVER.add(loop)
    state.on_done = lambda: loop.call_soon_threadsafe(loop.stop)

    def run(handler: Any, event: Any, context: Any, posting: Posting) -> None:
        handoff = Handoff(posting)
        asyncio.run_coroutine_threadsafe(_invoke(handler, event, context, handoff), loop)  # the slot's context
        handoff.serve()

    loop.call_soon(start, run)
    wake_read, wake_write = socket.socketpair()
    for end in (wake_read, wake_write):
        end.setblocking(False)
    loop.add_reader(wake_read.fileno(), _drain, wake_read)
    earlier = signal.set_wakeup_fd(wake_write.fileno())
    try:
        loop.run_forever()
    finally:
        signal.set_wakeup_fd(earlier)
        FOREVER.discard(loop)
        loop.remove_reader(wake_read.fileno())
        wake_read.close()
        wake_write.close()
        _close(loop)
    return int(state.status)


async def _invoke(handler: Any, event: Any, context: Any, handoff: Handoff) -> None:
    try:
        await handler.ainvoke(event, context, handoff)
    except Exception as exc:
        handoff.put(handoff.posting.failed, exc)
    finally:
        handoff.put(None)


class Handoff:
    """The sink of one invocation's task: each part queued for the slot's thread, which posts it."""

    def __init__(self, posting: Posting) -> None:
        self.posting = posting
        self.streams = posting.streams
        self._actions: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        self._backlog = 0
        self._lock = threading.Lock()
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None  # a task in drained()
        self._gone: OSError | None = None

    def result(self, result: Any) -> None:
        self.put(self.posting.result, result)

    def write(self, data: bytes) -> None:
        if self._gone is not None:
            raise ConnectionError(f"the client is gone: {self._gone}")
        with self._lock:
            self._backlog += len(data)
        self.put(self._write, data)

    async def drained(self) -> None:
        """Until at most ``BACKLOG`` bytes wait for the slot's thread, or the client is gone: the task
        waits, and the loop serves the other slots meanwhile."""
        while self._backlog > BACKLOG and self._gone is None:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            with self._lock:
                if self._backlog <= BACKLOG or self._gone is not None:
                    return
                self._waiter = (loop, waiter)
            await waiter

    def end(self) -> None:
        self.put(self.posting.end, _DONE)

    def put(self, action: Callable[..., None] | None, argument: Any = _DONE) -> None:
        self._actions.put((action, argument))

    def serve(self) -> None:
        """In the slot's thread: do what the task hands over, until it is over."""
        while True:
            action, argument = self._actions.get()
            if action is None:
                return
            if argument is _DONE:
                action()
            else:
                action(argument)

    def _write(self, data: bytes) -> None:
        try:
            if self._gone is None:
                self.posting.write(data)
        except OSError as exc:
            self._gone = exc
        finally:
            with self._lock:
                self._backlog -= len(data)
                waiter = self._waiter if self._backlog <= BACKLOG or self._gone is not None else None
                if waiter is not None:
                    self._waiter = None
            if waiter is not None:
                loop, future = waiter
                loop.call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # cancelled meanwhile (the deadline)
        future.set_result(None)


def _drain(wake: socket.socket) -> None:
    try:
        while wake.recv(4096):
            pass
    except OSError:  # nothing more to read
        pass


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """The slots are done: what still runs on the loop (the lifespan's task) is cancelled, the loop closed."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
    loop.close()
