"""Warm-up in the init phase (``adapt(app, init_requests=...)``) and the SnapStart hooks, with the real registry."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import snapshot_restore_py
from flask import Flask, request

from lambda_adapter import adapt
from lambda_adapter._migrate.warmup import WarmUp
from lambda_adapter.testing import LambdaContext, body_of, http_event, rest_event

ROOT = Path(__file__).resolve().parents[2]


def recording_wsgi(seen: list[tuple[str, str, str, str | None]]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"],
                     environ.get("HTTP_X_LAMBDA_ADAPTER_WARMUP")))  # fmt: skip
        status = "500 Internal Server Error" if environ["PATH_INFO"] == "/fail" else "200 OK"
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


class RecordingASGI:
    """An ASGI app that counts lifespan startups and records its requests."""

    def __init__(self) -> None:
        self.startups = 0
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.startups += 1
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(self.startups).encode()})


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """snapshot-restore-py's own registries, emptied for the test (the runtime reads them the same way)."""
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    return snapshot_restore_py.get_before_snapshot(), snapshot_restore_py.get_after_restore()


def run_hooks(hooks: list[Any]) -> None:
    for func, args, kwargs in hooks:  # as the Lambda runtime does
        func(*args, **kwargs)


def test_requests_run_once_in_init_and_not_again(registry: Any) -> None:
    seen: list[tuple[str, str, str, str | None]] = []
    handler = adapt(recording_wsgi(seen), init_requests=["/", "GET /health?deep=1", "HEAD /ping"])
    warm_up = [("GET", "/", "", "1"), ("GET", "/health", "deep=1", "1"), ("HEAD", "/ping", "", "1")]
    assert seen == warm_up  # at adapt() time: the init phase
    for _ in range(3):
        assert body_of(handler(rest_event(path="/real"), LambdaContext())) == b"ok"
    assert seen == [*warm_up, *[("GET", "/real", "", None)] * 3]
    run_hooks(registry[0])  # a before-snapshot hook, if one came, does not send them again
    assert len(seen) == 6


def test_no_warmup_sends_nothing_and_registers_nothing(registry: Any) -> None:
    seen: list[tuple[str, str, str, str | None]] = []
    adapt(recording_wsgi(seen))
    assert seen == [] and registry == ([], [])


def test_asgi_lifespan_starts_with_the_warmup() -> None:
    app = RecordingASGI()
    handler = adapt(app, init_requests=["/"])
    assert (app.startups, app.paths) == (1, ["/"])
    assert body_of(handler(http_event(path="/real"), LambdaContext())) == b"1"  # no second startup
    assert (app.startups, app.paths) == (1, ["/", "/real"])


def test_flask_routes_are_warmed() -> None:
    app = Flask(__name__)
    calls: list[str | None] = []

    @app.get("/health")
    def health() -> str:
        calls.append(request.headers.get("x-lambda-adapter-warmup"))
        return "fine"

    handler = adapt(app, init_requests=["/health"])
    assert calls == ["1"]
    assert body_of(handler(http_event(path="/health"), LambdaContext())) == b"fine"
    assert calls == ["1", None]


def test_a_failing_warmup_request_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[str, str, str, str | None]] = []
    with caplog.at_level(logging.WARNING, logger="lambda_adapter"):
        adapt(recording_wsgi(seen), init_requests=["/fail", "/after"])
    assert [path for _, path, _, _ in seen] == ["/fail", "/after"]
    assert "warm-up request GET /fail was answered 500" in caplog.text


@pytest.mark.parametrize(
    ("warmup", "error", "words"),
    [
        ("/", TypeError, "init_requests must be a list"),
        (3, TypeError, "init_requests must be a list"),
        (["health"], ValueError, "'METHOD /path?query' or '/path', got 'health'"),
        (["get /"], ValueError, "got 'get /'"),
        ([("GET", "/")], ValueError, "got ('GET', '/')"),
        (["GET /caf\u00e9"], ValueError, "got 'GET /caf\u00e9'"),
    ],
)
def test_wrong_warmup_fails_at_adapt_time(warmup: Any, error: type, words: str) -> None:
    with pytest.raises(error, match="adapt\\(\\): ") as caught:
        adapt(recording_wsgi([]), init_requests=warmup)
    assert words in str(caught.value)


