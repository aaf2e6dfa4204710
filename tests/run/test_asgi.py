"""The ASGI runner: lifespan once per container, the HTTP cycle, and faults."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter import InvalidResponse, LifespanFailure, adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, json_of
from tests.apps import LifespanApp, asgi_echo

ROOT = Path(__file__).resolve().parents[2]


def test_lifespan_starts_once_across_100_invocations_and_state_reaches_every_request() -> None:
    app = LifespanApp()
    handler = adapt(app)
    for n in range(100):
        assert body_of(handler(event_for("http", path=f"/{n}"), LambdaContext())) == b"hello #1 1"
    assert app.startups == 1 and app.shutdowns == 0


def test_asyncio_run_in_user_code_between_invocations_does_not_break_the_next() -> None:
    app = LifespanApp()
    handler = adapt(app)
    assert handler(event_for("rest"), LambdaContext())["statusCode"] == 200
    asyncio.run(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    assert body_of(handler(event_for("rest"), LambdaContext())) == b"hello #1 1"
    assert app.startups == 1


def test_a_closed_loop_is_replaced_and_lifespan_starts_on_the_new_one() -> None:
    from lambda_adapter._run.container import container_loop

    app = LifespanApp()
    handler = adapt(app)
    handler(event_for("http"), LambdaContext())
    first = container_loop()
    first.close()
    assert body_of(handler(event_for("http"), LambdaContext())) == b"hello #2 2"
    assert container_loop() is not first and not container_loop().is_closed()


def test_eager_startup_runs_in_init() -> None:
    app = LifespanApp()
    handler = adapt(app, eager_startup=True)
    assert app.startups == 1
    handler(event_for("http"), LambdaContext())
    assert app.startups == 1


def test_lifespan_off_never_calls_lifespan() -> None:
    app = LifespanApp()
    assert body_of(adapt(app, lifespan="off")(event_for("http"), LambdaContext())) == b"None 0"


def test_auto_tolerates_an_app_without_lifespan() -> None:
    app = LifespanApp(fail="raise")
    assert adapt(app)(event_for("http"), LambdaContext())["statusCode"] == 200
    assert adapt(asgi_echo)(event_for("http"), LambdaContext())["statusCode"] == 200


def test_on_fails_loudly_and_the_next_event_tries_again() -> None:
    app = LifespanApp(fail="raise")
    handler = adapt(app, lifespan="on")
    with pytest.raises(LifespanFailure, match=r"lifespan='on'.*database unreachable"):
        handler(event_for("http"), LambdaContext())
    app.fail = None
    assert body_of(handler(event_for("http"), LambdaContext())) == b"hello #1 1"


def test_startup_failed_message_fails_in_auto_too() -> None:
    with pytest.raises(LifespanFailure, match="startup failed: database unreachable"):
        adapt(LifespanApp(fail="failed"))(event_for("http"), LambdaContext())


LAMBDA_ENV = {**os.environ, "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"}  # SIGTERM is chained only in Lambda


def test_sigterm_runs_shutdown_then_the_handler_installed_before(tmp_path: Path) -> None:
    script = tmp_path / "lambda_main.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.apps import LifespanApp
        from lambda_adapter import adapt
        from lambda_adapter.testing import LambdaContext, event_for
        signal.signal(signal.SIGTERM, lambda signum, frame: print("previous handler ran", flush=True))
        app = LifespanApp()
        handler = adapt(app)
        print(handler(event_for("http"), LambdaContext())["statusCode"], flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        print("shutdowns", app.shutdowns, flush=True)
    """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=LAMBDA_ENV)
    assert done.stdout.split("\n")[:3] == ["200", "previous handler ran", "shutdowns 1"], done.stderr


