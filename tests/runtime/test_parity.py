"""Parity with the managed Python runtime: the same handlers under AWS's ``awslambdaric`` (pinned in the
``test`` extra) and under our loop, through the same loopback Runtime API, with the same events; what
reaches the Runtime API is compared byte for byte, the request ids aside.

The differences we keep on purpose are asserted as such: our loop names the error type in the
``Lambda-Runtime-Function-Error-Type`` header (the Runtime API documents it; awslambdaric leaves it
out), and when the Runtime API refuses an answer (413: over 6 MB) awslambdaric's process dies while
ours goes on with the next invocation.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.testing import FORMATS, event_for
from tests.processes import STOP_GRACE, stop
from tests.runtime_api import Answer, RuntimeAPIServer

pytest.importorskip("awslambdaric")
ROOT = Path(__file__).resolve().parents[2]
COMPARED = ("content-type", "lambda-runtime-function-xray-error-cause")
TRACE = {"Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}


def command(runtime: str, spec: str) -> list[str]:
    if runtime == "awslambdaric":  # the managed runtime's handler setting: module.function
        module, _, function = spec.partition(":")
        return [sys.executable, "-m", "awslambdaric", f"{module}.{function}"]
    return [sys.executable, "-m", "lambda_adapter.runtime", spec]


def served(
    runtime: str,
    spec: str,
    events: list[Any],
    environment: dict[str, str] | None = None,
    headers: dict[str, str] = TRACE,
) -> tuple[list[Answer], int | None]:
    """What ``runtime`` sent the Runtime API for each event (raw bytes for ``bytes``), and its exit status."""
    api = RuntimeAPIServer()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_LAMBDA_", "LAMBDA_ADAPTER"))}
    env.pop("AWS_EXECUTION_ENV", None)
    env.update(AWS_LAMBDA_RUNTIME_API=api.address, PYTHONPATH=str(ROOT), **(environment or {}))
    process = subprocess.Popen(
        command(runtime, spec), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    answers = []
    try:
        for event in events:
            raw = event if isinstance(event, bytes) else None
            answer = answer_of(api, process, api.submit(None if raw else event, raw=raw, headers=headers))
            if answer is None:
                break
            answers.append(answer)
        status = process.poll()
    finally:  # SIGKILL: awslambdaric waits for the next event in C, where a SIGTERM handler never runs
        process.kill()
        process.wait()  # SIGKILL cannot be ignored: reaped, never left behind
        api.close()
    return answers, status


def answer_of(api: RuntimeAPIServer, process: subprocess.Popen[bytes], request_id: str) -> Answer | None:
    """The answer to ``request_id``, or None once the process has ended without one."""
    for _ in range(120):
        try:
            return api.wait(request_id, timeout=0.25)
        except AssertionError:
            if process.poll() is not None:
                return None
    raise AssertionError(f"no answer to {request_id} from a live runtime")


def normalised(answer: Answer) -> tuple[str, int, dict[str, str], bytes]:
    headers = {name: answer.headers[name] for name in COMPARED if name in answer.headers}
    return answer.kind, answer.status, headers, answer.body.replace(answer.request_id.encode(), b"<request id>")


def compare(
    spec: str, events: list[Any], environment: dict[str, str] | None = None
) -> tuple[list[Answer], list[Answer]]:
    theirs, _ = served("awslambdaric", spec, events, environment)
    ours, _ = served("ours", spec, events, environment)
    assert len(theirs) == len(ours) == len(events)
    for number, (their, our) in enumerate(zip(theirs, ours, strict=True)):
        assert normalised(our) == normalised(their), f"event {number}: {events[number]!r:.200}"
        if their.kind == "error":  # the one header we add
            assert "lambda-runtime-function-error-type" not in their.headers
            assert our.headers["lambda-runtime-function-error-type"].startswith(("Function.", "Runtime."))
    return theirs, ours


@pytest.mark.parametrize("app", ["wsgi", "asgi_buffered"])
def test_every_http_source_reaches_the_runtime_api_as_under_the_managed_runtime(app: str) -> None:
    events = [event_for(format, path="/rows", query="n=2") for format in FORMATS]
    theirs, _ = compare(f"tests.streaming_apps:{app}", events)
    assert all(answer.kind == "response" for answer in theirs)


def test_a_handler_not_made_by_adapt_its_results_and_an_unreadable_event() -> None:
    events = [{"kind": "decimal"}, {"kind": "bytes"}, {"kind": "plain"}, b"not json", {"kind": "again"}]
    theirs, _ = compare("tests.streaming_apps:answers", events)
    assert [answer.kind for answer in theirs] == ["response"] * 3 + ["error", "response"]


def test_an_error_in_the_handler() -> None:
    theirs, _ = compare("tests.streaming_apps:failing", [{}, {"again": True}])
    assert [answer.kind for answer in theirs] == ["error", "error"]


def test_a_result_that_is_no_json() -> None:
    compare("tests.streaming_apps:unserialisable", [{}])


def test_results_json_alone_would_write_otherwise() -> None:
    """Decimals to the last digit as written, bytes inside a result as UTF-8 text: simplejson's way."""
    events = [{"kind": "exact"}, {"kind": "bytes inside"}, {"kind": "bytes inside, no UTF-8"}]
    theirs, ours = compare("tests.streaming_apps:answers", events)
    assert [answer.kind for answer in theirs] == ["response", "response", "error"]
    assert b"3.14159265358979323846264" in ours[0].body and b'"AP8="' in ours[1].body


