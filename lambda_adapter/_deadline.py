"""The Lambda deadline: how long an invocation has left, and a watchdog for WSGI apps.

Invariants: reads only the Lambda context; the watchdog only logs, and takes SIGALRM only
when nothing else has it.
"""

from __future__ import annotations

import signal

from ._faults import logger

TYPE_CHECKING = False
if TYPE_CHECKING:
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

    A thread cannot be stopped from outside, so a warning is all a WSGI adapter can honestly
    give. It is a SIGALRM timer (one ``setitimer`` call to arm, one to disarm: no thread, no
    lock on the hot path), taken only in the main thread and only while nobody else uses SIGALRM.
    """

    def __init__(self) -> None:
        self._request = "-"
        self._usable: bool | None = None  # decided on the first arm

    def arm(self, seconds: float, request: str) -> None:
        if self._usable is None:
            self._usable = self._install()
        if self._usable:
            self._request = request
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def disarm(self) -> None:
        if self._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _install(self) -> bool:
        try:
            if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None):
                logger().debug("SIGALRM is in use: no deadline warning for the WSGI app")
                return False
            signal.signal(signal.SIGALRM, self._alarm)
        except ValueError:  # not the main thread: signals cannot be handled here
            return False
        return True

    def _alarm(self, signum: int, frame: Any) -> None:
        logger().warning(
            "the WSGI app is still running near the Lambda deadline (request %s); "
            "a WSGI app cannot be interrupted, Lambda will end the invocation",
            self._request,
        )


WATCHDOG = Watchdog()  # one per process: Lambda runs one invocation at a time in it
