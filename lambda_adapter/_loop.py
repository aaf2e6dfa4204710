"""The process's event loop: one per Lambda container, a task's first step run at once.

Invariants: made here and kept (never ``get_event_loop()``); made anew only if something
closed it; a task that outlives its deadline is cancelled and ``DeadlineExceeded`` raised.
"""

from __future__ import annotations

import asyncio
import atexit
import sys

from ._errors import DeadlineExceeded

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
