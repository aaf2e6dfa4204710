"""The ASGI scope from the CGI environ: the headers in the environ's order, every value's latin-1
bytes, whatever the layout of the environ (and however many layouts the memo has seen)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_adapter._events import scope
from lambda_adapter._events.scope import to_scope
from lambda_adapter._options import Options

_FIXED = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/a", "QUERY_STRING": "q=1", "RAW_URI": "/a?q=1",
          "SERVER_NAME": "example.com", "SERVER_PORT": "443", "wsgi.url_scheme": "https"}  # fmt: skip


def _expected_headers(environ: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The rule, written plainly: each header variable in order, its name lower-case with dashes."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].lower().replace("_", "-").encode(), value.encode("latin-1")))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers.append((key.lower().replace("_", "-").encode(), value.encode("latin-1")))
    return headers


CASES = {
    "no headers": {},
    "one header": {"HTTP_HOST": "example.com"},
    "headers between the fixed variables": {"HTTP_ACCEPT": "*/*", "CONTENT_TYPE": "text/plain", "HTTP_X_A": "1"},
    "a value holding a line feed (a hand-made event)": {"HTTP_X_A": "one\ntwo", "HTTP_X_B": "3"},
    "an empty value": {"HTTP_X_EMPTY": "", "HTTP_X_B": "b"},
    "native strings beyond ASCII": {"HTTP_X_NAME": "caf\xc3\xa9", "CONTENT_LENGTH": "4"},
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("headers_first", [True, False], ids=["headers-first", "headers-last"])
def test_headers_and_query_are_the_environs_in_its_order(name: str, headers_first: bool) -> None:
    headers = CASES[name]
    environ = {**headers, **_FIXED} if headers_first else {**_FIXED, **headers}
    for _ in range(2):  # the layout seen first, then remembered
        made = to_scope(environ, {}, {}, None)
        assert made["headers"] == _expected_headers(environ)
        assert made["query_string"] == b"q=1" and made["raw_path"] == b"/a" and made["server"] == ("example.com", 443)


def test_layouts_beyond_the_memo_are_translated_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope, "_LAYOUTS", {})
    for count in range(scope._LAYOUTS_LIMIT + 5):
        environ = {**_FIXED, **{f"HTTP_X_{index}": str(index) for index in range(count % 7)}, f"HTTP_Y_{count}": "y"}
        assert to_scope(environ, {}, {}, None)["headers"] == _expected_headers(environ)
    assert len(scope._LAYOUTS) == scope._LAYOUTS_LIMIT


def test_each_scope_has_its_own_state_and_headers() -> None:
    state = {"db": object()}
    environ = {"HTTP_HOST": "example.com", **_FIXED}
    first, second = to_scope(environ, state, {}, None), to_scope(environ, state, {}, None)
    first["headers"].append((b"x", b"y"))
    first["state"]["added"] = True
    assert second["headers"] == [(b"host", b"example.com")] and second["state"] == state and "added" not in state


def test_the_same_headers_in_another_order_keep_their_order() -> None:
    for headers in ({"HTTP_X_A": "1", "HTTP_X_B": "2"}, {"HTTP_X_B": "2", "HTTP_X_A": "1"}):
        environ = {**headers, **_FIXED}
        assert to_scope(environ, {}, {}, None)["headers"] == _expected_headers(environ)


# --- the direct readers of plain events agree with the environ path --------------------------------


class _Text(str):
    """A str subclass: a header value of this type is a 400 on the environ path."""


class _Map(dict):  # type: ignore[type-arg]
    """A dict subclass: headers of this type are a 400 on the environ path."""


_BROWSER = {
    "Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.9", "Cookie": "session=abc123; theme=dark", "User-Agent": "Mozilla/5.0",
    "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https",
}  # fmt: skip


def _built(source: str) -> list[dict[str, Any]]:
    """Events of the builders in ``lambda_adapter.testing``, of the plain shape and around it."""
    from lambda_adapter.testing import http1_event, http_event, rest_event, url_event

    posted = {"headers": {**_BROWSER, "Content-Type": "application/json", "Content-Length": "9"}, "body": b'{"a": 1}'}
    kinds: list[dict[str, Any]] = [
        {"path": "/items/42", "query": "page=2&q=a%20b", "headers": _BROWSER},
        {"method": "POST", "path": "/items", **posted},
        {"method": "PUT", "path": "/blob", "headers": {"Content-Type": "image/png"}, "body": b"\x89PNG\x00\xff"},
        {"method": "HEAD", "path": "/", "headers": {"X-Forwarded-Proto": "http", "X-Forwarded-Port": "80"}},
        {"path": "/caf\u00e9/a b", "query": "x=caf%C3%A9"},
        {"path": "/a/", "headers": {"Host": "example.com:8443"}, "stage": "dev"},
        {"path": "/", "headers": {"Cookie": "a=1", "X-Empty": ""}, "source_ip": ""},
        {"path": "/", "authorizer": {"jwt": {"claims": {"sub": "user-42"}, "scopes": None}}},
    ]
    if source == "v1":
        more = [rest_event(**kind, stage="$default") for kind in kinds[:2]] + [http1_event(**kind) for kind in kinds]
        return [rest_event(**kind) for kind in kinds] + more + [rest_event(**kinds[0], host="api.example.com")]
    events = [http_event(**kind) for kind in kinds] + [url_event(**kind) for kind in kinds if "stage" not in kind]
    for event in events[:2]:  # AWS leaves the authorizer out when there is none; hand-made events send null
        nulled = json.loads(json.dumps(event))
        nulled["requestContext"]["authorizer"] = None
        events.append(nulled)
    return events


def _odd_shapes(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Shapes the JSON of ``_mutated`` cannot make, and values its table leaves out."""
    shapes = [
        {**event, "version": "1.0"},
        {**event, "rawQueryString": "a=\x01"},
        {**event, "rawQueryString": "a=\u00e9"},
    ]
    for key in ("headers", "multiValueHeaders", "requestContext"):
        if isinstance(event.get(key), dict):
            shapes.append({**event, key: _Map(event[key])})
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict) and multi:  # the query maps absent: REST's direct reading hands over to the checked one
        bare = {key: value for key, value in event.items() if "QueryString" not in key}
        shapes += [{**bare, "multiValueHeaders": {**multi, name: [_Text("x")]}} for name in multi]
    for key in ("http", "identity"):
        where = event.get("requestContext")
        if isinstance(where, dict) and isinstance(where.get(key), dict):
            shapes.append({**event, "requestContext": {**where, key: _Map(where[key])}})
    return shapes


