"""What ``benchmarks/`` counts under callgrind runs as it says, without callgrind (CI runs the suite
only in quick mode, which skips the cold starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "benchmarks" / "_instructions_target.py"


@pytest.fixture(scope="module")
def compiled() -> None:
    """The .pyc files the bundled kind reads (benchmarks/instructions.py makes them the same way)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lambda_adapter"], cwd=ROOT, check=True)


@pytest.mark.usefixtures("compiled")
@pytest.mark.parametrize("kind", ["flask-ours", "flask-bundled", "fastapi-ours", "fastapi-bundled"])
def test_a_cold_start_kind_answers_its_event(kind: str) -> None:
    # bundled: its module list is checked against what the first event loads (a stale list fails here)
    done = subprocess.run([sys.executable, str(TARGET), "cold", kind], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 0  # the peak RSS line the wall-clock runs read


def test_the_bundled_kind_refuses_a_stale_module_list(tmp_path: Path) -> None:
    # the same run with one module left out of the list: the check names what was loaded through importlib
    script = tmp_path / "stale.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(TARGET.parent)!r})\n"
        "import _instructions_target as target\n"
        "target.COLD_MODULES['flask'] = tuple(n for n in target.COLD_MODULES['flask'] if n != '_events/cgi')\n"
        "target.cold('flask-bundled')\n"
    )
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "AssertionError" in done.stderr and "lambda_adapter._events.cgi" in done.stderr


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the trace names what ran by co_qualname (3.11+)")
@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_the_cold_bound_writes_what_the_first_event_runs_and_it_loads(framework: str, tmp_path: Path) -> None:
    # the code the trace finds is what answering an event needs, and the synthetic modules made of it import
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cold_bound
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    ran = cold_bound.traced(framework)
    assert ("_adapt.py", "Handler.__call__") in ran and ("_events/apigw_v1.py", "to_request") in ran
    runner = ("_run/wsgi.py", "WSGIRunner.run") if framework == "flask" else ("_run/asgi.py", "ASGIRunner.run")
    assert runner in ran
    assert not {name for _, name in ran} & {"Handler.ainvoke", "too_large"}  # not run by a first event: left out
    pieces = cold_bound.run_code(ran)
    for count in (1, 3, 6):
        names = cold_bound.write_package(tmp_path, f"bound{count}", pieces, count)
        code = "import sys\nsys.path.insert(0, sys.argv[1])\nfor name in sys.argv[2:]:\n    __import__(name)\n"
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path), *names], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
