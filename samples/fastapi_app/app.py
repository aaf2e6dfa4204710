"""A FastAPI app behind lambda-adapter, with a lifespan that opens SQLite once per container."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, File, Request, Response, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from lambda_adapter import adapt

STARTUPS = {"count": 0}  # module state: how many times lifespan startup ran in this process


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    STARTUPS["count"] += 1
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("create table events (name text)")
    yield {"db": db}
    db.close()


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)


@app.get("/api/items")
async def list_items(limit: int = 10) -> dict[str, Any]:
    return {"items": [{"id": i, "name": f"item {i}"} for i in range(1, 3)][:limit]}


@app.get("/products")
async def products(request: Request) -> dict[str, Any]:
    return {"products": [], "url": str(request.url_for("products"))}


@app.post("/api/items", status_code=201)
async def create_item(item: Item) -> dict[str, Any]:  # a bad body gets FastAPI's 422
    return {"created": item.model_dump()}


@app.get("/query")
async def query(request: Request) -> dict[str, Any]:
    args: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        args.setdefault(key, []).append(value)
    return {"raw": request.url.query, "args": args}


@app.post("/echo")
async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


# a 1x1 PNG (a red dot), answered to GET and HEAD
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


@app.api_route("/image.png", methods=["GET", "HEAD"])
async def image() -> Response:
    return Response(PNG, media_type="image/png")


@app.get("/gzip")
async def compressed() -> Response:
    body = gzip.compress(json.dumps({"items": list(range(200))}).encode())
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})


@app.get("/request")
async def describe(request: Request) -> dict[str, Any]:
    return {
        "method": request.method, "path": request.url.path, "root": request.scope["root_path"],
        "url": str(request.url), "client": request.client.host if request.client else None,
        "query": request.url.query, "cookies": request.cookies,
    }  # fmt: skip


@app.get("/startups")
async def startups(request: Request) -> dict[str, Any]:
    db: sqlite3.Connection = request.state.db
    db.execute("insert into events values ('request')")
    seen = db.execute("select count(*) from events").fetchone()[0]
    return {"startups": STARTUPS["count"], "requests_seen": seen}


@app.post("/upload")
async def upload(file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    data = await file.read()
    return {"name": file.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@app.get("/stream")
async def stream() -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for n in range(5):
            yield f"line {n}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


def record(db: sqlite3.Connection, name: str) -> None:
    db.execute("insert into events values (?)", (name,))


@app.post("/tasks")
async def start_task(request: Request, background: BackgroundTasks) -> dict[str, str]:
    background.add_task(record, request.state.db, "background")
    return {"status": "queued"}


@app.get("/tasks")
async def tasks_done(request: Request) -> dict[str, int]:
    db: sqlite3.Connection = request.state.db
    return {"background": db.execute("select count(*) from events where name = 'background'").fetchone()[0]}


@app.post("/login")
async def login(response: Response) -> dict[str, bool]:
    response.set_cookie("session", "abc123", httponly=True, secure=True)
    response.set_cookie("theme", "dark")
    return {"ok": True}


@app.get("/go")
async def go(request: Request) -> RedirectResponse:
    return RedirectResponse(str(request.url_for("list_items")), status_code=303)


@app.get("/boom")
async def boom() -> None:
    raise RuntimeError("sample failure with a secret: hunter2")


handler = adapt(app)
