"""Per-event cost of a WebSocket MESSAGE against an HTTP event, through the same adapter.

Run: ``python benchmarks/websocket.py`` (``--quick`` for a short run). Both events go to one
app in this one process, in interleaved rounds (http, message, http, message, ...), so machine
noise hits both alike; the report gives the time per event and message over http as min /
median / max of the rounds. The store is a ``MemoryStore`` holding the connect request (11
browser-like headers, as the HTTP event has); the app receives the message and sends nothing
(a send is a Management API call: network time, not the adapter's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import FastAPI, WebSocket, WebSocketDisconnect  # noqa: E402

from lambda_adapter import adapt, websocket  # noqa: E402
from lambda_adapter.testing import LambdaContext, http_event, websocket_event  # noqa: E402

HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
    "Cookie": "session=abc123; theme=dark",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "X-Amzn-Trace-Id": "Root=1-5e272390-8c398be037738dc042009320",
}


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Trivial in both protocols: an HTTP 200 'ok'; a WebSocket accept and one receive."""
    if scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await receive()


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def fastapi_app() -> Any:
    app = FastAPI()

    @app.get("/")
    async def index() -> str:
        return "ok"

    @app.websocket("/")
    async def chat(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass

    return app


def rounds(label: str, app: Any, count: int, repeat: int) -> None:
    store = websocket.MemoryStore()
    handler = adapt(app, connection_store=store, lifespan="off")
    context = LambdaContext(timeout_ms=900_000)
    connect = websocket_event(event_type="CONNECT", connection_id="c1", query="name=ann", headers=HEADERS)
    assert handler(connect, context)["statusCode"] == 200
    http = http_event(path="/", query="name=ann", headers=HEADERS)
    message = websocket_event(event_type="MESSAGE", connection_id="c1", body='{"action":"chat","text":"hello"}')
    assert handler(http, context)["statusCode"] == 200 and handler(message, context)["statusCode"] == 200

    def per_event(event: dict[str, Any]) -> float:
        call: Callable[[Any, Any], Any] = handler
        start = time.perf_counter()
        for _ in range(count):
            call(event, context)
        return (time.perf_counter() - start) / count

    http_times, message_times, ratios = [], [], []
    for _ in range(repeat):
        h, m = per_event(http), per_event(message)
        http_times.append(h)
        message_times.append(m)
        ratios.append(m / h)
    print(
        f"{label:<22} http {min(http_times) * 1e6:7.1f} us   message {min(message_times) * 1e6:7.1f} us   "
        f"message/http min {min(ratios):.2f} median {statistics.median(ratios):.2f} max {max(ratios):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    count, repeat = (200, 3) if quick else (5000, 15)
    print(f"per event, best of {repeat} interleaved rounds of {count} events each")
    rounds("trivial ASGI", asgi_app, count, repeat)
    rounds("trivial WSGI", wsgi_app, count, repeat)
    rounds("FastAPI endpoint", fastapi_app(), count // 5, repeat)


if __name__ == "__main__":
    main()
