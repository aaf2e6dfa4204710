"""The runtime loop as a real process, driven by a Runtime API on loopback (tests/runtime_api.py)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, rest_event, url_event
from tests import streaming_apps
from tests.runtime_api import Answer, RuntimeAPIServer

ROOT = Path(__file__).resolve().parents[2]
STREAMING_SAMPLE = ROOT / "samples" / "streaming"
NUL8 = b"\0" * 8
NEXT = ("GET", "/2018-06-01/runtime/invocation/next")


def prelude_of(answer: Answer) -> tuple[dict[str, Any], bytes]:
    """The JSON prelude of a streamed answer and the body after the 8 NUL bytes."""
    prelude, separator, body = answer.body.partition(NUL8)
    assert separator == NUL8, answer.body[:200]
    document: dict[str, Any] = json.loads(prelude)
    return document, body


def error_trailer(answer: Answer) -> tuple[str, dict[str, Any]]:
    document = json.loads(base64.b64decode(answer.trailers["lambda-runtime-function-error-body"]))
    return answer.trailers["lambda-runtime-function-error-type"], document


# -- buffered mode --------------------------------------------------------------------------------


def test_plain_function_answers_buffered_with_the_context_fields(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_VERSION", raising=False)
    start_runtime("tests.streaming_apps:plain", streaming="1")  # cannot stream: buffered, with a warning
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    client = {"installation_id": "i-1", "app_title": "App", "app_version_name": "1.0", "app_version_code": "1",
              "app_package_name": "com.example"}  # fmt: skip
    headers = {
        "Lambda-Runtime-Trace-Id": trace,
        "Lambda-Runtime-Client-Context": json.dumps({"custom": {"k": "v"}, "env": {"os": "x"}, "client": client}),
        "Lambda-Runtime-Cognito-Identity": json.dumps({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "p-1"}),
        "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
    }
    answer = api.invoke({"hello": ["world", 1]}, headers=headers, deadline_in=20)
    assert answer.kind == "response" and not answer.streamed
    result = json.loads(answer.body)
    assert result["event"] == {"hello": ["world", 1]}
    assert result["request_id"] == answer.request_id
    assert result["function_arn"].startswith("arn:aws:lambda:")
    assert result["trace_id"] == trace
    assert 10_000 < result["remaining_ms"] <= 20_000
    # objects with attributes, as awslambdaric's LambdaContext has them, not the header's dicts
    assert result["client_context"] == {"custom": {"k": "v"}, "env": {"os": "x"}, "client": client}
    assert result["identity"] == {"cognito_identity_id": "id-1", "cognito_identity_pool_id": "p-1"}
    # the environment's values as they are: the memory size is a str in the managed runtime too
    assert result["environment"]["memory_limit_in_mb"] == ["512", "str"]
    assert result["environment"]["function_name"] == ["fn", "str"]
    assert result["environment"]["function_version"] == [None, "NoneType"]
    second = json.loads(api.invoke({"n": 2}, deadline_in=None).body)  # the loop goes on, with the new trace id
    assert second["event"] == {"n": 2} and second["trace_id"] != trace
    assert 890_000 < second["remaining_ms"] <= 900_000  # no deadline header (an emulator): 15 minutes
    assert result["tenant_id"] == "tenant-7" and second["tenant_id"] is None
    assert second["client_context"] is None
    assert second["identity"] == {"cognito_identity_id": None, "cognito_identity_pool_id": None}


def test_an_exception_goes_to_the_error_endpoint_and_the_loop_goes_on(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    runtime = start_runtime("tests.streaming_apps:failing")
    for _ in range(2):
        answer = api.invoke({})
        assert answer.kind == "error"
        assert answer.headers["lambda-runtime-function-error-type"] == "Function.Unhandled"
        error = json.loads(answer.body)
        assert error["errorType"] == "ValueError"
        assert error["errorMessage"] == "the handler broke on purpose"
        assert any("failing" in line for line in error["stackTrace"])
    assert "the handler failed" in runtime.log()


def test_a_result_that_is_no_json_is_a_marshal_error(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("tests.streaming_apps:unserialisable")
    answer = api.invoke({})
    assert answer.kind == "error"
    assert answer.headers["lambda-runtime-function-error-type"] == "Runtime.MarshalError"
    error = json.loads(answer.body)
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"] == "Unable to marshal response: Object of type object is not JSON serializable"


def test_decimals_and_bytes_are_answered_as_the_managed_runtime_answers_them(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    start_runtime("tests.streaming_apps:answers")
    answer = api.invoke({"kind": "decimal"})  # what boto3 gives for DynamoDB numbers
    assert answer.kind == "response" and answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == {"price": 19.99, "count": 3, "big": 12345678901234567890}
    raw = api.invoke({"kind": "bytes"})
    assert raw.kind == "response" and raw.body == b"\x00raw bytes\xff"
    assert raw.headers["content-type"] == "application/unknown"


def test_text_with_no_utf_8_is_escaped_on_a_runtime_that_writes_utf_8(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")  # JSON text as UTF-8, as awslambdaric's
    start_runtime("tests.streaming_apps:answers")
    answer = api.invoke({"kind": "lone surrogate"})
    assert answer.kind == "response" and answer.body == b'{"text": "caf\\u00e9 \\ud83d"}'
    error = api.invoke({"kind": "lone surrogate, failing"})
    assert error.kind == "error" and json.loads(error.body)["errorMessage"] == "caf\u00e9 \ud83d"
    assert json.loads(api.invoke({"kind": "unicode"}).body) == {"text": "caf\u00e9 \u65e5\u672c \U0001f600"}


@pytest.mark.parametrize(
    ("raw", "headers", "error_type"),
    [
        (b"{not json", {}, "Runtime.UnmarshalError"),
        (b"{}", {"Lambda-Runtime-Client-Context": "{oops"}, "Runtime.LambdaContextUnmarshalError"),
        (b"{}", {"Lambda-Runtime-Cognito-Identity": "nope"}, "Runtime.LambdaContextUnmarshalError"),
    ],
)
@pytest.mark.parametrize("streaming", ["0", "1"])
def test_an_unreadable_invocation_is_an_error_of_that_invocation_only(
    api: RuntimeAPIServer, start_runtime: Any, raw: bytes, headers: dict[str, str], error_type: str, streaming: str
) -> None:
    start_runtime("tests.streaming_apps:asgi", streaming=streaming)
    answer = api.invoke(None, raw=raw, headers=headers)
    assert answer.kind == "error" and answer.headers["lambda-runtime-function-error-type"] == error_type
    assert json.loads(answer.body)["errorType"] == error_type
    after = api.invoke(url_event(path="/slow", query="n=1&delay=0"))  # the loop goes on
    assert after.kind == "response"


@pytest.mark.parametrize(("reply", "exits"), [(400, False), (403, False), (500, True)])
@pytest.mark.parametrize("streaming", ["0", "1"])
def test_a_refused_answer_is_logged_and_only_a_500_ends_the_runtime(
    api: RuntimeAPIServer, start_runtime: Any, reply: int, exits: bool, streaming: str
) -> None:
    runtime = start_runtime("tests.streaming_apps:asgi", streaming=streaming)
    event = url_event(path="/slow", query="n=2&delay=0")
    assert api.invoke(event, reply=reply).status == reply
    if exits:  # "container error: non-recoverable state, the runtime should exit promptly"
        assert runtime.process.wait(10) == 1
        assert f"answered {reply}" in runtime.log() or f"refused: {reply}" in runtime.log()
        return
    assert "the Runtime API refused the answer" in runtime.wait_for_log(str(reply))
    assert api.invoke(event).status == 202 and runtime.process.poll() is None


def test_an_answer_over_6_mb_is_refused_with_413_and_the_loop_goes_on(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    runtime = start_runtime("tests.streaming_apps:answers")
    assert api.invoke({"kind": "large"}).status == 413
    assert "413" in runtime.wait_for_log("the Runtime API refused the answer")
    assert json.loads(api.invoke({"kind": "small"}).body) == {"kind": "small"}


def test_prints_and_log_lines_reach_the_log_at_once_with_the_request_id(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    runtime = start_runtime("tests.streaming_apps:answers")
    answer = api.invoke({"kind": "log"})
    log = runtime.wait_for_log("printed for log", timeout=3)  # while the process runs: nothing held back
    assert "context.log line" in runtime.wait_for_log("context.log line", timeout=3)
    line = next(line for line in log.splitlines() if "logged for log" in line)
    level, stamp, request_id, message = line.split("\t")
    assert (level, request_id, message) == ("[WARNING]", answer.request_id, "logged for log")
    assert stamp.endswith("Z") and "T" in stamp


def test_the_json_log_format_and_level_are_honoured(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR")
    runtime = start_runtime("tests.streaming_apps:failing")
    answer = api.invoke({})
    runtime.wait_for_log("the handler failed")
    records = [json.loads(line) for line in runtime.log().splitlines() if line.startswith("{")]
    failed = next(record for record in records if record["message"].startswith("the handler failed"))
    assert failed["level"] == "ERROR" and failed["requestId"] == answer.request_id
    assert failed["errorType"] == "ValueError" and failed["logger"] == "lambda_adapter.runtime"
    assert not any(record["level"] == "WARNING" for record in records)


def test_adapted_app_in_buffered_mode(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("tests.streaming_apps:asgi")  # LAMBDA_ADAPTER_STREAMING unset, streaming="auto"
    answer = api.invoke(url_event(path="/slow", query="n=3&delay=0"))
    assert answer.kind == "response" and not answer.streamed
    result = json.loads(answer.body)
    assert result["statusCode"] == 200 and result["cookies"] == ["a=1", "b=2"]
    assert result["body"].count("chunk") == 3


BROKEN = {  # modules written for the test into a task root of its own
    "syntax_error.py": "def handler(event, context)\n    return 1\n",
    "raises.py": "raise RuntimeError('the module broke while it was imported')\n",
    "sub/__init__.py": "",
    "sub/app.py": "def handler(event, context):\n    return {'from': 'sub/app'}\n",
}


@pytest.mark.parametrize("streaming", ["0", "1"])
def test_every_event_format_gets_its_buffered_result_through_the_loop(
    api: RuntimeAPIServer, start_runtime: Any, streaming: str
) -> None:
    """One process, every format the adapter reads: the result the handler gives in process, as JSON."""
    start_runtime("tests.streaming_apps:wsgi", streaming=streaming)
    for format in FORMATS:
        event = event_for(format, path="/rows", query="n=2")
        answer = api.invoke(event)
        if format in ("url", "rest") and streaming == "1":  # what can invoke with InvokeWithResponseStream
            assert answer.streamed and prelude_of(answer)[1] == b"row 0\nrow 1\n"
            continue
        assert answer.kind == "response" and not answer.streamed, format
        assert json.loads(answer.body) == streaming_apps.wsgi(event, LambdaContext()), format


@pytest.mark.parametrize(
    ("spec", "error_type", "message"),
    [
        ("tests.broken_handlers.import_fails:handler", "Runtime.ImportModuleError",
         "Unable to import module 'tests.broken_handlers.import_fails': No module named 'a_module_that_does_not"),
        ("tests.streaming_apps:no_such_handler", "Runtime.HandlerNotFound",
         "Handler 'no_such_handler' missing on module 'tests.streaming_apps'"),
        ("tests.streaming_apps:NOT_CALLABLE", "Runtime.HandlerNotFound",
         "Handler 'NOT_CALLABLE' on module 'tests.streaming_apps' is not callable"),
        ("tests.no_such_module:handler", "Runtime.ImportModuleError",
         "Unable to import module 'tests.no_such_module': No module named 'tests.no_such_module'"),
        ("syntax_error.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'syntax_error': "),
        ("raises.handler", "RuntimeError", "the module broke while it was imported"),
        ("handler", "Runtime.MalformedHandlerName", "Bad handler: expected MODULE:HANDLER"),
    ],
)  # fmt: skip
def test_a_handler_that_cannot_load_is_an_init_error(
    api: RuntimeAPIServer, start_runtime: Any, tmp_path: Path, spec: str, error_type: str, message: str
) -> None:
    root = task_root(tmp_path)
    runtime = start_runtime(spec, task_root=root)
    answer = api.wait("init", timeout=30)
    assert answer.kind == "init_error"
    assert answer.headers["lambda-runtime-function-error-type"] == error_type
    error = json.loads(answer.body)
    assert error["errorType"] == error_type and error["errorMessage"].startswith(message), error
    assert runtime.process.wait(10) == 1
    assert "cannot load the handler" in runtime.log()


def task_root(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    for name, text in BROKEN.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_an_init_error_the_api_refuses_ends_the_process_with_a_log_line(
    api: RuntimeAPIServer, start_runtime: Any
) -> None:
    api.refuse("init", 500)
    runtime = start_runtime("tests.no_such_module:handler")
    assert api.wait("init").status == 500
    assert runtime.process.wait(10) == 1
    last = runtime.log().rstrip().splitlines()[-1]  # one line says why, no uncaught traceback after it
    assert "the Runtime API at" in last and "answered 500" in last and last.endswith("exiting")


def test_a_runtime_api_that_speaks_no_http_ends_the_process_with_a_log_line(start_runtime: Any, tmp_path: Path) -> None:
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def garbage() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        connection.close()

    threading.Thread(target=garbage, daemon=True).start()
    fake = RuntimeAPIServer.__new__(RuntimeAPIServer)
    fake.address = f"127.0.0.1:{listener.getsockname()[1]}"
    try:
        runtime = start_runtime("tests.streaming_apps:plain", api=fake)
        assert runtime.process.wait(10) == 1
    finally:
        listener.close()
    assert "the Runtime API at" in runtime.log() and "Traceback (most recent call last)" not in runtime.log()


def test_a_handler_named_by_its_path_loads(api: RuntimeAPIServer, start_runtime: Any, tmp_path: Path) -> None:
    start_runtime("sub/app.handler", task_root=task_root(tmp_path))  # Lambda's Handler setting, module in a folder
    assert json.loads(api.invoke({}).body) == {"from": "sub/app"}


def test_without_a_runtime_api_address_it_says_what_is_missing() -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER")}
    done = subprocess.run(
        [sys.executable, "-m", "lambda_adapter.runtime"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "needs AWS_LAMBDA_RUNTIME_API" in done.stderr


def test_the_handler_defaults_to_env_handler_and_the_process_ends_when_the_api_goes(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_HANDLER", "tests.streaming_apps.plain")  # as Lambda's Handler setting writes it
    runtime = start_runtime("")
    assert json.loads(api.invoke({"n": 1}).body)["event"] == {"n": 1}
    api.close()  # the Runtime API goes away under the runtime's waiting /next
    assert runtime.process.wait(10) == 1
    assert "the Runtime API at" in runtime.log()


# -- streaming mode -------------------------------------------------------------------------------


def test_streamed_answer_is_prelude_separator_then_body(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("tests.streaming_apps:asgi", streaming="1")
    event = url_event(path="/slow", query="n=3&delay=0")
    answer = api.invoke(event)
    assert answer.kind == "response" and answer.streamed
    assert answer.headers["transfer-encoding"] == "chunked"
    assert answer.headers["content-type"] == "application/vnd.awslambda.http-integration-response"
    assert answer.headers["trailer"] == "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
    first = answer.chunks[0][1]
    assert first.endswith(NUL8) and first.count(b"\0") == 8  # the prelude, alone in the first chunk
    assert answer.raw.startswith(b"%x\r\n%b\r\n" % (len(first), first))
    assert answer.raw.endswith(b"0\r\n\r\n") and answer.trailers == {}
    prelude, body = prelude_of(answer)
    assert len(answer.chunks) == 4 and body.count(b"chunk") == 3
    # the same header rules as the buffered v2 result
    buffered = streaming_apps.asgi_buffered(event, LambdaContext())
    assert prelude == {"statusCode": 200, "headers": buffered["headers"], "cookies": buffered["cookies"]}
    assert prelude["cookies"] == ["a=1", "b=2"] and prelude["headers"]["x-app"] == "slow"


def test_a_compressed_stream_is_flushed_chunk_by_chunk(
    api: RuntimeAPIServer, start_runtime: Any, tmp_path: Path
) -> None:
    """compress=True: each chunk is compressed and flushed, so the first decodes before the app sends the last."""
    start_runtime("tests.streaming_apps:asgi_compressed", streaming="1")
    gate = tmp_path / "gate"
    decoder = zlib.decompressobj(31)
    decoded: list[bytes] = []

    def on_chunk(index: int, data: bytes) -> None:
        if index == 0:
            return  # the prelude
        decoded.append(decoder.decompress(data))
        if decoded[-1] == b"first\n":  # the app waits for this file before it sends its last chunk
            gate.touch()

    answer = api.invoke(url_event(path="/gated", query=f"gate={gate}", headers={"Accept-Encoding": "gzip"}),
                        on_chunk=on_chunk)  # fmt: skip
    prelude, body = prelude_of(answer)
    assert prelude["headers"]["content-encoding"] == "gzip" and prelude["headers"]["vary"] == "Accept-Encoding"
    assert decoded == [b"first\n", b"last\n", b""] and gzip.decompress(body) == b"first\nlast\n"
    assert decoder.eof and answer.trailers == {}


@pytest.mark.parametrize(
    ("spec", "path", "query", "sent", "error_type", "message"),
    [
        ("asgi", "/midstream", "", b"partial", "Function.RuntimeError", "the app broke after its first chunk"),
        ("wsgi", "/rows", "n=5&fail_at=2", b"row 0\nrow 1\n", "Function.RuntimeError", "the WSGI app broke at row 2"),
        (
            "asgi",
            "/unfinished",
            "",
            b"partial",
            "Function.InvalidResponse",
            "the ASGI app returned with the response at 'body'",
        ),
    ],
)
def test_a_failure_after_the_first_bytes_ends_with_error_trailers(
    api: RuntimeAPIServer, start_runtime: Any, spec: str, path: str, query: str, sent: bytes, error_type: str,
    message: str,
) -> None:  # fmt: skip
    runtime = start_runtime(f"tests.streaming_apps:{spec}", streaming="1")
    answer = api.invoke(url_event(path=path, query=query))
    assert answer.kind == "response"
    assert prelude_of(answer) == ({"statusCode": 200, "headers": answer_headers(spec), "cookies": cookies(spec)}, sent)
    kind, error = error_trailer(answer)
    assert kind == error_type and error["errorType"] == error_type.removeprefix("Function.")
    if error_type == "Function.RuntimeError":  # the app's own message (anything) stays in the log, as buffered
        assert error["errorMessage"] == "the app failed after its first bytes; its error is in the function's log"
        assert message in runtime.wait_for_log(message)
    else:  # the adapter's own message says what the app did wrong, and nothing of its data
        assert error["errorMessage"] == message
    assert b"\r\n0\r\nLambda-Runtime-Function-Error-Type: %b\r\n" % error_type.encode() in answer.raw
    assert h11_trailers(answer) == answer.trailers  # a strict HTTP/1.1 parser reads the same
    log = runtime.wait_for_log("ended with error trailers")
    assert spec == "asgi" or "wsgi: closed" in log
    assert api.invoke(url_event(path="/slow" if spec == "asgi" else "/rows", query="n=1&delay=0")).trailers == {}


def h11_trailers(answer: Answer) -> dict[str, str]:
    """The request as h11 (uvicorn's HTTP/1.1 parser) reads it from the recorded bytes: its trailers."""
    import h11

    server = h11.Connection(h11.SERVER)
    server.receive_data(answer.head + answer.raw)
    body, trailers = b"", {}
    while (event := server.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
        if isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            trailers = {name.decode(): value.decode() for name, value in event.headers}
    assert body == answer.body
    return trailers


def answer_headers(spec: str) -> dict[str, str]:
    return {"content-type": "text/plain", "x-app": "slow"} if spec == "asgi" else {"content-type": "text/plain"}


def cookies(spec: str) -> list[str]:
    return ["a=1", "b=2"] if spec == "asgi" else ["w=1"]


def test_a_failure_before_the_first_byte_is_a_500(api: RuntimeAPIServer, start_runtime: Any) -> None:
    runtime = start_runtime("tests.streaming_apps:asgi", streaming="1")
    answer = api.invoke(url_event(path="/fail"))
    prelude, body = prelude_of(answer)
    assert prelude["statusCode"] == 500 and body == b"Internal Server Error" and answer.trailers == {}
    assert "the ASGI app failed" in runtime.log()


@pytest.mark.parametrize(
    ("spec", "path", "query", "stopped"),
    [("asgi", "/endless", "", "endless: stopped"), ("wsgi", "/rows", "n=100000&delay=0.002", "wsgi: closed")],
)
def test_a_client_that_goes_away_stops_the_app(
    api: RuntimeAPIServer, start_runtime: Any, spec: str, path: str, query: str, stopped: str
) -> None:
    runtime = start_runtime(f"tests.streaming_apps:{spec}", streaming="1")
    answer = api.invoke(url_event(path=path, query=query), drop_after=3)
    assert answer.kind == "dropped"
    log = runtime.wait_for_log(stopped)
    assert "the client went away" in runtime.wait_for_log("the client went away"), log
    after = api.invoke(url_event(path="/slow" if spec == "asgi" else "/rows", query="n=2&delay=0"))
    assert after.kind == "response" and after.raw.endswith(b"0\r\n\r\n")


@pytest.mark.parametrize(
    ("spec", "path", "query"), [("asgi", "/endless", ""), ("wsgi", "/rows", "n=100000&delay=0.01")]
)
def test_the_deadline_ends_the_stream_with_trailers(
    api: RuntimeAPIServer, start_runtime: Any, spec: str, path: str, query: str
) -> None:
    runtime = start_runtime(f"tests.streaming_apps:{spec}", streaming="1")
    quick = url_event(path="/slow" if spec == "asgi" else "/rows", query="n=1&delay=0")
    assert api.invoke(quick).kind == "response"  # the process is up: the deadline below is the app's alone
    answer = api.invoke(url_event(path=path, query=query), deadline_in=1.5)
    took = answer.done_at - answer.sent_at
    assert 0.9 < took < 1.5  # stopped at the 0.5 s margin, before Lambda's deadline
    assert answer.kind == "response" and prelude_of(answer)[0]["statusCode"] == 200
    assert len(answer.chunks) > 3 and error_trailer(answer)[0] == "Function.DeadlineExceeded"
    assert "near the Lambda deadline" in runtime.wait_for_log("ended with error trailers")
    assert api.invoke(quick).trailers == {}


@pytest.mark.parametrize("streaming", ["0", "1"])
def test_sigterm_while_waiting_for_the_next_event_runs_lifespan_shutdown(
    api: RuntimeAPIServer, start_runtime: Any, streaming: str
) -> None:
    """Lambda sends SIGTERM before it shuts an environment down; the loop waits in /next by then."""
    import signal

    runtime = start_runtime("tests.streaming_apps:asgi", streaming=streaming)
    assert api.invoke(url_event(path="/slow", query="n=1&delay=0")).kind == "response"
    assert "lifespan: startup" in runtime.log()
    api.wait_for_requests(NEXT, 2)  # back in GET /next
    runtime.process.send_signal(signal.SIGTERM)
    assert runtime.process.wait(10) == -signal.SIGTERM  # then the default: the process ends by the signal
    assert "lifespan: shutdown" in runtime.log()


@pytest.mark.parametrize("format", ["http", "http1", "alb"])
def test_other_events_get_a_buffered_answer_in_streaming_mode(
    api: RuntimeAPIServer, start_runtime: Any, format: str
) -> None:
    start_runtime("tests.streaming_apps:wsgi", streaming="1")
    answer = api.invoke(event_for(format, path="/rows", query="n=2"))
    assert answer.kind == "response" and not answer.streamed
    assert json.loads(answer.body)["body"] == "row 0\nrow 1\n"


@pytest.mark.parametrize("spec", ["asgi", "wsgi"])
def test_a_rest_api_event_is_answered_streamed_with_the_rest_prelude(
    api: RuntimeAPIServer, start_runtime: Any, spec: str
) -> None:
    """A REST API integration with responseTransferMode STREAM: v1 event in, prelude + 8 NUL bytes + body out."""
    start_runtime(f"tests.streaming_apps:{spec}", streaming="1")
    path, query = ("/slow", "n=3&delay=0") if spec == "asgi" else ("/rows", "n=3")
    event = rest_event(path=path, query=query, host="api.example.com")  # a custom domain: no stage in the path
    answer = api.invoke(event)
    assert answer.kind == "response" and answer.streamed and answer.trailers == {}
    prelude, body = prelude_of(answer)
    buffered = getattr(streaming_apps, spec)(event, LambdaContext())  # the same handler, called buffered
    grouped = buffered["multiValueHeaders"]
    assert prelude == {
        "statusCode": 200,
        "headers": {name: values[0] for name, values in grouped.items() if name != "set-cookie"},
        "cookies": grouped["set-cookie"],
    }
    lines = [line.partition(b" at ")[0] for line in body.splitlines()]  # the ASGI app's chunks say when
    assert lines == [line.partition(b" at ")[0] for line in body_of(buffered).splitlines()] and len(lines) == 3
    assert len(answer.chunks) == 4  # the prelude, then each of the app's three parts as it sent it


@pytest.mark.parametrize(
    ("spec", "setting", "streamed"),
    [
        ("asgi_on", None, True),
        ("asgi_on", "0", False),
        ("asgi_buffered", "1", False),
        ("asgi", "true", True),
        ("asgi", "maybe", False),
    ],
)
def test_who_decides_to_stream(
    api: RuntimeAPIServer, start_runtime: Any, spec: str, setting: str | None, streamed: bool
) -> None:
    runtime = start_runtime(f"tests.streaming_apps:{spec}", streaming=setting)
    answer = api.invoke(url_event(path="/slow", query="n=1&delay=0"))
    assert answer.kind == "response" and answer.streamed is streamed
    assert ("the handler cannot stream" in runtime.log()) is (spec == "asgi_buffered")
    assert ("is neither on" in runtime.log()) is (setting == "maybe")


def test_wsgi_write_callable_streams(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("tests.streaming_apps:wsgi", streaming="1")
    answer = api.invoke(url_event(path="/write"))
    assert [data for _, data in answer.chunks[1:]] == [b"written ", b"then returned"]


# -- the samples ----------------------------------------------------------------------------------


def test_sse_clock_arrives_complete_in_order_as_it_ticks(api: RuntimeAPIServer, start_runtime: Any) -> None:
    start_runtime("sse_clock.handler", streaming="1", task_root=STREAMING_SAMPLE)
    answer = api.invoke(url_event(path="/clock", query="ticks=6&interval=0.1"), timeout=60)
    prelude, body = prelude_of(answer)
    assert prelude["statusCode"] == 200 and prelude["headers"]["content-type"].startswith("text/event-stream")
    events = [block for block in body.decode().split("\n\n") if block]
    assert [block.splitlines()[0] for block in events] == [f"id: {n}" for n in range(6)]
    assert all(block.splitlines()[1] == "event: tick" for block in events)
    ticks = [at for at, data in answer.chunks if data.startswith(b"id: ")]
    assert len(ticks) == 6 and ticks[-1] - ticks[0] >= 0.45  # each tick went out as it was made


def test_an_sse_client_that_goes_away_stops_the_fastapi_stream(api: RuntimeAPIServer, start_runtime: Any) -> None:
    runtime = start_runtime("sse_clock.handler", streaming="1", task_root=STREAMING_SAMPLE)
    answer = api.invoke(url_event(path="/clock", query="ticks=100000&interval=0.01"), drop_after=4, timeout=60)
    assert answer.kind == "dropped" and b"id: 0" in answer.body
    runtime.wait_for_log("the client went away")
    after = api.invoke(url_event(path="/clock", query="ticks=2&interval=0"))
    assert after.kind == "response" and prelude_of(after)[1].count(b"event: tick") == 2


@pytest.mark.parametrize("runtime", ["python3.x", "provided.al2023"])
def test_the_sample_bootstrap_starts_the_loop_as_lambda_starts_it(
    api: RuntimeAPIServer, start_runtime: Any, monkeypatch: pytest.MonkeyPatch, runtime: str
) -> None:
    """python3.x runs AWS_LAMBDA_EXEC_WRAPPER with the interpreter and its arguments; provided.al2023 runs
    the bootstrap bare (python3 from PATH). Either way the Handler setting ($_HANDLER) names the handler."""
    monkeypatch.setenv("_HANDLER", "sse_clock.handler")
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    bootstrap = str(STREAMING_SAMPLE / "bootstrap")
    command = [bootstrap, sys.executable, "/var/runtime/bootstrap.py"] if runtime == "python3.x" else [bootstrap]
    start_runtime("", streaming="1", task_root=STREAMING_SAMPLE, command=command)
    answer = api.invoke(url_event(path="/clock", query="ticks=2&interval=0"), timeout=60)
    assert answer.streamed and prelude_of(answer)[1].count(b"event: tick") == 2


def test_large_csv_export_arrives_complete_and_in_order(api: RuntimeAPIServer, start_runtime: Any) -> None:
    rows = 300_000
    start_runtime("csv_export.handler", streaming="1", task_root=STREAMING_SAMPLE)
    answer = api.invoke(url_event(path="/export.csv", query=f"rows={rows}"), timeout=120)
    prelude, body = prelude_of(answer)
    expected = "id,name,value\n" + "".join(f"{n},item-{n},{n * 7919 % 100_000}\n" for n in range(rows))
    assert prelude["headers"]["content-type"].startswith("text/csv")
    assert len(body) > 6 * 1024 * 1024  # over the buffered limit
    assert body == expected.encode()
    assert len(answer.chunks) == 1 + 1 + rows // 1000  # prelude, header line, one chunk per batch


# -- time to first byte ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["asgi", "wsgi"])
@pytest.mark.parametrize("streaming", ["1", "0"])
def test_streaming_gives_the_first_byte_before_the_app_sends_the_last(
    api: RuntimeAPIServer, start_runtime: Any, tmp_path: Path, spec: str, streaming: str
) -> None:
    """The app sends its last chunk only once the test has seen its first: streamed, the test sees it and
    the answer completes; buffered, nothing comes before the app is done, so it gives up waiting."""
    start_runtime(f"tests.streaming_apps:{spec}", streaming=streaming)
    gate = tmp_path / "gate"

    def on_chunk(index: int, data: bytes) -> None:
        if data == b"first\n":
            gate.touch()

    answer = api.invoke(url_event(path="/gated", query=f"gate={gate}&wait=1"), on_chunk=on_chunk)
    if streaming == "1":
        assert answer.streamed and prelude_of(answer)[1] == b"first\nlast\n"
        assert [data for _, data in answer.chunks[1:]] == [b"first\n", b"last\n"]  # each as the app sent it
    else:
        assert not answer.streamed and answer.chunks == [] and not gate.exists()
        assert json.loads(answer.body)["body"] == "first\ngate timeout\n"
