"""The fallback origin, against real HTTP servers on loopback: the Flask sample and an echo app served by
werkzeug's server, a server that never answers, and a port nobody listens on."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, headers_of, json_of, set_cookies_of, status_of

from .apps import asgi_echo, wsgi_echo


def _serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def flask_origin(flask_sample: Any) -> Iterator[str]:
    yield from _serve(flask_sample.app)


@pytest.fixture(scope="module")
def echo_origin() -> Iterator[str]:
    yield from _serve(wsgi_echo)


@pytest.fixture
def silent_origin() -> Iterator[str]:
    """A server that accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def closed_origin() -> str:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


def migrated(origin: str, **kwargs: Any) -> Any:
    return adapt({"/api/v2": asgi_echo}, fallback=origin, **kwargs)


def test_mounted_paths_stay_local_and_the_rest_reaches_the_origin(flask_origin: str) -> None:
    handler = migrated(flask_origin)
    assert json_of(handler(event_for("http", path="/api/v2/x"), LambdaContext()))["root_path"] == "/api/v2"
    assert json_of(handler(event_for("http", path="/api/items", query="limit=1"), LambdaContext())) == {
        "items": [{"id": 1, "name": "apple"}]
    }


@pytest.mark.parametrize("format", ["rest", "http", "alb"])
def test_a_binary_post_comes_back_byte_exact(flask_origin: str, format: str) -> None:
    data = os.urandom(200_000) + b"\x00\xff"
    headers = {"Content-Type": "application/octet-stream"}
    result = migrated(flask_origin)(
        event_for(format, method="POST", path="/echo", body=data, headers=headers), LambdaContext()
    )
    assert status_of(result) == 200
    assert body_of(result) == data


def test_cookies_and_a_redirect_pass_both_ways_unfollowed(flask_origin: str) -> None:
    handler = migrated(flask_origin)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = handler(event_for("http", method="POST", path="/login", body="username=ana", headers=form), LambdaContext())
    assert status_of(login) == 302
    assert headers_of(login)["location"] == ["/me"]
    cookies = set_cookies_of(login)
    assert sorted(cookie.split("=")[0] for cookie in cookies) == ["session", "theme"]
    sent = "; ".join(cookie.split(";")[0] for cookie in cookies)
    me = handler(event_for("http", path="/me", headers={"Cookie": sent}), LambdaContext())
    assert json_of(me) == {"user": "ana", "theme": "dark"}


def test_the_query_arrives_as_sent(flask_origin: str) -> None:
    result = migrated(flask_origin)(event_for("http", path="/query", query="a=1&a=2&b=%20x%2F"), LambdaContext())
    assert json_of(result)["raw"] == "a=1&a=2&b=%20x%2F"


def test_headers_path_and_forwarding_as_a_reverse_proxy_sends_them(echo_origin: str) -> None:
    handler = adapt({"/api/v2": asgi_echo}, fallback=f"{echo_origin}/base/")
    headers = {
        "X-Custom": "kept", "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "dropped",
        "Upgrade": "h2c", "X-Forwarded-For": "6.6.6.6",
    }  # fmt: skip
    event = event_for(
        "rest",
        method="PUT",
        path="/caf%C3%A9/a b",
        headers=headers,
        body="payload",
        source_ip="198.51.100.4",
        host="shop.example.com",
    )
    seen = json_of(handler(event, LambdaContext()))
    assert (seen["method"], seen["path_info"], seen["body"]) == ("PUT", "/base/caf\xc3\xa9/a b", "payload")
    sent = seen["headers"]
    assert sent["HTTP_X_CUSTOM"] == "kept"
    assert "HTTP_X_SECRET_HOP" not in sent and "HTTP_UPGRADE" not in sent
    assert sent["HTTP_HOST"] == echo_origin.removeprefix("http://")
    assert sent["HTTP_X_FORWARDED_HOST"] == "shop.example.com"
    assert sent["HTTP_X_FORWARDED_PROTO"] == "https"
    assert sent["HTTP_X_FORWARDED_FOR"] == "198.51.100.4"  # the address AWS saw, not the client's claim


def test_a_silent_origin_times_out_within_the_lambda_time_left(
    silent_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = migrated(silent_origin, fallback_timeout=60, deadline_margin=0.5)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = handler(event_for("http", path="/slow"), LambdaContext(timeout_ms=1500))
    assert status_of(result) == 504
    assert 0.8 < time.monotonic() - started < 5
    assert "did not answer within 1.0 s" in caplog.text and silent_origin in caplog.text


def test_the_configured_timeout_applies_when_it_is_shorter(silent_origin: str) -> None:
    started = time.monotonic()
    result = migrated(silent_origin, fallback_timeout=0.3)(event_for("http", path="/slow"), LambdaContext())
    assert status_of(result) == 504
    assert time.monotonic() - started < 3


def test_no_time_left_is_a_504_without_a_request(silent_origin: str) -> None:
    result = migrated(silent_origin, deadline_margin=5)(event_for("http", path="/x"), LambdaContext(timeout_ms=1000))
    assert status_of(result) == 504


def test_a_failing_origin_is_a_502_with_a_clear_log_line_and_the_next_event_works(
    closed_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = migrated(closed_origin)
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = handler(event_for("http", path="/old", body="secret-body"), LambdaContext())
    assert (status_of(result), body_of(result)) == (502, b"Bad Gateway")
    assert f"{closed_origin} failed: ConnectionRefusedError" in caplog.text
    assert "secret-body" not in caplog.text
    assert json_of(handler(event_for("http", path="/api/v2/ok"), LambdaContext()))["path"] == "/api/v2/ok"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fallback": "ftp://legacy"}, ValueError, "http\\(s\\) URL"),
        ({"fallback": "http://"}, ValueError, "http\\(s\\) URL"),
        ({"fallback": "http://legacy/?a=1"}, ValueError, "no query"),
        ({"fallback": 3}, TypeError, "origin URL"),
        ({"fallback": "http://legacy", "fallback_timeout": 0}, ValueError, "fallback_timeout"),
    ],
)
def test_bad_fallback_options_are_refused_at_adapt_time(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        adapt({"/api": wsgi_echo}, **kwargs)


def test_the_api_gateway_stage_is_not_sent_to_the_origin(echo_origin: str) -> None:
    seen = json_of(migrated(echo_origin)(event_for("rest", path="/old/page", query="q=1"), LambdaContext()))
    assert (seen["path_info"], seen["query"]) == ("/old/page", "q=1")
