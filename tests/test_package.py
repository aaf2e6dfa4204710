"""The package itself: public surface, import cost rules, typing marker, SAM templates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lambda_adapter

ROOT = Path(__file__).resolve().parent.parent
CFN_LINT = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"


def test_exported_members() -> None:
    assert sorted(lambda_adapter.__all__) == [
        "EventFailed",
        "InvalidResponse",
        "LifespanFailure",
        "UnsupportedEvent",
        "adapt",
        "testing",
    ]
    public = {name for name in dir(lambda_adapter) if not name.startswith("_")}
    # public submodules appear as attributes once imported; their own __all__ is pinned where they are tested
    assert public - {"runtime", "testing", "websocket"} <= set(lambda_adapter.__all__)
    assert "annotations" not in public  # no stray name from ``from __future__ import annotations``
    assert lambda_adapter.testing.event_for  # reachable as an attribute


def _modules_after(code: str) -> list[str]:
    done = subprocess.run(
        # -S: no site-packages, whose .pth files (editable installs) import modules of their own;
        # -E: no PYTHON* variables (PYTHONDEVMODE, as tasks.sh sets it, imports warnings at start-up)
        [sys.executable, "-E", "-S", "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_import_and_a_wsgi_event_never_import_asyncio() -> None:
    loaded = _modules_after(
        "import lambda_adapter\n"
        "from lambda_adapter import adapt\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hi']\n"
        "event = {'version': '2.0', 'rawPath': '/', 'rawQueryString': '', 'headers': {'host': 'x'},\n"
        "         'requestContext': {'http': {'method': 'GET', 'sourceIp': '1.2.3.4'}}}\n"
        "assert adapt(app)(event, None)['statusCode'] == 200\n"
        "assert adapt(app)({'x': 1} if False else event, None)['body'] == 'hi'\n"
    )
    assert "asyncio" not in loaded
    assert "lambda_adapter._run.asgi" not in loaded
    ours = sorted(name for name in loaded if name.startswith("lambda_adapter"))
    assert ours == [  # the cold path: one pipeline; detection in the _events package, field rules in cgi (issue 17)
        "lambda_adapter", "lambda_adapter._adapt", "lambda_adapter._events",
        "lambda_adapter._events.apigw_v2", "lambda_adapter._events.cgi", "lambda_adapter._events.encoding",
        "lambda_adapter._model", "lambda_adapter._options", "lambda_adapter._run",
        "lambda_adapter._run.wsgi",
    ]  # fmt: skip
    for stdlib in ("threading", "warnings"):  # the loop guard and the deprecation path stay off it
        assert stdlib not in loaded, stdlib
    for heavy in ("typing", "logging", "urllib.parse", "base64", "dataclasses", "inspect"):
        assert heavy not in loaded, heavy


def test_a_compressed_buffered_answer_never_imports_the_streaming_module() -> None:
    loaded = _modules_after(
        "from lambda_adapter import adapt\n"
        "from lambda_adapter.testing import LambdaContext, http_event, url_event\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hi ' * 1000]\n"
        "handler = adapt(app, compress=True)\n"
        "result = handler(http_event(path='/', headers={'Accept-Encoding': 'gzip'}), LambdaContext())\n"
        "assert result['headers']['content-encoding'] == 'gzip', result['headers']\n"
        "out = []\n"
        "import sys\n"
        "streamed = 'lambda_adapter._run.streaming' in sys.modules\n"
        "handler.stream(url_event(path='/', headers={'Accept-Encoding': 'gzip'}), LambdaContext(), out.append)\n"
        "assert not streamed and b'content-encoding' in out[0].lower(), out[0]\n"
    )
    assert "lambda_adapter._run.compression" in loaded and "lambda_adapter._run.streaming" in loaded


def test_type_only_declarations_are_never_imported() -> None:
    """``_typing`` is read by type checkers only: its byte code would cost every cold start."""
    loaded = _modules_after(
        "import lambda_adapter, lambda_adapter.runtime, lambda_adapter.websocket\n"
        "from lambda_adapter import adapt, testing\n"
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 204, 'headers': []})\n"
        "    await send({'type': 'http.response.body'})\n"
        "handler = adapt(app, lifespan='off')\n"
        "assert handler(testing.http_event(path='/'), testing.LambdaContext())['statusCode'] == 204\n"
    )
    assert "lambda_adapter.runtime" in loaded and "lambda_adapter._run.asgi" in loaded
    assert "lambda_adapter._typing" not in loaded


def test_asgi_path_imports_asyncio_only_then() -> None:
    loaded = _modules_after(
        "from lambda_adapter import adapt\nasync def app(scope, receive, send):\n    pass\nadapt(app, lifespan='off')\n"
    )
    assert "asyncio" in loaded and "lambda_adapter._run.wsgi" not in loaded


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "lambda_adapter" / "py.typed").exists()


@pytest.mark.parametrize("template", sorted(ROOT.glob("samples/*/template.yaml")), ids=lambda p: p.parent.name)
def test_sam_templates_pass_cfn_lint(template: Path) -> None:
    done = subprocess.run([CFN_LINT, str(template)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_catches_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(
        (ROOT / "samples" / "flask_app" / "template.yaml")
        .read_text()
        .replace("Handler: app.handler", "Handlr: app.handler")
    )
    done = subprocess.run([CFN_LINT, str(broken)], capture_output=True, text=True)
    assert done.returncode != 0
