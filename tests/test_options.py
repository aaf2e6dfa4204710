"""``adapt()``'s options: each checked at ``adapt()`` on its own, refused where it cannot apply,
renamed ones still working for a release with a DeprecationWarning; ``exclude_headers``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_adapter import adapt, websocket
from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, headers_of, url_event
from tests.apps import asgi_echo, wsgi_echo

STORE = websocket.MemoryStore()


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"interface": "rsgi"}, ValueError, "interface must be one of"),
        ({"interface": 3}, TypeError, "interface must be one of"),
        ({"lifespan": "maybe"}, ValueError, "lifespan must be one of"),
        ({"streaming": "yes"}, ValueError, "streaming must be one of"),
        ({"base_path": "api"}, ValueError, "base_path must be an ASCII path"),
        ({"base_path": 3}, TypeError, "base_path must be a str"),
        ({"text_mime_types": "text/csv"}, TypeError, "text_mime_types must be a list"),
        ({"text_mime_types": ["csv"]}, ValueError, "no media type"),
        ({"exclude_headers": "server"}, TypeError, "exclude_headers must be a list of header names"),
        ({"exclude_headers": [b"server"]}, TypeError, "header names are str"),
        ({"exclude_headers": [None]}, TypeError, "header names are str"),
        ({"exclude_headers": ["x server"]}, ValueError, "no HTTP header name"),
        ({"exclude_headers": [""]}, ValueError, "no HTTP header name"),
        ({"stage_in_url": "yes"}, TypeError, "stage_in_url must be True, False or None"),
        ({"eager_startup": 1}, TypeError, "eager_startup must be True or False"),
        ({"deadline_margin": "1"}, TypeError, "deadline_margin must be a number"),
        ({"deadline_margin": -0.1}, ValueError, "deadline_margin must be seconds from 0 up to 900"),
        ({"deadline_margin": 900.5}, ValueError, "deadline_margin must be seconds from 0 up to 900"),
        ({"events": ["sqs"]}, TypeError, "events must map sources"),
        ({"events": {"sqs": 3}}, ValueError, r"events\['sqs'\] must be a callable or a route"),
        ({"events": {"smtp": "/x"}}, ValueError, "unknown source 'smtp'"),
        ({"answer_warm_pings": "yes"}, TypeError, "answer_warm_pings must be True, False or a callable"),
        ({"fallback": 3}, TypeError, "fallback must be an origin URL"),
        ({"fallback_timeout": 5}, ValueError, "fallback_timeout applies to a fallback origin"),
        ({"connection_store": object()}, TypeError, "connection_store must be a ConnectionStore"),
        ({"websocket_endpoint": 3}, TypeError, "websocket_endpoint must be an http"),
        ({"websocket_endpoint": "ftp://x"}, ValueError, "websocket_endpoint must be an http"),
        ({"websocket_path": 3}, TypeError, "websocket_path must be a str"),
        ({"websocket_path": "ws"}, ValueError, "websocket_path must be an ASCII path"),
        ({"init_requests": "/"}, TypeError, "init_requests must be a list"),
        ({"init_requests": ["get /"]}, ValueError, "an init request is"),
        ({"binary": True}, TypeError, "unknown options: binary"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_option_is_checked_at_adapt_time_naming_it(options: dict[str, Any], error: type, words: str) -> None:
    with pytest.raises(error, match=f"adapt\\(\\).*{words}"):
        adapt(wsgi_echo, **options)


@pytest.mark.parametrize(
    ("app", "options", "words"),
    [
        (wsgi_echo, {"lifespan": "on"}, "lifespan='on' applies to ASGI apps"),
        (wsgi_echo, {"eager_startup": True}, "eager_startup=True applies to ASGI apps"),
        ({"/a": wsgi_echo}, {"eager_startup": True}, "eager_startup=True applies to ASGI apps"),
        ({"/a": asgi_echo}, {"streaming": "on"}, "streaming='on' applies to one app"),
        ({"/a": wsgi_echo}, {"connection_store": STORE}, "connection_store applies to one app"),
        ({"/a": wsgi_echo}, {"websocket_endpoint": "https://x"}, "websocket_endpoint applies to one app"),
        ({"/a": wsgi_echo}, {"websocket_path": "/ws"}, "websocket_path applies to one app"),
        (wsgi_echo, {"fallback": "https://legacy.example.com"}, "a fallback origin takes the paths no app is mounted"),
    ],
)
def test_options_that_cannot_apply_are_refused(app: Any, options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=f"adapt\\(\\): .*{words}"):
        adapt(app, **options)


def test_options_that_apply_to_one_of_the_mounted_apps_are_taken() -> None:
    handler = adapt({"/a": wsgi_echo, "/b": asgi_echo}, eager_startup=True)
    assert handler.options.eager_startup is True


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [("warmup", "init_requests", ["/"]), ("warm_pings", "answer_warm_pings", False)],
)
def test_renamed_options_work_for_a_release_with_a_deprecation_warning(old: str, new: str, value: Any) -> None:
    with pytest.warns(DeprecationWarning, match=f"adapt\\({old}=...\\) is now adapt\\({new}=...\\)"):
        handler = adapt(wsgi_echo, **{old: value})
    expected = (("GET", "/"),) if new == "init_requests" else value
    assert getattr(handler.options, new) == expected
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match=f"both {old} and {new}"):
        adapt(wsgi_echo, **{old: value, new: value})


def test_no_options_is_the_default_handler_and_options_are_frozen() -> None:
    handler = adapt(wsgi_echo)
    assert handler(event_for("http"), LambdaContext())["statusCode"] == 200
    with pytest.raises(AttributeError, match="immutable"):
        handler.options.base_path = "/x"  # type: ignore[misc]


# -- exclude_headers -------------------------------------------------------------------------------


def noisy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Server", "gunicorn"), ("X-Powered-By", "me"), ("Content-Type", "text/plain")])
    return [b"body"]


async def noisy_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"server", b"uvicorn"), (b"x-powered-by", b"me"), (b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"body"})


@pytest.mark.parametrize("source", [name for name in FORMATS if name != "websocket"])
@pytest.mark.parametrize("app", [noisy, noisy_asgi], ids=["wsgi", "asgi"])
def test_excluded_headers_leave_every_answer_of_every_source(app: Any, source: str) -> None:
    handler = adapt(app, exclude_headers=["SERVER", "x-powered-by"])
    result = handler(event_for(source), LambdaContext())
    assert set(headers_of(result)) == {"content-type"}
    assert body_of(result) == b"body"


@pytest.mark.parametrize("app", [noisy, noisy_asgi], ids=["wsgi", "asgi"])
def test_excluded_headers_leave_a_streamed_answer_too(app: Any) -> None:
    written: list[bytes] = []
    adapt(app, exclude_headers=["Server", "X-Powered-By"]).stream(url_event(), LambdaContext(), written.append)
    prelude = json.loads(written[0][:-8])
    assert set(prelude["headers"]) == {"content-type"}
