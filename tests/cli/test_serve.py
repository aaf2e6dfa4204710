"""``lambda-adapter serve``: each sample behind each event source, as a real subprocess on loopback, driven by httpx.

One server per sample and format (module-scoped). REST, HTTP API 2.0 and 1.0 run with a named stage in
the URL, as on an execute-api host; Function URL and ALB (single and multi-value headers) have none.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from lambda_adapter._cli import main
from lambda_adapter._cli.serve import _request_handler, to_wsgi
from lambda_adapter.testing._local import LocalFunction
from tests.servers import ROOT, free_port, serving

SAMPLE_DIRS = {"flask": "flask_app", "django": "django_app", "fastapi": "fastapi_app"}
STAGES = {"rest": "dev", "http": "dev", "http1": "v1", "url": None, "alb": None, "alb-multi": None}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA = bytes(range(256)) * 512 + os.urandom(4096)  # every byte value, 135 KB


@dataclass(frozen=True)
class Served:
    sample: str
    format: str
    stage: str | None
    base: str


@pytest.fixture(scope="module", params=[(s, f) for s in SAMPLE_DIRS for f in STAGES], ids="-".join)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    sample, format = request.param
    stage = STAGES[format]
    env = {"DJANGO_SAMPLE_DB": str(tmp_path_factory.mktemp("db") / "db.sqlite3")}
    with serving("app:handler", cwd=ROOT / "samples" / SAMPLE_DIRS[sample], format=format, stage=stage,
                 env=env) as base:  # fmt: skip
        yield Served(sample, format, stage, base)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base, timeout=30) as client:
        yield client


def test_the_app_sees_the_stage_as_its_root_and_the_client_address(served: Served, client: httpx.Client) -> None:
    seen = client.get("/request?x=1").json()
    assert seen["root"] == (f"/{served.stage}" if served.stage else "")
    assert seen["method"] == "GET"
    assert seen["url"] == f"{served.base}/request?x=1"
    assert seen.get("remote", seen.get("client")) == "127.0.0.1"


def test_cookies_are_set_and_sent_back(served: Served, client: httpx.Client) -> None:
    answer = client.post("/login", data={"username": "ada"}, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    if served.sample == "fastapi":  # no redirect: sets session (Secure: not sent over http) and theme
        assert set(answer.cookies) == {"session", "theme"}
        assert client.get("/request").json()["cookies"] == {"theme": "dark"}
        return
    assert answer.url.path == f"/{served.stage}/me" if served.stage else "/me"
    assert answer.history[0].status_code == 302
    assert answer.json()["user"] == "ada"  # the session cookie came back
    assert client.get("/me").json()["user"] == "ada"


def test_redirects_are_followed(served: Served, client: httpx.Client) -> None:
    answer = client.get("/go", follow_redirects=True)
    assert [r.status_code for r in answer.history] in ([302], [303])
    assert answer.status_code == 200
    assert answer.url == httpx.URL(f"{served.base}/api/items")
    assert answer.json()["items"]


def test_binary_upload_is_byte_exact(client: httpx.Client) -> None:
    answer = client.post("/upload", files={"file": ("blob.bin", DATA, "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"name": "blob.bin", "size": len(DATA), "sha256": hashlib.sha256(DATA).hexdigest()}


def test_binary_body_comes_back_byte_exact(client: httpx.Client) -> None:
    answer = client.post("/echo", content=DATA, headers={"Content-Type": "application/octet-stream"})
    assert answer.status_code == 200
    assert answer.content == DATA


def test_a_chunked_upload_arrives_whole(client: httpx.Client) -> None:
    chunks = iter([DATA[:1000], DATA[1000:]])  # no Content-Length: Transfer-Encoding: chunked
    answer = client.post("/echo", content=chunks, headers={"Content-Type": "application/octet-stream"})
    assert (answer.status_code, answer.content) == (200, DATA)


def test_binary_download_and_head(client: httpx.Client) -> None:
    image = client.get("/image.png")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert image.content.startswith(PNG_SIGNATURE)
    head = client.head("/image.png")
    assert (head.status_code, head.headers["content-type"], head.content) == (200, "image/png", b"")
    assert head.headers["content-length"] == str(len(image.content))


def test_unknown_route_is_a_404(client: httpx.Client) -> None:
    assert client.get("/no/such/page").status_code == 404


def test_app_failure_is_a_500_without_the_secret(client: httpx.Client) -> None:
    answer = client.get("/boom")
    assert answer.status_code == 500
    assert "hunter2" not in answer.text
    assert client.get("/api/items").status_code == 200  # the next request works


def test_outside_the_stage_is_what_api_gateway_answers(served: Served, client: httpx.Client) -> None:
    if served.stage is None:
        assert client.get("/dev/api/items").status_code == 404  # no stage: /dev is the app's own path
        return
    answer = client.get(f"{served.base.rpartition('/')[0]}/api/items")
    if served.format == "rest":
        assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"})
    else:
        assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})


FLASK = ROOT / "samples" / "flask_app"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nohandler"], "expected MODULE:HANDLER such as 'app:handler'"),
        (["app:nothing"], "module 'app' has no attribute 'nothing'"),
        (["app:handler", "--format", "url", "--stage", "dev"], "--stage goes with --format rest|http|http1, not url"),
        (["app:handler", "--stage", "a/b"], "--stage must be one path segment"),
        (["app:handler", "--host", "192.0.2.1"], "cannot listen on 192.0.2.1:"),
        (["app:handler", "--stage", "$default"], "--stage $default is the stage without a segment: leave --stage out"),
        (["app:handler", "--port", "65536"], "--port must be 0 to 65535, got 65536"),
        (["app:handler", "--port", "-1"], "--port must be 0 to 65535, got -1"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.chdir(FLASK)
    assert main(["serve", "--port", str(free_port()), *argv]) == 2  # a --port in argv comes last and wins
    error = capsys.readouterr().err
    assert error.startswith("lambda-adapter serve: error: ") and message in error and error.count("\n") == 1


def test_a_port_in_use_is_one_line_and_exit_2_in_a_real_process() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "lambda_adapter", "serve", "app:handler", "--port", str(port)],
                              capture_output=True, text=True, cwd=FLASK, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr == f"lambda-adapter serve: error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    )


def test_the_server_hands_over_headers_and_target_as_received() -> None:
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 299, "multiValueHeaders": {"X-Seen": ["a", "b"]}, "body": "ok"}

    with in_process(LocalFunction(handler, format="rest")) as port:
        answer = raw_request(port, b"GET http://example.com/a%2Fb?q=%20 HTTP/1.1\r\nHost: h\r\nX-Trace: 1\r\n"
                                   b"x-trace: 2\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 299 \r\n") and answer.endswith(b"\r\n\r\nok")
    assert b"x-seen: a\r\nx-seen: b\r\n" in answer
    (event,) = events
    assert (event["path"], event["multiValueQueryStringParameters"]) == ("/a%2Fb", {"q": [" "]})
    assert event["multiValueHeaders"]["X-Trace"] == ["1"] and event["multiValueHeaders"]["x-trace"] == ["2"]
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.1"]


def ipv6_loopback() -> bool:
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_an_ipv6_listen_address_is_served_as_werkzeug_serves_it() -> None:
    with serving("app:handler", cwd=FLASK, format="http", host="::1") as base:
        answer = httpx.get(f"{base}/request?x=1", timeout=30)
    assert answer.status_code == 200 and answer.json()["remote"] == "::1"


def test_serve_without_werkzeug_says_which_extra(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, "werkzeug.serving", None)  # what an environment without werkzeug sees
    assert main(["serve", "app:handler"]) == 2
    assert "pip install 'lambda-adapter[local]'" in capsys.readouterr().err


def test_reload_picks_up_a_changed_module(tmp_path: Path) -> None:
    shutil.copy(FLASK / "app.py", tmp_path / "app.py")
    with serving("app:handler", cwd=tmp_path, format="http", options=["--reload"]) as base:
        assert httpx.get(f"{base}/api/items").json()["items"][0]["name"] == "apple"
        source = (tmp_path / "app.py").read_text()
        (tmp_path / "app.py").write_text(source.replace('"apple"', '"plum"'))
        deadline = time.monotonic() + 30
        names: list[str] = []
        while time.monotonic() < deadline and "plum" not in names:
            time.sleep(0.3)
            try:
                names = [item["name"] for item in httpx.get(f"{base}/api/items").json()["items"]]
            except httpx.TransportError:  # the reloader is restarting the server
                continue
        assert names == ["plum", "pear"]


def test_raw_non_ascii_bytes_in_the_target_reach_the_handler_percent_encoded() -> None:
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "body": ""}

    with in_process(LocalFunction(handler, format="http")) as port:
        answer = raw_request(port, "GET /café?q=ü HTTP/1.1\r\nHost: h\r\n\r\n".encode())  # as curl sends it
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    (event,) = events
    assert (event["rawPath"], event["rawQueryString"]) == ("/café", "q=%C3%BC")  # as httpx sends it


@pytest.mark.parametrize("format", ["rest", "http", "alb"])
def test_a_utf8_header_value_goes_out_as_its_utf8_bytes(format: str) -> None:
    """What the app put in the result as text reaches the client as the UTF-8 bytes uvicorn would send."""
    result = {"statusCode": 200, "headers": {"Content-Disposition": 'attachment; filename="€-Łódź.txt"'}, "body": ""}
    with in_process(LocalFunction(lambda event, context: result, format=format)) as port:
        answer = raw_request(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert 'content-disposition: attachment; filename="€-Łódź.txt"\r\n'.encode() in answer


def test_reload_survives_a_module_that_fails_to_import_until_it_is_fixed(tmp_path: Path) -> None:
    module = tmp_path / "reloaded_app.py"
    answer = "def handler(event, context):\n    return {'statusCode': 200, 'body': %r}\n"
    module.write_text(answer % "one")
    with serving("reloaded_app:handler", cwd=tmp_path, format="rest", options=["--reload"]) as base:
        assert httpx.get(base).text == "one"
        module.write_text("def handler(event, context:\n")  # a typo while editing
        assert until(lambda: httpx.get(base).status_code, 502) == 502  # as Lambda with a module it cannot import
        module.write_text(answer % "two")
        assert until(lambda: httpx.get(base).text, "two") == "two"


def until(probe: Any, wanted: Any, timeout: float = 30) -> Any:
    """``probe()`` once it gives ``wanted`` (what it last gave, after ``timeout``), retried while the server reloads."""
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        time.sleep(0.3)
        try:
            seen = probe()
        except httpx.TransportError:  # the reloader is restarting the server
            continue
        if seen == wanted:
            return seen
    return seen


@pytest.mark.parametrize(
    ("result", "status"),
    [("garbage", 502), ({"statusCode": 200, "body": b"bytes".decode(), "isBase64Encoded": True}, 502),
     ({"statusCode": 204, "headers": {"X-N": 1}, "body": "dropped for HEAD"}, 204)],
)  # fmt: skip
def test_the_server_answers_whatever_the_handler_returns(result: Any, status: int) -> None:
    with in_process(LocalFunction(lambda event, context: result, format="rest")) as port:
        answer = raw_request(port, b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
        again = raw_request(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()) and answer.endswith(b"\r\n\r\n")  # no body to HEAD
    assert again.startswith(f"HTTP/1.1 {status} ".encode())  # the server is still there


@contextmanager
def in_process(function: LocalFunction) -> Iterator[int]:
    """``serve``'s WSGI app and request handler on werkzeug's server in a thread; yields the port."""
    server = make_server("127.0.0.1", 0, to_wsgi(function), threaded=True, request_handler=_request_handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)


def raw_request(port: int, head: bytes) -> bytes:
    """Everything the server answers to ``head`` (a request without body; the connection closes after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        return b"".join(iter(lambda: sock.recv(65536), b""))
