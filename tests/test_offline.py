"""Conformance to a peer emulator: the same requests through serverless-offline and through ``serve``.

serverless@3 + serverless-offline@13 (pinned in tests/node) run tests/node/serverless.yml: a REST API
(``http`` events, stage ``dev`` in the URL) and an HTTP API (``httpApi`` events, no stage) in front of
tests/node/echo_app.py, whose app answers with what it saw. serverless-offline 13 runs Python handlers
with ``python3`` from PATH, putting ``$VIRTUAL_ENV/bin`` first: VIRTUAL_ENV is this interpreter's prefix.
The app must see the same method, root, path, query, headers, body and client either way; where
serverless-offline legitimately differs from AWS the test says so.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import ROOT, free_port, run_server, serving

NODE = ROOT / "tests" / "node"
SERVERLESS = NODE / "node_modules" / "serverless" / "bin" / "serverless.js"
BINARY = bytes(range(256))
REQUESTS: list[tuple[str, str, list[tuple[str, str]], bytes]] = [
    ("GET", "/items?limit=2&tag=a&tag=b", [("Accept-Language", "en-GB")], b""),
    ("GET", "/caf%C3%A9/x?q=a%20b&r=%2B", [("X-Custom", "1")], b""),
    ("POST", "/form", [("Content-Type", "application/x-www-form-urlencoded")], b"name=ada&city=K%C3%B6ln"),
    ("PUT", "/doc", [("Content-Type", "application/json"), ("X-Custom", "2")], b'{"a": [1, 2]}'),
    ("DELETE", "/doc/7", [("Accept-Language", "de")], b""),
    ("POST", "/bytes", [("Content-Type", "application/octet-stream")], BINARY),
]
IDS = [f"{method} {target}" for method, target, _, _ in REQUESTS]


@pytest.fixture(scope="module")
def offline() -> Iterator[str]:
    node = shutil.which("node")
    if node is None or not SERVERLESS.exists():
        pytest.fail("serverless-offline needs node and `npm ci --prefix tests/node` (bash tasks.sh test runs it)")
    port = free_port()
    command = [node, str(SERVERLESS), "offline", "start", "--host", "127.0.0.1", "--httpPort", str(port),
               "--lambdaPort", str(free_port()), "--websocketPort", str(free_port())]  # fmt: skip
    env = {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "VIRTUAL_ENV": sys.prefix}
    yield from run_server(command, cwd=NODE, port=port, env=env, base=f"http://127.0.0.1:{port}", timeout=120)


@pytest.fixture(scope="module")
def served_rest() -> Iterator[str]:
    with serving("echo_app:handler", cwd=NODE, format="rest", stage="dev") as base:
        yield base


@pytest.fixture(scope="module")
def served_http() -> Iterator[str]:
    with serving("echo_app:handler", cwd=NODE, format="http") as base:
        yield base


def seen(url: str, method: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    answer = httpx.request(method, url, headers=[("Cookie", "a=1; b=2"), *headers], content=body, timeout=60)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def without_scheme(offline_view: dict[str, Any], serve_view: dict[str, Any]) -> None:
    """serverless-offline adds no X-Forwarded-Proto, so the app takes API Gateway's https; ``serve`` says
    http, the scheme the local client used (absolute URLs the app builds then work locally)."""
    assert (offline_view.pop("scheme"), serve_view.pop("scheme")) == ("https", "http")


@pytest.mark.parametrize(("method", "target", "headers", "body"), REQUESTS, ids=IDS)
def test_rest_api_requests_reach_the_app_alike(offline: str, served_rest: str, method: str, target: str,
                                               headers: list[tuple[str, str]], body: bytes) -> None:  # fmt: skip
    through_offline = seen(f"{offline}/dev{target}", method, headers, body)
    through_serve = seen(f"{served_rest}{target}", method, headers, body)
    without_scheme(through_offline, through_serve)
    assert through_serve == through_offline
    assert through_serve["root"] == "/dev" and through_serve["client"] == "127.0.0.1"


@pytest.mark.parametrize(("method", "target", "headers", "body"), REQUESTS, ids=IDS)
def test_http_api_requests_reach_the_app_alike(offline: str, served_http: str, method: str, target: str,
                                               headers: list[tuple[str, str]], body: bytes) -> None:  # fmt: skip
    through_offline = seen(f"{offline}/h{target}", method, headers, body)
    through_serve = seen(f"{served_http}/h{target}", method, headers, body)
    # serverless-offline leaves the Cookie header in `headers` besides splitting it into `cookies[]` (AWS
    # removes it), and the adapter merges both as SPEC says: the app sees every cookie twice there
    assert through_offline["headers"].pop("HTTP_COOKIE") == "a=1; b=2; a=1; b=2"
    assert through_serve["headers"].pop("HTTP_COOKIE") == "a=1; b=2"
    without_scheme(through_offline, through_serve)
    if "%C3%A9" in target:  # serverless-offline passes rawPath undecoded (AWS decodes it) and rebuilds
        # rawQueryString from the parsed query with '+' for a space (AWS passes the query as sent)
        assert (through_offline.pop("path"), through_offline.pop("query")) == ("/h/caf%C3%A9/x", "q=a+b&r=%2B")
        assert (through_serve.pop("path"), through_serve.pop("query")) == ("/h/caf\xc3\xa9/x", "q=a%20b&r=%2B")
    assert through_serve == through_offline
    assert through_serve["root"] == "" and through_serve["client"] == "127.0.0.1"


@pytest.mark.parametrize("accept", ["gzip", "br"])
@pytest.mark.parametrize("prefix", ["/dev/z", "/hz"], ids=["rest", "http"])
def test_compressed_answers_pass_through_the_emulator(offline: str, prefix: str, accept: str) -> None:
    """adapt(compress=True): the encoded answer (base64 in the result) reaches the client as bytes, and httpx
    decodes it to the app's JSON."""
    answer = httpx.get(f"{offline}{prefix}/items?pad=5000", headers={"Accept-Encoding": accept}, timeout=60)
    assert answer.status_code == 200 and answer.headers["content-encoding"] == accept
    assert answer.json()["pad"] == "x" * 5000 and answer.json()["path"] == f"{prefix.removeprefix('/dev')}/items"
    assert int(answer.headers["content-length"]) < 1000  # the bytes on the wire: compressed
