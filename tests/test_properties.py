"""Properties over generated events: nothing but a result dict or UnsupportedEvent escapes, and
whatever a client sends or an app answers arrives exactly, in every format."""

from __future__ import annotations

import binascii
import copy
import json
import os
import sys
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter._events.detect import detect
from lambda_adapter.testing import (
    FORMATS,
    LambdaContext,
    body_of,
    event_for,
    headers_of,
    json_of,
    set_cookies_of,
    status_of,
)
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import load_event
from tests.events.test_detect import HTTP

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "120"))  # more for a deeper run
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SINGLE_VALUE = {"alb", "lattice1", "lattice2"}  # answers carry one value per name (a repeat: a case variant)
HANDLERS = {"wsgi": adapt(wsgi_echo), "asgi": adapt(asgi_echo, lifespan="off")}
JUNK = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)  # fmt: skip


def mutate(event: Any, data: st.DataObject, depth: int = 0) -> Any:
    """Keep, drop, null, replace by a value of another JSON type, or recurse into each field."""
    if isinstance(event, dict):
        out = {}
        for key, value in event.items():
            action = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "null", "junk", "recurse"]))
            if action == "junk":
                out[key] = data.draw(JUNK.filter(lambda junk, value=value: json_type(junk) != json_type(value)))
            elif action == "null":
                out[key] = None
            elif action == "recurse" and depth < 3:
                out[key] = mutate(value, data, depth + 1)
            elif action != "drop":
                out[key] = value
        return out
    return event


def json_type(value: object) -> str:
    return "number" if type(value) in (int, float) else type(value).__name__


# What every HTTP format reads (docs/limits.md, "Malformed events"): a part that is absent or null
# means its default; a part of another type is a 400; the method missing is an UnsupportedEvent.
# (path, kind); a path is a key sequence from the event.
OBJECT, TEXT, FLAG, HEADERS, MULTI_HEADERS, PARAMS, COOKIES, PATH = (
    "object", "text", "flag", "headers", "multi-headers", "query", "cookies", "path")  # fmt: skip
CONTEXT = ("requestContext",)
V1_FIELDS = [
    (CONTEXT, OBJECT),
    (("headers",), OBJECT),
    (("multiValueHeaders",), OBJECT),
    (("requestContext", "domainName"), TEXT),
    (("path",), PATH),
    (("body",), TEXT),
    (("isBase64Encoded",), FLAG),
    (("multiValueQueryStringParameters",), PARAMS),
    (("queryStringParameters",), PARAMS),
    (("requestContext", "stage"), TEXT),
    (("requestContext", "identity"), OBJECT),
    (("requestContext", "identity", "sourceIp"), TEXT),
    (("requestContext", "authorizer"), OBJECT),
    (("requestContext", "authorizer", "principalId"), TEXT),
    (("requestContext", "authorizer", "claims"), OBJECT),
    (("requestContext", "authorizer", "claims", "sub"), TEXT),
]
V2_FIELDS = [
    (CONTEXT, OBJECT),
    (("requestContext", "http"), OBJECT),
    (("headers",), HEADERS),
    (("cookies",), COOKIES),
    (("requestContext", "domainName"), TEXT),
    (("rawPath",), PATH),
    (("requestContext", "http", "path"), PATH),
    (("requestContext", "stage"), TEXT),
    (("rawQueryString",), TEXT),
    (("queryStringParameters",), PARAMS),
    (("body",), TEXT),
    (("isBase64Encoded",), FLAG),
    (("requestContext", "http", "sourceIp"), TEXT),
    (("requestContext", "authorizer"), OBJECT),
    (("requestContext", "authorizer", "jwt"), OBJECT),
    (("requestContext", "authorizer", "jwt", "claims"), OBJECT),
    (("requestContext", "authorizer", "principalId"), TEXT),
    (("requestContext", "authorizer", "jwt", "claims", "sub"), TEXT),
]
ALB_FIELDS = [
    (("headers",), OBJECT),
    (("multiValueHeaders",), OBJECT),
    (("path",), PATH),
    (("body",), TEXT),
    (("isBase64Encoded",), FLAG),
    (("multiValueQueryStringParameters",), PARAMS),
    (("queryStringParameters",), PARAMS),
]
SPECS: dict[str, tuple[list[tuple[str, ...]], list[tuple[tuple[str, ...], str]]]] = {
    # source: (where the method may be, first found wins; the fields)
    "v1": ([("httpMethod",), ("requestContext", "httpMethod")], V1_FIELDS),
    "v2": ([("requestContext", "http", "method")], V2_FIELDS),
    "alb": ([("httpMethod",)], ALB_FIELDS),
    "lattice_v1": ([("method",)], [(("headers",), HEADERS), (("body",), TEXT), (("is_base64_encoded",), FLAG),
                                   (("raw_path",), PATH), (("query_string_parameters",), PARAMS)]),
    "lattice_v2": ([("method",)], [(("headers",), MULTI_HEADERS), (("body",), TEXT), (("isBase64Encoded",), FLAG),
                                   (CONTEXT, OBJECT), (("requestContext", "identity"), OBJECT),
                                   (("requestContext", "identity", "principal"), TEXT), (("path",), PATH),
                                   (("queryStringParameters",), PARAMS)]),
    "edge": ([], []),  # Records is a list: mutate() keeps or replaces it whole
}  # fmt: skip
UNSUPPORTED, BAD_REQUEST, ANSWERED = "UnsupportedEvent", 400, 200


