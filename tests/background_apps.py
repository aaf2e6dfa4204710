"""Apps with work after the answer, loaded by the runtime loop in ``tests/runtime/test_after_answer.py``.

A real FastAPI app (``BackgroundTasks``, a streamed answer with a background task, one that raises)
and a real Flask app (``response.call_on_close``). The work after the answer waits at a gate, a file
the test creates only once it holds the answer; when the gate opens it leaves a file ``done`` with
the request id in it, and logs ``after the answer: <request id>``. A gate that never opens gives up
after ``GATE_SECONDS``, so a broken runtime fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request  # at module level: FastAPI resolves the annotations here
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from lambda_adapter import adapt

GATE_SECONDS = 20.0
log = logging.getLogger("app")


def wait_for(gate: Path) -> bool:
    end = time.monotonic() + GATE_SECONDS
    while not gate.exists():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


async def await_for(gate: Path) -> bool:
    end = time.monotonic() + GATE_SECONDS
    while not gate.exists():
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.005)
    return True


def finished(folder: Path, request_id: str, opened: bool) -> None:
    (folder / "done").write_text(f"{request_id} {'opened' if opened else 'gate timeout'}")
    log.warning("after the answer: %s", request_id)


def fastapi_app() -> Any:
    app = FastAPI()

    async def after(folder: Path, request_id: str) -> None:
        finished(folder, request_id, await await_for(folder / "gate"))

    @app.get("/background")
    async def background(folder: str, request: Request, tasks: BackgroundTasks) -> dict[str, str]:
        request_id = request.scope["aws.context"].aws_request_id
        tasks.add_task(after, Path(folder), request_id)
        return {"answered": request_id}

    @app.get("/streamed")
    async def streamed(folder: str, request: Request) -> StreamingResponse:
        request_id = request.scope["aws.context"].aws_request_id

        async def parts() -> Any:
            yield b"one\n"
            yield b"two\n"

        return StreamingResponse(parts(), media_type="text/plain", background=BackgroundTask(after, Path(folder),
                                                                                              request_id))  # fmt: skip

    @app.get("/raises")
    async def raises(tasks: BackgroundTasks) -> dict[str, str]:
        def broken() -> None:
            raise RuntimeError("the background task broke on purpose")

        tasks.add_task(broken)
        return {"answered": "yes"}

    @app.get("/forever")
    async def forever(tasks: BackgroundTasks) -> dict[str, str]:
        async def endless() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                log.warning("the endless background task was cancelled")
                raise

        tasks.add_task(endless)
        return {"answered": "yes"}

    @app.get("/quick")
    async def quick() -> dict[str, str]:
        return {"quick": "yes"}

    return app


def flask_app() -> Any:
    from flask import Flask, Response, request

    app = Flask("after")

    @app.get("/background")
    def background() -> Any:
        folder = Path(request.args["folder"])
        request_id = request.environ["aws.context"].aws_request_id
        response = Response(f"answered {request_id}", mimetype="text/plain")
        response.call_on_close(lambda: finished(folder, request_id, wait_for(folder / "gate")))
        return response

    @app.get("/streamed")
    def streamed() -> Any:
        folder = Path(request.args["folder"])
        request_id = request.environ["aws.context"].aws_request_id

        def rows() -> Iterator[bytes]:
            yield b"one\n"
            yield b"two\n"

        response = Response(rows(), mimetype="text/plain")
        response.call_on_close(lambda: finished(folder, request_id, wait_for(folder / "gate")))
        return response

    @app.get("/raises")
    def raises() -> Any:
        def broken() -> None:
            raise RuntimeError("call_on_close broke on purpose")

        response = Response("answered", mimetype="text/plain")
        response.call_on_close(broken)
        return response

    @app.get("/quick")
    def quick() -> Any:
        return Response("quick", mimetype="text/plain")

    return app


asgi = adapt(fastapi_app())
wsgi = adapt(flask_app())
