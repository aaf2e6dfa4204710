"""``LambdaTransport`` and ``AsyncLambdaTransport``: httpx clients whose requests reach a handler as events."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from typing import Any

import httpx
import pytest

from lambda_adapter import adapt, testing
from lambda_adapter.testing import AsyncLambdaTransport, LambdaTransport
from tests.apps import asgi_echo, wsgi_echo
from tests.servers import ROOT, serving

SAMPLES = ["flask_sample", "django_sample", "django_asgi_sample", "fastapi_sample"]
FORMATS = ["rest", "http", "http1", "url", "alb-multi"]
DATA = bytes(range(256)) * 64


@pytest.fixture(params=SAMPLES)
def sample(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("format", FORMATS)
def test_a_session_round_trip_through_the_transport(sample: Any, format: str) -> None:
    transport = LambdaTransport(sample.handler, format=format)
    with httpx.Client(transport=transport, base_url="https://testserver") as client:
        if sample.__name__ == "fastapi_sample_app":  # sets cookies without a redirect
            client.post("/login")
            assert client.get("/request").json()["cookies"] == {"session": "abc123", "theme": "dark"}
            return
        answer = client.post("/login", data={"username": "ada"}, follow_redirects=True)
        assert (answer.status_code, answer.json()["user"], answer.url.path) == (200, "ada", "/me")


@pytest.mark.parametrize("format", ["rest", "http"])
def test_a_stage_is_the_first_segment_of_the_url(sample: Any, format: str) -> None:
    transport = LambdaTransport(sample.handler, format=format, stage="prod", client="198.51.100.4")
    with httpx.Client(transport=transport, base_url="https://testserver/prod") as client:
        seen = client.get("/request", params={"x": "1"}).json()
        assert (seen["root"], seen["url"]) == ("/prod", "https://testserver/prod/request?x=1")
        assert seen.get("remote", seen.get("client")) == "198.51.100.4"
        answer = client.get("https://testserver/other/request")
        assert answer.status_code == (403 if format == "rest" else 404)


@pytest.mark.parametrize("format", ["rest", "http", "url", "alb", "alb-multi"])
@pytest.mark.parametrize(("app", "value"), [(wsgi_echo, "Logroño"), (asgi_echo, "Logroño"), (asgi_echo, "☃ 𝄞")])
def test_a_utf8_header_value_reaches_the_app_as_the_bytes_sent(app: Any, value: str, format: str) -> None:
    with httpx.Client(transport=LambdaTransport(adapt(app), format=format), base_url="https://t") as client:
        seen = client.get("/", headers={"X-City": value.encode()}).json()
    headers = seen["headers"] if app is wsgi_echo else {"HTTP_X_CITY": dict(seen["headers"])["x-city"]}
    # what werkzeug and uvicorn give the app: the bytes sent, as latin-1 (WSGI) or as they are (ASGI)
    assert headers["HTTP_X_CITY"] == value.encode().decode("latin-1")


async def utf8_header_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Sends back the X-City request header's bytes as its own header, as uvicorn would put them on the wire."""
    city = dict(scope["headers"])[b"x-city"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-city", city)]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("format", ["rest", "http", "url", "alb", "alb-multi"])
@pytest.mark.parametrize("value", ["Logroño", "☃ 𝄞"])
def test_a_utf8_header_value_reaches_the_client_as_the_bytes_the_app_sent(value: str, format: str) -> None:
    with httpx.Client(transport=LambdaTransport(adapt(utf8_header_app), format=format), base_url="https://t") as client:
        answer = client.get("/", headers={"X-City": value.encode()})
    assert (answer.status_code, answer.headers.raw[0]) == (200, (b"x-city", value.encode()))


def test_binary_both_ways_and_head(sample: Any) -> None:
    with httpx.Client(transport=LambdaTransport(sample.handler, format="http"), base_url="https://t") as client:
        upload = client.post("/upload", files={"file": ("b.bin", DATA)}).json()
        assert (upload["size"], upload["sha256"]) == (len(DATA), hashlib.sha256(DATA).hexdigest())
        assert client.post("/echo", content=DATA).content == DATA
        if sample.__name__ != "fastapi_sample_app":
            assert client.get("/gzip").json()["items"]  # Content-Encoding: gzip, decoded by httpx


def test_async_transport_runs_requests_concurrently_one_invocation_at_a_time(fastapi_sample: Any) -> None:
    async def main() -> list[int]:
        transport = AsyncLambdaTransport(fastapi_sample.handler, format="url")
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            answers = await asyncio.gather(*(client.get("/api/items", params={"limit": 1}) for _ in range(8)))
            return [len(a.json()["items"]) for a in answers]

    assert asyncio.run(main()) == [1] * 8


def test_a_handler_that_raises_is_a_502(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(event: Any, context: Any) -> Any:
        raise ValueError("handler bug")

    with httpx.Client(transport=LambdaTransport(broken, format="rest"), base_url="https://t") as client:
        answer = client.get("/")
    assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})
    assert "ValueError: handler bug" in capsys.readouterr().err


