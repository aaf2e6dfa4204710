"""Lambda Managed Instances (``AWS_LAMBDA_MAX_CONCURRENCY``), SnapStart and per-invocation state in the loop.

Concurrency is proven by cause: N invocations wait at a barrier that opens only when all N are in
flight (``tests/concurrent_apps.py``), and the loopback Runtime API counts what it handed out.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.testing import url_event
from tests.conftest import load_event
from tests.runtime_api import RuntimeAPIServer


def serve(start_runtime: Any, spec: str, monkeypatch: pytest.MonkeyPatch, slots: int, workers: str = "threads",
          **env: str) -> Any:  # fmt: skip
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", str(slots))
    monkeypatch.setenv("LAMBDA_ADAPTER_WORKERS", workers)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return start_runtime(spec)


def trace(number: int) -> str:
    return f"Root=1-5759e988-{number:024x};Sampled=1"


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_slots_serve_that_many_at_once_never_more_each_with_its_own_invocation(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workers: str
) -> None:
    runtime = serve(start_runtime, "tests.concurrent_apps:barrier", monkeypatch, 4, workers)
    ids = []
    for wave in range(2):  # each wave of 4 opens only when all 4 are in flight at once
        for number in range(4):
            event = {"barrier": str(tmp_path / f"wave-{wave}"), "n": 4}
            headers = {"Lambda-Runtime-Trace-Id": trace(wave * 4 + number)}
            ids.append(api.submit(event, headers=headers, tenant_id=f"tenant-{number}"))
    results = [json.loads(api.wait(request_id).body) for request_id in ids]
    assert all(result["opened"] for result in results)
    assert api.max_in_flight == 4
    for number, (request_id, result) in enumerate(zip(ids, results, strict=True)):
        assert result["request_id"] == request_id and result["tenant_id"] == f"tenant-{number % 4}"
        assert result["trace_env"] == trace(number)  # the X-Ray SDK's source, per invocation
        assert result["trace_context"] == trace(number)
    processes = {result["pid"] for result in results}
    assert len(processes) == (1 if workers == "threads" else 4)
    assert runtime.log().count("module init in") == 1  # imported once, before any worker
    log = runtime.log()
    for request_id in ids:  # every line under its own invocation's request id
        for word in ("serving", "answering"):
            line = next(line for line in log.splitlines() if line.endswith(f"{word} {request_id}"))
            assert line.split("\t")[2] == request_id


def test_a_flask_app_is_served_in_threads_sharing_one_import(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runtime = serve(start_runtime, "tests.concurrent_apps:wsgi", monkeypatch, 3)
    events = [url_event(path="/wait", query=f"barrier={tmp_path / 'b'}&n=3") for _ in range(3)]
    ids = [api.submit(event) for event in events]
    bodies = [json.loads(json.loads(api.wait(request_id).body)["body"]) for request_id in ids]
    assert [body["opened"] for body in bodies] == [True] * 3
    assert [body["request_id"] for body in bodies] == ids
    assert runtime.log().count("module init in") == 1 and api.max_in_flight == 3


def test_an_asgi_app_serves_every_slot_on_one_loop_with_one_lifespan(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runtime = serve(start_runtime, "tests.concurrent_apps:asgi", monkeypatch, 4)
    ids = []
    for number in range(8):  # two waves of four, each opening only with all four in flight
        event = url_event(path="/wait", query=f"barrier={tmp_path / str(number // 4)}&n=4")
        ids.append(api.submit(event, headers={"Lambda-Runtime-Trace-Id": trace(number)}))
    bodies = [json.loads(json.loads(api.wait(request_id).body)["body"]) for request_id in ids]
    assert [body["opened"] for body in bodies] == [True] * 8 and api.max_in_flight == 4
    assert [body["request_id"] for body in bodies] == ids
    assert [body["trace_env"] for body in bodies] == [trace(number) for number in range(8)]  # each task its own
    assert len({body["thread"] for body in bodies}) == 1  # the app ran on the one loop's thread
    log = runtime.log()
    assert log.count("module init in") == 1 and log.count("lifespan: startup") == 1
    for request_id in ids:
        line = next(line for line in log.splitlines() if line.endswith(f"answering {request_id}"))
        assert line.split("\t")[2] == request_id
    runtime.process.terminate()  # SIGTERM: the one lifespan shuts down, then the process ends
    runtime.process.wait(10)
    assert runtime.log().count("lifespan: shutdown") == 1


def test_an_asgi_apps_event_routes_run_as_tasks_of_its_one_loop(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(start_runtime, "tests.concurrent_apps:asgi_events", monkeypatch, 2)
    routed = api.invoke(load_event("powertools/sqsEvent.json"))  # posted to the app's /wait
    answer = json.loads(routed.body)
    assert answer["request_id"] == routed.request_id  # the app's own answer, not an error
    http = json.loads(json.loads(api.invoke(url_event(path="/wait")).body)["body"])
    assert answer["thread"] == http["thread"]  # on the one loop, as the HTTP invocations


@pytest.mark.parametrize("fault", ["unreadable", "refused", "raises"])
def test_one_invocations_fault_leaves_the_others_in_flight_alone(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fault: str
) -> None:
    runtime = serve(start_runtime, "tests.concurrent_apps:barrier", monkeypatch, 3)
    event = {"barrier": str(tmp_path / "b"), "n": 3}
    ids = [api.submit(event) for _ in range(2)]  # these two wait for a third in flight
    if fault == "unreadable":
        faulty = api.submit(None, raw=b"{not json")
    elif fault == "refused":
        faulty = api.submit(event, reply=400)
    else:
        faulty = api.submit({"barrier": str(tmp_path / "b"), "n": "three"})  # the handler raises a TypeError
    answer = api.wait(faulty)
    if fault == "unreadable":
        assert (
            answer.kind == "error" and answer.headers["lambda-runtime-function-error-type"] == "Runtime.UnmarshalError"
        )
        api.submit(event)  # the third in flight
    elif fault == "refused":
        assert answer.status == 400
    else:
        assert answer.kind == "error" and json.loads(answer.body)["errorType"] == "TypeError"
        api.submit(event)
    assert all(json.loads(api.wait(request_id).body)["opened"] for request_id in ids)
    assert runtime.process.poll() is None
    assert json.loads(api.invoke({}).body)["opened"] is True  # and the slots go on


@pytest.mark.parametrize("streaming", ["1", "0"])
def test_an_asgi_app_that_fails_on_the_one_loop_is_answered_as_one_at_a_time(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, streaming: str
) -> None:
    """Before its first byte: a 500 (streamed or buffered), not "returned without giving an answer"; after
    its first bytes: trailers, the app's own error and traceback in the log (docs/streaming.md, "At the edges")."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "2")
    runtime = start_runtime("tests.streaming_apps:asgi", streaming=streaming)
    answer = api.invoke(url_event(path="/fail"))
    assert answer.kind == "response" and answer.trailers == {}
    if streaming == "1":
        prelude, body = answer.body.partition(b"\0" * 8)[::2]
        assert json.loads(prelude)["statusCode"] == 500 and body == b"Internal Server Error"
    else:
        assert json.loads(answer.body)["statusCode"] == 500
    assert "the app broke before answering" in runtime.wait_for_log("the ASGI app failed")
    if streaming == "1":
        cut = api.invoke(url_event(path="/midstream"))
        assert cut.trailers["lambda-runtime-function-error-type"] == "Function.RuntimeError"
        assert "the app broke after its first chunk" in runtime.wait_for_log("ended with error trailers")
    assert "never retrieved" not in runtime.log() and "without giving an answer" not in runtime.log()


