"""The apps of the Managed Instances benchmark (benchmarks/managed_instances.py): one module, as a function
would ship it, with a Flask and a FastAPI app whose every request waits ``MI_SLEEP`` seconds (0.3)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from flask import Flask

from lambda_adapter import adapt

print("module init", file=sys.stderr, flush=True)  # counted: one line per import of this module
SLEEP = float(os.environ.get("MI_SLEEP", "0.3"))

flask_app = Flask(__name__)


@flask_app.get("/work")
def work() -> dict[str, int]:
    time.sleep(SLEEP)  # a blocking call (a database, an HTTP API), as WSGI apps make them
    return {"pid": os.getpid()}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    print("lifespan startup", file=sys.stderr, flush=True)  # counted: one line per lifespan
    yield


fastapi_app = FastAPI(lifespan=lifespan)


@fastapi_app.get("/work")
async def work_async() -> dict[str, int]:
    await asyncio.sleep(SLEEP)
    return {"pid": os.getpid()}


wsgi = adapt(flask_app)
asgi = adapt(fastapi_app)
