"""``lambda-adapter coldstart MODULE:HANDLER``: where a handler's cold start goes, measured in fresh interpreters.

Invariants:
- Every figure comes from a real run: each run is a new ``python -X importtime`` process running
  ``coldstart_probe`` (import the handler module, answer the event once cold, then warm); nothing
  is estimated. Progress goes to stderr, the report (or ``--json``) to stdout.
- Import-time lines are split by the probe's phase marks: those of the import, and those of the
  first event (lazy imports a framework does on its first request).
- A wrong ``MODULE:HANDLER`` or event file, or a handler that fails, is a ``UsageError``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .._load import UsageError, split_spec
from .coldstart_probe import MARK

PROBE = Path(__file__).with_name("coldstart_probe.py")
_PREFIX = "import time:"
BROWSER_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-encoding": "gzip, deflate, br",
    "accept-language": "en-GB,en;q=0.9",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "x-amzn-trace-id": "Root=1-5e272390-8c398be037738dc042009320",
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def add_arguments(parser: Any) -> None:
    parser.add_argument("handler", metavar="MODULE:HANDLER", help="e.g. app:handler or path/to/app.py:handler")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters to run (default 5)")
    parser.add_argument("--event", type=Path, help="the event as a JSON file (default: an HTTP API GET /)")
    parser.add_argument("--warm", type=int, default=200, help="warm events per run after the first (default 200)")
    parser.add_argument("--top", type=int, default=8, help="how many packages and modules to list (default 8)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the report")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one run may take (default 300)")


def run(args: Any) -> int:
    if args.runs < 1 or args.warm < 0 or args.top < 1 or args.timeout <= 0:
        raise UsageError("--runs and --top must be at least 1, --warm at least 0, --timeout above 0")
    folder, module_name, attribute = locate(args.handler)
    event, event_name = _event(args.event)
    print(f"coldstart: {args.handler}, {args.runs} fresh interpreters (python -X importtime)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="lambda-adapter-coldstart-") as scratch:
        event_path = Path(scratch, "event.json")
        event_path.write_text(json.dumps(event), encoding="utf-8")
        runs = []
        for number in range(1, args.runs + 1):
            out = Path(scratch, f"{number}.json")
            figures = run_once(folder, module_name, attribute, event_path, args.warm, out, timeout=args.timeout)
            runs.append(figures)
            print(f"  run {number}/{args.runs}: {_progress(figures)}", file=sys.stderr)
    from .coldstart_report import render, summarise

    summary = summarise(args.handler, event_name, module_name, runs, args.top)
    print(json.dumps(summary, indent=2) if args.json else render(summary))
    return 0


def locate(spec: str) -> tuple[str, str, str]:
    """(folder to import from, module name, attribute) for ``MODULE:HANDLER`` or ``path/to/file.py:HANDLER``."""
    module_name, attribute = split_spec(spec) if ":" in spec or not spec.endswith(".py") else (spec, "")
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = Path(module_name)
        if not path.is_file() or path.suffix != ".py":
            raise UsageError(f"no Python file {module_name!r}")
        if not attribute:
            raise UsageError(f"expected FILE.py:HANDLER such as 'app.py:handler', got {spec!r}")
        return str(path.resolve().parent), path.stem, attribute
    return os.path.abspath(os.getcwd()), module_name, attribute


def _event(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        from ..testing import http_event

        return http_event(method="GET", path="/", headers=BROWSER_HEADERS), "HTTP API (payload 2.0) GET /"
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the event file {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"the event file {str(path)!r} is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise UsageError(f"the event file {str(path)!r} holds a {type(event).__name__}, not a JSON object")
    return event, str(path)


def run_once(
    folder: str, module_name: str, attribute: str, event_path: Path, warm: int, out: Path, timeout: float = 300.0
) -> dict[str, Any]:
    """One fresh interpreter: its figures, with its import-time lines split by phase. A child that hangs
    is killed after ``timeout`` seconds (a ``UsageError``): the command never waits for ever."""
    command = [sys.executable, "-X", "importtime", str(PROBE), folder, module_name, attribute, str(event_path)]
    out.unlink(missing_ok=True)  # a child that dies must not leave an earlier run's figures to be read as its own
    spawned = time.time()
    done = _spawn([*command, str(warm), str(out)], timeout)
    finished = time.time()
    try:
        figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(_ended_early(done.returncode, done.stderr)) from None
    if "error" in figures:
        _explain_failure(figures, folder, module_name, attribute)
    figures["startup_s"] = max(0.0, figures.pop("started_at") - spawned)
    figures["process_s"] = finished - spawned
    figures["imports"] = import_lines(done.stderr)
    return figures


def _spawn(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed it; its marks say where it hung
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        marks = [line[len(MARK) :].strip() for line in stderr.splitlines() if line.startswith(MARK)]
        where = marks[-1] if marks else "startup"
        raise UsageError(
            f"a run did not finish within {timeout:g} s (stopped in the {where} phase; give it longer with --timeout)"
        ) from None


def _explain_failure(figures: dict[str, Any], folder: str, module_name: str, attribute: str) -> None:
    """A ``UsageError`` from what the child wrote: the user's code is never imported in this process."""
    phase, missing = figures.get("phase"), figures.get("missing")
    if phase == "import" and missing and (module_name + ".").startswith(missing + "."):
        raise UsageError(f"cannot import module {module_name!r} (looked in {folder} and sys.path)")
    if phase == "lookup":
        raise UsageError(f"{module_name}:{attribute} is not a callable handler ({figures['error']})")
    if phase == "import":
        raise UsageError(f"importing {module_name!r} failed in a fresh interpreter:\n{figures['trace'].rstrip()}")
    raise UsageError(f"the handler failed on the event ({figures['error']}):\n{figures['trace'].rstrip()}")


def _ended_early(returncode: int, stderr: str) -> str:
    """Why a child wrote no figures: the process ended (``os._exit``, a signal) in the phase its last mark names."""
    lines = [line for line in stderr.splitlines() if not line.startswith(_PREFIX)]
    phase = next((line[len(MARK) :].strip() for line in reversed(lines) if line.startswith(MARK)), "startup")
    tail = "\n".join(line for line in lines if not line.startswith(MARK))[-2000:]
    return (
        f"the measuring interpreter ended during the {phase} phase without reporting (exit status {returncode}): "
        f"the module or the handler ended the process (os._exit, a signal){':' if tail else '.'}\n{tail}".rstrip()
    )


def import_lines(stderr: str) -> dict[str, list[tuple[str, int, int, int]]]:
    """``-X importtime`` lines by phase: (module, self us, cumulative us, nesting depth), in order."""
    phases: dict[str, list[tuple[str, int, int, int]]] = {}
    current: list[tuple[str, int, int, int]] | None = None
    for line in stderr.splitlines():
        if line.startswith(MARK):
            current = phases.setdefault(line[len(MARK) :].strip(), [])
        elif current is not None and line.startswith(_PREFIX) and "|" in line:
            own, cumulative, name = line[len(_PREFIX) :].split("|", 2)
            if own.strip().isdigit():
                stripped = name.lstrip()
                depth = (len(name) - len(stripped) - 1) // 2
                current.append((stripped.rstrip(), int(own), int(cumulative), depth))
    return phases


def _progress(figures: dict[str, Any]) -> str:
    return (
        f"startup {figures['startup_s'] * 1000:.0f} ms, import {figures['import_s'] * 1000:.0f} ms, "
        f"first event {figures['first_event_s'] * 1000:.1f} ms, status {figures['status']}"
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
