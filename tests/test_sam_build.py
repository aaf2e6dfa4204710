"""A sample built as a user builds it (docs/install.md): the wheel first, then ``sam build`` (SAM CLI
from PyPI, no Docker) in a fresh copy of the repository; the built function directory then answers
an HTTP API event under AWS's own runtime interface client (awslambdaric), against a loopback
Runtime API, with nothing of this checkout on its path.

SAM CLI is found as ``$SAM_CLI``, in ``.venv-sam`` (where ``bash tasks.sh test`` installs it) or on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_adapter.testing import http_event
from tests.runtime_api import RuntimeAPIServer

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def sam_cli() -> str | None:
    for candidate in (os.environ.get("SAM_CLI"), str(ROOT / ".venv-sam" / "bin" / "sam"), shutil.which("sam")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def fresh_copy(target: Path) -> Path:
    """The repository's tracked files, as a clone has them (this checkout's content)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def built_flask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """samples/flask_app built by ``sam build``, after ``pip wheel`` as docs/install.md tells a user."""
    sam = sam_cli()
    if sam is None:
        pytest.skip("SAM CLI is not installed (bash tasks.sh test installs it into .venv-sam)")
    clone = fresh_copy(tmp_path_factory.mktemp("clone"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", "dist", "."],
                   cwd=clone, check=True)  # fmt: skip
    sample = clone / "samples" / "flask_app"
    template = sample / "template.yaml"
    # the function's Python is the one running this suite (awslambdaric is installed for it): every
    # Python the matrix runs is a Lambda runtime; the template's own runtime is built by hand (docs)
    template.write_text(template.read_text().replace("Runtime: python3.12", f"Runtime: {RUNTIME}"))
    build = clone / "build"
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # SAM looks for python3.X on PATH
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": path}
    done = subprocess.run([sam, "build", "--build-dir", str(build)], cwd=sample, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Build Succeeded" in done.stdout + done.stderr
    return build / "FlaskFunction"


def test_sam_build_of_a_sample_answers_under_awslambdaric(built_flask: Path, tmp_path: Path) -> None:
    assert (built_flask / "lambda_adapter" / "__init__.py").is_file()  # from the wheel, into the function
    import awslambdaric

    api = RuntimeAPIServer()
    ric_site = str(Path(awslambdaric.__file__).parent.parent)
    # -S: no site-packages, so no editable install of this checkout; the function's folder first, then
    # the folder awslambdaric is installed in (the managed runtime's place for it)
    env = {"PATH": os.environ["PATH"], "AWS_LAMBDA_RUNTIME_API": api.address, "LAMBDA_TASK_ROOT": str(built_flask),
           "PYTHONPATH": os.pathsep.join([str(built_flask), ric_site])}  # fmt: skip
    log = (tmp_path / "runtime.log").open("wb")
    process = subprocess.Popen([sys.executable, "-S", "-m", "awslambdaric", "app.handler"], cwd=built_flask, env=env,
                               stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        answer = api.invoke(http_event(path="/api/items", query="limit=1"), timeout=60)
        assert answer.kind == "response", (tmp_path / "runtime.log").read_text()
        result = json.loads(answer.body)
        assert result["statusCode"] == 200
        assert json.loads(result["body"]) == {"items": [{"id": 1, "name": "apple"}]}
        assert result["headers"]["content-type"] == "application/json"
    finally:
        process.kill()
        process.wait()
        log.close()
        api.close()