def test_sigterm_with_the_default_handler_ends_the_process_after_shutdown(tmp_path: Path) -> None:
    script = tmp_path / "lambda_main.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.apps import LifespanApp
        from lambda_adapter import adapt
        from lambda_adapter.testing import LambdaContext, event_for
        app = LifespanApp()
        original = app.__call__
        async def spy(scope, receive, send):
            await original(scope, receive, send)
            if scope["type"] == "lifespan":
                print("shutdown ran", app.shutdowns, flush=True)
        handler = adapt(spy)
        handler(event_for("http"), LambdaContext())
        os.kill(os.getpid(), signal.SIGTERM)
        print("not reached", flush=True)
    """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=LAMBDA_ENV)
    assert done.returncode == -15
    assert done.stdout == "shutdown ran 1\n", done.stderr


async def _start(send: Any, status: int = 200) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})


@pytest.mark.parametrize("where", ["before-start", "after-start"])
def test_exception_before_the_response_completes_is_a_500(where: str, caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if where == "after-start":
            await _start(send)
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("secret detail")

    result = adapt(app, lifespan="off")(event_for("http"), LambdaContext(request_id="req-9"))
    assert result["statusCode"] == 500
    assert b"secret" not in body_of(result)
    assert "req-9" in caplog.text


def test_exception_after_the_response_completed_is_logged_and_the_response_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _start(send, 201)
        await send({"type": "http.response.body", "body": b"done"})
        raise RuntimeError("cleanup failed")

    result = adapt(app, lifespan="off")(event_for("http"), LambdaContext())
    assert (result["statusCode"], body_of(result)) == (201, b"done")
    assert "failed after its response" in caplog.text


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.response.body", "body": b"x"}],
        [{"type": "http.response.start", "status": 200}, {"type": "http.response.start", "status": 200}],
        [
            {"type": "http.response.start", "status": 200},
            {"type": "http.response.body"},
            {"type": "http.response.body"},
        ],
        [{"type": "http.response.start", "status": 200}, {"type": "http.response.trailers"}],
    ],
    ids=["body-first", "start-twice", "body-after-complete", "undeclared-trailers"],
)
def test_messages_out_of_order_are_a_clear_error(messages: list[dict[str, Any]]) -> None:
    errors: list[BaseException] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            for message in messages:
                await send(message)
        except InvalidResponse as exc:
            errors.append(exc)
            raise

    adapt(app, lifespan="off")(event_for("http"), LambdaContext())
    assert errors and "out of order" in str(errors[0])


def test_app_that_sends_nothing_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        return None

    assert adapt(app, lifespan="off")(event_for("http"), LambdaContext())["statusCode"] == 500
    assert "returned with the response at 'start'" in caplog.text


def test_trailers_when_declared_and_body_in_chunks() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        for part in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")]})

    result = adapt(app, lifespan="off")(event_for("http"), LambdaContext())
    assert body_of(result) == b"abc"


def test_receive_gives_the_body_then_disconnect_once_the_response_is_complete() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        first = await receive()
        seen.append(first["type"])

        async def wait_for_disconnect() -> None:
            seen.append((await receive())["type"])

        waiter = asyncio.ensure_future(wait_for_disconnect())
        await asyncio.sleep(0)
        assert not waiter.done()  # the client is still there while the response is under way
        await _start(send)
        await send({"type": "http.response.body", "body": first["body"]})
        await waiter

    result = adapt(app, lifespan="off")(event_for("http", method="POST", body=b"payload"), LambdaContext())
    assert body_of(result) == b"payload"
    assert seen == ["http.request", "http.disconnect"]


def test_scope_is_asgi_3_with_raw_path_root_path_and_the_raw_event() -> None:
    event = event_for("rest", path="/caf%C3%A9/x", query="a=%20", stage="dev")
    seen = json_of(adapt(asgi_echo)(event, LambdaContext()))
    assert seen["root_path"] == "/dev"
    assert seen["path"] == "/dev/caf\u00e9/x"
    assert seen["raw_path"] == "/dev/caf%C3%A9/x"
    assert seen["query"] == "a=%20"
    assert seen["server"] == ["abc123.execute-api.us-east-1.amazonaws.com", 443]
    assert seen["scheme"] == "https"


def test_interface_detection(django_sample: Any, django_asgi_sample: Any) -> None:
    from lambda_adapter._adapt import is_coroutine_function

    assert is_coroutine_function(django_asgi_sample.application)
    assert not is_coroutine_function(django_sample.application)
    assert is_coroutine_function(asgi_echo)
    assert not is_coroutine_function(lambda environ, start_response: [])


class ShutdownApp(LifespanApp):
    """Lifespan whose shutdown completes, fails, or never answers."""

    def __init__(self, shutdown: str) -> None:
        super().__init__()
        self.shutdown = shutdown

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await super().__call__(scope, receive, send)
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        if self.shutdown == "failed":
            await send({"type": "lifespan.shutdown.failed", "message": "could not flush"})
        elif self.shutdown == "hang":
            await asyncio.sleep(3600)
        else:
            self.shutdowns += 1
            await send({"type": "lifespan.shutdown.complete"})


@pytest.mark.parametrize("outcome", ["complete", "failed", "hang"])
def test_lifespan_shutdown_outcomes(
    outcome: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_adapter._run import container as _container
    from lambda_adapter._run import shutdown

    monkeypatch.setattr(shutdown, "SHUTDOWN_TIMEOUT", 0.05)
    app = ShutdownApp(outcome)
    lifespan = _container.Lifespan(app, "auto", _container.container_loop())
    lifespan.start()
    lifespan.shutdown()
    lifespan.shutdown()  # a second SIGTERM does nothing more
    if outcome == "complete":
        assert app.shutdowns == 1
    elif outcome == "failed":
        assert "ASGI lifespan shutdown failed: could not flush" in caplog.text
    else:
        assert "did not finish within 0.1 s" in caplog.text or "did not finish within 0.0 s" in caplog.text


def test_anyio_threads_middleware_and_real_waits_run_on_the_container_loop() -> None:
    from fastapi import FastAPI
    from starlette.middleware.base import BaseHTTPMiddleware

    app = FastAPI()

    class Marker(BaseHTTPMiddleware):  # runs the app in an anyio task group
        async def dispatch(self, request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            response.headers["x-middleware"] = "ran"
            return response

    app.add_middleware(Marker)

    @app.get("/sync")
    def in_a_thread() -> dict[str, str]:  # FastAPI runs a plain def in anyio's thread pool
        import threading

        return {"thread": threading.current_thread().name}

    @app.get("/sleep")
    async def waits() -> dict[str, bool]:
        await asyncio.sleep(0.01)
        return {"slept": True}

    handler = adapt(app)
    for path in ("/sync", "/sleep", "/sync"):
        result = handler(event_for("http", path=path), LambdaContext())
        assert result["statusCode"] == 200 and result["headers"]["x-middleware"] == "ran"
    assert json_of(handler(event_for("http", path="/sync"), LambdaContext()))["thread"] != "MainThread"


@pytest.mark.parametrize(
    "headers",
    [[(b"x bad", b"1")], [(b"x-evil", b"a\r\nset-cookie: x=1")], [(b"", b"1")], [(b"x:y", b"1")]],
    ids=repr,
)
def test_response_headers_that_are_not_http_are_a_500(headers: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"x"})

    result = adapt(app, lifespan="off")(event_for("http"), LambdaContext())
    assert result["statusCode"] == 500
    assert "InvalidResponse" in caplog.text and "the ASGI app failed" in caplog.text
    assert "set-cookie" not in str(result)


class _CallableApp:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _plain_function(app: Any) -> Any:
    def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        seen.append(("sync part", asyncio.current_task() is not None))  # its code runs inside the task too
        return app(scope, receive, send)

    return wrapper


seen: list[tuple[str, Any]] = []


@pytest.mark.parametrize(
    "shape",
    [lambda app: app, _CallableApp, _plain_function, lambda app: __import__("functools").partial(app)],
    ids=["async-def", "async-call", "plain-function", "partial"],
)
def test_every_shape_of_app_runs_as_a_task_of_the_running_loop_in_a_context_of_its_own(shape: Any) -> None:
    import contextvars

    request = contextvars.ContextVar("request", default="none")
    seen.clear()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(("task", asyncio.current_task() is not None and asyncio.get_running_loop().is_running()))
        seen.append(("before", request.get()))
        request.set(scope["path"])
        if scope["path"] == "/incomplete":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(bytearray(b"x-a"), memoryview(b"1"))]})
        await send({"type": "http.response.body", "body": bytearray(b"ok")})

    handler = adapt(shape(app), lifespan="off")
    for path in ("/one", "/two"):
        result = handler(event_for("http", path=path), LambdaContext())
        assert (result["statusCode"], result["headers"]["x-a"], body_of(result)) == (200, "1", b"ok")
    assert handler(event_for("http", path="/incomplete"), LambdaContext())["statusCode"] == 500
    assert ("before", "/one") not in seen and seen.count(("before", "none")) == 3  # nothing leaks between requests
    assert all(value is True for what, value in seen if what in ("task", "sync part")), seen


def _echo_wrapped(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """A plain function returning the app's coroutine (a middleware's shape): run inside a wrapper."""
    return asgi_echo(scope, receive, send)


@pytest.mark.parametrize("app", [asgi_echo, _echo_wrapped], ids=["async-def", "wrapped"])
@pytest.mark.parametrize("format", ["http", "url", "rest"])
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_a_plain_event_is_read_straight_into_the_scope_and_answered_as_by_the_environ_path(
    app: Any, format: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events AWS sends take the direct reader (``to_request`` never runs) and the app sees,
    and answers, what it would through the environ."""
    from lambda_adapter._events import SOURCES, apigw_v1, apigw_v2, scope

    headers = {"Accept": "*/*", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Cookie": "a=1; b=2"}
    body = b'{"a": 1}' if method == "POST" else b""
    event = event_for(format, method=method, path="/items/42", query="q=a%20b", headers=headers, body=body)
    event["requestContext"].pop("authorizer", None)  # as AWS sends it without one (the REST builder sends null)
    through_environ = adapt(app, lifespan="off")
    monkeypatch.setattr(through_environ, "_scoped", {})  # no reader: every event takes the environ path
    expected = through_environ(event, LambdaContext())
    SOURCES.update(v1=apigw_v1, v2=apigw_v2)

    def refused(event: Any, options: Any) -> Any:
        raise AssertionError("to_request ran")

    handler = adapt(app, lifespan="off")
    monkeypatch.setattr(apigw_v1, "to_request", refused)
    monkeypatch.setattr(apigw_v2, "to_request", refused)
    assert handler._scoped is scope.PLAIN_READERS
    result = handler(event, LambdaContext())
    assert result == expected and result["statusCode"] == 200
    assert (result["body"] == "") == (method == "HEAD")
