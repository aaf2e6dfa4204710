"""``handler.stream(event, context, write)`` in process: the edges of the streamed path, both runners."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter import InvalidResponse, adapt
from lambda_adapter._run import streaming as streaming
from lambda_adapter.testing import LambdaContext, body_of, event_for, rest_event, url_event
from tests.apps import LifespanApp, asgi_echo, wsgi_echo
from tests.conftest import load_event

NUL8 = b"\0" * 8
ROOT = Path(__file__).resolve().parents[2]


def stream(handler: Any, event: dict[str, Any], context: Any = None) -> tuple[dict[str, Any], list[bytes], Any]:
    """The prelude, the body chunks as written, and what stream() returned."""
    written: list[bytes] = []
    returned = handler.stream(event, context or LambdaContext(), written.append)
    if not written:
        return {}, [], returned
    assert written[0].endswith(NUL8)
    return json.loads(written[0][:-8]), written[1:], returned


def wsgi_app(body: list[bytes], status: str = "200 OK", headers: list[tuple[str, str]] | None = None) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response(status, headers or [("Content-Type", "text/plain")])
        return body

    return app


def test_prelude_headers_are_those_of_the_buffered_result() -> None:
    handler = adapt(wsgi_echo)
    event = url_event(path="/p", headers={"Cookie": "a=1"})
    prelude, chunks, returned = stream(handler, event)
    buffered = handler(event, LambdaContext())
    assert returned is None
    assert prelude == {"statusCode": 200, "headers": buffered["headers"], "cookies": buffered.get("cookies", [])}
    assert b"".join(chunks) == body_of(buffered)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304)])
def test_no_body_for_head_204_and_304(interface: str, method: str, status: int) -> None:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"dropped"})

    app = asgi if interface == "asgi" else wsgi_app([b"dropped"], f"{status} X")
    prelude, chunks, _ = stream(adapt(app), url_event(method=method))
    assert prelude["statusCode"] == status and chunks == []


@pytest.mark.parametrize("format", ["http", "http1", "alb", "alb-multi", "lattice2"])
def test_other_events_return_the_buffered_result_and_write_nothing(format: str) -> None:
    handler = adapt(wsgi_app([b"hi"]))
    prelude, chunks, returned = stream(handler, event_for(format))
    assert (prelude, chunks) == ({}, []) and body_of(returned) == b"hi"


REPEATS = [("Content-Type", "text/plain"), ("X-Once", "1"), ("X-Twice", "a"), ("x-twice", "b"),
           ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2"), ("Set-Cookie", "a=1; Path=/")]  # fmt: skip


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_rest_apis_prelude_carries_the_buffered_rest_answers_headers(interface: str) -> None:
    """One rule (``group_headers``) for both: the buffered result's multiValueHeaders, laid out in the
    streaming format's fields (response-transfer-mode-lambda.html): one value in headers, repeated
    ones in multiValueHeaders, Set-Cookie in cookies, every value kept as the buffered answer keeps it."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(name.encode(), value.encode()) for name, value in REPEATS]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"made", "more_body": True})
        await send({"type": "http.response.body", "body": b" here"})

    handler = adapt(asgi if interface == "asgi" else wsgi_app([b"made", b" here"], "201 Created", REPEATS))
    event = rest_event(path="/things", method="POST", body="{}")
    prelude, chunks, returned = stream(handler, event)
    buffered = handler(event, LambdaContext())
    grouped = dict(buffered["multiValueHeaders"])
    assert returned is None and chunks == [b"made", b" here"] and body_of(buffered) == b"made here"
    assert prelude == {
        "statusCode": 201,
        "headers": {name: values[0] for name, values in grouped.items() if len(values) == 1},
        "multiValueHeaders": {n: v for n, v in grouped.items() if len(v) > 1 and n != "set-cookie"},
        "cookies": grouped["set-cookie"],
    }
    assert prelude["multiValueHeaders"] == {"x-twice": ["a", "b"]}
    assert prelude["cookies"] == ["a=1; Path=/", "b=2", "a=1; Path=/"]  # as the buffered REST answer: all kept


def test_a_rest_prelude_leaves_out_fields_it_has_nothing_for() -> None:
    prelude, chunks, _ = stream(adapt(wsgi_app([b"x"])), rest_event())
    assert prelude == {"statusCode": 200, "headers": {"content-type": "text/plain"}} and chunks == [b"x"]


