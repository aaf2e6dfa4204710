"""Small apps for the tests: echo apps that report what they saw, in WSGI and ASGI."""

from __future__ import annotations

import json
from typing import Any


def wsgi_echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with the request as the app saw it, as JSON."""
    seen = {
        "method": environ["REQUEST_METHOD"],
        "script_name": environ["SCRIPT_NAME"],
        "path_info": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "remote_addr": environ.get("REMOTE_ADDR"),
        "remote_user": environ.get("REMOTE_USER"),
        "scheme": environ["wsgi.url_scheme"],
        "server": [environ["SERVER_NAME"], environ["SERVER_PORT"]],
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k.startswith("CONTENT_")},
        "body": environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode("latin-1"),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


async def asgi_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same for ASGI, reporting the scope."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen = {
        "method": scope["method"],
        "root_path": scope["root_path"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query": scope["query_string"].decode("latin-1"),
        "client": scope["client"],
        "server": scope["server"],
        "scheme": scope["scheme"],
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "body": body.decode("latin-1"),
        "has_event": "aws.event" in scope,
    }
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


class LifespanApp:
    """An ASGI app with lifespan that counts startups and shares state with requests."""

    def __init__(self, fail: str | None = None) -> None:
        self.startups = 0
        self.shutdowns = 0
        self.fail = fail

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if self.fail == "raise":
                        raise RuntimeError("database unreachable")
                    if self.fail == "failed":
                        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
                        return
                    self.startups += 1
                    scope["state"]["greeting"] = f"hello #{self.startups}"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.shutdowns += 1
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        state = scope["state"]
        body = f"{state.get('greeting')} {self.startups}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
