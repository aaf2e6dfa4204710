"""Mounting several apps behind one handler: prefix resolution, mixed WSGI and ASGI, URLs inside each app."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from lambda_adapter import adapt
from lambda_adapter._migrate.mount import checked_prefixes, resolve
from lambda_adapter.testing import LambdaContext, body_of, event_for, headers_of, json_of, status_of
from tests.apps import LifespanApp, asgi_echo, wsgi_echo

PREFIXES = ["/api/v2", "/api", "/caf\xc3\xa9", ""]  # longest first; the third is "/café" as PATH_INFO has it


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("/api/v2/items", "/api/v2"),
        ("/api/v2", "/api/v2"),
        ("/api/v2/", "/api/v2"),
        ("/api/v20", "/api"),  # whole segments only
        ("/api", "/api"),
        ("/api/", "/api"),
        ("/apis", ""),
        ("/caf\xc3\xa9/menu", "/caf\xc3\xa9"),
        ("/", ""),
        ("", ""),
    ],
)
def test_longest_whole_segment_prefix_wins(path: str, prefix: str) -> None:
    index = resolve(PREFIXES, path)
    assert index is not None
    assert PREFIXES[index] == prefix


def test_without_a_root_mount_other_paths_resolve_to_nothing() -> None:
    assert resolve(["/api"], "/other") is None
    assert resolve(["/api"], "/ap") is None


def test_prefixes_are_normalised_and_sorted_whatever_the_order_given() -> None:
    mounts = checked_prefixes({"/": wsgi_echo, "/api/": asgi_echo, "/api/v2": wsgi_echo, "/café": wsgi_echo})
    assert [prefix for prefix, _ in mounts] == ["/api/v2", "/caf\xc3\xa9", "/api", ""]


@pytest.mark.parametrize(
    ("mounts", "error", "message"),
    [
        ({}, ValueError, "empty"),
        ({"api": wsgi_echo}, ValueError, "must be a plain path"),
        ({"/api?x=1": wsgi_echo}, ValueError, "must be a plain path"),
        ({"/caf%C3%A9": wsgi_echo}, ValueError, "must be a plain path"),
        ({1: wsgi_echo}, ValueError, "must be a plain path"),
        ({"/api": wsgi_echo, "/api/": asgi_echo}, ValueError, "same prefix"),
        ({"/api": "not an app"}, TypeError, "not an app"),
    ],
)
def test_bad_mounts_are_refused_at_adapt_time(mounts: dict[Any, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        adapt(mounts)


MIXED = {"/": wsgi_echo, "/api/v2": asgi_echo}


@pytest.mark.parametrize("format", ["rest", "http", "url", "alb"])
def test_wsgi_and_asgi_apps_mixed_each_see_their_prefix_as_root(format: str) -> None:
    handler = adapt(MIXED)
    stage_root = "/prod" if format == "rest" else ""
    asgi = json_of(handler(event_for(format, path="/api/v2/items", query="a=1"), LambdaContext()))
    assert asgi["root_path"] == stage_root + "/api/v2"
    assert asgi["path"] == stage_root + "/api/v2/items"
    assert asgi["query"] == "a=1"
    wsgi = json_of(handler(event_for(format, path="/api/v20/items"), LambdaContext()))
    assert (wsgi["script_name"], wsgi["path_info"]) == (stage_root, "/api/v20/items")


def test_the_prefix_alone_leaves_an_empty_path_as_a_cgi_server_would() -> None:
    handler = adapt({"/legacy": wsgi_echo, "/": asgi_echo})
    seen = json_of(handler(event_for("http", path="/legacy"), LambdaContext()))
    assert (seen["script_name"], seen["path_info"]) == ("/legacy", "")


def test_a_path_no_app_takes_is_a_404_without_a_fallback() -> None:
    handler = adapt({"/api": wsgi_echo})
    result = handler(event_for("http", path="/elsewhere"), LambdaContext())
    assert status_of(result) == 404
    assert body_of(result) == b"Not Found"


def test_each_asgi_app_gets_its_own_lifespan_once_per_container() -> None:
    first, second = LifespanApp(), LifespanApp()
    handler = adapt({"/one": first, "/two": second, "/": wsgi_echo})
    for _ in range(3):
        for prefix in ("/one", "/two"):
            assert body_of(handler(event_for("http", path=f"{prefix}/x"), LambdaContext())) == b"hello #1 1"
    assert (first.startups, second.startups) == (1, 1)


def test_one_app_mounted_at_two_prefixes_is_one_app_with_one_lifespan() -> None:
    app = LifespanApp()
    handler = adapt({"/api": app, "/api/v1": app, "/": wsgi_echo})
    for path in ("/api/x", "/api/v1/x", "/api/x"):
        assert body_of(handler(event_for("http", path=path), LambdaContext())) == b"hello #1 1"
    assert app.startups == 1


def test_an_event_route_under_no_mounted_app_is_refused_at_adapt_time() -> None:
    with pytest.raises(ValueError, match="events route '/tasks' is under no mounted app"):
        adapt({"/api": wsgi_echo}, events={"sqs": "/tasks"})
    assert adapt({"/api": wsgi_echo}, events={"sqs": "/api/tasks"})  # under a mount
    assert adapt({"/api": wsgi_echo}, events={"sqs": "/tasks"}, fallback="http://127.0.0.1:9")  # to the origin


def test_a_fallback_behind_a_root_mount_or_a_single_app_is_refused() -> None:
    with pytest.raises(ValueError, match="never be used"):
        adapt({"/": wsgi_echo}, fallback="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="mount apps by prefix"):
        adapt(wsgi_echo, fallback="http://127.0.0.1:9")


@pytest.mark.parametrize("format", ["rest", "http", "alb"])
def test_urls_generated_inside_each_mounted_sample_lead_back_to_it(
    flask_sample: Any, fastapi_sample: Any, django_sample: Any, format: str
) -> None:
    handler = adapt({"/": flask_sample.app, "/api/v2": fastapi_sample.app, "/legacy": django_sample.application})
    root = "/prod" if format == "rest" else ""
    fastapi = json_of(handler(event_for(format, path="/api/v2/products"), LambdaContext()))
    assert urlsplit(fastapi["url"]).path == f"{root}/api/v2/products"
    flask = json_of(handler(event_for(format, path="/products"), LambdaContext()))
    assert flask["url"] == f"{root}/products"
    redirect = handler(event_for(format, path="/legacy/go"), LambdaContext())
    assert status_of(redirect) in (301, 302, 303)
    assert urlsplit(headers_of(redirect)["location"][0]).path == f"{root}/legacy/api/items"