def test_snapstart_hooks_registered_when_the_package_is_present(registry: Any) -> None:
    before, after = registry
    seen: list[tuple[str, str, str, str | None]] = []
    adapt(recording_wsgi(seen), init_requests=["/"])
    assert len(before) == 1 and isinstance(before[0][0], WarmUp) and len(after) == 1
    assert len(seen) == 1  # not a SnapStart init: warmed in adapt(); the hook finds it done
    run_hooks(before)
    assert len(seen) == 1


def test_snapstart_init_warms_before_the_snapshot_once(registry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    before = registry[0]
    seen: list[tuple[str, str, str, str | None]] = []
    handler = adapt(recording_wsgi(seen), init_requests=["/", "/two"])
    assert seen == []  # the whole module imports first; the runtime calls the hook before the snapshot
    run_hooks(before)
    assert [path for _, path, _, _ in seen] == ["/", "/two"]
    run_hooks(before)
    handler(rest_event(path="/real"), LambdaContext())
    assert [path for _, path, _, _ in seen] == ["/", "/two", "/real"]


def test_after_restore_reseeds_random(registry: Any) -> None:
    adapt(recording_wsgi([]), init_requests=["/"])
    random.seed(1234)  # the state every restored copy of one snapshot would share
    shared = random.getstate()
    run_hooks(registry[1])
    assert random.getstate() != shared


SCRIPT = """
import json, sys
from lambda_adapter import adapt
seen = []
def app(environ, start_response):
    seen.append(environ["PATH_INFO"])
    start_response("200 OK", [])
    return [b""]
adapt(app, init_requests=["/w"])
print(json.dumps({"seen": seen, "package": "snapshot_restore_py" in sys.modules, "asyncio": "asyncio" in sys.modules}))
"""


def test_without_the_package_warmup_runs_in_adapt_even_on_a_snapstart_init() -> None:
    """In a fresh interpreter without site-packages: snapshot-restore-py cannot be imported there."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    absent = subprocess.run([sys.executable, "-S", "-c", "import snapshot_restore_py"], env=env, capture_output=True)
    assert absent.returncode == 1 and b"No module named 'snapshot_restore_py'" in absent.stderr
    done = subprocess.run([sys.executable, "-S", "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {"seen": ["/w"], "package": False, "asyncio": False}


def context_reading_wsgi(seen: list[tuple[object, int]]) -> Any:
    """An app that reads the context as apps written for the managed runtime do."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        context = environ["aws.context"]
        seen.append((context.function_name, context.get_remaining_time_in_millis()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def test_the_warmup_context_has_the_runtime_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "shop")
    seen: list[tuple[object, int]] = []
    adapt(context_reading_wsgi(seen), init_requests=["/"])
    assert len(seen) == 1 and seen[0][0] == "shop" and 0 < seen[0][1] <= 10_000


def test_a_snapstart_warmup_has_the_snapshot_init_deadline(registry: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before-snapshot hooks count against SnapStart's init limit (130 s at least), not the 10 s of a plain init."""
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    seen: list[tuple[object, int]] = []
    adapt(context_reading_wsgi(seen), init_requests=["/"])
    run_hooks(registry[0])
    assert len(seen) == 1 and 60_000 < seen[0][1] <= 130_000


def test_a_warmup_answered_404_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(__name__)
    with caplog.at_level(logging.WARNING, logger="lambda_adapter"):
        adapt(app, init_requests=["/no-such-route"])
    assert "warm-up request GET /no-such-route was answered 404" in caplog.text


@pytest.mark.parametrize("fallback", [None, "http://127.0.0.1:9"])
def test_a_warmup_under_no_mounted_app_fails_at_adapt_time(fallback: str | None) -> None:
    """With mounted apps a warm-up must reach one of them: not a 404, and no request to the fallback origin."""
    seen: list[tuple[str, str, str, str | None]] = []
    with pytest.raises(ValueError, match="the init request GET /other is under no mounted app"):
        adapt({"/api": recording_wsgi(seen)}, init_requests=["/api/x", "/other"], fallback=fallback)
    assert seen == []
    adapt({"/api": recording_wsgi(seen)}, init_requests=["/api/x?q=1"], fallback=fallback)
    assert seen == [("GET", "/x", "q=1", "1")]
