"""Drop-in for users of Mangum, apig-wsgi and serverless-wsgi (issue 15): their hand-made events,
their mock contexts and their habits work, through ``adapt()``'s public face, for WSGI and ASGI."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest
from fastapi import FastAPI
from flask import Flask

from lambda_adapter import UnsupportedEvent, adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, json_of, set_cookies_of, status_of
from tests.apps import LifespanApp, asgi_echo, wsgi_echo

HANDLERS = {"wsgi": adapt(wsgi_echo), "asgi": adapt(asgi_echo, lifespan="off")}


def seen_method_and_path(interface: str, result: dict[str, Any]) -> tuple[str, str]:
    seen = json_of(result)  # the path below the root (a stage in the URL is the root)
    return seen["method"], seen["path_info"] if interface == "wsgi" else seen["path"][len(seen["root_path"]) :]


# Hand-made events as users' test suites and console test events write them
HAND_MADE = {
    "the issue's REST event": {"httpMethod": "GET", "path": "/", "headers": {}, "body": ""},
    "REST, requestContext null": {"httpMethod": "GET", "path": "/a", "headers": {}, "body": "", "requestContext": None},
    "REST, no headers": {"httpMethod": "POST", "path": "/a", "body": "x"},
    "REST, everything optional null": {
        "httpMethod": "GET", "path": "/a", "resource": "/{proxy+}", "headers": None, "multiValueHeaders": None,
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "body": None,
        "isBase64Encoded": None, "requestContext": None, "pathParameters": None, "stageVariables": None,
    },
    "REST, method only in requestContext": {"resource": "/a", "path": "/a", "requestContext": {"httpMethod": "PUT"}},
    "REST as Mangum's tests write it": {
        "path": "/test/hello", "body": None, "resource": "/{proxy+}", "httpMethod": "GET",
        "headers": {"Host": "test.execute-api.us-west-2.amazonaws.com", "X-Forwarded-Proto": "https"},
        "requestContext": {"stage": "Prod", "identity": {"sourceIp": "192.168.100.1"}, "httpMethod": "GET"},
        "queryStringParameters": {"name": "me"}, "pathParameters": {"proxy": "hello"},
    },
    "HTTP API 2.0 without requestContext but http": {"version": "2.0", "rawPath": "/a",
                                                     "requestContext": {"http": {"method": "GET"}}},
    "HTTP API 2.0, headers and body null": {"version": "2.0", "rawPath": "/a", "headers": None, "body": None,
                                            "cookies": None, "requestContext": {"http": {"method": "DELETE"}}},
    "ALB, nothing but elb, method and path": {"requestContext": {"elb": {}}, "httpMethod": "GET", "path": "/a"},
}  # fmt: skip
EXPECTED = {
    "the issue's REST event": ("GET", "/"),
    "REST, no headers": ("POST", "/a"),
    "REST, method only in requestContext": ("PUT", "/a"),
    "REST as Mangum's tests write it": ("GET", "/test/hello"),
    "HTTP API 2.0, headers and body null": ("DELETE", "/a"),
}


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_events_with_parts_missing_or_null_are_answered(name: str, interface: str) -> None:
    result = HANDLERS[interface](json.loads(json.dumps(HAND_MADE[name])), LambdaContext())
    assert status_of(result) == 200, body_of(result)
    assert seen_method_and_path(interface, result) == EXPECTED.get(name, ("GET", "/a"))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"version": "2.0", "rawPath": "/"}, "looks like an HTTP API payload 2.0 / Lambda Function URL event "
                                             "but has no requestContext.http.method"),
        ({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": None}}}, "http.method"),
        ({"resource": "/a", "path": "/a"}, "looks like an API Gateway REST / HTTP API payload 1.0 event but has no "
                                           "httpMethod"),
        ({"requestContext": {"elb": {}}, "path": "/"}, "looks like an Application Load Balancer event but has no "
                                                       "httpMethod"),
        ({"raw_path": "/", "method": None}, "looks like a VPC Lattice payload 1.0 event but has no method"),
        ({"Records": [{"cf": {"config": {"eventType": "origin-request"}}}]}, "has no Records[0].cf.request"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)  # fmt: skip
def test_a_recognised_event_without_what_it_cannot_do_without_names_format_and_key(
    event: dict[str, Any], message: str
) -> None:
    for handler in HANDLERS.values():
        with pytest.raises(UnsupportedEvent) as caught:
            handler(event, LambdaContext())
        assert message in str(caught.value)


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize(
    "value", [b"bytes", 1, 1.5, True, ["a", "b"], {"a": "b"}], ids=lambda value: type(value).__name__
)
def test_a_header_value_that_is_not_a_string_is_a_400(interface: str, value: object) -> None:
    for format in ("rest", "http", "alb", "lattice1"):  # single-value header maps
        event = event_for(format, headers={"X-A": "a"})
        event.pop("multiValueHeaders", None)  # read instead of headers when there
        assert status_of(HANDLERS[interface](event, LambdaContext())) == 200  # the names are known now
        headers = event["headers"]
        headers[next(name for name in headers if name.lower() == "x-a")] = value
        result = HANDLERS[interface](event, LambdaContext())
        assert (status_of(result), body_of(result)) == (400, b"Bad Request"), format


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize(
    "values", [1, True, {"a": "b"}, [1], [b"bytes"], [["a"]], ["a", 1]], ids=lambda values: repr(values)
)
def test_a_multi_value_header_that_is_not_a_list_of_strings_is_a_400(interface: str, values: object) -> None:
    for format in ("rest", "alb"):  # multi-value header maps
        event = event_for(format, headers={"X-A": "a"})
        event["multiValueHeaders"] = {"Host": ["example.com"], "X-A": ["a"]}  # read instead of headers
        assert status_of(HANDLERS[interface](event, LambdaContext())) == 200  # the names are known now
        event["multiValueHeaders"]["X-A"] = values
        result = HANDLERS[interface](event, LambdaContext())
        assert (status_of(result), body_of(result)) == (400, b"Bad Request"), format


class MangumContext:
    """The shape of Mangum's own test context: its clock raises NotImplementedError."""

    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        raise NotImplementedError