@pytest.mark.parametrize(
    ("recorded", "streamed"),
    [
        ("powertools/lambdaFunctionUrlEvent.json", True),
        ("powertools/lambdaFunctionUrlIAMEvent.json", True),
        ("sam/apigateway-aws-proxy.json", True),  # a REST API: streams through a STREAM integration
        ("sam/apigateway-aws-proxy-get-stage-dev.json", True),
        ("powertools/apiGatewayProxyV2Event.json", False),  # HTTP APIs invoke buffered: never a prelude
        ("sam/apigateway-http-api-proxy.json", False),
        ("powertools/apiGatewayProxyEvent.json", False),  # an HTTP API's payload 1.0 ("version": "1.0")
        ("powertools/albEvent.json", False),
    ],
)
def test_only_function_url_and_rest_api_events_are_streamed(recorded: str, streamed: bool) -> None:
    prelude, chunks, returned = stream(adapt(wsgi_app([b"hi"])), load_event(recorded))
    if streamed:
        assert prelude["statusCode"] == 200 and chunks == [b"hi"] and returned is None
    else:
        assert (prelude, chunks) == ({}, []) and body_of(returned) == b"hi"


def test_a_malformed_event_is_a_streamed_400() -> None:
    event = url_event(method="POST", body="x")
    event["isBase64Encoded"], event["body"] = True, "not base64!"
    prelude, chunks, _ = stream(adapt(wsgi_app([b"never"])), event)
    assert prelude["statusCode"] == 400 and b"".join(chunks) == b"Bad Request"


def test_streaming_off_leaves_no_stream_and_a_wrong_value_is_refused() -> None:
    assert not hasattr(adapt(wsgi_echo, streaming="off"), "stream")
    assert adapt(wsgi_echo, streaming="on").streaming == "on"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="streaming must be one of"):
        adapt(wsgi_echo, streaming="yes")


def test_the_streaming_limit_cuts_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "STREAM_LIMIT", 10)
    with pytest.raises(InvalidResponse, match="limit of 10 bytes"):
        stream(adapt(wsgi_app([b"123456", b"789012"])), url_event())


def test_asgi_lifespan_is_shared_by_both_paths() -> None:
    app = LifespanApp()
    handler = adapt(app)
    assert body_of(handler(url_event(), LambdaContext())) == b"hello #1 1"
    assert b"".join(stream(handler, url_event())[1]) == b"hello #1 1"
    assert app.startups == 1


# -- WSGI ------------------------------------------------------------------------------------------


def test_wsgi_empty_body_sends_the_prelude_alone() -> None:
    prelude, chunks, _ = stream(adapt(wsgi_app([b"", b""])), url_event())
    assert prelude["statusCode"] == 200 and chunks == []


def test_wsgi_file_wrapper_streams_in_blocks() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"x" * 150_000), 65536)

    _, chunks, _ = stream(adapt(app), url_event())
    assert [len(chunk) for chunk in chunks] == [65536, 65536, 150_000 - 131072]


def test_wsgi_exc_info_before_the_first_byte_replaces_the_answer() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("x")
        except KeyError:
            start_response("503 Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"sorry"]

    prelude, chunks, _ = stream(adapt(app), url_event())
    assert prelude["statusCode"] == 503 and chunks == [b"sorry"]


def test_wsgi_exc_info_after_the_first_byte_raises() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"sent")
        try:
            raise KeyError("late")
        except KeyError:
            start_response("500 Error", [], sys.exc_info())
        return []

    with pytest.raises(KeyError, match="late"):
        stream(adapt(app), url_event())


def _twice(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [])
    start_response("200 OK", [])
    return []


def _no_start(environ: dict[str, Any], start_response: Any) -> Any:
    return [b"body"]


def _silent(environ: dict[str, Any], start_response: Any) -> Any:
    return []


@pytest.mark.parametrize(
    "app",
    [_twice, _no_start, _silent, wsgi_app(["text"]), wsgi_app([b"x"], "OK"), wsgi_app([b"x"], headers=[("A", "b\n")])],
    ids=["twice", "body-before-start", "no-start", "str-body", "bad-status", "crlf-header"],
)
def test_wsgi_protocol_errors_before_the_first_byte_are_a_500(app: Any) -> None:
    prelude, chunks, _ = stream(adapt(app), url_event())
    assert prelude["statusCode"] == 500 and b"".join(chunks) == b"Internal Server Error"


