"""The Lambda deadline: how long an invocation has left, and a watchdog for WSGI apps.

Invariants: reads only the Lambda context; the watchdog is one daemon thread per process,
started on first use, armed and disarmed per event (two lock round trips), and it only logs.
"""

from __future__ import annotations

import time

from ._faults import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import Any


def seconds_left(context: Any, margin: float) -> float | None:
    """Seconds until the deadline less ``margin``; None when the context does not tell."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    try:
        return float(remaining()) / 1000 - margin
    except (TypeError, ValueError):
        return None


class Watchdog:
    """Logs a warning when a WSGI app is still running as the deadline comes near.

    A thread cannot be stopped from outside, so this is all a WSGI adapter can honestly do.
    """

    def __init__(self) -> None:
        import threading

        self._condition = threading.Condition()
        self._deadline: float | None = None
        self._request = "-"
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, request: str) -> None:
        with self._condition:
            self._deadline = time.monotonic() + seconds
            self._request = request
            if self._thread is None:
                self._thread = self._start()
            self._condition.notify()

    def disarm(self) -> None:
        with self._condition:
            self._deadline = None

    def _start(self) -> threading.Thread:
        import threading

        thread = threading.Thread(target=self._watch, name="lambda-adapter-watchdog", daemon=True)
        thread.start()
        return thread

    def _watch(self) -> None:
        with self._condition:
            while True:
                deadline = self._deadline
                if deadline is None:
                    self._condition.wait()
                    continue
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                logger().warning(
                    "the WSGI app is still running near the Lambda deadline (request %s); "
                    "a WSGI app cannot be interrupted, Lambda will end the invocation",
                    self._request,
                )
                self._deadline = None
