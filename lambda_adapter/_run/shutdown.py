"""The end of an ASGI app's life in the container: lifespan shutdown on SIGTERM, then the SIGTERM
handler that was there before; and the end of tasks that outlived their invocation's deadline.

Imported when one of those comes (``container`` calls in here from the SIGTERM handler,
``Lifespan.shutdown`` and ``EagerLoop.run`` when it has leftovers): none of it is on a cold start's path.
Invariant: shutdown waits at most ``SHUTDOWN_TIMEOUT``; a second SIGTERM does nothing more.
"""

from __future__ import annotations

import asyncio
import os
import signal

from . import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SHUTDOWN_TIMEOUT = 1.0  # seconds; Lambda gives the runtime little time after SIGTERM


def shutdown(lifespan: Any) -> asyncio.Task[None] | None:
    """``lifespan.shutdown``: send ``lifespan.shutdown`` and wait (bounded) for the app to finish it;
    on a running loop (SIGTERM inside an invocation, or on a loop run for good) the task that will."""
    loop = lifespan.loop
    if not lifespan.supported or loop.is_closed():
        return None
    lifespan.supported = False
    if loop.is_running():  # let the loop do it
        task: asyncio.Task[None] = loop.create_task(_shutdown(lifespan))
        return task
    loop.run_until_complete(_shutdown(lifespan))
    return None


async def _shutdown(lifespan: Any) -> None:
    await lifespan._to_app.put({"type": "lifespan.shutdown"})
    try:
        message = await asyncio.wait_for(lifespan._from_app.get(), SHUTDOWN_TIMEOUT)
    except asyncio.TimeoutError:
        logger().warning("ASGI lifespan shutdown did not finish within %.1f s", SHUTDOWN_TIMEOUT)
        return
    if message["type"] == "lifespan.shutdown.failed":
        logger().error("ASGI lifespan shutdown failed: %s", message.get("message") or "no message")


def on_sigterm(lifespan: Any, previous: Any, signum: int, frame: Any, loop_goes_on: bool) -> None:
    """SIGTERM: the lifespan's shutdown, then ``previous`` (what handled SIGTERM before); on a loop
    that goes on (run for good in the main thread) ``previous`` once the shutdown task is done."""

    def then(*_: Any) -> None:
        _previous(previous, signum, frame)

    try:
        task = lifespan.shutdown()
    except BaseException:
        then()
        raise
    if task is not None and loop_goes_on:
        task.add_done_callback(then)
    else:
        then()


def _previous(previous: Any, signum: int, frame: Any) -> None:
    """What handled SIGTERM before the lifespan's handler: called, or the default done again."""
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # the default: end the process, as it would have
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


async def recancel(tasks: set[asyncio.Task[Any]], grace: float) -> None:
    """Before an invocation: cancel again the tasks of earlier ones that ignored their cancellation,
    and give them ``grace`` seconds."""
    for task in list(tasks):
        if not task.done():
            logger().warning("cancelling again a task an earlier invocation's deadline cancelled: %r", task)
            task.cancel()
    await asyncio.wait(tasks, timeout=grace)
    for task in list(tasks):
        if task.done():
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:  # retrieved: reported once, here
                logger().warning("a task an earlier invocation's deadline cancelled ended with %r", task.exception())
    if tasks:
        logger().error("%d task(s) of earlier invocations still ignore cancellation; this one runs beside them",
                       len(tasks))  # fmt: skip
        tasks.clear()  # said once: they are the app's to end
