"""The container: the process's loop (one thread at a time), deadlines that leave nothing behind,
lifespan startup within the time left, and the canaries of the eager first step's assumptions."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest

from lambda_adapter import LifespanFailure, adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for


def test_two_threads_calling_asgi_handlers_at_once_both_get_their_answer(caplog: pytest.LogCaptureFixture) -> None:
    """Bug 2: the second thread's call ran the loop the first was running: a 500 blamed on the app."""
    first_inside = threading.Event()
    release = threading.Event()

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        first_inside.set()
        while not release.is_set():  # holds the loop in its thread until the other thread has called
            await asyncio.sleep(0.01)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"slow"})

    async def quick(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(0)  # past the eager first step: onto the loop the other thread is running
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"quick"})

    results: dict[str, Any] = {}
    slow_handler, quick_handler = adapt(slow, lifespan="off"), adapt(quick, lifespan="off")
    worker = threading.Thread(target=lambda: results.update(slow=slow_handler(event_for("http"), LambdaContext())))
    worker.start()
    assert first_inside.wait(10)
    other = threading.Thread(target=lambda: results.update(quick=quick_handler(event_for("http"), LambdaContext())))
    other.start()
    release.set()
    worker.join(10)
    other.join(10)
    assert {name: body_of(result) for name, result in results.items()} == {"slow": b"slow", "quick": b"quick"}
    assert "failed" not in caplog.text


def test_a_handler_called_inside_a_running_loop_is_a_clear_error_not_the_apps_500() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    handler = adapt(app, lifespan="off")

    async def caller() -> None:
        handler(event_for("http"), LambdaContext())

    with pytest.raises(RuntimeError, match=r"inside a running event loop.*await handler.ainvoke"):
        asyncio.run(caller())
    assert handler(event_for("http"), LambdaContext())["statusCode"] == 200  # the next call works


def test_a_task_that_ignores_its_cancellation_is_cancelled_again_before_the_next_invocation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bug 3: it stayed pending and resumed during the next request."""
    cancels: list[str] = []
    stubborn_done = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/stubborn":
            never = asyncio.Event()
            for _ in range(2):  # ignores the first cancel, and the grace after it
                try:
                    await never.wait()
                except asyncio.CancelledError:
                    cancels.append(scope["path"])
            stubborn_done.set()
            return
        assert not stubborn_done.is_set() or cancels == ["/stubborn", "/stubborn"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(cancels)).encode()})

    handler = adapt(app, lifespan="off", deadline_margin=0.5)
    assert handler(event_for("http", path="/stubborn"), LambdaContext(timeout_ms=600))["statusCode"] == 504
    assert "ignored its cancellation" in caplog.text and cancels == ["/stubborn"]
    result = handler(event_for("http", path="/next"), LambdaContext())
    assert body_of(result) == b"2"  # cancelled again, and ended, before this one ran
    assert stubborn_done.is_set() and "cancelling again" in caplog.text


def test_the_deadline_message_says_how_long_the_app_ran(caplog: pytest.LogCaptureFixture) -> None:
    """Bug 3: "still running 0.000 s into the invocation" reported the time left as time elapsed."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.Event().wait()

    assert (
        adapt(app, lifespan="off", deadline_margin=0.5)(event_for("http"), LambdaContext(timeout_ms=700))["statusCode"]
        == 504
    )
    assert re.search(r"still running \d+\.\d{3} s after it started", caplog.text), caplog.text
    caplog.clear()
    assert (
        adapt(app, lifespan="off", deadline_margin=1)(event_for("http"), LambdaContext(timeout_ms=500))["statusCode"]
        == 504
    )
    assert "no time left before deadline_margin when the app started" in caplog.text


