"""The FastAPI sample's own tests: the handler called as a Function URL calls it, through the httpx transports."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import httpx

from lambda_adapter.testing import AsyncLambdaTransport, LambdaTransport


def load_sample() -> Any:
    """``app.py`` next to this file (every sample's module is named app.py: import it under its own name)."""
    if "fastapi_sample_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("fastapi_sample_app", Path(__file__).with_name("app.py"))
        assert spec and spec.loader
        sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules["fastapi_sample_app"]


def client() -> httpx.Client:
    return httpx.Client(transport=LambdaTransport(load_sample().handler, format="url"), base_url="https://fn.test")


def test_create_item_validates_the_body() -> None:
    with client() as c:
        created = c.post("/api/items", json={"name": "pear", "price": 2.5})
        assert (created.status_code, created.json()) == (201, {"created": {"name": "pear", "price": 2.5}})
        assert c.post("/api/items", json={"name": "", "price": -1}).status_code == 422


def test_upload_is_byte_exact() -> None:
    data = bytes(range(256)) * 10
    with client() as c:
        seen = c.post("/upload", files={"file": ("d.bin", data)}).json()
    assert seen == {"name": "d.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_lifespan_ran_once_for_many_requests() -> None:
    with client() as c:
        first = c.get("/startups").json()
        second = c.get("/startups").json()
    assert second["startups"] == first["startups"] >= 1  # no startup between the two (other tests adapt it too)
    assert second["requests_seen"] == first["requests_seen"] + 1  # the same database: the same lifespan state


def test_background_task_runs_before_the_answer_returns() -> None:
    with client() as c:
        before = c.get("/tasks").json()["background"]
        assert c.post("/tasks").json() == {"status": "queued"}
        assert c.get("/tasks").json()["background"] == before + 1


def test_async_client() -> None:
    async def main() -> list[Any]:
        transport = AsyncLambdaTransport(load_sample().handler, format="url")
        async with httpx.AsyncClient(transport=transport, base_url="https://fn.test") as c:
            answers = await asyncio.gather(c.get("/api/items"), c.get("/stream"), c.get("/go", follow_redirects=True))
        return [a.json() if a.headers["content-type"] == "application/json" else a.text for a in answers]

    items, stream, redirected = asyncio.run(main())
    assert items == redirected == {"items": [{"id": 1, "name": "item 1"}, {"id": 2, "name": "item 2"}]}
    assert stream == "".join(f"line {n}\n" for n in range(5))