def test_a_fatal_runtime_api_answer_ends_the_process(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = serve(start_runtime, "tests.concurrent_apps:barrier", monkeypatch, 3)
    assert api.invoke({}, reply=500).status == 500
    assert runtime.process.wait(10) == 1
    assert "answered 500" in runtime.log()


def test_one_at_a_time_the_trace_id_is_the_environments(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("tests.concurrent_apps:barrier")
    first = json.loads(api.invoke({}, headers={"Lambda-Runtime-Trace-Id": trace(1)}).body)
    assert first["trace_env"] == first["trace_context"] == trace(1)
    second = json.loads(api.invoke({}, headers={"Lambda-Runtime-Trace-Id": trace(2)}).body)
    assert second["trace_env"] == trace(2) and first["thread"] == second["thread"]


class LogSocket:
    """A Unix socket Lambda's log egress stands for: collects what each connection writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen()
        self.received = bytearray()
        self.connections = 0
        self.arrived = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def json_lines_once(self, text: str, timeout: float = 60) -> list[dict[str, Any]]:
        """The JSON lines received once one of them holds ``text``: a line reaches the socket on the
        runtime's time, not the test's, so the test waits for it (bounded) instead of reading at once."""

        def lines() -> list[dict[str, Any]]:  # whole lines only: a line may arrive in parts
            whole = self.received[: self.received.rfind(b"\n") + 1].decode()
            return [json.loads(line) for line in whole.splitlines() if line.startswith("{")]

        with self.arrived:
            self.arrived.wait_for(lambda: any(text in line.get("message", "") for line in lines()), timeout)
            return lines()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(65536):
                with self.arrived:
                    self.received += data
                    self.arrived.notify_all()


def test_under_managed_instances_the_log_goes_to_the_telemetry_socket_in_json(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sink = LogSocket(tmp_path / "log.sock")
    runtime = serve(start_runtime, "tests.concurrent_apps:barrier", monkeypatch, 2,
                    _LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET=str(sink.path), AWS_LAMBDA_LOG_FORMAT="JSON")  # fmt: skip
    request_id = api.invoke({}, tenant_id="t-1").request_id
    api.invoke({})  # a second invocation: the first one's lines were flushed before it was answered
    lines = sink.json_lines_once(f"serving {request_id}")
    serving = next(line for line in lines if line["message"] == f"serving {request_id}")
    assert serving["requestId"] == request_id and serving["tenantId"] == "t-1" and serving["logger"] == "app"
    assert sink.connections == 2  # stdout and stderr, as awslambdaric's workers connect them
    assert f"serving {request_id}" not in runtime.log()


# -- SnapStart ------------------------------------------------------------------------------------


def snapstart(start_runtime: Any, monkeypatch: pytest.MonkeyPatch, fail: str = "") -> Any:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setenv("TEST_SNAPSTART_HOOKS", "1")
    monkeypatch.setenv("TEST_SNAPSTART_FAIL", fail)
    return start_runtime("tests.concurrent_apps:barrier")


def test_snapstart_runs_the_hooks_around_restore_next_before_the_first_invocation(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = snapstart(start_runtime, monkeypatch)
    assert json.loads(api.invoke({}).body)["opened"] is True
    paths = [path.removeprefix("/2018-06-01/runtime") for _, path in api.requests]
    assert paths.index("/restore/next") < paths.index("/invocation/next")
    log = runtime.log()
    order = [log.index(text) for text in ("before snapshot: last registered", "before snapshot: first registered",
                                          "after restore")]  # fmt: skip
    assert order == sorted(order)  # the last registered before-snapshot hook first, as awslambdaric runs them


@pytest.mark.parametrize(
    ("fail", "kind", "error_type", "status"),
    [("before", "init_error", "Runtime.BeforeSnapshotError", 64),
     ("after", "restore_error", "Runtime.AfterRestoreError", 65)],
)  # fmt: skip
def test_a_snapstart_hook_that_raises_is_reported_and_the_process_exits(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, fail: str, kind: str,
    error_type: str, status: int,
) -> None:  # fmt: skip
    runtime = snapstart(start_runtime, monkeypatch, fail)
    answer = api.wait("init" if fail == "before" else "restore")
    assert answer.kind == kind and answer.headers["lambda-runtime-function-error-type"] == error_type
    document = json.loads(answer.body)
    assert document["errorType"] == "RuntimeError" and f"the {fail}" in document["errorMessage"]
    assert runtime.process.wait(10) == status
    assert ("/2018-06-01/runtime/restore/next" in [path for _, path in api.requests]) == (fail == "after")


def test_snapstart_runs_the_adapters_warm_up_before_the_snapshot(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = tmp_path / "warmed.py"
    marker = tmp_path / "warmed"
    module.write_text(
        "from pathlib import Path\nfrom lambda_adapter import adapt\n"
        "def app(environ, start_response):\n"
        f"    Path({str(marker)!r}).touch()\n"
        "    start_response('200 OK', [])\n    return [b'ok']\n"
        "handler = adapt(app, warmup=['/'])\n"
    )  # fmt: skip
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    api.on_restore = marker.exists  # what was done when the snapshot is taken
    start_runtime("warmed:handler", task_root=tmp_path)
    api.invoke({})
    assert api.restore_checks == [True]


def test_a_streamed_answer_the_runtime_api_is_slow_to_take_holds_up_its_task_not_the_other_slots(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 1 MiB waiting to be posted, the flooding task waits; the loop answers the other slot meanwhile."""
    monkeypatch.setenv("AWS_LAMBDA_MAX_CONCURRENCY", "2")
    start_runtime("tests.streaming_apps:asgi", streaming="1")
    holding, release = threading.Event(), threading.Event()

    def hold(index: int, data: bytes) -> None:  # the Runtime API stops reading the flood after its first part
        if index == 1:
            holding.set()
            release.wait(30)

    flood = api.submit(url_event(path="/flood", query="parts=256"), on_chunk=hold)  # 64 MiB
    try:
        assert holding.wait(30)
        small = api.submit(url_event(path="/slow", query="n=2&delay=0"))
        answer = api.wait(small, timeout=15)  # the loop went on while the flood waited
        assert answer.kind == "response" and answer.body.partition(b"\0" * 8)[2].count(b"chunk") == 2
        assert api.in_flight == 1  # the flood still waits for its reader
    finally:
        release.set()
    whole = api.wait(flood, timeout=60)
    assert whole.kind == "response" and whole.trailers == {}
    body = whole.body.partition(b"\0" * 8)[2]
    assert len(body) == 256 * 262_144 + 4 and body.endswith(b"end\n")
