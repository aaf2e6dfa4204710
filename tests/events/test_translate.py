"""Every recorded HTTP event reaches a WSGI and an ASGI app as the event describes it.

The expected values are written out by hand from each event file, not computed by the code
under test.
"""

from __future__ import annotations

import json
import wsgiref.validate
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, http_event, rest_event, url_event
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import EVENTS, load_event

Q = "parameter1=value1&parameter1=value2&parameter2=value"
P1 = "parameter1=value1&parameter1=value2&parameter2=value"
HELLO = "Hello from Lambda!"
JSON_BODY = '{"test":"body"}'
# event: (method, root, path, query, client, body); body None means the event is refused with a 400
CASES: dict[str, tuple[str, str, str, str, str | None, str | None]] = {
    "awsdocs/alb-health-check.json": ("GET", "", "/", "", None, ""),
    "powertools/albEvent.json": ("GET", "", "/lambda", "query=1234ABCD", "72.12.164.125", "Test"),
    "powertools/albEventPathTrailingSlash.json": ("GET", "", "/lambda/", "query=1234ABCD", "72.12.164.125", "Test"),
    "powertools/albMultiValueHeadersEvent.json": ("GET", "", "/todos", "", "123.123.123.123", ""),
    "powertools/albMultiValueQueryStringEvent.json": ("GET", "", "/todos", P1, "123.123.123.123", ""),
    "sam/alb-request-get.json": ("GET", "", "/health", "query=1234ABCD", "72.12.164.125", ""),
    "sam/alb-request.json": ("POST", "", "/path/to/resource", "query=1234ABCD", "72.12.164.125", JSON_BODY),
    "powertools/apiGatewayProxyEvent.json": ("GET", "", "/my/path", P1, "192.168.0.1", HELLO),
    "powertools/apiGatewayProxyEventAnotherPath.json": ("GET", "", "/my/anotherPath", P1, "192.168.0.1", None),
    "powertools/apiGatewayProxyEventNoOrigin.json": ("GET", "", "/my/path", P1, "192.168.0.1", HELLO),
    "powertools/apiGatewayProxyEventPathTrailingSlash.json": ("GET", "", "/my/path/", P1, "192.168.0.1", None),
    "powertools/apiGatewayProxyEventPrincipalId.json": ("POST", "", "/trip", "", None, ""),
    "powertools/apiGatewayProxyEvent_noVersionAuth.json": ("GET", "", "/my/path", P1, "192.168.0.1", None),
    "powertools/apiGatewayProxyOtherEvent.json": ("GET", "", "/other/path", P1, "192.168.0.1", HELLO),
    "powertools/apigatewayeSchemaMiddlwareValidEvent.json": (
        "POST", "", "/my/path", P1, "192.168.0.1", '{"message": "hello world", "username": "lessa"}'),
    "sam/apigateway-aws-proxy-get-stage-dev.json": ("GET", "/dev", "/items/42", "foo=bar", "127.0.0.1", ""),
    "sam/apigateway-aws-proxy.json": ("POST", "/prod", "/path/to/resource", "foo=bar", "127.0.0.1", JSON_BODY),
    "powertools/apiGatewayProxyV2Event.json": (
        "POST", "", "/my/path", Q, "192.168.0.1", '{"message": "hello world", "username": "tom"}'),
    "powertools/apiGatewayProxyV2EventPathTrailingSlash.json": (
        "POST", "", "/my/path/", Q, "192.168.0.1", '{"message": "hello world", "username": "tom"}'),
    "powertools/apiGatewayProxyV2Event_GET.json": ("GET", "", "/my/path", Q, "192.168.0.1", ""),
    "powertools/apiGatewayProxyV2IamEvent.json": ("GET", "", "/my/path", Q, "192.168.0.1", '{\r\n\t"a": 1\r\n}'),
    "powertools/apiGatewayProxyV2LambdaAuthorizerEvent.json": (
        "GET", "", "/my/path", Q, "192.168.0.1", '{\r\n\t"a": 1\r\n}'),
    "powertools/apiGatewayProxyV2OtherGetEvent.json": ("GET", "", "/other/path", Q, "192.168.0.1", ""),
    "powertools/apiGatewayProxyV2SchemaMiddlwareValidEvent.json": (
        "POST", "", "/my/path", Q, "192.168.0.1", '{"message": "hello world", "username": "lessa"}'),
    "powertools/lambdaFunctionUrlEvent.json": ("GET", "", "/", "", "123.123.123.123", ""),
    "powertools/lambdaFunctionUrlEventPathTrailingSlash.json": (
        "POST", "", "/my/path/", Q, "123.123.123.123", "Hello from client!"),
    "powertools/lambdaFunctionUrlEventWithHeaders.json": ("GET", "", "/", "", "123.123.123.123", ""),
    "powertools/lambdaFunctionUrlIAMEvent.json": ("POST", "", "/my/path", Q, "123.123.123.123", "Hello from client!"),
    # synthetic: SAM leaves "/dev" out of rawPath, so there is no stage to move to the root
    "sam/apigateway-http-api-proxy-get-stage-dev.json": ("GET", "", "/items/42", Q, "192.168.0.1", ""),
    "sam/apigateway-http-api-proxy.json": ("POST", "", "/path/to/resource", Q, "192.168.0.1", JSON_BODY),
}  # fmt: skip


