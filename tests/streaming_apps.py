"""Handlers the runtime loop loads in the tests (``python -m lambda_adapter.runtime tests.streaming_apps:NAME``)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from lambda_adapter import adapt


def plain(event: Any, context: Any) -> dict[str, Any]:
    """A plain function, no adapter: echoes what the runtime gave it, read as the managed runtime's context."""
    client = context.client_context
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
        "client_context": client and {"custom": client.custom, "env": client.env, "client": vars_of(client.client)},
        "identity": vars_of(context.identity),
        "tenant_id": context.tenant_id,
        "environment": {
            name: [getattr(context, name), type(getattr(context, name)).__name__]
            for name in ("function_name", "function_version", "memory_limit_in_mb", "log_group_name", "log_stream_name")
        },
    }


def w3c(event: Any, context: Any) -> dict[str, Any]:
    """The W3C trace context the managed runtime's ``context.w3c()`` gives, and the client context beside it."""
    client = context.client_context
    return {"w3c": context.w3c(), "custom": client and client.custom, "env": client and client.env}


def vars_of(value: Any) -> Any:
    """The attributes of a context part (which has __slots__, as the managed runtime's have)."""
    return value and {name: getattr(value, name) for name in type(value).__slots__}


def answers(event: Any, context: Any) -> Any:
    """Answers with what the event asks for: a Decimal, bytes, a large string; prints and logs on the way."""
    from decimal import Decimal

    print(f"printed for {event.get('kind')}")  # no flush: the runtime's stdout must not hold it back
    logging.getLogger("app").warning("logged for %s", event.get("kind"))
    context.log("context.log line\n")
    kind = event.get("kind")
    if kind == "decimal":
        return {"price": Decimal("19.99"), "count": Decimal("3"), "big": Decimal("12345678901234567890")}
    if kind == "bytes":
        return b"\x00raw bytes\xff"
    if kind == "large":
        return "x" * 7_000_000  # over Lambda's 6 MB: the Runtime API answers 413
    if kind == "exact":  # DynamoDB keeps 38 digits; boto3 hands them over as Decimal, as written
        return {"pi": Decimal("3.14159265358979323846264"), "price": Decimal("1.10"), "e": Decimal("1E+2"),
                "zero": Decimal("-0"), "nan": Decimal("NaN")}  # fmt: skip
    if kind == "bytes inside":  # b64encode() without .decode(): the managed runtime sends it as text
        return {"body": base64.b64encode(b"\x00\xff"), "text": "caf\u00e9".encode(), "list": [b"a"]}
    if kind == "bytes inside, no UTF-8":
        return {"body": b"\xff"}
    if kind == "unicode":
        return {"text": "caf\u00e9 \u65e5\u672c \U0001f600"}
    if kind == "lone surrogate":  # half of a UTF-16 pair, as a careless slice of JSON text can leave it
        return {"text": "caf\u00e9 \ud83d"}
    if kind == "lone surrogate, failing":
        raise ValueError("caf\u00e9 \ud83d")
    return {"kind": kind}


def failing(event: Any, context: Any) -> Any:
    raise ValueError("the handler broke on purpose")


def failing_inside(event: Any, context: Any) -> Any:
    """Fails inside an expression: Python 3.11+ can point at it (``~~^^^``) in a traceback."""
    return _lookup({}, "cl\u00e9") + 1


def _lookup(table: dict[str, int], key: str) -> int:
    return table[key] * 2


def unserialisable(event: Any, context: Any) -> Any:
    return {"when": object()}


def _query(scope: dict[str, Any]) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(scope["query_string"].decode()).items()}


