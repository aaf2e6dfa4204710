"""Soak: 100,000 invocations of good, malformed and failing requests in one process.

Memory stays flat, and no task, thread or file descriptor is left behind. The figures are
printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter._run.container import container_loop
from lambda_adapter.testing import LambdaContext, event_for
from tests.apps import LifespanApp

ROUNDS = 100_000


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/fail":
        raise RuntimeError("failing on purpose")
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Set-Cookie", "a=1")])
    return [environ["wsgi.input"].read()]


class AsgiApp(LifespanApp):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/fail":
            raise RuntimeError("failing on purpose")
        if scope["type"] == "http" and scope["path"] == "/wait":
            await asyncio.sleep(0)  # a real suspension: the loop runs
        await super().__call__(scope, receive, send)


def test_soak() -> None:
    handlers = [adapt(wsgi_app), adapt(AsgiApp())]
    good = [event_for(f, method="POST", path="/ok", body=b"x" * 64) for f in ("rest", "http", "alb-multi", "url")]
    waits = [event_for("http", path="/wait")]
    failing = [event_for("rest", path="/fail")]
    malformed = [dict(event_for("http"), isBase64Encoded=True, body="!!"), {"Records": []}, {"headers": None}]
    mix = [*good, *waits, *failing, *malformed]
    context = LambdaContext()
    statuses: dict[int, int] = {}
    logging.disable(logging.CRITICAL)  # 1 in 9 requests fails by design; keep the log out of memory
    try:
        for round_ in range(ROUNDS):
            if round_ == 10_000:
                baseline = (rss_kib(), threading.active_count(), open_fds(), len(asyncio.all_tasks(container_loop())))
            try:
                result = handlers[round_ % 2](mix[round_ % len(mix)], context)
                statuses[result["statusCode"]] = statuses.get(result["statusCode"], 0) + 1
            except UnsupportedEvent:
                statuses[0] = statuses.get(0, 0) + 1
    finally:
        logging.disable(logging.NOTSET)
    end = (rss_kib(), threading.active_count(), open_fds(), len(asyncio.all_tasks(container_loop())))
    print(f"\nsoak: {ROUNDS} invocations, statuses {sorted(statuses.items())}")
    print(f"soak: RSS {baseline[0]} KiB after 10,000 -> {end[0]} KiB after {ROUNDS}")
    print(f"soak: threads {baseline[1]} -> {end[1]}; fds {baseline[2]} -> {end[2]}; tasks {baseline[3]} -> {end[3]}")
    assert set(statuses) == {0, 200, 400, 500}
    assert end[0] - baseline[0] < 4096, "memory grew by more than 4 MiB"
    assert end[1:] == baseline[1:]