def test_wsgi_deadline_before_the_first_byte_is_a_504() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        return [b"", b"late"]  # an empty part: nothing sent yet when the deadline is seen before the next

    prelude, _, _ = stream(adapt(app, deadline_margin=1), url_event(), LambdaContext(timeout_ms=500))
    assert prelude["statusCode"] == 504


# -- ASGI ------------------------------------------------------------------------------------------


async def _out_of_order(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.body", "body": b"x"})


async def _unfinished(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x", "more_body": True})


async def _failing_after_response(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
    await send({"type": "http.response.body", "body": b"whole"})
    await send({"type": "http.response.trailers", "headers": []})
    raise RuntimeError("after the answer")


def test_asgi_message_out_of_order_is_a_500() -> None:
    prelude, chunks, _ = stream(adapt(_out_of_order), url_event())
    assert prelude["statusCode"] == 500 and chunks == [b"Internal Server Error"]


def test_asgi_app_returning_mid_body_raises_after_the_first_bytes() -> None:
    with pytest.raises(InvalidResponse, match="at 'body'"):
        stream(adapt(_unfinished), url_event())


def test_asgi_failure_after_a_whole_answer_lets_it_stand() -> None:
    prelude, chunks, _ = stream(adapt(_failing_after_response), url_event())
    assert prelude["statusCode"] == 200 and chunks == [b"whole"]


def test_asgi_deadline_before_the_first_byte_is_a_504() -> None:
    async def sleepy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        import asyncio

        await asyncio.sleep(5)

    handler = adapt(sleepy, deadline_margin=0.4, lifespan="off")  # the request, not its lifespan, runs out of time
    prelude, _, _ = stream(handler, url_event(), LambdaContext(timeout_ms=500))
    assert prelude["statusCode"] == 504


def test_asgi_echo_body_streams() -> None:
    event = url_event(method="POST", path="/e", body=b"payload")
    prelude, chunks, _ = stream(adapt(asgi_echo), event)
    seen = json.loads(b"".join(chunks))
    assert prelude["statusCode"] == 200 and prelude["headers"]["content-type"] == "application/json"
    assert (seen["method"], seen["path"], seen["body"], seen["has_event"]) == ("POST", "/e", "payload", True)
    assert seen == json.loads(body_of(adapt(asgi_echo)(event, LambdaContext())))  # the same scope as buffered


def test_a_streamed_wsgi_answer_never_imports_asyncio() -> None:
    code = (
        "from lambda_adapter import adapt\n"
        "from lambda_adapter.testing import url_event\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'a', b'b']\n"
        "out = []\n"
        "adapt(app).stream(url_event(), None, out.append)\n"
        "assert out[1:] == [b'a', b'b'], out\n"
        "import sys, json; print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "lambda_adapter._run.streaming" in loaded
    assert "asyncio" not in loaded and "http.client" not in loaded


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_stream_of_lambdas_whole_limit_is_never_held_in_memory(interface: str) -> None:
    """200 MB (the streaming limit) in 64 KB chunks, each a new object: the peak of what Python allocates
    while they go out stays a few chunks; keeping them (or joining them) would show 200 MB."""
    import asyncio  # imported before measuring: its import is not the stream's memory
    import tracemalloc

    count = streaming.STREAM_LIMIT // 65536

    def chunks() -> Iterator[bytes]:
        return (b"%08d" % number + bytes(65528) for number in range(count))

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for number, chunk in enumerate(chunks()):
            await send({"type": "http.response.body", "body": chunk, "more_body": number + 1 < count})

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return chunks()

    handler, sent = adapt(asgi if interface == "asgi" else wsgi), [0, b""]
    handler.stream(url_event(), LambdaContext(), lambda data: None)  # loop, lifespan, imports: before measuring

    def write(data: bytes) -> None:
        sent[0] += len(data)
        sent[1] = data

    tracemalloc.start()
    try:
        handler.stream(url_event(), LambdaContext(), write)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent[0] > streaming.STREAM_LIMIT and sent[1][:8] == b"%08d" % (count - 1)  # all of it, in order
    assert peak < 4 * 1024 * 1024, f"{peak} bytes at the peak"
    assert asyncio is not None
