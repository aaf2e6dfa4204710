"""The fallback origin, against real HTTP servers on loopback: the Flask sample and an echo app served by
werkzeug's server, a server that never answers, and a port nobody listens on."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, headers_of, json_of, set_cookies_of, status_of
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import ainvoke


def _serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def flask_origin(flask_sample: Any) -> Iterator[str]:
    yield from _serve(flask_sample.app)


@pytest.fixture(scope="module")
def echo_origin() -> Iterator[str]:
    yield from _serve(wsgi_echo)


@pytest.fixture
def silent_origin() -> Iterator[str]:
    """A server that accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


DRIPPED: list[int] = []  # bytes /drip-head wrote before its connection went away
DRIP_ENDED = threading.Event()


class _Handler(socketserver.StreamRequestHandler):
    """Raw HTTP/1.1 answers the tests need and werkzeug would not give: a slow drip, chunks, a huge body."""

    def handle(self) -> None:
        line = self.rfile.readline().decode("latin-1")
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        path = line.split()[1]
        if path == "/drip":  # one byte every 0.2 s, for ever: only an overall deadline stops it
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            with contextlib.suppress(OSError):
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
        elif path == "/chunked":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n")
            self.wfile.write(b"Connection: close, X-Hop\r\nX-Hop: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        elif path == "/drip-head":  # the header section a byte every 0.2 s: only an overall deadline stops it
            written = 0
            try:
                with contextlib.suppress(OSError):
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        written += 1
                        time.sleep(0.2)
            finally:
                DRIPPED.append(written)  # how far it got before the adapter hung up
                DRIP_ENDED.set()
        elif path == "/early-hints":  # RFC 8297: an interim 103, then the answer
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n")
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
        elif path == "/cut":  # the origin dies 3 bytes into a 10-byte answer
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        elif path == "/odd-headers":  # an obs-fold (RFC 9112 section 5.2) and a UTF-8 value
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nX-Name: caf\xc3\xa9\r\n")
            self.wfile.write(b"Content-Length: 2\r\n\r\nok")
        elif path == "/no-colon":  # a broken header line: http.client would drop every header after it
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Broken : 1\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/two-lengths":  # RFC 9112 section 6.3: a proxy answers 502 to differing Content-Lengths
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhelloworld")
        elif path == "/huge":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8000000\r\n\r\n")
            with contextlib.suppress(OSError):
                self.wfile.write(b"y" * 8_000_000)


@pytest.fixture(scope="module")
def raw_origin() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_origin() -> str:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


def migrated(origin: str, **kwargs: Any) -> Any:
    return adapt({"/api/v2": asgi_echo}, fallback=origin, **kwargs)


def test_mounted_paths_stay_local_and_the_rest_reaches_the_origin(flask_origin: str) -> None:
    handler = migrated(flask_origin)
    assert json_of(handler(event_for("http", path="/api/v2/x"), LambdaContext()))["root_path"] == "/api/v2"
    assert json_of(handler(event_for("http", path="/api/items", query="limit=1"), LambdaContext())) == {
        "items": [{"id": 1, "name": "apple"}]
    }


@pytest.mark.parametrize("format", ["rest", "http", "alb"])
def test_a_binary_post_comes_back_byte_exact(flask_origin: str, format: str) -> None:
    data = os.urandom(200_000) + b"\x00\xff"
    headers = {"Content-Type": "application/octet-stream"}
    result = migrated(flask_origin)(
        event_for(format, method="POST", path="/echo", body=data, headers=headers), LambdaContext()
    )
    assert status_of(result) == 200
    assert body_of(result) == data


def test_cookies_and_a_redirect_pass_both_ways_unfollowed(flask_origin: str) -> None:
    handler = migrated(flask_origin)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = handler(event_for("http", method="POST", path="/login", body="username=ana", headers=form), LambdaContext())
    assert status_of(login) == 302
    assert headers_of(login)["location"] == ["/me"]
    cookies = set_cookies_of(login)
    assert sorted(cookie.split("=")[0] for cookie in cookies) == ["session", "theme"]
    sent = "; ".join(cookie.split(";")[0] for cookie in cookies)
    me = handler(event_for("http", path="/me", headers={"Cookie": sent}), LambdaContext())
    assert json_of(me) == {"user": "ana", "theme": "dark"}


def test_the_query_arrives_as_sent(flask_origin: str) -> None:
    result = migrated(flask_origin)(event_for("http", path="/query", query="a=1&a=2&b=%20x%2F"), LambdaContext())
    assert json_of(result)["raw"] == "a=1&a=2&b=%20x%2F"


def test_headers_path_and_forwarding_as_a_reverse_proxy_sends_them(echo_origin: str) -> None:
    handler = adapt({"/api/v2": asgi_echo}, fallback=f"{echo_origin}/base/")
    headers = {
        "X-Custom": "kept", "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "dropped",
        "Upgrade": "h2c", "X-Forwarded-For": "6.6.6.6",
    }  # fmt: skip
    event = event_for(
        "rest",
        method="PUT",
        path="/caf%C3%A9/a b",
        headers=headers,
        body="payload",
        source_ip="198.51.100.4",
        host="shop.example.com",
    )
    seen = json_of(handler(event, LambdaContext()))
    assert (seen["method"], seen["path_info"], seen["body"]) == ("PUT", "/base/caf\xc3\xa9/a b", "payload")
    sent = seen["headers"]
    assert sent["HTTP_X_CUSTOM"] == "kept"
    assert "HTTP_X_SECRET_HOP" not in sent and "HTTP_UPGRADE" not in sent
    assert sent["HTTP_HOST"] == echo_origin.removeprefix("http://")
    assert sent["HTTP_X_FORWARDED_HOST"] == "shop.example.com"
    assert sent["HTTP_X_FORWARDED_PROTO"] == "https"
    assert sent["HTTP_X_FORWARDED_FOR"] == "198.51.100.4"  # the address AWS saw, not the client's claim


def test_a_silent_origin_times_out_within_the_lambda_time_left(
    silent_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = migrated(silent_origin, fallback_timeout=60, deadline_margin=0.5)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = handler(event_for("http", path="/slow"), LambdaContext(timeout_ms=1500))
    assert status_of(result) == 504
    assert 0.8 < time.monotonic() - started < 5
    assert "did not answer within 1.0 s" in caplog.text and silent_origin in caplog.text


def test_the_configured_timeout_applies_when_it_is_shorter(silent_origin: str) -> None:
    started = time.monotonic()
    result = migrated(silent_origin, fallback_timeout=0.3)(event_for("http", path="/slow"), LambdaContext())
    assert status_of(result) == 504
    assert time.monotonic() - started < 3


def test_no_time_left_is_a_504_without_a_request(silent_origin: str) -> None:
    result = migrated(silent_origin, deadline_margin=5)(event_for("http", path="/x"), LambdaContext(timeout_ms=1000))
    assert status_of(result) == 504


def test_a_failing_origin_is_a_502_with_a_clear_log_line_and_the_next_event_works(
    closed_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = migrated(closed_origin)
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = handler(event_for("http", path="/old", body="secret-body"), LambdaContext())
    assert (status_of(result), body_of(result)) == (502, b"Bad Gateway")
    assert f"{closed_origin} failed: ConnectionRefusedError" in caplog.text
    assert "secret-body" not in caplog.text
    assert json_of(handler(event_for("http", path="/api/v2/ok"), LambdaContext()))["path"] == "/api/v2/ok"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fallback": "ftp://legacy"}, ValueError, "http\\(s\\) URL"),
        ({"fallback": "http://"}, ValueError, "http\\(s\\) URL"),
        ({"fallback": "http://legacy/?a=1"}, ValueError, "no query"),
        ({"fallback": 3}, TypeError, "origin URL"),
        ({"fallback": "http://legacy", "fallback_timeout": 0}, ValueError, "fallback_timeout"),
    ],
)
def test_bad_fallback_options_are_refused_at_adapt_time(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        adapt({"/api": wsgi_echo}, **kwargs)


def test_the_api_gateway_stage_is_not_sent_to_the_origin(echo_origin: str) -> None:
    seen = json_of(migrated(echo_origin)(event_for("rest", path="/old/page", query="q=1"), LambdaContext()))
    assert (seen["path_info"], seen["query"]) == ("/old/page", "q=1")


def test_an_origin_that_drips_is_cut_at_the_overall_deadline(raw_origin: str, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = migrated(raw_origin, fallback_timeout=1)(event_for("http", path="/drip"), LambdaContext())
    assert status_of(result) == 504
    assert time.monotonic() - started < 3  # a per-read timeout alone would wait 200 s
    assert "did not answer within 1.0 s" in caplog.text


def test_an_answer_over_any_lambda_limit_is_refused_unread(raw_origin: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = migrated(raw_origin)(event_for("http", path="/huge"), LambdaContext())
    assert status_of(result) == 502
    assert "answered more than 6291556 bytes" in caplog.text


def test_a_chunked_answer_arrives_whole_without_its_hop_by_hop_headers(raw_origin: str) -> None:
    result = migrated(raw_origin)(event_for("alb-multi", path="/chunked"), LambdaContext())
    assert body_of(result) == b"hello world"
    assert not {"transfer-encoding", "connection", "x-hop"} & set(headers_of(result))


def test_head_gets_the_headers_and_no_body(flask_origin: str) -> None:
    result = migrated(flask_origin)(event_for("http", method="HEAD", path="/api/items"), LambdaContext())
    assert status_of(result) == 200
    assert headers_of(result)["content-type"] == ["application/json"]
    assert body_of(result) == b""


@pytest.mark.parametrize("format", ["rest", "url", "alb"])  # HTTP APIs decode the path: "%2F" is lost before us
def test_the_raw_target_reaches_the_origin_as_sent(format: str) -> None:
    received: list[str] = []

    class Recorder(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            received.append(self.rfile.readline().decode("latin-1").split()[1])
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            self.wfile.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    with socketserver.TCPServer(("127.0.0.1", 0), Recorder) as server:
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        origin = f"http://127.0.0.1:{server.server_address[1]}/legacy"
        event = event_for(format, path="/files/a%2Fb", query="x=%2F&y=1")
        assert status_of(migrated(origin)(event, LambdaContext())) == 204
        thread.join()
    assert received == ["/legacy/files/a%2Fb?x=%2F&y=1"]


def test_a_location_at_the_origin_points_back_at_the_client(echo_origin: str, flask_sample: Any) -> None:
    def absolute(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        host = environ["HTTP_HOST"]
        start_response(
            "302 Found",
            [("Location", f"http://{host}/base/next?a=1"), ("X-Prefix", environ.get("HTTP_X_FORWARDED_PREFIX", ""))],
        )
        return [b""]

    for origin in _serve(absolute):
        handler = adapt({"/api/v2": asgi_echo}, fallback=f"{origin}/base")
        result = handler(event_for("rest", path="/old"), LambdaContext())
        host = "abc123.execute-api.us-east-1.amazonaws.com"
        assert headers_of(result)["location"] == [f"https://{host}/prod/next?a=1"]
        assert headers_of(result)["x-prefix"] == ["/prod"]


def test_credentials_in_the_origin_url_are_refused() -> None:
    with pytest.raises(ValueError, match="must not hold credentials") as caught:
        adapt({"/api": wsgi_echo}, fallback="https://user:hunter2@legacy.example.com")
    assert "hunter2" not in str(caught.value)


def test_an_origin_that_drips_its_headers_is_cut_at_the_overall_deadline(raw_origin: str) -> None:
    DRIP_ENDED.clear()
    result = migrated(raw_origin, fallback_timeout=1)(event_for("http", path="/drip-head"), LambdaContext())
    assert status_of(result) == 504
    assert DRIP_ENDED.wait(30)  # the origin's next write found the connection gone
    assert DRIPPED[-1] < 100  # about 5 of its 1,030 bytes (1 s at one per 0.2 s): a per-read timeout took all


def test_an_interim_answer_is_skipped_and_the_final_one_reaches_the_client(raw_origin: str) -> None:
    result = migrated(raw_origin)(event_for("http", path="/early-hints"), LambdaContext())
    assert (status_of(result), body_of(result)) == (200, b"final")


def test_an_answer_cut_short_is_a_502_not_a_truncated_200(raw_origin: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = migrated(raw_origin)(event_for("http", path="/cut"), LambdaContext())
    assert (status_of(result), body_of(result)) == (502, b"Bad Gateway")
    assert "IncompleteRead" in caplog.text


@pytest.mark.parametrize("format", ["rest", "http", "alb"])
def test_origin_header_values_reach_the_client_as_sent_and_unfolded(raw_origin: str, format: str) -> None:
    result = migrated(raw_origin)(event_for(format, path="/odd-headers"), LambdaContext())
    headers = headers_of(result)
    assert headers["x-name"] == ["caf\u00e9"]  # the UTF-8 bytes the origin sent, as the text they spell
    assert headers["x-folded"] == ["a   b"]  # the fold replaced by spaces: no CR or LF reaches AWS


def test_the_origin_gets_no_header_the_client_did_not_send(echo_origin: str) -> None:
    event = event_for("http", path="/old", headers={"X-Forwarded-Prefix": "/evil"})  # no stage: no prefix to send
    sent = json_of(migrated(echo_origin)(event, LambdaContext()))["headers"]
    assert "HTTP_X_FORWARDED_PREFIX" not in sent  # a client's claim would steer the origin's URLs
    assert "HTTP_ACCEPT_ENCODING" not in sent  # http.client's "identity" would forbid the origin to compress


@pytest.mark.parametrize("path", ["/no-colon", "/two-lengths"])
def test_a_malformed_header_section_is_a_502_not_a_partial_answer(
    raw_origin: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lambda_adapter"):
        result = migrated(raw_origin, fallback_timeout=30)(event_for("http", path=path), LambdaContext())
    assert (status_of(result), body_of(result)) == (502, b"Bad Gateway")
    assert "malformed" in caplog.text


@pytest.mark.parametrize("path", ["/../admin", "/x/..%2F..%2Fadmin", "/%2E%2E/admin", "/x//../../admin"])
def test_dot_segments_never_climb_above_the_origin_base_path(echo_origin: str, path: str) -> None:
    handler = adapt({"/api/v2": asgi_echo}, fallback=f"{echo_origin}/legacy")
    result = handler(event_for("url", path=path), LambdaContext())
    assert (status_of(result), body_of(result)) == (400, b"Bad Request")  # nginx's answer too: no request is sent
    inside = json_of(handler(event_for("url", path="/x/../y"), LambdaContext()))  # stays below the base: sent
    assert inside["path_info"] == "/legacy/x/../y"


def test_under_ainvoke_the_exchange_with_the_origin_runs_off_the_shared_loop(echo_origin: str) -> None:
    # Managed Instances: one loop serves every slot; a forwarded request must not hold it for its round trip
    handler = migrated(echo_origin)
    forward = handler.runner.origin
    threads: list[bool] = []

    def recorded(*args: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return forward(*args)

    handler.runner.origin = recorded
    assert json_of(ainvoke(handler, event_for("http", path="/old")))["path_info"] == "/old"
    assert threads == [False]  # once, in a worker thread