async def _start(send: Any, content_type: bytes = b"text/plain") -> None:
    headers = [(b"content-type", content_type), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"x-app", b"slow")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Routes: /gated?gate=&wait= (waits for the test between chunks), /slow (n chunks, delay apart), /endless, /fail,
    /flood?parts= (256 KiB parts as fast as it can).
    Lifespan: startup and shutdown are printed."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            print("lifespan: startup", file=sys.stderr, flush=True)
            await send({"type": "lifespan.startup.complete"})
        print("lifespan: shutdown", file=sys.stderr, flush=True)
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":
        return
    query, path = _query(scope), scope["path"]
    if path == "/fail":
        raise RuntimeError("the app broke before answering")
    await _start(send, b"text/event-stream" if path == "/endless" else b"text/plain")
    if path == "/gated":  # the last chunk goes only once the test has seen the first one
        await send({"type": "http.response.body", "body": b"first\n", "more_body": True})
        gate, waited = Path(query["gate"]), 0.0
        while not gate.exists() and waited < float(query.get("wait", "10")):
            await asyncio.sleep(0.01)
            waited += 0.01
        await send({"type": "http.response.body", "body": b"last\n" if gate.exists() else b"gate timeout\n"})
    elif path == "/slow":
        count, delay = int(query.get("n", "5")), float(query.get("delay", "0.2"))
        for number in range(count):
            await asyncio.sleep(delay)
            chunk = f"chunk {number} at {time.monotonic():.6f}\n".encode()
            await send({"type": "http.response.body", "body": chunk, "more_body": number + 1 < count})
    elif path == "/endless":
        try:
            for number in range(1_000_000):
                await send({"type": "http.response.body", "body": f"data: {number}\n\n".encode(), "more_body": True})
                await asyncio.sleep(0.02)
        finally:
            print("endless: stopped", file=sys.stderr, flush=True)
    elif path == "/midstream":
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("the app broke after its first chunk")
    elif path == "/flood":  # as fast as it can: 256 KiB parts, never waiting on anything of its own
        part = b"x" * 262_144
        for _ in range(int(query.get("parts", "256"))):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"end\n"})
    elif path == "/unfinished":  # returns with more body promised: the app broke the ASGI protocol
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})


class _Rows:
    """A WSGI iterable with close(), which prints when it is called."""

    def __init__(self, count: int, delay: float, fail_at: int | None) -> None:
        self.count, self.delay, self.fail_at = count, delay, fail_at

    def __iter__(self) -> Iterator[bytes]:
        for number in range(self.count):
            if number == self.fail_at:
                raise RuntimeError(f"the WSGI app broke at row {number}")
            if self.delay:
                time.sleep(self.delay)
            yield f"row {number}\n".encode()

    def close(self) -> None:
        print("wsgi: closed", file=sys.stderr, flush=True)


def _gated(gate: Path, wait: float) -> Iterator[bytes]:
    yield b"first\n"
    end = time.monotonic() + wait
    while not gate.exists() and time.monotonic() < end:
        time.sleep(0.01)
    yield b"last\n" if gate.exists() else b"gate timeout\n"


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
    """Routes: /rows?n=&delay=&fail_at= (an iterable with close()), /write (the write() callable),
    /gated?gate=&wait= (the last chunk once the gate file is there)."""
    query = {key: values[-1] for key, values in parse_qs(environ["QUERY_STRING"]).items()}
    if environ["PATH_INFO"] == "/gated":  # the last chunk goes only once the test has seen the first one
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _gated(Path(query["gate"]), float(query.get("wait", "10")))
    if environ["PATH_INFO"] == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"then returned"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "w=1")])
    fail_at = query.get("fail_at")
    return _Rows(int(query.get("n", "3")), float(query.get("delay", "0")), int(fail_at) if fail_at else None)


asgi = adapt(asgi_app)
NOT_CALLABLE = "a handler named by mistake"  # the runtime loop's init error names what it is
asgi_buffered = adapt(asgi_app, streaming="off")
asgi_on = adapt(asgi_app, streaming="on")
wsgi = adapt(wsgi_app)
asgi_compressed = adapt(asgi_app, compress=True)