@pytest.mark.parametrize("runtime", ["AWS_Lambda_python3.11", "AWS_Lambda_python3.12", "AWS_Lambda_python3.13"])
def test_text_is_utf_8_or_escaped_as_the_managed_runtime_of_that_version_writes_it(runtime: str) -> None:
    environment = {"AWS_EXECUTION_ENV": runtime}
    theirs, _ = compare("tests.streaming_apps:answers", [{"kind": "unicode"}], environment)
    utf_8 = "caf\u00e9".encode() in theirs[0].body
    assert utf_8 == (runtime != "AWS_Lambda_python3.11")  # 3.12 on: UTF-8 as it is, escaped before
    theirs, _ = served("awslambdaric", "tests.streaming_apps:failing_inside", [{}], environment)
    ours, _ = served("ours", "tests.streaming_apps:failing_inside", [{}], environment)
    assert normalised(ours[0])[3] == normalised(theirs[0])[3]  # the error document; its X-Ray header stays ASCII
    assert ("cl\u00e9".encode() in theirs[0].body) == utf_8


def test_an_error_inside_an_expression_has_the_managed_runtimes_stack_trace() -> None:
    theirs, _ = compare("tests.streaming_apps:failing_inside", [{}])
    trace = json.loads(theirs[0].body)["stackTrace"]
    assert len(trace) == 2 and "_lookup" in trace[1]  # the user's frames, the runtime's left out


def test_the_w3c_trace_context_of_a_client_context() -> None:
    w3c = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "k=v", "baggage": 1,
           "other": "x"}  # fmt: skip
    contexts = [{"custom": {"a": 1}, "w3c": w3c}, {"w3c": "not an object"}, {"env": {"b": 2}}, None]
    theirs, ours = [], []
    for context in contexts:  # a process each: an event's headers are the same for all of a process's events
        headers = {**TRACE, **({"Lambda-Runtime-Client-Context": json.dumps(context)} if context else {})}
        for runtime, answers in (("awslambdaric", theirs), ("ours", ours)):
            answers += served(runtime, "tests.streaming_apps:w3c", [{}], headers=headers)[0]
    assert len(theirs) == len(ours) == len(contexts)
    assert [normalised(answer) for answer in ours] == [normalised(answer) for answer in theirs]
    assert json.loads(theirs[0].body)["w3c"] == {key: w3c[key] for key in ("traceparent", "tracestate")}


