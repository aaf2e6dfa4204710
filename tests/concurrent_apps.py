"""Handlers the runtime loop loads in the Managed Instances and SnapStart tests (``tests/runtime/test_concurrency.py``).

The barrier is a folder: each invocation adds a file and waits until ``n`` files are there, so it
opens only when ``n`` invocations are in flight at once, in threads or in processes alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lambda_adapter import adapt

print(f"module init in {os.getpid()}", file=sys.stderr, flush=True)  # counted by the tests: imports per process
BARRIER_SECONDS = 20.0  # a barrier that never opens answers "opened": false, never hangs the test


def wait_at(folder: str, count: int, name: str) -> bool:
    """Add ``name`` to the barrier ``folder``; whether ``count`` were there before the timeout."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    (path / name).touch()
    end = time.monotonic() + BARRIER_SECONDS
    while len(list(path.iterdir())) < count:
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def barrier(event: Any, context: Any) -> dict[str, Any]:
    """A plain function: waits at the event's barrier, then tells what it read of its own invocation."""
    logging.getLogger("app").warning("serving %s", context.aws_request_id)
    opened = wait_at(event["barrier"], event["n"], context.aws_request_id) if "barrier" in event else True
    logging.getLogger("app").warning("answering %s", context.aws_request_id)
    return {
        "opened": opened,
        "request_id": context.aws_request_id,
        "tenant_id": context.tenant_id,
        "trace_env": os.environ.get("_X_AMZN_TRACE_ID"),
        "trace_context": context.trace_id,
        "pid": os.getpid(),
        "thread": threading.get_ident(),
    }


def flask_app() -> Any:
    from flask import Flask, jsonify, request

    app = Flask("concurrent")

    @app.get("/wait")
    def wait() -> Any:
        name = request.environ["aws.context"].aws_request_id
        opened = wait_at(request.args["barrier"], int(request.args["n"]), name)
        return jsonify(opened=opened, pid=os.getpid(), request_id=name)

    return app


wsgi = adapt(flask_app())


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Lifespan (printed) and /wait?barrier=&n=: the barrier awaited without blocking the loop."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            print(f"lifespan: startup in {os.getpid()}", file=sys.stderr, flush=True)
            await send({"type": "lifespan.startup.complete"})
        print(f"lifespan: shutdown in {os.getpid()}", file=sys.stderr, flush=True)
        await send({"type": "lifespan.shutdown.complete"})
        return
    query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if part)
    context = scope["aws.context"]
    opened = True
    if "barrier" in query:
        folder, count = Path(query["barrier"]), int(query["n"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / context.aws_request_id).touch()
        end = time.monotonic() + BARRIER_SECONDS
        while len(list(folder.iterdir())) < count and time.monotonic() < end:
            await asyncio.sleep(0.005)
        opened = len(list(folder.iterdir())) >= count
    logging.getLogger("app").warning("answering %s", context.aws_request_id)
    body = {"opened": opened, "pid": os.getpid(), "request_id": context.aws_request_id,
            "trace_env": os.environ.get("_X_AMZN_TRACE_ID"), "thread": threading.get_ident()}  # fmt: skip
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


asgi = adapt(asgi_app)
asgi_events = adapt(asgi_app, events={"sqs": "/wait"})  # an SQS event posted to /wait


def _register_snapstart_hooks() -> None:
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    def before(name: str) -> None:
        print(f"before snapshot: {name}", file=sys.stderr, flush=True)
        if os.environ.get("TEST_SNAPSTART_FAIL") == "before":
            raise RuntimeError("the before-snapshot hook broke on purpose")

    def after() -> None:
        print("after restore", file=sys.stderr, flush=True)
        if os.environ.get("TEST_SNAPSTART_FAIL") == "after":
            raise RuntimeError("the after-restore hook broke on purpose")

    register_before_snapshot(before, "first registered")
    register_before_snapshot(before, "last registered")
    register_after_restore(after)


if os.environ.get("TEST_SNAPSTART_HOOKS"):
    _register_snapstart_hooks()
