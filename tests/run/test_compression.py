"""``adapt(..., compress=True)`` end to end in process: every event format, WSGI and ASGI, buffered and
streamed; the client's bytes, once decoded, are the app's bytes exactly."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest

from lambda_adapter import adapt
from lambda_adapter._events import compress as core
from lambda_adapter._run import compression
from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, headers_of, status_of, url_event

NUL8 = b"\0" * 8
RECORDS = json.dumps(
    [{"id": n, "name": f"user {n}", "email": f"user{n}@example.com", "active": n % 3 == 0, "roles": ["reader"],
      "created": f"2025-01-{n % 28 + 1:02d}T12:00:00Z"} for n in range(150)]
).encode()  # fmt: skip
JSON_HEADERS = [("Content-Type", "application/json"), ("ETag", '"v1"'), ("Vary", "Origin")]
CODINGS = ["br", "gzip", "identity"]


def decoded(body: bytes, coding: str | None) -> bytes:
    """What the client reads: the body decoded as its Content-Encoding says."""
    if coding == "br":
        return brotli.decompress(body)  # type: ignore[no-any-return]
    if coding == "gzip":
        return gzip.decompress(body)
    assert coding is None, coding
    return body


def client_view(result: dict[str, Any]) -> tuple[int, dict[str, list[str]], bytes]:
    headers = headers_of(result)
    coding = headers.get("content-encoding", [None])[-1]
    return status_of(result), headers, decoded(body_of(result), coding)


def make_app(interface: str, body: bytes | list[bytes], headers: list[tuple[str, str]], chunks: int = 3) -> Any:
    """An app answering ``body`` under ``headers``, in ``chunks`` parts (or in the parts given)."""
    if isinstance(body, list):
        parts = body
    else:
        size = -(-len(body) // chunks) or 1
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return parts

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = [(name.lower().encode(), value.encode()) for name, value in headers]
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        for index, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": index + 1 < len(parts)})

    return asgi if interface == "asgi" else wsgi


def accepting(coding: str) -> list[tuple[str, str]]:
    return [("Accept-Encoding", coding)]


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("format", FORMATS)
def test_buffered_round_trip(format: str, interface: str, coding: str) -> None:
    handler = adapt(make_app(interface, RECORDS, JSON_HEADERS), compress=True, lifespan="off")
    result = handler(event_for(format, path="/users", headers=accepting(coding)), LambdaContext())
    status, headers, body = client_view(result)
    assert status == 200 and body == RECORDS
    vary = ", ".join(headers["vary"]).lower()
    assert "origin" in vary and "accept-encoding" in vary
    if coding == "identity":
        assert "content-encoding" not in headers and headers["etag"] == ['"v1"']
    else:
        assert headers["content-encoding"] == [coding] and headers["etag"] == ['W/"v1"']
        assert len(body_of(result)) < len(RECORDS) / 4


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("format", FORMATS)
def test_off_by_default(format: str, interface: str) -> None:
    handler = adapt(make_app(interface, RECORDS, JSON_HEADERS), lifespan="off")
    result = handler(event_for(format, headers=accepting("gzip")), LambdaContext())
    assert client_view(result)[2] == RECORDS and "content-encoding" not in headers_of(result)
    assert headers_of(result)["vary"] == ["Origin"]


@pytest.mark.parametrize(
    ("format", "kwargs", "size"),
    [
        ("http", {}, 9_000_000),  # Lambda's 6 MB
        ("alb", {}, 3_000_000),  # ALB's 1 MB
        ("edge", {}, 500_000),  # a viewer-request answer: 40 KB
    ],
)
def test_a_compressible_answer_over_the_limit_reaches_the_client(format: str, kwargs: Any, size: int) -> None:
    body = (RECORDS * (size // len(RECORDS) + 1))[:size]
    app = make_app("wsgi", body, [("Content-Type", "application/json")])
    event = event_for(format, headers=accepting("gzip"), **kwargs)
    if format == "edge":
        event["Records"][0]["cf"]["config"]["eventType"] = "viewer-request"
    assert status_of(adapt(app)(event, LambdaContext())) == 500  # too large, uncompressed
    status, headers, received = client_view(adapt(app, compress=True)(event, LambdaContext()))
    assert status == 200 and received == body and headers["content-encoding"] == ["gzip"]


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("HEAD", JSON_HEADERS, RECORDS),
        ("GET", [("Content-Type", "image/png")], RECORDS),
        ("GET", [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], gzip.compress(RECORDS)),
        ("GET", [("Content-Type", "application/json"), ("Cache-Control", "no-transform")], RECORDS),
        ("GET", JSON_HEADERS, b'{"small": true}'),
    ],
    ids=["head", "image", "encoded by the app", "no-transform", "small"],
)
def test_answers_left_alone(interface: str, method: str, headers: list[tuple[str, str]], body: bytes) -> None:
    handler = adapt(make_app(interface, body, headers), compress=True, lifespan="off")
    result = handler(event_for("http", method=method, headers=accepting("gzip")), LambdaContext())
    assert body_of(result) == (b"" if method == "HEAD" else body)
    assert headers_of(result) == {name.lower(): [value] for name, value in headers}  # nothing added, nothing changed


def test_a_failing_compressor_answers_uncompressed_and_logs_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(body: bytes, coding: str) -> bytes:
        raise zlib.error("out of memory")

    monkeypatch.setattr(core, "compress_whole", broken)
    handler = adapt(make_app("wsgi", RECORDS, JSON_HEADERS), compress=True)
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = handler(event_for("rest", headers=accepting("gzip")), LambdaContext(request_id="req-1"))
    assert status_of(result) == 200 and body_of(result) == RECORDS and "content-encoding" not in headers_of(result)
    assert [record.getMessage() for record in caplog.records] == [
        "compressing the answer failed (request req-1); it goes out uncompressed"
    ]
    assert handler(event_for("rest"), LambdaContext())["statusCode"] == 200  # the next one works


def test_compress_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="compress must be True or False"):
        adapt(make_app("wsgi", b"", []), compress="gzip")  # type: ignore[arg-type]


# -- streamed (Function URL, handler.stream) ------------------------------------------------------------


def stream(handler: Any, event: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    written: list[bytes] = []
    assert handler.stream(event, LambdaContext(), written.append) is None
    assert written[0].endswith(NUL8)
    return json.loads(written[0][:-8]), written[1:]


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_streamed_round_trip(interface: str, coding: str) -> None:
    handler = adapt(make_app(interface, RECORDS, JSON_HEADERS, chunks=5), compress=True, lifespan="off")
    prelude, chunks = stream(handler, url_event(headers=accepting(coding)))
    headers = prelude["headers"]
    assert decoded(b"".join(chunks), headers.get("content-encoding")) == RECORDS
    assert headers["vary"] == "Origin, Accept-Encoding"
    assert headers["etag"] == ('"v1"' if coding == "identity" else 'W/"v1"')
    assert "content-length" not in headers


def incremental(coding: str) -> Callable[[bytes], bytes]:
    if coding != "br":
        return zlib.decompressobj(31).decompress
    decompressor = brotli.Decompressor()

    def feed(chunk: bytes) -> bytes:
        # brotli 1.2 gives at most about 32 KB a call: the rest comes from calls with no input
        parts = [decompressor.process(chunk)]
        while parts[-1]:
            parts.append(decompressor.process(b""))
        return b"".join(parts)

    return feed


@pytest.mark.parametrize("coding", ["br", "gzip"])
@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_server_sent_events_arrive_event_by_event(interface: str, coding: str) -> None:
    events = [f"id: {n}\ndata: {json.dumps({'n': n, 'text': 'x' * n})}\n\n".encode() for n in [*range(12), 90_000]]
    app = make_app(interface, events, [("Content-Type", "text/event-stream")])
    prelude, chunks = stream(adapt(app, compress=True, lifespan="off"), url_event(headers=accepting(coding)))
    assert prelude["headers"]["content-encoding"] == coding
    feed = incremental(coding)
    assert [feed(chunk) for chunk in chunks] == [*events, b""]  # each event decodes as it arrives; then the end


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_streamed_answer_with_a_small_content_length_is_left_alone(interface: str) -> None:
    headers = [("Content-Type", "application/json"), ("Content-Length", "15")]
    prelude, chunks = stream(adapt(make_app(interface, b'{"small": true}', headers), compress=True, lifespan="off"),
                             url_event(headers=accepting("gzip")))  # fmt: skip
    assert "content-encoding" not in prelude["headers"] and b"".join(chunks) == b'{"small": true}'


def test_a_streamed_compressor_that_cannot_start_answers_uncompressed_and_logs_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(coding: str) -> Any:
        raise MemoryError("no memory for the window")

    monkeypatch.setattr(compression, "StreamCompressor", broken)
    handler = adapt(make_app("wsgi", RECORDS, JSON_HEADERS), compress=True)
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        prelude, chunks = stream(handler, url_event(headers=accepting("gzip")))
    assert b"".join(chunks) == RECORDS and "content-encoding" not in prelude["headers"]
    assert prelude["headers"]["vary"] == "Origin, Accept-Encoding"
    assert len(caplog.records) == 1 and "goes out uncompressed" in caplog.records[0].getMessage()


def test_the_adapters_own_streamed_answers_are_whole(caplog: pytest.LogCaptureFixture) -> None:
    def failing(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("broken app")

    with caplog.at_level(logging.CRITICAL, logger="lambda_adapter"):
        prelude, chunks = stream(adapt(failing, compress=True), url_event(headers=accepting("gzip")))
    assert prelude["statusCode"] == 500 and b"".join(chunks) == b"Internal Server Error"


# -- a real client: httpx through LambdaTransport, real Flask and FastAPI apps ------------------------------


def flask_app() -> Any:
    from flask import Flask, Response

    app = Flask(__name__)
    app.get("/users")(lambda: Response(RECORDS, mimetype="application/json"))
    return app


def fastapi_app() -> Any:
    from fastapi import FastAPI, Response

    app = FastAPI()
    app.get("/users")(lambda: Response(RECORDS, media_type="application/json"))
    return app


@pytest.mark.parametrize("accept", [None, "gzip", "identity"])
@pytest.mark.parametrize("make", [flask_app, fastapi_app], ids=["flask", "fastapi"])
@pytest.mark.parametrize("format", ["rest", "http", "http1", "url", "alb", "alb-multi"])
def test_httpx_decodes_what_the_client_gets(format: str, make: Callable[[], Any], accept: str | None) -> None:
    import httpx

    from lambda_adapter.testing import LambdaTransport

    transport = LambdaTransport(adapt(make(), compress=True), format=format)
    with httpx.Client(transport=transport, base_url="https://testserver") as client:
        headers = {"Accept-Encoding": accept} if accept else {}  # httpx's own: gzip, deflate, br (brotli installed)
        response = client.get("/users", headers=headers)
    assert response.status_code == 200 and response.content == RECORDS
    expected = {None: "br", "gzip": "gzip", "identity": None}[accept]
    assert response.headers.get("content-encoding") == expected
    sent = int(response.headers["content-length"])  # the bytes on the wire, as the source counts them
    assert sent == len(RECORDS) if expected is None else sent < len(RECORDS) / 4


# -- the rules every answer keeps (answers.Answer) hold for compressed ones -------------------------------


def through(handler: Any, event: dict[str, Any], streamed: bool) -> tuple[int, dict[str, list[str]], bytes]:
    """What the client gets, buffered (any format) or streamed (a Function URL event): decoded."""
    if not streamed:
        return client_view(handler(event, LambdaContext()))
    prelude, chunks = stream(handler, event)
    headers = {name.lower(): [value] for name, value in prelude["headers"].items()}
    coding = prelude["headers"].get("content-encoding")
    return prelude["statusCode"], headers, decoded(b"".join(chunks), coding)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("format", [*FORMATS, "streamed"])
def test_excluded_headers_are_removed_from_the_compressed_answer(format: str, interface: str) -> None:
    """Compression reads the app's answer (its no-transform counts), then exclude_headers removes what it
    names from what goes out, headers compression set included."""
    headers = [*JSON_HEADERS, ("Server", "app/1.0")]
    handler = adapt(make_app(interface, RECORDS, headers), compress=True, lifespan="off",
                    exclude_headers=["server", "etag", "vary"])  # fmt: skip
    event = (
        url_event(headers=accepting("gzip")) if format == "streamed" else event_for(format, headers=accepting("gzip"))
    )
    status, received, body = through(handler, event, format == "streamed")
    assert status == 200 and body == RECORDS and received["content-encoding"] == ["gzip"]
    assert not {"server", "etag", "vary"} & set(received)

    kept = [("Content-Type", "application/json"), ("Cache-Control", "no-transform")]
    handler = adapt(
        make_app(interface, RECORDS, kept), compress=True, lifespan="off", exclude_headers=["cache-control"]
    )
    status, received, body = through(handler, event, format == "streamed")
    assert status == 200 and body == RECORDS and "content-encoding" not in received and "cache-control" not in received


def test_compress_with_content_encoding_excluded_is_refused() -> None:
    with pytest.raises(ValueError, match="compress=True labels what it compresses with Content-Encoding"):
        adapt(make_app("wsgi", b"", []), compress=True, exclude_headers=["Content-Encoding"])
    adapt(make_app("wsgi", b"", []), exclude_headers=["Content-Encoding"])  # without compress: taken


def no_body_app(interface: str, status: int) -> Any:
    """An app answering ``status`` with a compressible body all the same (some do, for 304)."""
    headers = [("Content-Type", "application/json"), ("ETag", '"v1"')]

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(f"{status} Whatever", headers)
        return [RECORDS]

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = [(name.lower().encode(), value.encode()) for name, value in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": RECORDS})

    return asgi if interface == "asgi" else wsgi


@pytest.mark.parametrize("streamed", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304), ("HEAD", 304)])
def test_answers_without_a_body_stay_without_one(method: str, status: int, interface: str, streamed: bool) -> None:
    handler = adapt(no_body_app(interface, status), compress=True, lifespan="off")
    event = url_event(method=method, headers=accepting("gzip")) if streamed else \
        event_for("http", method=method, headers=accepting("gzip"))  # fmt: skip
    got, received, body = through(handler, event, streamed)
    assert (got, body) == (status, b"")
    assert received == {"content-type": ["application/json"], "etag": ['"v1"']}  # nothing added, nothing changed


@pytest.mark.parametrize("mode", ["buffered", "streamed"])
def test_ainvoke_compresses_on_the_callers_loop(mode: str) -> None:
    import asyncio

    class Sink:
        def __init__(self) -> None:
            self.streams = mode == "streamed"
            self.results: list[Any] = []
            self.written: list[bytes] = []

        def result(self, result: Any) -> None:
            self.results.append(result)

        def write(self, data: bytes) -> None:
            self.written.append(data)

        def end(self) -> None:
            self.written.append(b"<end>")

    handler, sink = adapt(make_app("asgi", RECORDS, JSON_HEADERS), compress=True, lifespan="off"), Sink()
    asyncio.run(handler.ainvoke(url_event(headers=accepting("br")), LambdaContext(), sink))
    if mode == "buffered":
        assert client_view(sink.results[0])[2] == RECORDS and headers_of(sink.results[0])["content-encoding"] == ["br"]
    else:
        assert json.loads(sink.written[0][:-8])["headers"]["content-encoding"] == "br"
        assert sink.written[-1] == b"<end>" and brotli.decompress(b"".join(sink.written[1:-1])) == RECORDS