# (field path, replacement) beyond test_translate's: the headers' names and values, one at a time
def _header_mutations(event: dict[str, Any], key: str) -> list[dict[str, Any]]:
    headers = event.get(key)
    if not isinstance(headers, dict) or not headers:
        return []
    multi = key == "multiValueHeaders"

    def value(text: object) -> object:
        return [text] if multi else text

    shapes = []
    for name, old in headers.items():
        for replacement in (None, 7, value(None), value(7), value("caf\u00e9"), value("a\nb"), value(""),
                            value(_Text("x")), ["a", "b"], (old,), tuple(old) if multi else old, "x", value("8443"),
                            value("HTTP"),
                            value("h.example:8443"), value("https, http")):  # fmt: skip
            shapes.append({**event, key: {**headers, name: replacement}})
        for other in (name.upper(), name.lower(), name.title(), name.replace("-", "_"), name + "\u00e9",
                      name + " ", "", name.replace("k", "\u212a")):  # fmt: skip  # KELVIN SIGN: lower() is "k"
            renamed = {other if each == name else each: each_value for each, each_value in headers.items()}
            shapes.append({**event, key: renamed})
            shapes.append({**event, key: {**headers, other: old}})  # two spellings, or one more name
    for name in ("Transfer-Encoding", "transfer-encoding", "X-Lambda-Event-Source", "x-lambda-event-source",
                 "content-length", "Content-Length", "cookie", "Host", "host", "x-forwarded-port",
                 "X-Forwarded-Proto", "x-forwarded-proto"):  # fmt: skip
        for text in ("chunked", "12", "", "http", "https", "80", "ex.com"):
            shapes.append({**event, key: {**headers, name: value(text)}})
            shapes.append({**event, key: {name: value(text), **headers}})
    return shapes


def _pipeline(module: Any, event: dict[str, Any], options: Any, context: Any) -> tuple[object, ...]:
    """What the environ path gives: the scope and body, or the error."""
    try:
        environ, body = module.to_request(event, options)
    except Exception as exc:
        return ("raised", type(exc).__name__)
    environ.pop("HTTP_X_LAMBDA_EVENT_SOURCE", None)  # as the pipeline does
    return ("read", to_scope(environ, {}, event, context), body)


