"""The Flask sample's own tests: the handler called as API Gateway calls it, through the httpx transport."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambda_adapter.testing import LambdaTransport


def load_sample() -> Any:
    """``app.py`` next to this file (every sample's module is named app.py: import it under its own name)."""
    if "flask_sample_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("flask_sample_app", Path(__file__).with_name("app.py"))
        assert spec and spec.loader
        sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules["flask_sample_app"]


@pytest.fixture(params=["http", "rest"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    transport = LambdaTransport(load_sample().handler, format=request.param, stage="prod")
    with httpx.Client(transport=transport, base_url="https://api.example.com/prod") as client:
        yield client


def test_items(client: httpx.Client) -> None:
    assert client.get("/api/items", params={"limit": 1}).json() == {"items": [{"id": 1, "name": "apple"}]}


def test_login_keeps_the_user_in_the_session(client: httpx.Client) -> None:
    answer = client.post("/login", data={"username": "ada"}, follow_redirects=True)
    assert (answer.url.path, answer.json()) == ("/prod/me", {"user": "ada", "theme": "dark"})


def test_links_hold_the_stage(client: httpx.Client) -> None:
    assert client.get("/links").json() == {"items": "/prod/api/items",
                                           "external": "https://api.example.com/prod/api/items"}  # fmt: skip


def test_image_is_a_png(client: httpx.Client) -> None:
    answer = client.get("/image.png")
    assert answer.headers["content-type"] == "image/png" and answer.content.startswith(b"\x89PNG")


def test_failure_is_a_500(client: httpx.Client) -> None:
    assert client.get("/boom").status_code == 500
