"""The WSGI runner against PEP 3333: environ, start_response, write(), iterables, close()."""

from __future__ import annotations

import io
import wsgiref.validate
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, json_of, status_of
from tests.apps import wsgi_echo
from tests.conftest import load_event, recorded_events


def ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


class Closing:
    """An iterable that records whether close() was called."""

    closed = 0

    def __init__(self, chunks: list[bytes], fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.fail_at = fail_at

    def __iter__(self) -> Any:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError("failed while iterating")
            yield chunk

    def close(self) -> None:
        Closing.closed += 1


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize(
    "request_",
    [
        {},
        {"method": "POST", "path": "/a%20b/%E2%9C%93", "query": "x=1&y=%2F", "body": b"\x00\xff" * 10,
         "headers": {"Content-Type": "application/octet-stream", "X-Custom": "caf\u00e9"}},
        {"method": "PUT", "path": "/prod", "headers": [("Accept", "a"), ("Cookie", "a=1; b=2")], "stage": "prod"},
    ],
    ids=["get", "binary-post", "cookies"],
)  # fmt: skip
def test_every_environ_passes_wsgiref_validate(format: str, request_: dict[str, Any]) -> None:
    if format not in ("rest", "http", "http1"):
        request_ = {k: v for k, v in request_.items() if k != "stage"}
    result = adapt(wsgiref.validate.validator(wsgi_echo))(event_for(format, **request_), LambdaContext())
    assert status_of(result) == 200, body_of(result)


@pytest.mark.parametrize("path", recorded_events(), ids=lambda p: p.name)
def test_recorded_events_pass_wsgiref_validate(path: Any) -> None:
    event = load_event("/".join(path.parts[-2:]))
    try:
        result = adapt(wsgiref.validate.validator(ok))(event, LambdaContext())
    except ValueError:  # UnsupportedEvent: not an HTTP event this issue handles
        return
    assert status_of(result) in (200, 400)


def test_path_info_is_decoded_bytes_as_latin1_and_utf8_text_survives() -> None:
    seen = json_of(adapt(wsgi_echo)(event_for("rest", path="/caf%C3%A9/a%2Fb"), LambdaContext()))
    assert seen["path_info"] == "/caf\u00c3\u00a9/a/b"  # PEP 3333: the UTF-8 bytes, one char each
    assert seen["path_info"].encode("latin-1").decode("utf-8") == "/caf\u00e9/a/b"
    seen = json_of(adapt(wsgi_echo)(event_for("http", path="/caf%C3%A9"), LambdaContext()))
    assert seen["path_info"] == "/caf\u00c3\u00a9"


def test_write_callable_and_iterable_both_count() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"and ", b"returned"]

    assert body_of(adapt(app)(event_for("http"), LambdaContext())) == b"written and returned"


def test_generator_and_close_are_honoured() -> None:
    before = Closing.closed

    def app(environ: dict[str, Any], start_response: Any) -> Closing:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"a", b"", b"b"])

    handler = adapt(app)
    for _ in range(3):
        assert body_of(handler(event_for("rest"), LambdaContext())) == b"ab"
    assert Closing.closed == before + 3


def test_close_is_called_when_iteration_fails_and_the_next_event_works(caplog: pytest.LogCaptureFixture) -> None:
    before = Closing.closed
    fail = {"on": True}

    def app(environ: dict[str, Any], start_response: Any) -> Closing:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"a", b"b"], fail_at=1 if fail["on"] else None)

    handler = adapt(app)
    result = handler(event_for("http"), LambdaContext(request_id="req-1"))
    assert result["statusCode"] == 500
    assert Closing.closed == before + 1
    assert "req-1" in caplog.text and "failed while iterating" in caplog.text
    fail["on"] = False
    assert body_of(handler(event_for("http"), LambdaContext())) == b"ab"


def test_exc_info_replaces_headers_before_any_body() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("late")
        except ValueError:
            import sys

            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"sorry"]

    result = adapt(app)(event_for("http"), LambdaContext())
    assert (result["statusCode"], body_of(result)) == (503, b"sorry")


def test_start_response_twice_without_exc_info_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return [b""]

    assert adapt(app)(event_for("http"), LambdaContext())["statusCode"] == 500
    assert "start_response() was called twice" in caplog.text


