"""The apps, events and handlers the benchmark suite compares: ours and the peers', on the same app and event."""

from __future__ import annotations

import base64
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import serverless_wsgi  # noqa: E402
from _instructions_target import event as trivial_event  # noqa: E402
from _instructions_target import trivial_asgi, trivial_wsgi  # noqa: E402
from apig_wsgi import make_lambda_handler  # noqa: E402
from mangum import Mangum  # noqa: E402

from lambda_adapter import adapt  # noqa: E402
from lambda_adapter.testing import http_event, rest_event  # noqa: E402

Handler = Callable[[Any, Any], Any]
SIZES = {"0 B": 0, "64 KB": 64 * 1024, "1 MB": 1024 * 1024, "5 MB": 5 * 1024 * 1024}
logging.getLogger("mangum").setLevel(logging.WARNING)
logging.getLogger("lambda_adapter").setLevel(logging.CRITICAL)  # the 5 MB echo's "too large", logged per call


def serverless(app: Any) -> Handler:
    return lambda event, context: serverless_wsgi.handle_request(app, event, context)


def wsgi_handlers(app: Any) -> dict[str, Handler]:
    return {
        "lambda-adapter": adapt(app),
        "apig-wsgi": make_lambda_handler(app, binary_support=True),
        "serverless-wsgi": serverless(app),
    }


def asgi_handlers(app: Any, lifespan: str) -> dict[str, Handler]:
    return {"lambda-adapter": adapt(app, lifespan=lifespan), "Mangum": Mangum(app, lifespan=lifespan)}


def trivial_cases() -> list[tuple[str, str, dict[str, Handler], dict[str, Any]]]:
    """(group, case, handlers, event): trivial apps, REST v1, HTTP API v2 and ALB events."""
    cases = []
    for name, label in (("v1", "REST v1"), ("v2", "HTTP API v2"), ("alb", "ALB")):
        event = trivial_event(name)
        cases.append(("trivial WSGI", label, wsgi_handlers(trivial_wsgi), event))
        cases.append(("trivial ASGI, lifespan off", label, asgi_handlers(trivial_asgi, "off"), event))
    return cases


def load_sample(framework: str) -> Any:
    """A sample's module, imported from its file as Lambda would (its own handler is ours)."""
    folder = ROOT / "samples" / f"{framework}_app"
    sys.path.insert(0, str(folder))
    if framework == "django":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    spec = importlib.util.spec_from_file_location(f"bench_{framework}_sample", folder / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_cases() -> list[tuple[str, str, dict[str, Handler], dict[str, Any]]]:
    """The Flask, Django and FastAPI samples, GET /api/items (REST v1), each behind ours and its peers."""
    event = rest_event(path="/api/items", headers={"Accept": "application/json", "User-Agent": "curl/8.5.0"})
    flask, django, fastapi = load_sample("flask"), load_sample("django"), load_sample("fastapi")
    return [
        ("sample", "Flask", {**wsgi_handlers(flask.app), "lambda-adapter": flask.handler}, event),
        ("sample", "Django", {**wsgi_handlers(django.application), "lambda-adapter": django.handler}, event),
        (
            "sample",
            "FastAPI",
            {"lambda-adapter": fastapi.handler, "Mangum": Mangum(fastapi.app, lifespan="auto")},
            event,
        ),
    ]


def echo_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [data]


async def echo_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/octet-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"".join(chunks)})


# what an HTTP API adds to every request it passes on (payload 2.0 examples of real requests carry them)
FORWARDED = {"x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443", "x-forwarded-proto": "https"}


def get_event(path: str) -> dict[str, Any]:
    """GET ``path`` over HTTP API v2, as AWS sends it (the X-Forwarded-* headers HTTP APIs add)."""
    return http_event(path=path, headers={"accept": "application/json", "user-agent": "curl/8.5.0", **FORWARDED})


def body_event(size: int) -> dict[str, Any]:
    """POST /echo over HTTP API v2 with ``size`` binary bytes, base64 in the event."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    built = http_event(
        method="POST", path="/echo", body=data, binary=True,
        headers={"content-type": "application/octet-stream", **FORWARDED},
    )  # fmt: skip
    if not size:  # AWS sends no body at all then (serverless-wsgi fails on a null base64 body)
        built.pop("body", None)
        built["isBase64Encoded"] = False
    return built


def body_cases() -> list[tuple[str, str, dict[str, Handler], dict[str, Any]]]:
    cases = []
    for label, size in SIZES.items():
        event = body_event(size)
        cases.append(("body WSGI echo", label, wsgi_handlers(echo_wsgi), event))
        cases.append(("body ASGI echo", label, asgi_handlers(echo_asgi, "off"), event))
    return cases


def same_answer(results: dict[str, Any]) -> str:
    """'' when every handler returned the same status and body bytes; else what differs."""
    seen = {}
    for name, result in results.items():
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        seen[name] = (result.get("statusCode"), len(data))
    return "" if len(set(seen.values())) == 1 else f"answers differ: {seen}"
