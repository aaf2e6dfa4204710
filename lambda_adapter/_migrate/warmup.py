"""Warm-up in the Lambda init phase (``adapt(app, init_requests=[...])``), and the SnapStart hooks.

Invariants:
- Each configured request goes through the whole handler (detect, translate, run, translate
  back) once per process, as an HTTP API (payload 2.0) event for ``localhost`` with the header
  ``x-lambda-adapter-warmup: 1``: the first request's lazy work (the framework's imports and
  route compilation, the adapter's per-format modules, ASGI lifespan startup) is done in init,
  and a user's first request does not pay for it. A warm-up answer of 4xx or 5xx is logged, not raised;
  an exception (a failed lifespan "on") fails the init, as ``eager_startup`` does.
- With Lambda SnapStart (``snapshot_restore_py`` importable), a before-snapshot hook runs the
  warm-up and an after-restore hook refreshes what must differ between restored copies. When
  the init is a SnapStart one (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``) the warm-up waits
  for the hook, so the whole module has been imported first; otherwise it runs in ``adapt()``.
- What is fresh after restore: the adapter keeps no clock reading, random value, connection or
  request id across events (each event's id and deadline come from its context; the event loop's
  epoll and self-pipe descriptors are restored with the microVM), so it has nothing of its own to
  refresh. Stale after a restore is what the app made before the snapshot: the ``random``
  module's state, which every restored copy would share (re-seeded from ``os.urandom`` here,
  when the app imported ``random``), and connections opened at import, in lifespan startup or by
  the warm-up (the app's to reopen: open them lazily, or in its own after-restore hook).
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Handler = Callable[[Any, Any], Any]

INIT_SECONDS = 10.0  # Lambda's init phase lasts at most 10 s: the warm-up's deadline
SNAPSHOT_SECONDS = 130.0  # a SnapStart init (before-snapshot hooks included) may take 130 s or the function timeout
HEADERS = {"host": "localhost", "user-agent": "lambda-adapter-warmup", "x-lambda-adapter-warmup": "1"}


class _Context:
    """The Lambda context of a warm-up request, with the managed runtime's attributes (an app that reads
    ``function_name`` must not fail its warm-up); its deadline is the end of the init phase."""

    invoked_function_arn = ""  # not known before the first invocation
    client_context = identity = None

    def __init__(self, number: int, deadline: float) -> None:
        env = os.environ
        self.aws_request_id = f"warmup-{number}"
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class WarmUp:
    """The configured requests, sent through the handler at most once."""

    def __init__(self, handler: Handler, requests: tuple[tuple[str, str], ...]) -> None:
        self.handler = handler
        self.requests = requests
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        deadline = time.monotonic() + (SNAPSHOT_SECONDS if _snapstart_init() else INIT_SECONDS)
        for number, (method, target) in enumerate(self.requests, 1):
            result = self.handler(to_event(method, target), _Context(number, deadline))
            status = result.get("statusCode", 200) if isinstance(result, dict) else 200
            if status >= 400:  # a 404 warmed nothing, a 5xx failed: the user must hear of both
                from .._run import logger

                logger().warning("warm-up request %s %s was answered %s", method, target, status)


def to_event(method: str, target: str) -> dict[str, Any]:
    """The HTTP API (payload 2.0) event of a warm-up request ``method target``."""
    path, _, query = target.partition("?")
    http = {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "warmup"}
    context = {"domainName": "localhost", "http": http, "requestId": "warmup", "stage": "$default"}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": dict(HEADERS),
        "requestContext": context,
        "isBase64Encoded": False,
    }


def prepare(handler: Handler, requests: tuple[tuple[str, str], ...]) -> WarmUp:
    """Run the warm-up now, or register it (and the refresh) as SnapStart hooks; the warm-up."""
    warm_up = WarmUp(handler, requests)
    try:
        from snapshot_restore_py import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        warm_up()
        return warm_up
    register_before_snapshot(warm_up)
    register_after_restore(refresh_after_restore)
    if not _snapstart_init():  # no snapshot coming: warm up now
        warm_up()
    return warm_up


def _snapstart_init() -> bool:
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def refresh_after_restore() -> None:
    """After a SnapStart restore: what restored copies of one snapshot must not share."""
    random = sys.modules.get("random")
    if random is not None:
        random.seed()  # from os.urandom: each restored copy draws its own numbers