@pytest.mark.parametrize("source", ["v1", "v2"])
def test_the_direct_reader_gives_the_environ_paths_scope_or_none(source: str) -> None:
    """For every recorded event, every builder event and each of their fields and headers mutated
    (absent, null, empty, another type, odd values, other spellings), the direct reader either
    declines (None) or gives exactly the scope and body of the environ path; it never takes an
    event that path refuses."""
    from lambda_adapter._events import apigw_v1, apigw_v2
    from lambda_adapter._options import Options
    from lambda_adapter.testing import LambdaContext
    from tests.conftest import load_event
    from tests.events.test_translate import DIRECT_FIELDS, REPLACEMENTS, _mutated, _recorded

    module: Any = apigw_v1 if source == "v1" else apigw_v2
    read = scope.PLAIN_READERS[source]
    fields = DIRECT_FIELDS[source] + (
        ["requestContext.identity.sourceIp", "multiValueHeaders.X-Forwarded-Proto", "headers.Content-Length"]
        if source == "v1"
        else ["headers.x-lambda-event-source", "cookies", "requestContext.authorizer.jwt.claims.sub"]
    )
    option_sets = [Options.from_keywords(keywords) for keywords in (
        {}, {"base_path": "/my"}, {"base_path": "/items"}, {"stage_in_url": True}, {"stage_in_url": False},
        {"base_path": "/items", "stage_in_url": False})]  # fmt: skip
    context = LambdaContext()
    events = [load_event(name) for name in _recorded(source)] + _built(source)
    direct = declined = 0
    for event in events:
        shapes = [event] + [_mutated(event, path, value) for path in fields for value in REPLACEMENTS]
        shapes += _odd_shapes(event) + _header_mutations(event, "multiValueHeaders" if source == "v1" else "headers")
        for shape in shapes:
            for options in option_sets:
                made = read(shape, options, context)
                if made is None:
                    declined += 1
                    continue
                direct += 1
                assert ("read", *made) == _pipeline(module, shape, options, context), shape
    assert direct > 20 * len(events) and declined > direct // 10, (direct, declined)


@pytest.mark.parametrize("source", ["v1", "v2"])
def test_the_plain_events_of_the_benchmark_are_read_directly(source: str) -> None:
    """The events ``benchmarks/`` measures (a browser's GET, as AWS sends it) take the direct reader."""
    from benchmarks._instructions_target import event
    from lambda_adapter._events import apigw_v1, apigw_v2
    from lambda_adapter._options import Options

    options, sent = Options.from_keywords({}), event(source)
    made = scope.PLAIN_READERS[source](sent, options, None)
    assert made is not None
    module: Any = apigw_v1 if source == "v1" else apigw_v2
    assert ("read", *made) == _pipeline(module, sent, options, None)


def test_plain_layouts_beyond_the_memo_are_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_adapter._events import apigw_v2
    from lambda_adapter.testing import http_event

    monkeypatch.setattr(scope, "_PLAIN", {})
    options = Options.from_keywords({})
    for count in range(scope._PLAIN_LIMIT + 5):
        event = http_event(path="/", headers={f"x-{index}": str(index) for index in range(count)})
        made = scope.v2_to_scope(event, options, None)
        assert made is not None and ("read", *made) == _pipeline(apigw_v2, event, options, None)
    assert len(scope._PLAIN) == scope._PLAIN_LIMIT


@pytest.mark.parametrize("source", ["v1", "v2"])
def test_a_header_value_of_a_str_subclass_is_declined(source: str) -> None:
    """The environ path's rules refuse it (a 400); the direct readers leave it to that path."""
    from lambda_adapter.testing import http_event, rest_event

    event = rest_event(headers={"X-A": "1"}) if source == "v1" else http_event(headers={"x-a": "1"})
    if source == "v1":
        event["multiValueHeaders"]["X-A"] = [_Text("1")]
    else:
        event["headers"]["x-a"] = _Text("1")
    options = Options.from_keywords({})
    assert scope.PLAIN_READERS[source](json.loads(json.dumps(event)), options, None) is not None
    assert scope.PLAIN_READERS[source](event, options, None) is None
