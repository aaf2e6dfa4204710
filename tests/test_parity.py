"""A WSGI app through adapt() and the same app wrapped as ASGI (a2wsgi) give the same result."""

from __future__ import annotations

from typing import Any

import pytest
from a2wsgi import WSGIMiddleware

from lambda_adapter import adapt
from lambda_adapter.testing import FORMATS, LambdaContext, event_for
from tests.apps import wsgi_echo
from tests.conftest import load_event
from tests.events.test_translate import CASES


def cookie_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with two cookies, a repeated header, binary or text depending on the path."""
    binary = environ["PATH_INFO"].endswith(".bin")
    start_response("200 OK", [
        ("Content-Type", "application/octet-stream" if binary else "text/plain; charset=utf-8"),
        ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/; HttpOnly"),
        ("Vary", "Accept"), ("Vary", "Cookie"),
    ])  # fmt: skip
    return [bytes(range(256)) if binary else environ["PATH_INFO"].encode("latin-1")]


def both(app: Any) -> tuple[Any, Any]:
    return adapt(app), adapt(WSGIMiddleware(app), lifespan="off")


def echo_without_user(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The echo app, less REMOTE_USER: an ASGI scope has no field for the authorizer's principal."""
    environ.pop("REMOTE_USER", None)
    return wsgi_echo(environ, start_response)


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_events_give_the_same_result(name: str) -> None:
    wsgi, asgi = both(echo_without_user)
    event = load_event(name)
    assert wsgi(event, LambdaContext()) == asgi(event, LambdaContext())


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("path", ["/caf%C3%A9", "/x.bin", "/a%20b/"])
def test_built_events_give_the_same_result(format: str, path: str) -> None:
    wsgi, asgi = both(cookie_app)
    event = event_for(format, path=path, query="q=%E2%9C%93&r=1", headers={"Cookie": "s=1"})
    assert wsgi(event, LambdaContext()) == asgi(event, LambdaContext())