@pytest.mark.parametrize(("format", "result"), [("http", {"hello": "world"}), ("url", ["a", 1])])
def test_http_api_takes_a_result_without_status_as_json(format: str, result: Any) -> None:
    with httpx.Client(transport=LambdaTransport(lambda e, c: result, format=format), base_url="https://t") as c:
        answer = c.get("/")
    assert (answer.status_code, answer.json()) == (200, result)


def test_rest_takes_a_result_without_status_as_a_failure() -> None:
    with httpx.Client(transport=LambdaTransport(lambda e, c: {"hello": 1}, format="rest"), base_url="https://t") as c:
        assert c.get("/").status_code == 502


@pytest.mark.parametrize(("format", "stage"), [("pigeon", None), ("url", "prod"), ("rest", "a/b"), ("http", "")])
def test_wrong_format_or_stage_is_refused(format: str, stage: str | None) -> None:
    with pytest.raises(ValueError, match=r"format must be one of|a stage goes with"):
        LambdaTransport(lambda e, c: None, format=format, stage=stage)


def test_testing_module_names_only_what_it_has() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        testing.Nope  # noqa: B018


def test_the_transport_and_serve_give_the_app_the_same_request(flask_sample: Any) -> None:
    headers = {"Cookie": "a=1; b=2", "Accept-Language": "en-GB", "X-Forwarded-For": "192.0.2.1"}
    with serving("app:handler", cwd=ROOT / "samples" / "flask_app", format="rest", stage="dev") as base:
        port = int(base.split(":")[2].split("/")[0])
        served = httpx.get(f"{base}/request?q=1&q=2", headers=headers).json()
    transport = LambdaTransport(flask_sample.handler, format="rest", stage="dev", client="127.0.0.1")
    with httpx.Client(transport=transport, base_url=f"http://127.0.0.1:{port}/dev") as client:
        through_transport = client.get("/request?q=1&q=2", headers=headers).json()
    assert through_transport == served
    assert served["remote"] == "127.0.0.1" and served["root"] == "/dev"


def test_the_testing_module_does_not_need_httpx() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "from lambda_adapter.testing import event_for\n"
        "assert 'lambda_adapter.testing._transport' not in sys.modules\n"
        "try:\n    from lambda_adapter.testing import LambdaTransport\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "httpx" in done.stdout


def test_async_transport_keeps_the_event_loop_free_and_calls_one_handler_at_a_time() -> None:
    import threading
    import time

    inside: list[int] = []
    lock = threading.Lock()
    most = 0

    def slow(event: Any, context: Any) -> dict[str, Any]:
        nonlocal most
        with lock:
            inside.append(1)
            most = max(most, len(inside))
        time.sleep(0.1)  # blocking, as a WSGI app is
        with lock:
            inside.pop()
        return {"statusCode": 200, "body": "ok"}

    async def main() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async with httpx.AsyncClient(transport=AsyncLambdaTransport(slow, format="http"), base_url="https://t") as c:
            answers = await asyncio.gather(*(c.get("/") for _ in range(4)))
        ticker.cancel()
        assert [a.text for a in answers] == ["ok"] * 4
        return ticks

    assert asyncio.run(main()) >= 20  # 0.4 s of handlers: the loop kept ticking meanwhile
    assert most == 1
