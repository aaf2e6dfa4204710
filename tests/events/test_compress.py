"""The compression rules, one by one: negotiation, which answers, their headers, the compressors."""

from __future__ import annotations

import gzip
import json
import random
import zlib

import brotli
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_adapter._events import compress
from lambda_adapter._events.compress import (
    MAX_HEADER,
    MIN_SIZE,
    StreamCompressor,
    available_codings,
    compress_response,
    compress_whole,
    encoded_headers,
    is_compressible,
    negotiate,
    varied,
    worth_compressing,
)
from lambda_adapter._model import Response

ALL = ("br", "zstd", "gzip")
GZIP = ("gzip",)
JSON_BODY = json.dumps([{"id": n, "name": f"item {n}", "tags": ["a", "b"]} for n in range(200)]).encode()
NONE = frozenset[str]()


def decoded(body: bytes, coding: str) -> bytes:
    """What a client reads from a body in ``coding``."""
    if coding == "br":
        return brotli.decompress(body)  # type: ignore[no-any-return]
    assert coding == "gzip"
    return gzip.decompress(body)


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [
        pytest.param(None, ALL, None, id="absent: identity, as nginx and API Gateway read it"),
        pytest.param("", ALL, None, id="empty"),
        pytest.param("gzip", ALL, "gzip", id="gzip"),
        pytest.param("gzip, deflate, br, zstd", ALL, "br", id="browser: all q=1, the server's order"),
        pytest.param("gzip, deflate, br, zstd", ("zstd", "gzip"), "zstd", id="browser without brotli"),
        pytest.param("gzip, deflate, br, zstd", GZIP, "gzip", id="browser, gzip only"),
        pytest.param("br;q=0.5, gzip", ALL, "gzip", id="the client's higher q wins"),
        pytest.param("gzip;q=0", ALL, None, id="gzip;q=0 refuses gzip"),
        pytest.param("gzip;q=0, br", ALL, "br", id="gzip refused, br taken"),
        pytest.param("identity", ALL, None, id="identity only means none"),
        pytest.param("identity;q=0", ALL, None, id="identity refused, nothing else offered: identity still"),
        pytest.param("*", ALL, "br", id="star: anything"),
        pytest.param("*", GZIP, "gzip", id="star, gzip only"),
        pytest.param("*;q=0", ALL, None, id="star refused"),
        pytest.param("gzip;q=0, *", GZIP, None, id="star does not undo an explicit refusal"),
        pytest.param("br;q=0, *;q=0.5", ALL, "zstd", id="star's q for what is not named"),
        pytest.param("x-gzip", ALL, "gzip", id="x-gzip is gzip (RFC 9110 8.4.1.3)"),
        pytest.param("GZIP;Q=1.000", ALL, "gzip", id="case-insensitive, three decimals"),
        pytest.param(" gzip ; q=0.5 ,, ", ALL, "gzip", id="blanks and empty elements"),
        pytest.param("gzip;q=1., br;q=0.", ALL, "gzip", id="q without decimals after the dot"),
        pytest.param("gzip, gzip;q=0", ALL, "gzip", id="the first mention counts"),
        pytest.param("deflate, compress", ALL, None, id="nothing we produce"),
        pytest.param("zstd", GZIP, None, id="zstd asked, interpreter without it"),
    ],
)
def test_negotiation(header: str | None, available: tuple[str, ...], expected: str | None) -> None:
    assert negotiate(header, available) == expected


@pytest.mark.parametrize(
    "header",
    [
        "gzip;q=2",
        "gzip;q=1.5",
        "gzip;q=0.1234",
        "gzip;q=-1",
        "gzip;q=abc",
        "gzip;q=",
        "gzip;q",
        "gzip;q=nan",
        "gzip;q=inf",
        "gzip;q=1e0",
        "gzip;q=0.\u00b2",
        "gzip;level=9",
        ";q=1, gzip",
        "gz\u00efp, gzip",
        "gzip br",
        "gzip, br/x",
        "gzip\x00",
        "\u2603",
        ",".join(["gzip"] * 500),
        "gzip, " + "x" * MAX_HEADER,
    ],
)
def test_malformed_or_huge_headers_mean_identity(header: str) -> None:
    assert negotiate(header, ALL) is None