def test_an_oversized_answer_is_the_same_bytes_refused_alike_and_only_ours_goes_on() -> None:
    events = [{"kind": "large"}, {"kind": "after"}]
    theirs, their_status = served("awslambdaric", "tests.streaming_apps:answers", events)
    ours, our_status = served("ours", "tests.streaming_apps:answers", events)
    assert normalised(ours[0]) == normalised(theirs[0]) and theirs[0].status == 413
    assert len(theirs) == 1 and their_status not in (None, 0)  # the managed runtime's process dies
    assert our_status is None and normalised(ours[1])[3] == b'{"kind": "after"}'  # ours answers the next one


def init_errors(spec: str, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """What each runtime posts to /init/error for a handler it cannot load (it exits with status 1)."""
    answers = {}
    for runtime in ("awslambdaric", "ours"):
        api = RuntimeAPIServer()
        process = subprocess.Popen(command(runtime, spec), cwd=cwd, env={**env, "AWS_LAMBDA_RUNTIME_API": api.address},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            answers[runtime] = api.wait("init")
            assert process.wait(STOP_GRACE) == 1
        finally:
            assert stop(process) is None
            api.close()
    return answers


def test_a_handler_that_cannot_be_imported_is_the_same_init_error() -> None:
    answers = init_errors("tests.broken_handlers.import_fails:handler", ROOT, {**os.environ, "PYTHONPATH": str(ROOT)})
    assert answers["ours"].body == answers["awslambdaric"].body
    assert answers["ours"].headers["lambda-runtime-function-error-type"] == "Runtime.ImportModuleError"
    assert answers["awslambdaric"].headers["lambda-runtime-function-error-type"] == "Runtime.ImportModuleError"


INIT_FAILURES = {  # a module in the task root: its source, and the handler setting that names it
    "syntax error": ("broken", "def handler(event, context)\n    return 1\n"),
    "raises while imported": ("broken", "def load():\n    raise RuntimeError('no config')\n\n\nload()\n"),
    "a built-in module's name": ("time", "def handler(event, context):\n    return 1\n"),
}


@pytest.mark.parametrize("failure", INIT_FAILURES)
def test_a_handler_that_cannot_be_loaded_is_the_same_init_error(failure: str, tmp_path: Path) -> None:
    module, source = INIT_FAILURES[failure]
    (tmp_path / f"{module}.py").write_text(source)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_LAMBDA_")}
    env.update(PYTHONPATH=str(ROOT), LAMBDA_TASK_ROOT=str(tmp_path))
    answers = init_errors(f"{module}:handler", tmp_path, env)
    theirs, ours = answers["awslambdaric"], answers["ours"]
    assert ours.body == theirs.body, failure
    kind = "lambda-runtime-function-error-type"
    assert ours.headers[kind] == theirs.headers[kind] == json.loads(theirs.body)["errorType"]


def records() -> list[logging.LogRecord]:
    """Log records of every shape the JSON format treats apart, as the request id filter leaves them."""
    try:
        raise ValueError("broke")
    except ValueError:
        error = sys.exc_info()
    made = [
        logging.LogRecord("app", logging.WARNING, "/app.py", 3, "plain %s", ("text",), None),
        logging.LogRecord("app", logging.INFO, "/app.py", 4, {"structured": [1, 2]}, None, None),
        logging.LogRecord("app", logging.ERROR, "/app.py", 5, "failed", None, error, func="handler"),
        logging.LogRecord("app", 25, "/app.py", 6, "custom level ünicode", None, None),
    ]
    made[1].order_id = 42  # an extra= field
    for record, tenant in zip(made, [None, "t-1", None, "t-2"], strict=True):
        record.aws_request_id, record.tenant_id, record.xray_trace_id = "id-1", tenant, None
    return made


def test_json_log_lines_are_awslambdarics() -> None:
    from awslambdaric.lambda_runtime_log_utils import JsonFormatter

    from lambda_adapter.runtime._log import _Json

    theirs = JsonFormatter()
    theirs.converter = time.gmtime  # awslambdaric sets it on logging.Formatter for the whole process
    for their_record, our_record in zip(records(), records(), strict=True):
        their_record.__dict__.pop("xray_trace_id")  # ours only: a custom formatter's, never in the JSON
        assert _Json().format(our_record) == theirs.format(their_record).rstrip("\n")
