"""The one pipeline: ``handler(event, context)`` and ``handler.stream`` are the same code with two sinks.

The property test sends the same events (every HTTP format, HEAD, no-body statuses, app failures,
malformed events, warm pings, non-HTTP routes) through both and compares what the client gets.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_adapter import adapt
from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, headers_of, url_event

NUL8 = b"\0" * 8
HTTP_FORMATS = [name for name in FORMATS if name != "websocket"]


def streamed(handler: Any, event: dict[str, Any]) -> tuple[int, dict[str, list[str]], bytes] | Any:
    """What the client gets through ``handler.stream``: (status, headers, body), or the result returned."""
    written: list[bytes] = []
    returned = handler.stream(event, LambdaContext(), written.append)
    if not written:
        return returned
    assert returned is None and written[0].endswith(NUL8)
    prelude = json.loads(written[0][: -len(NUL8)])
    headers: dict[str, list[str]] = {}
    for name, value in prelude.get("headers", {}).items():
        headers.setdefault(name.lower(), []).extend(value.split(",") if name.lower() != "set-cookie" else [value])
    for name, values in prelude.get("multiValueHeaders", {}).items():  # a REST API's repeated headers
        headers.setdefault(name.lower(), []).extend(part for value in values for part in value.split(","))
    if prelude.get("cookies"):
        headers["set-cookie"] = list(prelude["cookies"])
    return prelude["statusCode"], headers, b"".join(written[1:])


def buffered(handler: Any, event: dict[str, Any]) -> tuple[int, dict[str, list[str]], bytes]:
    result = handler(event, LambdaContext())
    headers = {name: [part for value in values for part in value.split(",")] if name != "set-cookie" else values
               for name, values in headers_of(result).items()}  # fmt: skip
    return result["statusCode"], headers, body_of(result)


class _Closing:
    """A WSGI body whose ``close()`` fails: after the answer, which stands."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def __iter__(self) -> Any:
        return iter(self.parts)

    def close(self) -> None:
        raise RuntimeError("after")


def make_app(interface: str, status: int, body: bytes, fail: str, cookies: int) -> Any:
    """A WSGI or ASGI app answering ``status`` and ``body`` in two parts; failing before its answer,
    during it (after the first part) or after it (WSGI ``close()``, ASGI code after the last send)."""
    headers = [("Content-Type", "application/octet-stream"), ("X-Note", "n")]
    headers += [("Set-Cookie", f"c{i}=v{i}") for i in range(cookies)]
    parts = [body[: len(body) // 2], body[len(body) // 2 :]]

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if fail == "before":
            raise RuntimeError("before")
        start_response(f"{status} X", headers)
        if fail == "during":
            return _failing(parts[0])
        return _Closing(parts) if fail == "after" else parts

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if fail == "before":
            raise RuntimeError("before")
        raw = [(k.lower().encode(), v.encode()) for k, v in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": parts[0], "more_body": True})
        if fail == "during":
            raise RuntimeError("during")
        await send({"type": "http.response.body", "body": parts[1]})
        if fail == "after":
            raise RuntimeError("after")

    return wsgi if interface == "wsgi" else asgi


def _failing(first: bytes) -> Any:
    yield b"X" + first  # never empty: the status and headers go out with it
    raise RuntimeError("during")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    interface=st.sampled_from(["wsgi", "asgi"]),
    source=st.sampled_from(["url", *HTTP_FORMATS]),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
    status=st.sampled_from([200, 201, 204, 304, 404, 500]),
    body=st.binary(max_size=64),
    fail=st.sampled_from(["none", "before", "during", "after"]),
    cookies=st.integers(0, 2),
)
def test_buffered_and_streamed_answers_agree(interface: str, source: str, method: str, status: int, body: bytes,
                                             fail: str, cookies: int) -> None:  # fmt: skip
    handler = adapt(make_app(interface, status, body, fail, cookies), lifespan="off" if interface == "asgi" else "auto")
    event = event_for(source, method=method, path="/p", headers=[("Host", "abc.lambda-url.us-east-1.on.aws")])
    if source not in ("url", "rest"):  # neither a Function URL nor a REST API: the buffered result, either entry
        assert handler.stream(event, LambdaContext(), pytest.fail) == handler(event, LambdaContext())
    elif fail == "during":  # cut short: a stream ends with an error, a buffered answer is replaced by a 500
        with pytest.raises(RuntimeError, match="during"):
            streamed(handler, event)
        assert buffered(handler, event)[0] == 500
    else:
        assert streamed(handler, event) == buffered(handler, event)


@pytest.mark.parametrize(
    "event",
    [
        {"warmer": True},  # serverless-plugin-warmup
        {
            "source": "aws.events",
            "detail-type": "Scheduled Event",
            "resources": ["arn:aws:events:r:1:rule/x-keep-warm"],
            "detail": {},
            "id": "1",
            "account": "1",
            "time": "t",
            "region": "r",
            "version": "0",
        },
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "hi", "attributes": {}}]},
        {"ping": "mine"},
    ],
    ids=["plugin", "keep-warm", "sqs-route", "custom-ping"],
)
def test_warm_pings_and_routes_agree_on_both_paths(event: dict[str, Any]) -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    handler = adapt(app, events={"sqs": "/events/sqs"}, answer_warm_pings=lambda e: e.get("ping") == "mine"
                    or "warmer" in e or "keep-warm" in str(e.get("resources")))  # fmt: skip
    assert handler.stream(event, LambdaContext(), pytest.fail) == handler(event, LambdaContext())