def test_a_huge_header_is_not_kept() -> None:
    huge = "gzip, " + "x" * 10 * MAX_HEADER
    assert negotiate(huge, ALL) is None and (huge, ALL) not in compress._MEMO


@given(st.text(max_size=300))
def test_negotiation_never_fails(header: str) -> None:
    assert negotiate(header, ALL) in (None, *ALL)


def test_available_codings_are_tried_once_and_end_with_gzip() -> None:
    codings = available_codings()
    assert codings[-1] == "gzip" and "br" in codings  # brotli is in the test extra
    assert available_codings() is codings


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=utf-8", True),
        ("text/event-stream", True),
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/problem+json", True),
        ("application/atom+xml", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("image/svg+xml", True),
        ("application/wasm", True),
        ("application/x-ndjson", True),
        ("application/vnd.custom", False),
        ("image/png", False),
        ("image/jpeg", False),
        ("video/mp4", False),
        ("audio/mpeg", False),
        ("application/zip", False),
        ("application/gzip", False),
        ("application/octet-stream", False),
        ("font/woff2", False),
        ("application/pdf", False),
        ("", False),
        (None, False),
    ],
)
def test_compressible_types(content_type: str | None, expected: bool) -> None:
    assert is_compressible(content_type, NONE) is expected


def test_the_apps_text_types_are_compressible() -> None:
    assert is_compressible("application/vnd.custom", frozenset({"application/vnd.custom"}))


JSON_TYPE = ("Content-Type", "application/json")


