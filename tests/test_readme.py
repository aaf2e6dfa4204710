"""The README's examples for developing locally and testing a handler run as written (from samples/flask_app)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

FLASK = ROOT / "samples" / "flask_app"


def blocks(section: str, language: str) -> list[str]:
    """The ``language`` code blocks of the README section titled ``section``."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", body, re.DOTALL)


@pytest.mark.parametrize("code", blocks("Testing your handler", "python"))
def test_python_examples_run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=FLASK, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_event_and_invoke_examples_run(tmp_path: Path) -> None:
    (serve, one_at_a_time) = blocks("Developing locally", "sh")
    assert "lambda-adapter serve app:handler --format rest --stage dev" in serve  # run by tests/test_serve.py
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "lambda-adapter").exists(), "the console script is installed next to the interpreter"
    script = f"set -euo pipefail\ncd {FLASK}\n" + one_at_a_time.replace("event.json", str(tmp_path / "event.json"))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"statusCode": 200') == 2
