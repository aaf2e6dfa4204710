"""Work after the answer through the runtime loop: the answer is posted as soon as it is complete, the app
then finishes (FastAPI ``BackgroundTasks``, Flask ``call_on_close``), and only then the loop asks for the
next event. Proven by cause: the work after the answer waits at a gate the test opens only once it holds
the answer (``tests/background_apps.py``); the loopback Runtime API lists every request in order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.testing import url_event
from tests.runtime_api import Answer, RuntimeAPIServer

NEXT = ("GET", "/2018-06-01/runtime/invocation/next")
NUL8 = b"\0" * 8


def body_of(answer: Answer) -> bytes:
    if answer.streamed:
        return answer.body.partition(NUL8)[2]
    result = json.loads(answer.body)
    assert result["statusCode"] == 200
    return str(result["body"]).encode()


def line_of(log: str, text: str) -> str:
    return next(line for line in log.splitlines() if text in line)


@pytest.mark.parametrize("slots", [None, "1"])  # one at a time; Managed Instances (an ASGI app: its one loop)
@pytest.mark.parametrize("streaming", ["0", "1"])
@pytest.mark.parametrize(("spec", "path"), [("asgi", "/background"), ("asgi", "/streamed"),
                                            ("wsgi", "/background"), ("wsgi", "/streamed")])  # fmt: skip
def test_the_answer_is_posted_before_the_work_after_it_and_the_next_event_waits_for_that_work(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: str,
    path: str, streaming: str, slots: str | None,
) -> None:  # fmt: skip
    if slots is not None:
        monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", slots)
    runtime = start_runtime(f"tests.background_apps:{spec}", streaming=streaming)
    first = api.submit(url_event(path=path, query=f"folder={tmp_path}"))
    answer = api.wait(first)  # the work after it waits at the gate: a loop that waited for it never answers
    assert answer.kind == "response" and answer.streamed is (streaming == "1")
    assert not (tmp_path / "done").exists()
    assert body_of(answer) in (b"one\ntwo\n", f"answered {first}".encode(), f'{{"answered":"{first}"}}'.encode())
    if answer.streamed:
        assert answer.raw.endswith(b"0\r\n\r\n")  # the stream was ended, not left open for the work after it
    opened = len(api.requests)
    (tmp_path / "gate").touch()
    assert body_of(api.invoke(url_event(path="/quick"))) in (b"quick", b'{"quick":"yes"}')
    assert (tmp_path / "done").read_text() == f"{first} opened"
    posted = api.requests.index(("POST", f"/2018-06-01/runtime/invocation/{first}/response"))
    assert NEXT not in api.requests[posted:opened]  # no next event asked for while the work went on
    assert NEXT in api.requests[opened:]
    assert line_of(runtime.wait_for_log(f"after the answer: {first}"), "after the answer").split("\t")[2] == first


@pytest.mark.parametrize(
    ("spec", "logged", "error"),
    [("asgi", "the ASGI app failed after its response was complete", "the background task broke on purpose"),
     ("wsgi", "close() of the WSGI app's response failed; the response stands", "call_on_close broke on purpose")],
)  # fmt: skip
def test_work_after_the_answer_that_raises_is_logged_with_its_request_id_and_reaches_no_one(
    api: RuntimeAPIServer, start_runtime: Any, spec: str, logged: str, error: str
) -> None:
    runtime = start_runtime(f"tests.background_apps:{spec}")
    answer = api.invoke(url_event(path="/raises"))
    assert answer.kind == "response" and b"answered" in body_of(answer)
    assert error.encode() not in answer.raw
    log = runtime.wait_for_log(error)
    assert line_of(log, logged).split("\t")[2] == answer.request_id
    assert f"request {answer.request_id}" in line_of(log, logged) or spec == "wsgi"
    after = api.invoke(url_event(path="/quick"))  # the next invocation sees nothing of it
    assert after.kind == "response" and b"quick" in body_of(after) and error.encode() not in after.raw


def test_asgi_work_after_the_answer_is_cancelled_at_the_deadline_less_the_margin(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    runtime = start_runtime("tests.background_apps:asgi")
    assert b"quick" in body_of(api.invoke(url_event(path="/quick")))  # lifespan started: the deadline is the app's
    answer = api.invoke(url_event(path="/forever"), deadline_in=3)
    assert answer.kind == "response" and body_of(answer) == b'{"answered":"yes"}'  # posted, not held back
    cancelled = "cancelled the ASGI app near the Lambda deadline after its response was complete"
    log = runtime.wait_for_log(cancelled, timeout=30)  # logged once the app has unwound
    assert "the endless background task was cancelled" in log
    line = line_of(log, cancelled)
    assert line.split("\t")[2] == answer.request_id
    assert b"quick" in body_of(api.invoke(url_event(path="/quick")))


def test_wsgi_work_after_the_answer_past_the_deadline_is_warned_of(
    api: RuntimeAPIServer, start_runtime: Any, tmp_path: Path
) -> None:
    """A thread cannot be stopped: the watchdog says so near the deadline, and Lambda ends the invocation."""
    runtime = start_runtime("tests.background_apps:wsgi")
    assert b"quick" in body_of(api.invoke(url_event(path="/quick")))  # warm: the deadline is the app's alone
    answer = api.invoke(url_event(path="/background", query=f"folder={tmp_path}"), deadline_in=3)
    assert body_of(answer) == f"answered {answer.request_id}".encode()
    log = runtime.wait_for_log("still running near the Lambda deadline", timeout=30)
    assert line_of(log, "still running near the Lambda deadline").split("\t")[2] == answer.request_id
    (tmp_path / "gate").touch()
    assert b"quick" in body_of(api.invoke(url_event(path="/quick")))
    assert (tmp_path / "done").read_text() == f"{answer.request_id} opened"
