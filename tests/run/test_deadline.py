"""The deadline guard: an ASGI app cancelled with a 504, a WSGI app reported in the log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for


async def slow_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(30)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})
    if scope["path"] == "/linger":
        await asyncio.sleep(30)  # work after the response: the response stands


def test_asgi_app_past_the_deadline_is_cancelled_with_a_504(caplog: pytest.LogCaptureFixture) -> None:
    handler = adapt(slow_asgi, deadline_margin=0.3)
    result = handler(event_for("http", path="/slow"), LambdaContext(timeout_ms=800, request_id="req-slow"))
    assert result["statusCode"] == 504  # the app sleeps 30 s: only the deadline ends it
    assert "cancelled the ASGI app near the Lambda deadline (request req-slow)" in caplog.text
    assert body_of(handler(event_for("http", path="/fast"), LambdaContext())) == b"done"


def test_asgi_work_after_the_response_is_cut_but_the_response_stands(caplog: pytest.LogCaptureFixture) -> None:
    result = adapt(slow_asgi, deadline_margin=0.3)(event_for("http", path="/linger"), LambdaContext(timeout_ms=600))
    assert (result["statusCode"], body_of(result)) == (200, b"done")
    assert "near the Lambda deadline" in caplog.text


def test_no_deadline_without_a_context_that_tells_one() -> None:
    assert adapt(slow_asgi)(event_for("http", path="/fast"), None)["statusCode"] == 200


def test_wsgi_app_near_the_deadline_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    import signal

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        waited = time.monotonic() + 30
        while environ["QUERY_STRING"] == "wait" and "still running" not in caplog.text:  # until warned
            assert time.monotonic() < waited, "no warning came"
            time.sleep(0.01)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]

    handler = adapt(app, deadline_margin=0.2)
    result = handler(event_for("http", query="wait"), LambdaContext(timeout_ms=400, request_id="req-wsgi"))
    assert body_of(result) == b"late"  # a thread cannot be stopped: the answer still goes out
    assert "still running near the Lambda deadline (request req-wsgi)" in caplog.text
    handler(event_for("http"), LambdaContext(timeout_ms=400))
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # disarmed once the answer is out


@pytest.mark.parametrize(
    ("margin", "error"), [(-1, ValueError), (901, ValueError), ("1", TypeError), (True, TypeError)]
)
def test_margin_is_checked(margin: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="deadline_margin"):
        adapt(slow_asgi, deadline_margin=margin)  # type: ignore[arg-type]


def test_margin_up_to_900_seconds_is_taken() -> None:
    assert adapt(slow_asgi, deadline_margin=900).options.deadline_margin == 900.0


class ClockedContext(LambdaContext):
    """A Lambda context whose remaining time the test sets: the deadline comes when the test says."""

    remaining_ms: float = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms  # type: ignore[return-value]  # a float too: a context of any shape


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_remaining_time_too_large_for_a_float_is_no_deadline(interface: str) -> None:
    context = ClockedContext()
    context.remaining_ms = 10**400  # an int no float holds: its division raises OverflowError

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"done"]

    result = adapt(wsgi if interface == "wsgi" else slow_asgi, lifespan="off")(event_for("http"), context)
    assert (result["statusCode"], body_of(result)) == (200, b"done")


@pytest.mark.parametrize(
    ("left_after_first_part", "status"),
    [(30_000, 200), (100, 504), (float("inf"), 200), (float("nan"), 200)],  # no number: no deadline, never "now"
)
def test_wsgi_parts_after_the_first_stop_at_the_deadline(
    left_after_first_part: float, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The first part is the answer the app made; a later one near the deadline is not waited for (504)."""
    context = ClockedContext()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first"
        context.remaining_ms = left_after_first_part  # the clock moved on while the app worked
        yield b"second"

    result = adapt(app, deadline_margin=0.5)(event_for("http"), context)
    assert result["statusCode"] == status
    if status == 200:
        assert body_of(result) == b"firstsecond"
    else:
        assert "stopped the WSGI app near the Lambda deadline" in caplog.text