def at(event: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path``; None when it or a parent is absent, null or no object."""
    value = event
    for key in path:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def bad_header_name(name: str) -> bool:
    return "_" not in name and not (name and name.isascii() and name.isprintable() and " " not in name)


def well_formed(kind: str, value: Any) -> bool:
    """Whether a present, non-null part of ``kind`` is of its type (and content, for paths)."""
    if kind == OBJECT:
        return type(value) is dict
    if kind in (TEXT, PATH):
        return type(value) is str and (kind == TEXT or value == "" or value.partition("?")[0][:1] in ("", "/"))
    if kind == FLAG:
        return type(value) is bool
    if kind == COOKIES:
        return type(value) is list and all(type(item) is str for item in value)
    if type(value) is not dict:
        return False
    values = list(value.values())
    if kind == PARAMS:  # the values of the map read: used_maps_outcome()
        return True
    single = kind == HEADERS
    return not any(bad_header_name(name) for name in value) and all(
        item is None or type(item) is str or (not single and type(item) is list and all(type(i) is str for i in item))
        for item in values
    )


def expected_outcome(event: Any) -> object:
    """What the handler must do with ``event``, by the documented rules (None: not an HTTP request)."""
    try:
        source = detect(event)  # detection's own table: tests/events/test_detect.py
    except UnsupportedEvent:
        return UNSUPPORTED
    if source not in SPECS:
        return None
    places, fields = SPECS[source]
    objects = [(path, kind) for path, kind in fields if kind == OBJECT and len(path) < 3]
    for path, kind in objects:  # a container on the way to the method comes first
        on_the_way = any(path == place[: len(path)] for place in places)
        if on_the_way and at(event, path) is not None and not well_formed(kind, at(event, path)):
            return BAD_REQUEST
    method = next((at(event, place) for place in places if at(event, place) is not None), None)
    if places and method is None:
        return UNSUPPORTED
    if places and (type(method) is not str or not method):
        return BAD_REQUEST
    for path, kind in fields:
        value = at(event, path)
        if value is not None and not well_formed(kind, value):
            return BAD_REQUEST
    return used_maps_outcome(event, source)


QUERY_READ = {  # the query map whose values are read
    "v1": lambda event: event.get("multiValueQueryStringParameters") or event.get("queryStringParameters"),
    "alb": lambda event: event.get("multiValueQueryStringParameters") or event.get("queryStringParameters"),
    "v2": lambda event: event.get("queryStringParameters") if event.get("rawQueryString") is None else None,
    "lattice_v1": lambda event: event.get("query_string_parameters"),
    "lattice_v2": lambda event: event.get("queryStringParameters"),
    "edge": lambda event: None,
}


def used_maps_outcome(event: Any, source: str) -> object:
    """The values of the header map read (multi-value when there, else single) and the body's base64."""
    if source in ("v1", "alb"):
        multi = event.get("multiValueHeaders")
        used, kind = (multi, MULTI_HEADERS) if multi else (event.get("headers"), HEADERS)
        if used and not well_formed(kind, used):
            return BAD_REQUEST
    query = QUERY_READ[source](event)
    if query and not all(
        item is None or type(item) is str or (type(item) is list and all(type(i) is str for i in item))
        for item in query.values()
    ):
        return BAD_REQUEST
    flag = event.get("is_base64_encoded" if source == "lattice_v1" else "isBase64Encoded")
    body = event.get("body")
    if flag is True and body and not valid_base64(body):
        return BAD_REQUEST
    return ANSWERED


def valid_base64(text: str) -> bool:
    try:
        if sys.version_info >= (3, 11):
            binascii.a2b_base64(text, strict_mode=True)
            return True
        data = text.encode("ascii")
        return not data.translate(None, BASE64_CHARS) and len(data) % 4 == 0 and bool(binascii.a2b_base64(data) or 1)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def check_outcome(handler: Any, event: Any, context: Any) -> None:
    """The handler does exactly what the rules say: answers (200 from the echo app), a 400, or raises
    UnsupportedEvent; nothing else escapes, and no event makes the adapter fail (a 500)."""
    expected = expected_outcome(event)
    try:
        result = handler(event, context)
    except UnsupportedEvent:
        assert expected in (UNSUPPORTED, None), f"UnsupportedEvent where {expected} was due"
        return
    check_result(result)
    if expected is not None:
        assert status_of(result) == expected, body_of(result)


def grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def check_result(result: Any) -> None:
    assert isinstance(result, dict)
    status = result["status"] if "status" in result else result["statusCode"]
    assert 100 <= int(status) <= 599
    assert isinstance(result["body"], str)
    json.dumps(result)  # what Lambda does with it


# every recorded HTTP request event: REST, HTTP API, Function URL, ALB, Lattice, Lambda@Edge requests
RECORDED = sorted(
    [name for name, source in HTTP.items() if source != "websocket"]
    + ["awsdocs/cloudfront-origin-request.json", "awsdocs/cloudfront-viewer-request.json"]
)
CONTEXTS = st.sampled_from([LambdaContext(), None, {}, object()])


@SETTINGS
@given(data=st.data(), name=st.sampled_from(RECORDED), interface=st.sampled_from(["wsgi", "asgi"]))
def test_a_mutated_event_gets_exactly_the_documented_outcome(data: st.DataObject, name: str, interface: str) -> None:
    event = mutate(copy.deepcopy(load_event(name)), data)
    check_outcome(HANDLERS[interface], event, data.draw(CONTEXTS))


def optional_parts(event: dict[str, Any], source: str) -> list[tuple[str, ...]]:
    """The parts of ``event`` that its format does without (all but the method and what identifies it)."""
    places, fields = SPECS[source]
    identifying = {("requestContext",): source in ("alb", "lattice_v2"), ("raw_path",): source == "lattice_v1",
                   ("path",): source == "v1" and "resource" not in event}  # fmt: skip
    parts = []
    for path, _ in fields:
        on_the_way = any(path == place[: len(path)] for place in places)  # to the method
        if on_the_way or identifying.get(path) or at(event, path) is None:
            continue
        if source == "v2" and path in (("rawPath",), ("requestContext", "http")):
            continue  # one of them identifies a 2.0 event (with version)
        parts.append(path)
    return parts


@SETTINGS
@given(data=st.data(), name=st.sampled_from([n for n in RECORDED if "cloudfront" not in n]),
       interface=st.sampled_from(["wsgi", "asgi"]))  # fmt: skip
def test_any_optional_part_removed_or_null_is_answered(data: st.DataObject, name: str, interface: str) -> None:
    event = copy.deepcopy(load_event(name))
    source = detect(event)
    parts = optional_parts(event, source)
    for path in data.draw(st.lists(st.sampled_from(parts), unique=True)) if parts else []:
        parent = at(event, path[:-1]) if len(path) > 1 else event
        if type(parent) is dict and path[-1] in parent:
            if data.draw(st.booleans()):
                del parent[path[-1]]
            else:
                parent[path[-1]] = None
    assert detect(event) == source
    expected = expected_outcome(event)
    assert expected in (ANSWERED, BAD_REQUEST)  # 400: a recorded body that is not the base64 it claims
    result = HANDLERS[interface](event, data.draw(CONTEXTS))
    assert status_of(result) == expected, body_of(result)
    if expected == ANSWERED:
        assert json_of(result)["method"] == at(load_event(name), SPECS[source][0][0])


@SETTINGS
@given(event=st.one_of(JUNK, st.dictionaries(st.text(max_size=10), JUNK, max_size=6)))
def test_arbitrary_values_give_the_documented_outcome(event: Any) -> None:
    for handler in HANDLERS.values():
        check_outcome(handler, event, None)


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
    assert set_cookies_of(result) == cookies  # single-value answers: under case variants of the name
    received = headers_of(result)
    if format == "edge":  # CloudFront refuses some headers in a generated response: they are dropped
        from lambda_adapter._events.edge import _DROPPED, _DROPPED_PREFIXES

        headers = [(n, v) for n, v in headers if n not in _DROPPED and not n.startswith(_DROPPED_PREFIXES)]
    if format in SINGLE_VALUE:  # a name spelt in 2**letters ways carries that many values; the rest are dropped
        repeats: dict[str, int] = {}
        for name, _ in headers:
            repeats[name] = repeats.get(name, 0) + 1
            if repeats[name] > 2 ** sum(c.isalpha() for c in name):
                return
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
