"""Shared fixtures: the recorded AWS events and the sample apps, loaded as Lambda would."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "tests" / "events" / "recorded"
SAMPLES = ROOT / "samples"


def recorded_events() -> list[Path]:
    """Every recorded event file under tests/events/recorded (provenance in its README)."""
    return sorted(EVENTS.glob("*/*.json"))


def load_event(name: str) -> dict[str, Any]:
    """A recorded event by its path below tests/events/recorded, e.g. 'sam/alb-request.json'."""
    return json.loads((EVENTS / name).read_text())


def load_module(path: Path, name: str) -> Any:
    """Import a sample's handler module from its file, as the Lambda runtime would."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def flask_sample() -> Any:
    return load_module(SAMPLES / "flask_app" / "app.py", "flask_sample_app")


@pytest.fixture(scope="session")
def django_sample() -> Any:
    return load_module(SAMPLES / "django_app" / "app.py", "django_sample_app")


@pytest.fixture(scope="session")
def django_asgi_sample() -> Any:
    return load_module(SAMPLES / "django_app" / "asgi.py", "django_sample_asgi")


@pytest.fixture(scope="session")
def fastapi_sample() -> Any:
    return load_module(SAMPLES / "fastapi_app" / "app.py", "fastapi_sample_app")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A local AWS endpoint (moto in server mode, on loopback) and fake credentials for it.

    Yields its URL. moto runs in this process, so a test can read what it stored (the
    messages posted to a connection) from moto's backends.
    """
    from moto.server import ThreadedMotoServer

    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def posted_to(connection_id: str) -> bytes:
    """What the Management API of the moto server got for ``connection_id`` (all posts, joined)."""
    from urllib.parse import quote

    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    connections = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].connections
    key = quote(connection_id, safe="")  # moto keys by the id as it is in the URL: "=" as %3D
    return connections[key].data if key in connections else b""


class Kept:
    """The sink of one ``handler.ainvoke``: the result it was given."""

    streams = False
    value: Any = None

    def result(self, result: Any) -> None:
        self.value = result

    def write(self, data: bytes) -> None:
        raise AssertionError("nothing streams here")

    def end(self) -> None:
        pass


def ainvoke(handler: Any, event: Any) -> Any:
    """``event``'s result through ``handler.ainvoke`` on a loop of the main thread, as Lambda Managed
    Instances' one loop runs each invocation."""
    import asyncio

    from lambda_adapter.testing import LambdaContext

    sink = Kept()
    asyncio.run(handler.ainvoke(event, LambdaContext(), sink))
    return sink.value