def test_a_custom_warm_ping_is_answered_when_streaming_too() -> None:
    """Bug 1: a ping the ``answer_warm_pings`` predicate recognises raised UnsupportedEvent through ``stream``."""
    handler = adapt(make_app("wsgi", 200, b"", "none", 0), answer_warm_pings=lambda event: event.get("ping") == 1)
    assert handler.stream({"ping": 1}, LambdaContext(), pytest.fail) == {"warm": True}


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_x_lambda_event_source_never_reaches_the_app_when_streaming(interface: str) -> None:
    """Bug 1: the buffered path removed the header; ``handler.stream`` let a client forge it."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ.get("HTTP_X_LAMBDA_EVENT_SOURCE", "absent").encode()]

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        sent = dict(scope["headers"]).get(b"x-lambda-event-source", b"absent")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": sent})

    handler = adapt(wsgi if interface == "wsgi" else asgi, lifespan="off" if interface == "asgi" else "auto")
    event = url_event(headers=[("X-Lambda-Event-Source", "sqs")])
    assert streamed(handler, event)[2] == b"absent"
    assert body_of(handler(event, LambdaContext())) == b"absent"


class Recording:
    """A sink of ``handler.invoke``: what it was given, and what the app had done by then."""

    streams = False

    def __init__(self, progress: list[str]) -> None:
        self.progress = progress
        self.seen: list[Any] = []

    def result(self, result: Any) -> None:
        self.seen.append((result["statusCode"], list(self.progress)))

    def write(self, data: bytes) -> None:
        raise AssertionError("not a streaming sink")

    def end(self) -> None:
        raise AssertionError("not a streaming sink")


def test_the_sink_gets_the_wsgi_answer_before_close_runs() -> None:
    progress: list[str] = []

    class Body:
        def __iter__(self) -> Any:
            return iter([b"done"])

        def close(self) -> None:
            progress.append("closed")

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    sink = Recording(progress)
    adapt(app).invoke(event_for("http"), LambdaContext(), sink)
    assert sink.seen == [(200, [])] and progress == ["closed"]


def test_the_sink_gets_the_asgi_answer_before_the_apps_remaining_work() -> None:
    progress: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        await asyncio.sleep(0)  # work after the answer, as background tasks do
        progress.append("background work done")

    sink = Recording(progress)
    adapt(app, lifespan="off").invoke(event_for("http"), LambdaContext(), sink)
    assert sink.seen == [(200, [])] and progress == ["background work done"]


def test_ainvoke_runs_many_asgi_invocations_as_tasks_of_one_running_loop() -> None:
    both_inside = asyncio.Event()
    inside = 0

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal inside
        inside += 1
        if inside == 2:
            both_inside.set()
        await both_inside.wait()  # each waits for the other: only concurrent tasks get past this
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    handler = adapt(app, lifespan="off")

    async def main() -> list[Any]:
        sinks = [Recording([]), Recording([])]
        await asyncio.gather(*(handler.ainvoke(event_for("http", path=f"/{i}"), LambdaContext(), sinks[i])
                               for i in range(2)))  # fmt: skip
        return [sink.seen for sink in sinks]

    assert asyncio.run(main()) == [[(200, [])], [(200, [])]]


def test_handler_stream_is_absent_when_streaming_is_off_and_for_mounted_apps() -> None:
    app = make_app("wsgi", 200, b"", "none", 0)
    assert hasattr(adapt(app), "stream")
    assert not hasattr(adapt(app, streaming="off"), "stream")
    assert not hasattr(adapt({"/a": app}), "stream")