class Attributes:
    def __init__(self, **values: Any) -> None:
        vars(self).update(values)


def _raises() -> int:
    raise RuntimeError("no clock")


CONTEXTS = {
    "None": None,
    "{}": {},
    "an object without attributes": object(),
    "no get_remaining_time_in_millis": Attributes(aws_request_id="r-1"),
    "Mangum's (raises NotImplementedError)": MangumContext(),
    "raising RuntimeError": Attributes(get_remaining_time_in_millis=_raises),
    "returning a str": Attributes(get_remaining_time_in_millis=lambda: "soon"),
    "returning None": Attributes(get_remaining_time_in_millis=lambda: None),
    "returning NaN": Attributes(get_remaining_time_in_millis=lambda: float("nan")),
}


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_a_context_of_any_shape_runs_the_request_without_a_deadline(name: str, interface: str) -> None:
    for format in ("rest", "http", "alb"):
        result = HANDLERS[interface](event_for(format, path="/x"), CONTEXTS[name])
        assert status_of(result) == 200, body_of(result)


def failing_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("boom")


async def failing_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("app", [failing_wsgi, failing_asgi], ids=["wsgi", "asgi"])
def test_without_a_request_id_the_log_says_dash(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    handler = adapt(app, lifespan="off")
    for context in (None, {}, MangumContext()):
        caplog.clear()
        assert status_of(handler(event_for("http"), context)) == 500
        expected = "00000000-0000-0000-0000-000000000000" if isinstance(context, MangumContext) else "-"
        assert f"failed (request {expected})" in caplog.text


def test_no_deadline_is_logged_at_debug_once_per_container() -> None:
    code = """if True:
        import logging, sys
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(message)s")
        from lambda_adapter import adapt
        from lambda_adapter.testing import event_for
        from tests.apps import wsgi_echo, asgi_echo
        for handler in (adapt(wsgi_echo), adapt(asgi_echo, lifespan="off")):
            for _ in range(3):
                assert handler(event_for("http"), None)["statusCode"] == 200
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if "no remaining time" in line]
    assert lines == ["DEBUG the Lambda context (NoneType) gives no remaining time: requests run without a deadline "
                     "guard"]  # fmt: skip


def cookie_app(count: int, name: str = "Set-Cookie") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *[(name, f"c{n}=v") for n in range(count)]])
        return [b"ok"]

    return app


@pytest.mark.parametrize("format", ["alb", "lattice1", "lattice2"])
def test_single_value_answers_carry_every_cookie_under_case_variants(
    format: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = adapt(cookie_app(3))(event_for(format), LambdaContext())
    assert result["headers"]["set-cookie"] == "c0=v"
    assert result["headers"]["Set-cookie"] == "c1=v"
    assert result["headers"]["sEt-cookie"] == "c2=v"
    assert set_cookies_of(result) == ["c0=v", "c1=v", "c2=v"]
    assert "dropped" not in caplog.text


def test_values_beyond_the_case_variants_of_a_name_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    result = adapt(cookie_app(5, "X-1"))(event_for("alb"), LambdaContext())  # "x-1": two spellings
    assert {name: value for name, value in result["headers"].items() if name.lower() == "x-1"} == {
        "x-1": "c0=v",
        "X-1": "c1=v",
    }
    assert "3 header value(s) dropped" in caplog.text


def test_a_lambda_at_edge_answer_with_two_cookies_keeps_both_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = adapt(cookie_app(2))(event_for("edge"), LambdaContext())
    assert set_cookies_of(result) == ["c0=v", "c1=v"]
    assert caplog.records == []


class ClassApp:
    """PEP 3333's class as an app: called per request, iterated for the body."""

    def __init__(self, environ: dict[str, Any], start_response: Any) -> None:
        start_response("200 OK", [("Content-Type", "text/plain")])

    def __iter__(self) -> Any:
        yield b"from a class"


@pytest.mark.parametrize("cls", [Flask, FastAPI], ids=lambda cls: cls.__name__)
def test_a_framework_class_instead_of_an_app_is_refused_at_adapt(cls: type) -> None:
    with pytest.raises(TypeError, match=f"adapt\\(\\) needs an app instance, got the class {cls.__name__} itself"):
        adapt(cls)
    with pytest.raises(TypeError, match="app instance"):
        adapt({"/api": cls})


def test_a_pep_3333_class_app_is_still_an_app() -> None:
    assert body_of(adapt(ClassApp)(event_for("http"), LambdaContext())) == b"from a class"


def test_lifespan_startup_that_raises_under_auto_is_a_warning_with_the_exception_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = LifespanApp(fail="raise")
    handler = adapt(app)
    with caplog.at_level(logging.DEBUG, logger="lambda_adapter"):
        for _ in range(3):
            assert status_of(handler(event_for("http"), LambdaContext())) == 200
    warnings = [record for record in caplog.records if "lifespan startup" in record.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is not None and "database unreachable" in caplog.text


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize("error", [KeyError("x"), TypeError("x"), AttributeError("x"), ValueError("x"), IndexError(0)],
                         ids=lambda error: type(error).__name__)  # fmt: skip
def test_a_translator_bug_is_the_adapters_500_with_the_traceback_never_a_400(
    interface: str, error: Exception, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lambda_adapter._events import apigw_v2
    from lambda_adapter._events.scope import PLAIN_READERS

    def broken(*args: Any) -> None:  # a bug in the translator, on a well-formed event (read twice: fast, checked)
        raise error

    monkeypatch.setattr(apigw_v2, "set_server", broken)  # the event has no X-Forwarded-Proto: the rule runs
    # an ASGI app's plain events are read straight into the scope: declined here, the event reaches to_request
    monkeypatch.setitem(PLAIN_READERS, "v2", lambda event, options, context: None)
    result = HANDLERS[interface](event_for("http"), LambdaContext(request_id="r-7"))
    assert (status_of(result), body_of(result)) == (500, b"Internal Server Error")
    [record] = [record for record in caplog.records if "a bug in lambda-adapter" in record.getMessage()]
    assert record.exc_info is not None and record.exc_info[1] is error
    assert "(request r-7)" in record.getMessage()


@pytest.mark.parametrize("interface", sorted(HANDLERS))
@pytest.mark.parametrize(("format", "translator"), [("http", "apigw_v2"), ("rest", "apigw_v1"), ("alb", "alb"),
                                                    ("edge", "edge")])  # fmt: skip
def test_an_answer_the_translator_fails_on_is_the_adapters_500_never_a_null_result(
    interface: str, format: str, translator: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import importlib

    module = importlib.import_module(f"lambda_adapter._events.{translator}")
    from_response = module.from_response
    error = ValueError("x")

    def broken(response: Any, *args: Any) -> Any:  # a bug in the translator, for the app's answer only
        if response.status == 200:
            raise error
        return from_response(response, *args)

    monkeypatch.setattr(module, "from_response", broken)
    handler = HANDLERS[interface]
    result = handler(event_for(format), LambdaContext(request_id="r-8"))
    assert (status_of(result), body_of(result)) == (500, b"Internal Server Error")
    [record] = [record for record in caplog.records if "a bug in lambda-adapter" in record.getMessage()]
    assert record.exc_info is not None and record.exc_info[1] is error
    assert "(request r-8)" in record.getMessage() and "the app's answer" in record.getMessage()
    monkeypatch.undo()  # the next invocation is answered as ever
    assert status_of(handler(event_for(format), LambdaContext())) == 200


@pytest.mark.parametrize("interface", sorted(HANDLERS))
def test_a_translator_that_fails_on_its_own_500_too_raises_its_error_never_a_null_result(
    interface: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_adapter._events import apigw_v2

    def broken(*args: Any) -> Any:  # a bug in the translator whatever the answer: nothing can be sent
        raise ValueError("x")

    monkeypatch.setattr(apigw_v2, "from_response", broken)
    with pytest.raises(ValueError, match="x"):  # Lambda reports the invocation's error; never a null result
        HANDLERS[interface](event_for("http"), LambdaContext())