@pytest.mark.parametrize(
    "status, headers, message",
    [
        ("200 OK", [("X-Evil", "a\r\nSet-Cookie: x=1")], "CR or LF"),
        ("200 OK", [("X-Bad\n", "a")], "is not an HTTP token"),
        ("200 OK", [("X Bad", "a")], "is not an HTTP token"),
        ("200 OK", [("X-Bad:", "a")], "is not an HTTP token"),
        ("200 OK", [("", "a")], "is not an HTTP token"),
        ("200 OK", [("X-B\xe4d", "a")], "is not an HTTP token"),
        ("200 OK", [(b"X-Bytes", "a")], "must be (str, str) pairs"),
        ("200 OK", [(1, "a")], "must be (str, str) pairs"),
        ("200 OK", [("X-Bytes", b"a")], "must be (str, str) pairs"),
        ("OK", [], "status must be a str"),
        ("200 OK", (("a", "b"),), "must be a list"),
    ],
)
def test_malformed_responses_are_refused(
    status: str, headers: Any, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers)
        return [b"x"]

    result = adapt(app)(event_for("alb-multi"), LambdaContext())
    assert result["statusCode"] == 500
    assert message in caplog.text
    assert "Set-Cookie" not in str(result)


def test_no_start_response_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    assert adapt(lambda environ, start_response: [b"x"])(event_for("http"), LambdaContext())["statusCode"] == 500
    assert "start_response()" in caplog.text


def test_file_wrapper_is_read_whole() -> None:
    data = bytes(range(256)) * 1000

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](io.BytesIO(data), 4096)

    assert body_of(adapt(app)(event_for("url"), LambdaContext())) == data


def test_input_is_seekable_and_errors_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        first = stream.read()
        stream.seek(0)
        environ["wsgi.errors"].write("app says hello\npartial")
        environ["wsgi.errors"].flush()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [first + stream.read()]

    result = adapt(app)(event_for("http", method="POST", body=b"abc"), LambdaContext())
    assert body_of(result) == b"abcabc"
    assert "app says hello" in caplog.text and "partial" in caplog.text


def test_raw_event_and_context_reach_the_app() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(event=environ["aws.event"], context=environ["aws.context"], raw=environ["RAW_URI"])
        start_response("204 No Content", [])
        return []

    event, context = event_for("url", path="/a%2Fb", query="q=1"), LambdaContext()  # URLs keep %2F
    assert adapt(app)(event, context)["statusCode"] == 204
    assert seen["event"] is event and seen["context"] is context
    assert seen["raw"] == "/a%2Fb?q=1"


def test_close_that_raises_after_a_whole_answer_is_logged_and_the_answer_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class FailingClose(Closing):
        def close(self) -> None:
            super().close()
            raise RuntimeError("pool is gone")

    def app(environ: dict[str, Any], start_response: Any) -> FailingClose:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return FailingClose([b"whole"])

    handler = adapt(app)
    result = handler(event_for("http"), LambdaContext())
    assert (result["statusCode"], body_of(result)) == (200, b"whole")
    assert "pool is gone" in caplog.text and "the response stands" in caplog.text
    assert handler(event_for("http"), LambdaContext())["statusCode"] == 200


# -- no process state touched per request (bug 5) ---------------------------------------------------


def test_each_request_has_its_own_wsgi_errors_stream(caplog: pytest.LogCaptureFixture) -> None:
    """One ``wsgi.errors`` with its partial-line buffer was shared by every request and app."""
    streams: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        streams.append(environ["wsgi.errors"])
        environ["wsgi.errors"].write(f"half a line from {environ['PATH_INFO']}")  # no newline: pending
        start_response("200 OK", [])
        return [b""]

    handler = adapt(app)
    handler(event_for("http", path="/one"), LambdaContext())
    handler(event_for("http", path="/two"), LambdaContext())
    assert streams[0] is not streams[1]
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["half a line from /one", "half a line from /two"]  # each flushed at its request's end


