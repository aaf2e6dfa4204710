"""Lambda Managed Instances: several invocations in flight in one execution environment.

docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html: Lambda sets
``AWS_LAMBDA_MAX_CONCURRENCY`` and takes that many concurrent ``GET .../invocation/next`` calls.
The managed Python runtime forks one worker per slot *before* importing the handler, so every slot
imports the app and holds its own copy; here the handler is imported once, then:

- ``threads`` (the default): one thread per slot in this process, each with its own Runtime API
  connection, sharing the app. The invocation being served (request id, tenant id, trace id) is a
  context variable of its thread: the log lines, ``context`` and ``os.environ["_X_AMZN_TRACE_ID"]``
  are each invocation's own. An app that waits (I/O, ``time.sleep``) releases the GIL; an app
  that computes in Python holds it, and ``LAMBDA_ADAPTER_WORKERS=processes`` serves it better.
  An ASGI app made by ``adapt()`` has one event loop for all slots, run for good in the main
  thread (``_loop_slots``): one lifespan, each invocation a task of that loop (``handler.ainvoke``)
  with the context variables of the slot that took it; the slot's thread does the Runtime API I/O.
- ``processes``: one process per slot, forked *after* the import, sharing the imported app's pages
  copy-on-write; each serves one invocation at a time, as the managed runtime's workers do.

Invariants: never more invocations in flight than slots (each slot asks for the next one only when
its answer is posted). A refused answer (400, 403, 413) concerns its invocation only; a fatal
Runtime API failure (500, a lost connection) ends the process with status 1, as the Runtime API
asks. ``limit`` (``--invocations``, for tests) counts the invocations of all thread slots together.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from http.client import HTTPException

from . import _log
from ._answer import answer, serve
from ._api import RuntimeAPI, RuntimeAPIError
from ._context import per_invocation_trace_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ENV_WORKERS = "LAMBDA_ADAPTER_WORKERS"
log = logging.getLogger("lambda_adapter.runtime")


def serve_concurrently(
    address: str, handler: Callable[..., Any], streams: bool, slots: int, limit: int | None = None
) -> int:
    """Serve ``slots`` invocations at a time until the Runtime API goes away; the exit status."""
    workers = os.environ.get(ENV_WORKERS, "threads").strip().lower()
    if workers not in ("threads", "processes"):
        log.warning("%s=%r is neither threads nor processes: threads", ENV_WORKERS, workers)
        workers = "threads"
    if workers == "processes" and slots > 1:
        return _forked(address, handler, streams, slots)
    _log.to_telemetry_socket()
    per_invocation_trace_id()
    return _threads(address, handler, streams, slots, limit)


class _Slots:
    """The thread slots' shared state: invocations left to serve, and how the first failure ended them."""

    def __init__(self, count: int, limit: int | None) -> None:
        self.left = limit
        self.running = count
        self.status = 0
        self.done = threading.Event()
        self.on_done: Callable[[], None] | None = None  # told once, when done is set
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Whether this slot may ask for one more invocation."""
        with self._lock:
            if self.done.is_set() or self.left == 0:
                return False
            if self.left is not None:
                self.left -= 1
            return True

    def end(self, status: int) -> None:
        with self._lock:
            self.running -= 1
            self.status = max(self.status, status)
            if (status or not self.running) and not self.done.is_set():
                self.done.set()
                if self.on_done is not None:
                    self.on_done()


def _threads(address: str, handler: Callable[..., Any], streams: bool, slots: int, limit: int | None) -> int:
    state = _Slots(slots, limit)
    if _on_one_loop(handler):
        from ._loop_slots import serve_on_loop

        return serve_on_loop(state, lambda run: _start(address, handler, streams, state, slots, run))
    _start(address, handler, streams, state, slots, None)
    state.done.wait()
    return state.status


def _on_one_loop(handler: Any) -> bool:
    """Whether every app of ``handler`` is an ASGI app made by ``adapt()``: then one event loop serves all slots."""
    runner = getattr(handler, "runner", None)
    if getattr(handler, "ainvoke", None) is None or runner is None:
        return False
    runners = getattr(runner, "runners", [runner])  # the mounted apps' runners, or the one app's
    return all(getattr(each, "interface", None) == "asgi" for each in runners)


def _start(address: str, handler: Callable[..., Any], streams: bool, state: _Slots, slots: int, run: Any) -> None:
    for number in range(slots):
        arguments = (address, handler, streams, state, run)
        threading.Thread(target=_slot, args=arguments, name=f"invocation-slot-{number}", daemon=True).start()


def _slot(address: str, handler: Callable[..., Any], streams: bool, state: _Slots, run: Any) -> None:
    # signals go to the main thread, whose handlers (SIGTERM: lifespan shutdown) run at once there
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    api = RuntimeAPI(address)
    status = 0
    try:
        while state.take():
            answer(api, handler, streams, api.next(), run)
    except (RuntimeAPIError, OSError, HTTPException) as exc:
        log.error("the Runtime API at %s failed (%s); exiting", address, exc)
        status = 1
    except BaseException:
        log.exception("an invocation slot failed; exiting")
        status = 1
    finally:
        api.close()
        state.end(status)


def _forked(address: str, handler: Callable[..., Any], streams: bool, slots: int) -> int:
    """One child per slot, forked after the import; the first child to fail ends them all."""
    children = []
    for _ in range(slots):
        pid = os.fork()
        if pid == 0:  # the child: one invocation at a time, its own connection and log socket
            status = 1
            try:
                _log.to_telemetry_socket()
                serve(RuntimeAPI(address), handler, streams)  # the one-at-a-time loop, in this process
            except (RuntimeAPIError, OSError, HTTPException) as exc:
                log.error("the Runtime API at %s failed (%s); exiting", address, exc)
            finally:
                os._exit(status)
        children.append(pid)
    status = 0
    while children:
        pid, code = os.wait()
        children.remove(pid)
        if code and not status:
            status = 1
            for other in children:
                os.kill(other, 15)
    return status
