"""Fidelity: the same HTTP request, sent to the samples under a real server and through adapt().

Flask and Django run under werkzeug's WSGI server, FastAPI and Django's ASGI app under uvicorn,
all on loopback; the app reports what it saw and both reports must agree on everything the
request decides.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from werkzeug.serving import make_server

from lambda_adapter.testing import LambdaContext, event_for, json_of

REQUESTS = [
    ("GET", "/query", "a=1&a=2&b=x%20y&c=%2B&d=%26&e=caf%C3%A9&f=&g", {}),
    ("GET", "/query", "q=%25&r=a+b&s=%3D%3D", {}),
    ("GET", "/request", "x=1", {"Cookie": "session=abc; theme=dark", "Accept-Language": "en-GB"}),
]
TRANSPORT = {"url", "scheme", "host", "remote", "client"}  # loopback vs API Gateway: these differ by design


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(port: int, method: str, path: str, query: str, headers: dict[str, str]) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, f"{path}?{query}" if query else path, headers=headers)
        response = connection.getresponse()
        assert response.status == 200, response.read()
        return json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def werkzeug_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, Any]]:
    sample = request.getfixturevalue(request.param)
    app = getattr(sample, "app", None) or sample.application
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, sample
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def uvicorn_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, Any]]:
    sample = request.getfixturevalue(request.param)
    app = getattr(sample, "app", None) or sample.application
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port, sample
    finally:
        server.should_exit = True
        thread.join(10)


# REST and ALB hand the query over as a map: "g" and "g=" arrive alike, and the raw string is
# rebuilt from the map. The parsed arguments must agree; the raw string only where AWS keeps it.
MAP_QUERY_FORMATS = {"rest", "alb-multi"}


def compare(port: int, sample: Any, format: str) -> None:
    skip = TRANSPORT | ({"raw"} if format in MAP_QUERY_FORMATS else set())
    for method, path, query, headers in REQUESTS:
        direct = fetch(port, method, path, query, headers)
        # a custom domain: the client's URL holds no stage, as with the server on loopback
        host = {"host": "api.example.com"} if format in ("rest", "http") else {}
        event = event_for(format, method=method, path=path, query=query, headers=headers, **host)
        through = json_of(sample.handler(event, LambdaContext()))
        for key in set(direct) - skip:
            assert through[key] == direct[key], (format, path, query, key)


@pytest.mark.parametrize("werkzeug_server", ["flask_sample", "django_sample"], indirect=True)
@pytest.mark.parametrize("format", ["rest", "http", "url", "alb-multi"])
def test_wsgi_samples_see_what_werkzeug_gives_them(werkzeug_server: tuple[int, Any], format: str) -> None:
    compare(*werkzeug_server, format)


@pytest.mark.parametrize("uvicorn_server", ["fastapi_sample", "django_asgi_sample"], indirect=True)
@pytest.mark.parametrize("format", ["rest", "http", "url", "alb-multi"])
def test_asgi_samples_see_what_uvicorn_gives_them(uvicorn_server: tuple[int, Any], format: str) -> None:
    compare(*uvicorn_server, format)