def _headers_of(event: dict[str, Any]) -> dict[str, str]:
    """The event's headers, lower-case names, each name's last value (what every source keeps)."""
    if event.get("multiValueHeaders"):
        return {k.lower(): v[-1] for k, v in event["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_wsgi_app_sees_what_the_event_describes(name: str) -> None:
    method, root, path, query, client, body = CASES[name]
    event = load_event(name)
    result = adapt(wsgiref.validate.validator(wsgi_echo))(event, LambdaContext())
    if body is None:
        assert result["statusCode"] == 400
        assert result["body"] == "Bad Request"
        return
    assert result["statusCode"] == 200
    seen = json.loads(result["body"])
    assert (seen["method"], seen["script_name"], seen["path_info"], seen["query"]) == (method, root, path, query)
    assert seen["remote_addr"] == client
    assert seen["body"] == body
    for header, value in _headers_of(event).items():
        if header in ("cookie", "content-length") or "_" in header:
            continue
        key = header.upper().replace("-", "_")
        key = key if key == "CONTENT_TYPE" else "HTTP_" + key
        assert seen["headers"][key].endswith(value), header
    if body:
        assert seen["headers"]["CONTENT_LENGTH"] == str(len(body.encode()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_asgi_app_sees_what_the_event_describes(name: str) -> None:
    method, root, path, query, client, body = CASES[name]
    event = load_event(name)
    result = adapt(asgi_echo, lifespan="off")(event, LambdaContext())
    if body is None:
        assert result["statusCode"] == 400
        return
    seen = json.loads(result["body"])
    assert (seen["method"], seen["root_path"], seen["path"], seen["query"]) == (method, root, root + path, query)
    assert seen["raw_path"] == root + path
    assert seen["client"] == ([client, 0] if client else None)
    assert seen["body"] == body
    assert seen["has_event"]
    names = [name for name, _ in seen["headers"]]
    assert names == [n.lower() for n in names], "ASGI header names are lower-case"
    headers = dict(seen["headers"])
    for header, value in _headers_of(event).items():
        if header not in ("cookie", "content-length"):
            assert headers[header].endswith(value), header


def test_cookies_of_v2_become_one_cookie_header() -> None:
    event = load_event("powertools/apiGatewayProxyV2Event.json")
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["headers"]["HTTP_COOKIE"] == "cookie1; cookie2"


def test_multi_value_headers_win_over_single_values() -> None:
    event = load_event("powertools/apiGatewayProxyEvent.json")  # headers.Header2 is the last value only
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["headers"]["HTTP_HEADER2"] == "value1, value2"


def test_alb_client_is_the_last_forwarded_entry_not_the_client_written_first() -> None:
    event = load_event("powertools/albMultiValueHeadersEvent.json")
    event["multiValueHeaders"]["x-forwarded-for"] = ["6.6.6.6, 10.0.0.1", "123.123.123.123"]
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["remote_addr"] == "123.123.123.123"


def test_principal_reaches_remote_user() -> None:
    event = load_event("powertools/apiGatewayProxyEventPrincipalId.json")
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["remote_user"] == event["requestContext"]["authorizer"]["principalId"]


def test_jwt_subject_reaches_remote_user_and_no_claim_means_none() -> None:
    event = http_event(authorizer={"jwt": {"claims": {"sub": "user-42"}, "scopes": None}})
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["remote_user"] == "user-42"
    event = load_event("powertools/apiGatewayProxyV2Event.json")  # claims without sub
    assert json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])["remote_user"] is None


def test_a_client_header_cannot_pose_as_remote_user() -> None:
    event = http_event(headers={"Remote-User": "admin", "X_Forwarded_For": "6.6.6.6"})
    seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
    assert seen["remote_user"] is None
    assert "HTTP_X_FORWARDED_FOR" not in seen["headers"]


def test_alb_health_check_is_plain_http_on_port_80() -> None:
    seen = json.loads(adapt(wsgi_echo)(load_event("awsdocs/alb-health-check.json"), LambdaContext())["body"])
    assert seen["scheme"] == "http"
    assert seen["server"] == ["localhost", "80"]


# (header map of a v2 event, what the app sees as HTTP_* / CONTENT_*): two spellings of a name are
# joined (", ", "; " for Cookie), nulls and names with "_" left out, the order of the event kept
SINGLE_VALUE_HEADERS = [
    ({"Host": "a", "host": "b"}, {"HTTP_HOST": "a, b"}),
    ({"Cookie": "a=1", "cookie": "b=2"}, {"HTTP_COOKIE": "a=1; b=2"}),
    ({"X-A": "1", "X-B": None, "X_C": "3", "x-a": "4"}, {"HTTP_X_A": "1, 4"}),
    ({"Content-Type": "text/plain", "X-Caf\u00e9": None, "X-Name": "caf\u00e9"},
     {"CONTENT_TYPE": "text/plain", "HTTP_X_NAME": "caf\u00e9".encode().decode("latin-1")}),
]  # fmt: skip
MULTI_VALUE_HEADERS = [
    ({"Host": ["a"], "host": ["b", "c"]}, {"HTTP_HOST": "a, b, c"}),
    ({"Cookie": ["a=1", "c=3"], "cookie": ["b=2"]}, {"HTTP_COOKIE": "a=1; c=3; b=2"}),
    ({"X-A": ["1"], "X-B": None, "X_C": ["3"], "X-D": "as a string", "x-a": ["4"]},
     {"HTTP_X_A": "1, 4", "HTTP_X_D": "as a string"}),
]  # fmt: skip


@pytest.mark.parametrize("headers, expected", SINGLE_VALUE_HEADERS)
def test_two_spellings_of_a_header_name_are_joined(headers: dict[str, Any], expected: dict[str, str]) -> None:
    for _ in range(2):  # the first event of a name and a later one take different paths: both the same
        event = http_event(path="/")
        event["headers"] = headers
        seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
        assert {k: v for k, v in seen["headers"].items() if k != "CONTENT_LENGTH"} == expected


@pytest.mark.parametrize("headers, expected", MULTI_VALUE_HEADERS)
def test_two_spellings_of_a_multi_value_header_name_are_joined(
    headers: dict[str, Any], expected: dict[str, str]
) -> None:
    for _ in range(2):
        event = load_event("powertools/apiGatewayProxyEvent.json")
        event["multiValueHeaders"] = headers
        seen = json.loads(adapt(wsgi_echo)(event, LambdaContext())["body"])
        assert {k: v for k, v in seen["headers"].items() if k != "CONTENT_LENGTH"} == expected


# --- the direct reading of the shape AWS sends agrees with the checked reading ---------------------

# each field the direct reading of REST (v1) and HTTP API 2.0 (v2) events reads, as a path of keys
DIRECT_FIELDS = {
    "v1": ["requestContext", "httpMethod", "path", "requestContext.domainName", "requestContext.stage",
           "requestContext.identity", "requestContext.identity.sourceIp", "body", "isBase64Encoded", "headers",
           "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "version",
           "requestContext.authorizer", "requestContext.authorizer.principalId", "headers.Host",
           "multiValueHeaders.Host", "requestContext.httpMethod"],
    "v2": ["requestContext", "requestContext.http", "requestContext.http.method", "requestContext.http.sourceIp",
           "requestContext.http.path", "requestContext.domainName", "requestContext.stage", "rawPath",
           "rawQueryString", "isBase64Encoded", "body", "headers", "cookies", "queryStringParameters",
           "requestContext.authorizer", "requestContext.authorizer.jwt", "headers.host", "headers.x-forwarded-proto",
           "headers.x-forwarded-port", "headers.cookie", "headers.transfer-encoding", "headers.content-length"],
}  # fmt: skip
_ABSENT = object()
REPLACEMENTS = [_ABSENT, None, "", "/x y", 7, [], ["a", "b"], {}, {"x": 1}, True, "caf\u00e9", "http", "8443",
                "h.example:8443", "/a%2Fb", ["a=1", ""], ["c=\u00e9"], "1.2.3.4/32", "prod"]  # fmt: skip


# REST (v1) parts set whole, as AWS sends them or as hand-made events get them wrong: headers and
# multiValueHeaders disagreeing, repeats, the query maps disagreeing, the stage in the path, a custom
# domain, null parts
REST_SHAPES: list[tuple[str, object]] = [
    ("multiValueHeaders.Accept", ["a", "b"]), ("headers.Accept", "not the last value"),
    ("multiValueHeaders.Accept", {"a": ["b"]}), ("multiValueHeaders.Accept", "x"), ("multiValueHeaders.Accept", [None]),
    ("multiValueHeaders.Accept", ["caf\u00e9"]), ("multiValueHeaders.accept", ["twice"]),
    ("multiValueHeaders.Cookie", ["a=1", "b=2"]), ("multiValueHeaders.X_Under", ["x"]),
    ("multiValueHeaders.X-Forwarded-Proto", ["http"]), ("multiValueHeaders.X-Forwarded-Proto", ["http, https"]),
    ("multiValueHeaders.X-Forwarded-Port", ["8443"]), ("multiValueHeaders.X-Forwarded-Port", None),
    ("multiValueHeaders.Host", ["h.example:8443"]), ("multiValueHeaders.Host", ["[::1]"]),
    ("multiValueHeaders.Transfer-Encoding", ["chunked"]), ("multiValueHeaders.Content-Length", ["99"]),
    ("multiValueHeaders", {"Host": ["h.example"]}), ("headers", {"Host": "h.example"}),
    ("multiValueQueryStringParameters", {"a": ["1", "2"], "b c": ["d&e=f"], "g": []}),
    ("multiValueQueryStringParameters", {"a": "1", "b": None}), ("multiValueQueryStringParameters", {"a": [1]}),
    ("multiValueQueryStringParameters", {"\u00e9=": ["\u2713 +%"]}), ("queryStringParameters", {"x": "y z"}),
    ("path", "/prod/items/42"), ("path", "items"), ("path", "/%E2%9C%93"), ("path", "/caf\u00e9"), ("path", "/a b"),
    ("requestContext.domainName", "api.example.com"), ("requestContext.domainName", "localhost:3000"),
    ("requestContext.stage", "$default"), ("requestContext.stage", "a b"), ("requestContext.stage", "v1/beta"),
    ("version", "1.0"), ("version", None), ("requestContext.identity.sourceIp", "::1"),
    ("requestContext.authorizer", {"principalId": "me"}), ("requestContext.authorizer", {"claims": {"sub": "s"}}),
    ("requestContext.authorizer", {"principalId": ""}), ("body", "eyJhIjoxfQ=="), ("body", "\u00e9"),
]  # fmt: skip


def _built(source: str) -> list[dict[str, Any]]:
    """Events as AWS sends them, besides the recorded ones (which mostly carry ``version``); for
    HTTP API 2.0, one as test tools write it too (null where AWS leaves a key out)."""
    browser = {"Accept": "text/html", "Cookie": "a=1; b=2", "X-Forwarded-For": "203.0.113.7",
               "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https", "User-Agent": "Mozilla/5.0"}  # fmt: skip
    if source == "v2":
        nulled = http_event(path="/", headers=browser)
        nulled["queryStringParameters"] = nulled["body"] = nulled["requestContext"]["authorizer"] = None
        return [
            http_event(path="/items/42", query="page=2&q=a%20b", headers=browser),
            url_event(method="POST", path="/x/", body=b"\x00\xff", binary=True, headers=browser),
            nulled,
        ]
    return [
        rest_event(path="/items/42", query="page=2&q=a%20b", headers=browser),  # the stage in the client's URL
        rest_event(path="/", query="a=1&a=2&b=", headers=browser, host="api.example.com"),  # a custom domain
        rest_event(method="POST", path="/x/", body=b"\x00\xff", binary=True, stage="$default", headers=browser),
        rest_event(path="/a", headers=browser, authorizer={"principalId": "me", "claims": {"sub": "s"}}),
    ]


def _recorded(source: str) -> list[str]:
    from lambda_adapter._events import detect

    names = [str(path.relative_to(EVENTS)) for path in sorted(EVENTS.rglob("*.json"))]
    return [name for name in names if _detected(detect, load_event(name)) == source]


def _detected(detect: Any, event: Any) -> str | None:
    try:
        return str(detect(event))
    except Exception:
        return None


def _mutated(event: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    copy = json.loads(json.dumps(event))
    *parents, last = path.split(".")
    node = copy
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        if value is _ABSENT:
            node.pop(last, None)
        else:
            node[last] = value
    return copy


def _outcome(read: Any, event: dict[str, Any], options: Any) -> tuple[object, ...]:
    try:
        return ("read", read(event, options))
    except Exception as exc:  # the error, by type and message
        return ("raised", type(exc), str(exc))


@pytest.mark.parametrize("source", ["v1", "v2"])
def test_the_direct_reading_agrees_with_the_checked_reading_on_every_shape(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``to_request`` reads the shape AWS sends directly and hands any other to ``checked_request``:
    for each recorded event and each of its fields absent, null, empty or of another type, both
    give the same environ, or the same error. What it writes in for the plain case (the header loop,
    ``set_server``, ``set_path``, ``set_request``) is taken for many shapes, the events AWS sends among them."""
    from lambda_adapter._events import apigw_v1, apigw_v2
    from lambda_adapter._options import Options

    module: Any = apigw_v1 if source == "v1" else apigw_v2
    checked_request = module.checked_request
    called: list[str] = []  # the helpers to_request called, checked_request among them

    def counted(name: str, helper: Any) -> Any:
        def call(*args: Any) -> Any:
            called.append(name)
            return helper(*args)

        return call

    helpers = ("checked_request", "set_server", "set_path", "set_request", "environ_from_event_headers")
    for name in helpers:
        if hasattr(module, name):
            monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    names = _recorded(source)
    assert len(names) >= 5, names
    option_sets = [Options.from_keywords({}), Options.from_keywords({"base_path": "/my", "stage_in_url": True})]
    if source == "v1":
        option_sets.append(Options.from_keywords({"stage_in_url": False}))
    direct = written_in = 0
    for event in [load_event(name) for name in names] + _built(source):
        shapes = [event] + [_mutated(event, path, value) for path in DIRECT_FIELDS[source] for value in REPLACEMENTS]
        shapes += [_mutated(event, path, value) for path, value in REST_SHAPES if source == "v1"]
        for shape in shapes:
            for options in option_sets:
                called.clear()
                read = _outcome(module.to_request, shape, options)
                direct += "checked_request" not in called
                written_in += not called
                assert read == _outcome(checked_request, shape, options), shape
    assert direct > 20 * len(names)  # many shapes, the recorded events among them, were read directly
    assert written_in > 10 * len(names)  # and many with no helper at all
    for event in _built(source):  # the events AWS sends take no helper
        called.clear()
        module.to_request(event, option_sets[0])
        assert not called, event


class _Text(str):
    pass


class _Object(dict):  # type: ignore[type-arg]
    pass


def _subclassed(event: dict[str, Any], path: str) -> dict[str, Any]:
    """``event`` with the part at ``path`` made an instance of a str or dict subclass (hand-made events)."""
    copy = json.loads(json.dumps(event))
    *parents, last = path.split(".")
    node = copy
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and last in node:
        value = node[last]
        node[last] = _Text(value) if isinstance(value, str) else _Object(value) if isinstance(value, dict) else value
    return copy


@pytest.mark.parametrize("source", ["v1", "v2"])
def test_subclasses_of_str_and_dict_get_one_outcome_whatever_came_before(source: str) -> None:
    """A hand-made event may hold a str or dict subclass: the direct reading and the checked reading
    give the same outcome for it, and so does the direct reading before and after the header names
    are known (the header loops' memo must not decide whether an event is refused)."""
    from lambda_adapter._events import apigw_v1, apigw_v2, cgi
    from lambda_adapter._options import Options

    module: Any = apigw_v1 if source == "v1" else apigw_v2
    options = Options.from_keywords({})
    events = [load_event(name) for name in _recorded(source)] + _built(source)
    paths = DIRECT_FIELDS[source] + ["multiValueHeaders.Accept", "headers.Accept", "headers.accept"]
    for event in events:
        for path in paths:
            shape = _subclassed(event, path)
            known = dict(cgi._CGI_KEYS)
            cgi._CGI_KEYS.clear()  # no name seen yet: the loops take their rules
            first = _outcome(module.to_request, shape, options)
            cgi._CGI_KEYS.update(known)
            assert _outcome(module.to_request, shape, options) == first, (path, shape)
            assert _outcome(module.checked_request, shape, options) == first, (path, shape)
