"""The Django sample's own tests: the handler called as API Gateway calls it, through the httpx transport."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambda_adapter.testing import LambdaTransport

HERE = Path(__file__).resolve().parent


def load_sample() -> Any:
    """``app.py`` next to this file (every sample's module is named app.py: import it under its own name)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # for the mysite package
    if "django_sample_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("django_sample_app", HERE / "app.py")
        assert spec and spec.loader
        sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules["django_sample_app"]


@pytest.fixture(params=["rest", "http1"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    transport = LambdaTransport(load_sample().handler, format=request.param, stage="prod")
    with httpx.Client(transport=transport, base_url="https://api.example.com/prod") as client:
        yield client


def test_items(client: httpx.Client) -> None:
    assert client.get("/api/items", params={"limit": 1}).json() == {"items": [{"id": 1, "name": "apple"}]}


def test_form_with_its_csrf_token(client: httpx.Client) -> None:
    page = client.get("/form").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token and "csrftoken" in client.cookies
    headers = {"Referer": "https://api.example.com/prod/form"}  # Django checks the referer over HTTPS
    answer = client.post("/form", data={"csrfmiddlewaretoken": token[1], "name": "ada"}, headers=headers)
    assert answer.json() == {"form": {"csrfmiddlewaretoken": [token[1]], "name": ["ada"]}}


def test_form_without_the_token_is_refused(client: httpx.Client) -> None:
    assert client.post("/form", data={"name": "ada"}).status_code == 403


def test_login_keeps_the_user_in_the_signed_cookie_session(client: httpx.Client) -> None:
    answer = client.post("/login", data={"username": "ada"}, follow_redirects=True)
    assert (answer.url.path, answer.json()) == ("/prod/me", {"user": "ada", "theme": "dark"})
