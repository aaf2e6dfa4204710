"""``lambda-adapter coldstart``: real fresh interpreters against the samples and against modules with known costs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter._cli import coldstart_probe as _coldstart_probe
from lambda_adapter._cli import main
from lambda_adapter._cli.coldstart import import_lines, run_once
from lambda_adapter._load import UsageError
from lambda_adapter.testing import http_event, rest_event

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"

HANDLER = """
import time
CALLS = {"n": 0}
def handler(event, context):
    CALLS["n"] += 1
    if CALLS["n"] == 1:
        time.sleep(FIRST)
    return {"statusCode": 200, "body": event.get("rawPath", "")}
"""


def coldstart(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["coldstart", *args])
    out, err = capsys.readouterr()
    return status, out, err


def figures(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    status, out, err = coldstart(capsys, *args, "--json")
    assert status == 0, err
    summary: dict[str, Any] = json.loads(out)
    return summary


def write_event(folder: Path, event: dict[str, Any]) -> str:
    path = folder / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


@pytest.fixture
def slow_module(tmp_path: Path) -> Path:
    """A handler module that sleeps 200 ms at import and 150 ms on its first event only."""
    (tmp_path / "coldstart_slow_mod.py").write_text(
        "import time\ntime.sleep(0.2)\nFIRST = 0.15\n" + HANDLER.replace("import time\n", "")
    )
    return tmp_path


@pytest.mark.parametrize(
    ("sample", "event", "packages"),
    [
        ("flask_app/app.py:handler", http_event(path="/api/items"), {"flask", "werkzeug"}),
        ("fastapi_app/app.py:handler", rest_event(path="/api/items"), {"fastapi", "pydantic", "starlette"}),
        ("django_app/app.py:handler", http_event(path="/api/items"), {"django"}),
    ],
)
def test_samples_report_every_figure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample: str, event: dict[str, Any], packages: set[str]
) -> None:
    summary = figures(
        capsys, str(SAMPLES / sample), "--runs", "2", "--warm", "30", "--event", write_event(tmp_path, event)
    )
    assert summary["runs"] == 2
    assert summary["status"] == 200
    for name in ("startup_ms", "import_ms", "first_event_ms", "to_first_response_ms", "peak_rss_mib"):
        spread = summary[name]
        assert 0 < spread["min"] <= spread["median"] <= spread["max"], name
    assert summary["to_first_response_ms"]["min"] > summary["import_ms"]["min"]
    assert summary["warm_us"]["events"] == 60
    assert 0 < summary["warm_us"]["p50"] <= summary["warm_us"]["p99"]
    assert summary["peak_rss_mib"]["median"] >= summary["rss_after_import_mib"]["median"] > 10
    named = {entry["package"] for entry in summary["import_by_package"]}
    assert packages <= named | {"lambda_adapter"}, named  # the framework's packages lead the import
    assert any(
        entry["module"] in packages or entry["module"].startswith("django") for entry in summary["heaviest_imports"]
    )
    assert summary["findings"][0].startswith("Importing the handler module is")


def test_numbers_come_from_real_runs(capsys: pytest.CaptureFixture[str], slow_module: Path) -> None:
    summary = figures(capsys, str(slow_module / "coldstart_slow_mod.py") + ":handler", "--runs", "2", "--warm", "20")
    assert summary["import_ms"]["min"] >= 200
    assert summary["first_event_ms"]["min"] >= 150
    assert summary["warm_us"]["p99"] < 150_000  # only the first event of each run slept
    assert summary["to_first_response_ms"]["min"] >= 350
    assert summary["import_by_package"][0]["package"] == "coldstart_slow_mod"  # its own sleep, not time's
    assert any("first event took" in line for line in summary["findings"])


def test_human_report_and_progress(capsys: pytest.CaptureFixture[str], slow_module: Path) -> None:
    status, out, err = coldstart(capsys, str(slow_module / "coldstart_slow_mod.py:handler"), "--runs", "2")
    assert status == 0
    assert "run 1/2: startup" in err and "run 2/2: startup" in err
    for words in ("import of the handler", "time to first response", "warm event p50 / p99", "peak RSS",
                  "Import by top-level package", "Where the cold start goes:", "status 200"):  # fmt: skip
        assert words in out, words


def test_module_name_on_the_working_directory(
    capsys: pytest.CaptureFixture[str], slow_module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(slow_module)
    summary = figures(capsys, "coldstart_slow_mod:handler", "--runs", "1", "--warm", "0")
    assert summary["import_ms"]["min"] >= 200 and summary["warm_us"]["events"] == 0


@pytest.mark.parametrize(
    ("source", "spec", "extra", "message"),
    [
        ("", "coldstart_absent_xyz:handler", [], "cannot import module 'coldstart_absent_xyz'"),
        ("x = 1\n", "MOD:handler", [], "has no attribute 'handler'"),
        ("handler = 3\n", "MOD:handler", [], "not a callable handler"),
        ("import coldstart_missing_dep_xyz\n", "MOD:handler", [], "No module named 'coldstart_missing_dep_xyz'"),
        ("def handler(e, c):\n    raise ValueError('nope')\n", "MOD:handler", [], "the handler failed on the event"),
        ("def handler(e, c):\n    return 1\n", "MOD:handler", ["--runs", "0"], "--runs and --top must be at least 1"),
        ("def handler(e, c):\n    return 1\n", "MOD:handler", ["--timeout", "0"], "--timeout above 0"),
        (
            "import time\ntime.sleep(60)\n",
            "MOD:handler",
            ["--timeout", "1"],
            "did not finish within 1 s (stopped in the import",
        ),
        ("def handler(e, c):\n    return 1\n", "MOD:handler", ["--event", "absent.json"], "cannot read the event"),
        ("def handler(e, c):\n    return 1\n", "MOD:handler", ["--event", "MOD.py"], "is not JSON"),
        ("def handler(e, c):\n    return 1\n", "MOD:handler", ["--event", "list.json"], "holds a list"),
        ("", "absent_file.py:handler", [], "no Python file"),
        ("", "MOD.py", [], "expected FILE.py:HANDLER"),
    ],
)
def test_mistakes_are_one_clear_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    spec: str,
    extra: list[str],
    message: str,
) -> None:
    name = f"coldstart_case_{abs(hash((source, spec, tuple(extra)))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(source)
    (tmp_path / "list.json").write_text("[1, 2]")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    args = [item.replace("MOD", name) for item in [spec.replace("MOD", name), *extra]]
    status, _out, err = coldstart(capsys, *args, "--warm", "1", *([] if "--runs" in extra else ["--runs", "1"]))
    assert status == 2
    assert message in err
    assert err.count("Traceback") <= 1 and "lambda-adapter coldstart: error:" in err
    sys.modules.pop(name, None)


def test_import_lines_split_by_phase() -> None:
    mark = _coldstart_probe.MARK
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:        10 |         10 | startup_only",
        f"{mark} import",
        "import time:       100 |        100 |   child",
        "import time:        50 |        150 | parent",
        "an app's own log line",
        f"{mark} first-event",
        "import time:         7 |          7 | lazy.module",
    ])  # fmt: skip
    phases = import_lines(stderr)
    assert phases == {
        "import": [("child", 100, 100, 1), ("parent", 50, 150, 0)],
        "first-event": [("lazy.module", 7, 7, 0)],
    }


def test_probe_writes_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's side, in this process: its figures file has every field the parent reads."""
    (tmp_path / "coldstart_probe_mod.py").write_text("FIRST = 0.0\n" + HANDLER)
    event = write_event(tmp_path, http_event(path="/x"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    out = tmp_path / "out.json"
    assert _coldstart_probe.main([str(tmp_path), "coldstart_probe_mod", "handler", event, "5", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["status"] == 200 and len(written["warm_ns"]) == 5 and written["phase"] == "warm"
    assert written["peak_rss_kib"] >= written["rss_after_import_kib"] > 0
    assert _coldstart_probe.main([str(tmp_path), "coldstart_probe_mod", "absent", event, "0", str(out)]) == 1
    failed = json.loads(out.read_text())
    assert failed["phase"] == "lookup" and failed["error"].startswith("AttributeError")
    sys.modules.pop("coldstart_probe_mod", None)


def test_the_command_line_runs_it(slow_module: Path) -> None:
    """``python -m lambda_adapter coldstart``, as a user types it: the report on stdout, progress on stderr."""
    spec = str(slow_module / "coldstart_slow_mod.py") + ":handler"
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "coldstart", spec, "--runs", "1", "--json"],
                          capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["import_ms"]["min"] >= 200
    assert "run 1/1: startup" in done.stderr


@pytest.mark.parametrize(
    ("ending", "message"),
    [
        ("import sys\nsys.exit(3)\n", "failed in a fresh interpreter"),
        ("import os\nos._exit(0)\n", "ended during the import phase without reporting (exit status 0)"),
    ],
)
def test_a_module_that_exits_is_reported_and_not_imported_here(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ending: str, message: str
) -> None:
    module = tmp_path / "coldstart_exits_mod.py"
    trace = f"open({str(tmp_path / 'imported')!r}, 'a').write('x')\n"
    module.write_text(f"{trace}{ending}def handler(e, c):\n    return 1\n")
    status, _out, err = coldstart(capsys, f"{module}:handler", "--runs", "2", "--warm", "1")
    assert status == 2 and message in err and "lambda-adapter coldstart: error:" in err
    assert (tmp_path / "imported").read_text() == "x"  # one child imported it, then the command stopped; never here
    assert "coldstart_exits_mod" not in sys.modules


def test_an_error_answer_is_called_out_first(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An app that fails on the event still answers (500): the report must not pass that off as its cold start."""
    module = tmp_path / "coldstart_crash_mod.py"
    module.write_text(
        "from lambda_adapter import adapt\ndef app(environ, start_response):\n    raise RuntimeError('boom')\n"
        "handler = adapt(app)\n"
    )
    summary = figures(capsys, f"{module}:handler", "--runs", "1", "--warm", "2")
    assert summary["status"] == 500
    assert summary["findings"][0].startswith("The handler answered 500, not a success")


def test_json_fields_are_the_documented_ones(capsys: pytest.CaptureFixture[str], slow_module: Path) -> None:
    """``--json`` is an interface: its top-level fields are exactly those the docs list."""
    section = (ROOT / "docs" / "cold-start.md").read_text().split("### Measure it")[1].split("\n### ")[0]
    documented = set(re.findall(r"`(\w+)`", section.split("--json` fields:")[1].split(".\n")[0]))
    summary = figures(capsys, str(slow_module / "coldstart_slow_mod.py") + ":handler", "--runs", "1", "--warm", "1")
    assert set(summary) == documented


def test_a_dead_run_never_reads_an_earlier_runs_figures(tmp_path: Path) -> None:
    """``run_once`` with a reused figures file (as the benchmark's warm-up comparison does) and a child that dies."""
    (tmp_path / "coldstart_dies_mod.py").write_text("import os\nos._exit(0)\n")
    event = Path(write_event(tmp_path, http_event(path="/")))
    out = tmp_path / "out.json"
    out.write_text(json.dumps({"started_at": 0.0, "import_s": 0.001, "first_event_s": 0.001, "status": 200}))
    with pytest.raises(UsageError, match="ended during the import phase"):
        run_once(str(tmp_path), "coldstart_dies_mod", "handler", event, 1, out)
