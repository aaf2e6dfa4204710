"""Properties over generated events: nothing but a result dict or UnsupportedEvent escapes, and
whatever a client sends or an app answers arrives exactly, in every format."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, headers_of, set_cookies_of, status_of
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import load_event
from tests.events.test_translate import CASES

SINGLE_VALUE = {"alb", "lattice1", "lattice2"}  # one value per name (lattice2: in answers only)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HANDLERS = {"wsgi": adapt(wsgi_echo), "asgi": adapt(asgi_echo, lifespan="off")}
JUNK = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)  # fmt: skip


def mutate(event: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Replace, drop or keep each field of the event, recursively."""
    if isinstance(event, dict):
        out = {}
        for key, value in event.items():
            action = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "junk", "recurse"]))
            if action == "junk":
                out[key] = data.draw(JUNK)
            elif action == "recurse" and depth < 3:
                out[key] = mutate(value, data, depth + 1)
            elif action != "drop":
                out[key] = value
        return out
    return event


def grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def check_result(result: Any) -> None:
    assert isinstance(result, dict)
    assert isinstance(result["statusCode"], int) and 100 <= result["statusCode"] <= 599
    assert isinstance(result["body"], str)
    assert isinstance(result["isBase64Encoded"], bool)
    json.dumps(result)  # what Lambda does with it


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(CASES)), interface=st.sampled_from(["wsgi", "asgi"]))
def test_malformed_events_give_a_result_or_unsupported_event(data: st.DataObject, name: str, interface: str) -> None:
    event = mutate(copy.deepcopy(load_event(name)), data)
    try:
        result = HANDLERS[interface](event, data.draw(st.sampled_from([LambdaContext(), None])))
    except UnsupportedEvent:
        return
    check_result(result)


@SETTINGS
@given(event=st.one_of(JUNK, st.dictionaries(st.text(max_size=10), JUNK, max_size=6)))
def test_arbitrary_values_give_a_result_or_unsupported_event(event: Any) -> None:
    for handler in HANDLERS.values():
        with contextlib.suppress(UnsupportedEvent):
            check_result(handler(event, None))


SEGMENT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
QUERY = st.lists(st.tuples(st.text(max_size=6).filter(lambda k: k != ""), st.text(max_size=6)), max_size=4)
HEADER_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10).filter(
    lambda n: n[0] != "-" and n not in ("host", "cookie", "content-length", "x-forwarded-for", "x-forwarded-proto",
                                        "x-forwarded-port", "set-cookie", "content-type", "content-encoding")
)  # fmt: skip
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)


@SETTINGS
@given(
    format=st.sampled_from([f for f in FORMATS if f not in ("alb", "lattice1")]),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    segments=st.lists(SEGMENT, max_size=3),
    query=QUERY,
    headers=st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=4),
    body=st.binary(max_size=200),
)
def test_what_the_client_sends_reaches_the_app(
    format: str, method: str, segments: list[str], query: list[tuple[str, str]], headers: dict[str, str], body: bytes
) -> None:
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    raw_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    event = event_for(format, method=method, path=path, query=raw_query, headers=headers, body=body)
    seen = json.loads(body_of(adapt(wsgi_echo)(event, LambdaContext())))
    assert seen["method"] == method
    # HTTP APIs decode the path, so an encoded "/" inside a segment cannot be told apart there
    decoded = "/" + "/".join(segments)
    assert seen["path_info"].encode("latin-1").decode("utf-8") == decoded
    received = parse_qsl(seen["query"], keep_blank_values=True)
    if format in ("rest", "http1", "alb-multi", "lattice2"):  # a map per key: the order across keys is lost
        assert grouped(received) == grouped(query)
    else:
        assert received == query
    assert seen["body"].encode("latin-1") == body
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        key = key if key == "CONTENT_TYPE" else "HTTP_" + key
        assert seen["headers"][key] == value


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@SETTINGS
@given(
    format=st.sampled_from(FORMATS),
    status=st.sampled_from([200, 201, 202, 301, 400, 404, 418, 500, 503]),
    headers=st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), max_size=5),
    cookies=st.lists(st.text(alphabet="abcdefghij=;", min_size=1, max_size=8), max_size=3, unique=True),
    body=st.binary(max_size=300),
    text=st.booleans(),
)
def test_what_the_app_answers_reaches_the_client(
    interface: str,
    format: str,
    status: int,
    headers: list[tuple[str, str]],
    cookies: list[str],
    body: bytes,
    text: bool,
) -> None:
    answer = [("content-type", "text/plain; charset=utf-8" if text else "application/octet-stream"), *headers]
    answer += [("set-cookie", cookie) for cookie in cookies]

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(f"{status} Whatever", answer)
        return [body]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = [(n.encode(), v.encode()) for n, v in answer]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    app = wsgi_app if interface == "wsgi" else asgi_app
    result = adapt(app, lifespan="off")(event_for(format), LambdaContext())
    assert status_of(result) == status
    assert body_of(result) == body
    expected_cookies = cookies[:1] if format in SINGLE_VALUE else cookies
    assert set_cookies_of(result) == expected_cookies
    received = headers_of(result)
    if format == "edge":  # CloudFront refuses some headers in a generated response: they are dropped
        from lambda_adapter._events.edge import _DROPPED, _DROPPED_PREFIXES

        headers = [(n, v) for n, v in headers if n not in _DROPPED and not n.startswith(_DROPPED_PREFIXES)]
    for name, value in headers:
        assert value in received[name] or value in received[name][0].split(", ")


ACCEPT_ENCODING = st.one_of(
    st.sampled_from(["gzip", "br", "gzip, deflate, br, zstd", "identity", "*", "br;q=0, gzip;q=0.5", "gzip;q=2"]),
    st.text(max_size=40),
)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@SETTINGS
@given(
    format=st.sampled_from(FORMATS),
    accept=ACCEPT_ENCODING,
    content_type=st.sampled_from(["application/json", "text/html; charset=utf-8", "image/png", "text/plain"]),
    body=st.one_of(st.binary(max_size=3000), st.text(max_size=400).map(lambda text: text.encode() * 8)),
)
def test_compressed_answers_decode_to_the_apps_bytes(
    interface: str, format: str, accept: str, content_type: str, body: bytes
) -> None:
    import gzip

    import brotli

    answer = [("content-type", content_type), ("etag", '"tag"')]

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", answer)
        return [body[:100], body[100:]]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw = [(n.encode(), v.encode()) for n, v in answer]
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    app = wsgi_app if interface == "wsgi" else asgi_app
    result = adapt(app, lifespan="off", compress=True)(event_for(format, headers={"Accept-Encoding": accept}), None)
    json.dumps(result)  # what Lambda does with it
    received, coding = headers_of(result), headers_of(result).get("content-encoding", ["identity"])[-1]
    decode = {"gzip": gzip.decompress, "br": brotli.decompress, "identity": lambda data: data}[coding]
    assert decode(body_of(result)) == body
    assert received["content-type"] == [content_type]
    assert received["etag"] == (['"tag"'] if coding == "identity" else ['W/"tag"'])