def test_a_first_request_from_a_worker_thread_leaves_the_main_threads_watchdog_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whichever thread armed the watchdog first decided for the whole process: from a worker, off for good."""
    import signal
    import threading

    from lambda_adapter._run.wsgi import Watchdog

    watchdog = Watchdog()
    armed: list[bool] = []
    previous = signal.signal(signal.SIGALRM, signal.SIG_DFL)  # free, as in a fresh process
    try:
        worker = threading.Thread(target=lambda: armed.append(watchdog.arm(5, "from-worker")))
        worker.start()
        worker.join(10)
        armed.append(watchdog.arm(5, "from-main"))
        signal.setitimer(signal.ITIMER_REAL, 0)  # disarmed, as the runner does
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert armed == [False, True]


def test_a_wsgi_app_returning_a_coroutine_is_named_an_asgi_app(caplog: pytest.LogCaptureFixture) -> None:
    """Bug 7: a plain wrapper returning an ASGI app's coroutine got a bare TypeError, as WSGI."""

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"asgi"})

    def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> Any:  # three arguments: recognised
        return inner(scope, receive, send)

    class Middleware:
        def __init__(self, app: Any) -> None:
            self.app = app

        def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
            return self.app(scope, receive, send)

    assert body_of(adapt(wrapper, lifespan="off")(event_for("http"), LambdaContext())) == b"asgi"
    assert body_of(adapt(Middleware(inner), lifespan="off")(event_for("http"), LambdaContext())) == b"asgi"

    def opaque(*args: Any) -> Any:  # cannot be told apart: the first call says what to do
        return inner(*args) if len(args) == 3 else inner({}, None, None)

    result = adapt(opaque)(event_for("http"), LambdaContext())
    assert result["statusCode"] == 500
    assert "interface='asgi'" in caplog.text


@pytest.mark.parametrize(
    ("format", "body", "status"),
    [
        ("alb", "\x01" * 155_744, 200),  # 155,744 x 6 bytes of JSON escaping + 64 KB: under ALB's 1,000,000
        ("alb", "\x01" * 170_000, 500),  # 1,020,000 bytes once escaped: over
        ("alb", "a" * 900_000, 200),  # long, but nothing to escape: under
        ("http", "\x01" * 1_037_670, 200),  # 6,226,020 bytes once escaped, and the rest: under Lambda's 6,291,556
        ("http", "\x01" * 1_050_000, 500),  # 6,300,000: over
        ("http", "a" * 6_000_000, 200),
        ("http", "\U0001f600" * 530_000, 500),  # 12 bytes a character once escaped (a surrogate pair): over
        ("http", "\U0001f600" * 515_000, 200),  # 6,180,000 and the rest: under
        ("alb", "\U0001f600" * 84_000, 500),  # 1,008,000 bytes once escaped: over ALB's limit
    ],
    ids=lambda value: value if isinstance(value, (str, int)) and len(str(value)) < 10 else "",
)
def test_the_size_limit_counts_the_body_as_lambda_serialises_it(format: str, body: str, status: int) -> None:
    """A body is measured as JSON escapes it (up to 12 bytes a character) against its source's limit."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body.encode()]

    assert status_of(adapt(app)(event_for(format), LambdaContext())) == status


@pytest.mark.parametrize(
    ("runtime", "format", "body", "status"),
    [
        # 300,000 CJK characters: 900,000 bytes of UTF-8, 1,800,000 once escaped (\u4e2d)
        ("AWS_Lambda_python3.12", "alb", "中" * 300_000, 200),  # written as UTF-8: under ALB's 1,000,000
        ("AWS_Lambda_python3.13", "alb", "中" * 300_000, 200),
        ("AWS_Lambda_python3.11", "alb", "中" * 300_000, 500),  # written escaped: over
        ("", "alb", "中" * 300_000, 500),  # no managed runtime named: escaped, as our loop writes it
        ("AWS_Lambda_python3.12", "alb", "中" * 340_000, 500),  # 1,020,000 bytes of UTF-8: over all the same
        ("AWS_Lambda_python3.12", "alb", "\x01" * 170_000, 500),  # a control character is escaped either way
        ("AWS_Lambda_python3.12", "http", "\U0001f600" * 1_500_000, 200),  # 6,000,000 bytes of UTF-8: under 6 MB
        ("AWS_Lambda_python3.11", "http", "\U0001f600" * 1_500_000, 500),
    ],
    ids=lambda value: value if isinstance(value, (str, int)) and len(str(value)) < 25 else "",
)
def test_the_size_limit_counts_the_result_as_the_runtime_of_its_python_writes_it(
    runtime: str, format: str, body: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """awslambdaric (and our loop) write a result's text as UTF-8 on python3.12 and later, escaped before."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", runtime)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [body.encode()]

    assert status_of(adapt(app)(event_for(format), LambdaContext())) == status