@pytest.mark.parametrize(
    ("method", "status", "headers", "size", "expected"),
    [
        ("GET", 200, [JSON_TYPE], MIN_SIZE, True),
        ("GET", 200, [JSON_TYPE], MIN_SIZE - 1, False),
        ("GET", 404, [JSON_TYPE], MIN_SIZE, True),
        ("POST", 500, [("content-type", "text/html")], 5000, True),
        ("HEAD", 200, [JSON_TYPE], MIN_SIZE, False),
        ("GET", 204, [JSON_TYPE], MIN_SIZE, False),
        ("GET", 304, [JSON_TYPE], MIN_SIZE, False),
        ("GET", 206, [JSON_TYPE], MIN_SIZE, False),
        ("GET", 101, [JSON_TYPE], MIN_SIZE, False),
        ("GET", 200, [("Content-Type", "image/png")], MIN_SIZE, False),
        ("GET", 200, [], MIN_SIZE, False),
        ("GET", 200, [JSON_TYPE, ("Content-Encoding", "gzip")], MIN_SIZE, False),
        ("GET", 200, [JSON_TYPE, ("content-encoding", "identity")], MIN_SIZE, False),
        ("GET", 200, [JSON_TYPE, ("Content-Range", "bytes 0-9/10")], MIN_SIZE, False),
        ("GET", 200, [JSON_TYPE, ("Cache-Control", "public, No-Transform")], MIN_SIZE, False),
        ("GET", 200, [JSON_TYPE, ("Cache-Control", "max-age=60")], MIN_SIZE, True),
        # streamed: the size is what Content-Length says, or unknown (then compressed)
        ("GET", 200, [JSON_TYPE], None, True),
        ("GET", 200, [JSON_TYPE, ("Content-Length", "10")], None, False),
        ("GET", 200, [JSON_TYPE, ("Content-Length", str(MIN_SIZE))], None, True),
        ("GET", 200, [JSON_TYPE, ("Content-Length", "\u00b2")], None, True),
    ],
)
def test_which_answers_are_worth_compressing(
    method: str, status: int, headers: list[tuple[str, str]], size: int | None, expected: bool
) -> None:
    assert worth_compressing(method, status, headers, size, NONE) is expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([JSON_TYPE], [JSON_TYPE, ("Vary", "Accept-Encoding")]),
        ([("Vary", "Origin"), JSON_TYPE], [("Vary", "Origin, Accept-Encoding"), JSON_TYPE]),
        ([("vary", "Origin"), ("vary", "Cookie")], [("vary", "Origin"), ("vary", "Cookie, Accept-Encoding")]),
        ([("Vary", "origin, accept-encoding")], [("Vary", "origin, accept-encoding")]),
        ([("Vary", "*")], [("Vary", "*")]),
        ([("Vary", "")], [("Vary", "Accept-Encoding")]),
    ],
)
def test_vary_is_merged(headers: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    assert varied(headers) == expected


def test_encoded_headers() -> None:
    headers = [JSON_TYPE, ("Content-Length", "5000"), ("ETag", '"abc"'), ("Accept-Ranges", "bytes"), ("X-A", "1")]
    assert encoded_headers(headers, "gzip", 123) == [
        JSON_TYPE, ("Content-Length", "123"), ("ETag", 'W/"abc"'), ("X-A", "1"), ("Vary", "Accept-Encoding"),
        ("Content-Encoding", "gzip"),
    ]  # fmt: skip
    streamed = encoded_headers([("content-length", "5000"), ("etag", 'W/"abc"')], "br", None)
    assert streamed == [("etag", 'W/"abc"'), ("Vary", "Accept-Encoding"), ("Content-Encoding", "br")]


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_compressed_response_decodes_to_the_apps_bytes(coding: str) -> None:
    headers = [JSON_TYPE, ("ETag", '"v1"'), ("Content-Length", str(len(JSON_BODY)))]
    response = Response(200, headers, JSON_BODY)
    out = compress_response(response, "GET", coding, NONE)
    assert decoded(out.body, coding) == JSON_BODY and len(out.body) < len(JSON_BODY) / 5
    assert dict(out.headers) == {"Content-Type": "application/json", "ETag": 'W/"v1"', "Vary": "Accept-Encoding",
                                 "Content-Length": str(len(out.body)), "Content-Encoding": coding}  # fmt: skip
    assert response.headers == headers and response.body == JSON_BODY  # the app's answer is left as it was


def test_identity_answers_get_vary_only() -> None:
    response = Response(200, [JSON_TYPE, ("ETag", '"v1"')], JSON_BODY)
    out = compress_response(response, "GET", "identity", NONE)
    assert out.body == JSON_BODY and out.headers == [JSON_TYPE, ("ETag", '"v1"'), ("Vary", "Accept-Encoding")]


def test_answers_not_worth_it_are_the_same_object() -> None:
    small = Response(200, [JSON_TYPE], b"{}")
    assert compress_response(small, "GET", "gzip", NONE) is small


def test_an_encoding_that_does_not_shrink_the_body_is_not_used() -> None:
    noise = random.Random(17).randbytes(4000)  # claims text, is not compressible
    out = compress_response(Response(200, [("Content-Type", "text/plain")], noise), "GET", "gzip", NONE)
    assert out.body == noise and out.headers == [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")]


def test_a_failing_compressor_raises_and_leaves_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(body: bytes, coding: str) -> bytes:
        raise zlib.error("broken")

    monkeypatch.setattr(compress, "compress_whole", broken)
    response = Response(200, [JSON_TYPE], JSON_BODY)
    with pytest.raises(zlib.error):
        compress_response(response, "GET", "gzip", NONE)
    assert response.headers == [JSON_TYPE]


@given(st.binary(max_size=5000), st.sampled_from(["br", "gzip"]))
def test_whole_compression_round_trips(body: bytes, coding: str) -> None:
    assert decoded(compress_whole(body, coding), coding) == body


def incremental_decoder(coding: str) -> tuple[object, object]:
    if coding == "br":
        decoder = brotli.Decompressor()
        return decoder.process, decoder.is_finished
    decoder = zlib.decompressobj(31)
    return decoder.decompress, lambda: decoder.eof


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_each_streamed_chunk_decodes_as_soon_as_it_arrives(coding: str) -> None:
    """Server-Sent Events: the client decodes every event from the bytes sent so far."""
    events = [f"data: event {n} {'x' * n}\n\n".encode() for n in range(20)]
    compressor = StreamCompressor(coding)
    feed, finished = incremental_decoder(coding)
    for event in events:
        assert feed(compressor.chunk(event)) == event  # type: ignore[operator]
    assert feed(compressor.finish()) == b"" and finished()  # type: ignore[operator]


@given(st.lists(st.binary(max_size=3000), max_size=8), st.sampled_from(["br", "gzip"]))
def test_streamed_compression_round_trips(chunks: list[bytes], coding: str) -> None:
    compressor = StreamCompressor(coding)
    stream = b"".join([compressor.chunk(chunk) for chunk in chunks]) + compressor.finish()
    assert decoded(stream, coding) == b"".join(chunks)
