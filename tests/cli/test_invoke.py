"""``lambda-adapter invoke``: one event from a file or stdin through a handler, the result printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_adapter._cli import main
from lambda_adapter.testing import event_for, json_of
from tests.servers import ROOT

FLASK = ROOT / "samples" / "flask_app"


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event_for("rest", path="/api/items", query="limit=1")))
    return path


def test_prints_the_result_of_a_sample(event_file: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.chdir(FLASK)
    monkeypatch.delitem(sys.modules, "app", raising=False)  # another test's sample of that name: not this one
    assert main(["invoke", "app:handler", str(event_file)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["statusCode"] == 200
    assert json_of(result) == {"items": [{"id": 1, "name": "apple"}]}


def test_reads_the_event_from_stdin_in_a_real_process() -> None:
    event = json.dumps(event_for("http", method="POST", path="/echo", body=b"\x00\x01", binary=True))
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "invoke", "app:handler", "-"], input=event,
                          capture_output=True, text=True, cwd=FLASK, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["statusCode"], result["isBase64Encoded"], result["body"]) == (200, True, "AAE=")


def test_a_handler_that_raises_prints_lambdas_error_object(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoke_broken_mod.py").write_text("def handler(event, context):\n    raise KeyError('gone')\n")
    assert main(["invoke", "invoke_broken_mod:handler", str(event_file)]) == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'gone'")
    # the handler's frames only, as awslambdaric leaves out its own (bootstrap.py) before the handler's
    assert [frame for frame in error["stackTrace"] if "invoke_broken_mod.py" not in frame] == []
    assert "KeyError: 'gone'" in captured.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the event file"),
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "is a JSON list, not an object"),
        (b"\xff\xfe", "is not UTF-8 text"),
    ],
)
def test_a_bad_event_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes | None, message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = tmp_path / "event.json"
    if content is not None:
        path.write_bytes(content)
    assert main(["invoke", "app:handler", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("lambda-adapter invoke: error: ") and message in error
    assert error.count("\n") == 1


def test_a_wrong_handler_is_one_line_and_exit_2(event_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoke", "no_such_module_xyz:handler", str(event_file)]) == 2
    assert "cannot import module 'no_such_module_xyz'" in capsys.readouterr().err


def test_a_result_lambda_cannot_marshal_prints_lambdas_error_object(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoke_bytes_mod.py").write_text("def handler(event, context):\n    return {'body': b'x'}\n")
    assert main(["invoke", "invoke_bytes_mod:handler", str(event_file)]) == 1
    error = json.loads(capsys.readouterr().out)
    message = "Unable to marshal response: Object of type bytes is not JSON serializable"
    assert error == {"errorMessage": message, "errorType": "Runtime.MarshalError", "requestId": error["requestId"],
                     "stackTrace": []}  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("./nope.py:handler", "cannot import module 'nope'"),
        ("app:nope", "module 'app' has no attribute 'nope'"),
        ("app", "expected MODULE:HANDLER"),
    ],
)
def test_a_wrong_handler_is_one_line_and_status_2_in_a_real_process(spec: str, words: str, event_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "invoke", spec, str(event_file)],
                          capture_output=True, text=True, cwd=FLASK, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1 and words in done.stderr and "Traceback" not in done.stderr


def test_a_file_path_handler_is_invoked_in_a_real_process(event_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "invoke", "./app.py:handler", str(event_file)],
                          capture_output=True, text=True, cwd=FLASK, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json_of(json.loads(done.stdout)) == {"items": [{"id": 1, "name": "apple"}]}
