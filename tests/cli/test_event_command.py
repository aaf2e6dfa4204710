"""``lambda-adapter event``: the event a source sends for one request, ready to edit or invoke."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from lambda_adapter import adapt
from lambda_adapter._cli import main
from lambda_adapter.testing import FORMATS, LambdaContext, json_of
from tests.apps import wsgi_echo


def event(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["event", *argv]) == 0
    printed: dict[str, object] = json.loads(capsys.readouterr().out)
    return printed


def test_a_rest_event_like_api_gateways(capsys: pytest.CaptureFixture[str]) -> None:
    printed = event(capsys, "--format", "rest", "--method", "POST", "--path", "/items?a=1&a=2",
                    "--header", "Content-Type: application/json", "--header", "X-Trace: 1", "--header", "X-Trace: 2",
                    "--body", '{"name": "pear"}', "--stage", "dev")  # fmt: skip
    assert printed["httpMethod"] == "POST" and printed["path"] == "/items"
    assert printed["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    headers = printed["multiValueHeaders"]
    assert isinstance(headers, dict)
    assert headers["X-Trace"] == ["1", "2"] and headers["Content-Length"] == ["16"]
    assert headers["X-Forwarded-Proto"] == ["https"] and headers["X-Forwarded-Port"] == ["443"]
    context = printed["requestContext"]
    assert isinstance(context, dict) and (context["stage"], context["path"]) == ("dev", "/dev/items")
    # a REST API with binary media types */* (what it needs for binary answers) base64-encodes every body
    assert base64.b64decode(str(printed["body"])) == b'{"name": "pear"}' and printed["isBase64Encoded"] is True


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_reaches_an_app(capsys: pytest.CaptureFixture[str], format: str) -> None:
    printed = event(capsys, "--format", format, "--method", "PUT", "--path", "/a%20b?x=1", "--body", "hi",
                    "--header", "Content-Type: text/plain", "--host-header", "api.example.com")  # fmt: skip
    seen = json_of(adapt(wsgi_echo)(printed, LambdaContext()))
    assert (seen["method"], seen["path_info"], seen["query"], seen["body"]) == ("PUT", "/a b", "x=1", "hi")
    assert seen["server"][0] == "api.example.com"


def test_a_binary_content_type_is_base64(capsys: pytest.CaptureFixture[str]) -> None:
    printed = event(capsys, "--format", "url", "--method", "POST", "--header", "Content-Type: image/png",
                    "--body", "png")  # fmt: skip
    assert printed["isBase64Encoded"] is True and base64.b64decode(str(printed["body"])) == b"png"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--header", "no colon"], "a header is 'Name: value'"),
        (["--path", "items"], "--path must start with '/'"),
        (["--format", "alb", "--stage", "dev"], "--stage goes with --format rest|http|http1"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["event", *argv]) == 2
    assert message in capsys.readouterr().err


def test_event_piped_into_invoke() -> None:
    made = subprocess.run([sys.executable, "-m", "lambda_adapter", "event", "--path", "/api/items?limit=1"],
                          capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "invoke", "app:handler", "-"], input=made.stdout,
                          capture_output=True, text=True, cwd="samples/flask_app", timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json_of(json.loads(done.stdout))["items"] == [{"id": 1, "name": "apple"}]


def test_the_old_host_option_still_names_the_host_header_with_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["event", "--format", "http", "--host", "api.example.com"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["headers"]["host"] == "api.example.com"
    assert "--host is now --host-header" in captured.err