def test_lifespan_startup_is_bounded_by_the_invocations_time_left() -> None:
    """Bug 3: a startup that hangs ate the first request's whole budget, silently."""
    calls: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            calls.append("startup")
            if len(calls) == 1:
                await asyncio.Event().wait()  # the first startup hangs
            await send({"type": "lifespan.startup.complete"})
            await receive()
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    handler = adapt(app, deadline_margin=0.5)
    with pytest.raises(LifespanFailure, match=r"did not complete within the \d+\.\d{3} s the invocation had left"):
        handler(event_for("http"), LambdaContext(timeout_ms=700))
    assert body_of(handler(event_for("http"), LambdaContext())) == b"ok"  # the next invocation starts it again
    assert calls == ["startup", "startup"]


# -- canaries: the eager first step's assumptions, on every Python of the matrix --------------------


def test_canary_a_new_task_schedules_exactly_its_own_first_step() -> None:
    from lambda_adapter._run.container import EagerLoop, _Task

    loop = EagerLoop()
    captured: list[Any] = []
    loop._captured = captured

    async def step() -> None:
        pass

    try:
        task = _Task(step(), loop=loop)  # as EagerLoop.run makes it
    finally:
        loop._captured = None
    assert len(captured) == 1 and getattr(captured[0][0], "__self__", None) is task, captured
    loop.call_soon(captured[0][0], context=captured[0][2])  # the captured step was never queued: queue it
    loop.run_until_complete(task)
    loop.close()


def test_the_loop_is_running_during_the_eager_first_step() -> None:
    """Bug 9: ``is_running()`` was False during that step, so libraries took the wrong path."""
    seen: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(asyncio.get_running_loop().is_running())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    adapt(app, lifespan="off")(event_for("http"), LambdaContext())
    assert seen == [True]


def test_when_the_assumption_does_not_hold_the_task_runs_the_plain_way(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_adapter._run import container

    def task_scheduling_twice(coroutine: Any, *, loop: Any) -> Any:
        loop.call_soon(lambda: None)  # a second call_soon: the eager step must not be taken
        return asyncio.Task(coroutine, loop=loop)

    monkeypatch.setattr(container, "_Task", task_scheduling_twice)
    monkeypatch.setattr(container, "_EAGER_START", False)  # 3.12+: the path of 3.10 and 3.11, and of task factories

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"plain"})

    assert body_of(adapt(app, lifespan="off")(event_for("http"), LambdaContext())) == b"plain"


def test_a_task_factory_the_app_sets_makes_the_next_requests_tasks() -> None:
    """The loop is the app's too: a factory it sets (uvloop-style, eager_task_factory) is used, and
    gets the Handle its call_soon asks for."""
    from lambda_adapter._run.container import container_loop

    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coroutine: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(type(loop.call_soon(lambda: None)).__name__)  # a factory may use what call_soon returns
        return asyncio.Task(coroutine, loop=loop, **kwargs)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        asyncio.get_running_loop().set_task_factory(factory)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    handler = adapt(app, lifespan="off")
    try:
        assert [body_of(handler(event_for("http"), LambdaContext())) for _ in range(2)] == [b"ok", b"ok"]
    finally:
        container_loop().set_task_factory(None)
    assert made and set(made) == {"Handle"}  # the second request's task (and what waits for it) made by the factory


@pytest.mark.parametrize("waits", [False, True], ids=["startup-waits-on-nothing", "startup-waits"])
def test_lifespan_startup_that_waits_or_not_completes_once_and_its_state_reaches_requests(waits: bool) -> None:
    """The app's first lifespan step runs at once; a startup that waits goes on in the loop."""
    startups: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            assert (await receive())["type"] == "lifespan.startup"
            if waits:
                await asyncio.sleep(0.01)
            scope["state"]["ready"] = asyncio.current_task() is not None
            startups.append("startup")
            await send({"type": "lifespan.startup.complete"})
            await receive()
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(scope["state"]).encode()})

    handler = adapt(app, lifespan="on")
    bodies = [body_of(handler(event_for("http"), LambdaContext())) for _ in range(3)]
    assert bodies == [b"{'ready': True}"] * 3 and startups == ["startup"]
