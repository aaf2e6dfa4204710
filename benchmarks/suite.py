"""lambda-adapter against Mangum, apig-wsgi and serverless-wsgi: the whole benchmark suite, one command.

Run: ``bash tasks.sh bench`` (full: writes benchmarks/RESULTS.md and benchmarks/results.png), or
``bash tasks.sh bench --quick`` (what CI runs: few rounds, a minimal callgrind count, no callgrind
cold starts; writes to test-artifacts/bench-quick/ and leaves RESULTS.md alone). Asserts nothing
about speed: it measures and reports.

Every comparison runs side by side in one run: wall-clock rounds are interleaved (ours, peer,
peer, ours, ...) so that the machine's noise hits all alike, and each is reported as the ratio
ours / peer with min / median / max over the rounds. Instruction counts (valgrind's callgrind)
are repeatable where wall time on a shared machine is not; conclusions rest on them.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _peers  # noqa: E402
import _wall  # noqa: E402
import compression  # noqa: E402
import instructions  # noqa: E402
import managed_instances  # noqa: E402
from _report import write_chart, write_markdown  # noqa: E402

PACKAGES = [
    "lambda-adapter",
    "apig-wsgi",
    "serverless-wsgi",
    "mangum",
    "flask",
    "django",
    "fastapi",
    "starlette",
    "werkzeug",
    "matplotlib",
    "awslambdaric",
]
# issue 17's per-event targets (ours / peer, wall clock); its others (ASGI <= 0.15 x Mangum with lifespan
# auto, cold-start instructions added <= 1.0 x the peer) have no row in this table
TARGETS = {("trivial WSGI", "apig-wsgi"): 1.0, ("trivial ASGI, lifespan off", "Mangum"): 0.5}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import os

    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "valgrind": _valgrind_version(),
    }


def _valgrind_version() -> str:
    if shutil.which("valgrind") is None:
        return "not installed"
    return subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()


def versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in PACKAGES}


def per_event(rounds: int, number: int) -> list[dict[str, Any]]:
    rows = []
    for source in (_peers.trivial_cases, _peers.sample_cases, _peers.body_cases):
        for group, case, handlers, event in source():
            figures = _wall.compare(handlers, event, rounds, _wall.calls_for(event, number))
            rows.append({"group": group, "case": case, **figures})
            ratios = ", ".join(f"{peer} {r['median']:.2f}" for peer, r in figures["ratios"].items())
            say(f"  {group:<28} {case:<12} ours {figures['us']['lambda-adapter']:9.1f} us; ours/peer: {ratios}")
    return rows


def callgrind(quick: bool) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        say("callgrind: valgrind is not installed (apt-get install valgrind): instruction counts skipped")
        return {"skipped": "valgrind is not installed"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lambda_adapter"], cwd=_peers.ROOT, check=True)
    kinds = {
        "WSGI": ["wsgi", "apig", "serverless"],
        "ASGI": ["asgi", "mangum"],
        "ASGI, lifespan on": ["asgi-lifespan", "mangum-lifespan"],  # Mangum runs the lifespan every event
    }
    events, number = (["v2"], 20) if quick else (["v1", "v2", "alb"], 1000)
    if quick:
        kinds = {"WSGI": ["wsgi", "apig"]}
    result: dict[str, Any] = {"per_event": [], "events_counted": number}
    for group, names in kinds.items():
        for event in events:
            counts = {name: instructions.per_event(name, event, number) for name in names}
            result["per_event"].append({"group": group, "case": event, "counts": counts})
            say(f"  callgrind per event {group} {event}: {counts}")
    if quick:
        say("callgrind cold starts: skipped in quick mode (each takes about a minute under valgrind)")
        result["cold"] = "skipped in quick mode"
        return result
    result["cold"] = {}
    for framework, peers in (("flask", ["apig", "serverless"]), ("fastapi", ["mangum"])):
        counts = {kind: instructions.cold(f"{framework}-{kind}") for kind in ["floor", "ours", "bundled", *peers]}
        result["cold"][framework] = counts
        say(f"  callgrind cold start {framework}: {counts}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few rounds: proves the suite runs, measures little")
    parser.add_argument("--out", type=Path, help="folder for RESULTS.md, results.png and results.json")
    args = parser.parse_args()
    out = args.out or (_peers.ROOT / "test-artifacts" / "bench-quick" if args.quick else HERE)
    out.mkdir(parents=True, exist_ok=True)
    rounds, number, runs = (3, 100, 1) if args.quick else (15, 1000, 7)
    started = time.perf_counter()
    report: dict[str, Any] = {"quick": args.quick, "rounds": rounds, "calls": number, "runs": runs}
    report["machine"], report["versions"] = machine(), versions()
    say(f"per event, wall clock: {rounds} interleaved rounds of up to {number} calls")
    report["per_event"] = per_event(rounds, number)
    say(f"import cost: {runs * 2} fresh interpreters each, interleaved")
    modules = ["lambda_adapter", "apig_wsgi", "serverless_wsgi", "mangum"]
    report["imports"] = _wall.import_costs(modules, runs * 2)
    say(f"  {report['imports']['ms']}")
    say(f"cold start, wall clock and peak RSS: {runs} interleaved fresh interpreters per kind")
    report["cold"] = {
        fw: _wall.cold_starts(fw, peers, runs)
        for fw, peers in (("flask", ["apig", "serverless"]), ("fastapi", ["mangum"]))
    }
    say(f"  {json.dumps({fw: c['ratio'] for fw, c in report['cold'].items()})}")
    say("warm-up in init: the first event without and with adapt(app, init_requests=['/api/items'])")
    report["warmup"] = {fw: _wall.warmup_effect(fw, "/api/items", max(runs, 2)) for fw in ("flask", "fastapi")}
    say(f"  {report['warmup']}")
    say("compression: cost per MB and bytes saved on a JSON list of records")
    report["compression"] = compression.measure(args.quick)
    for answer in report["compression"]["answers"]:
        say(f"  {answer['bytes']:,} B: " + ", ".join(f"{r['case']} {r['result_bytes']:,} B" for r in answer["handler"]))
    say("Lambda Managed Instances: our runtime loop against awslambdaric, same apps, loopback Runtime API")
    report["managed_instances"] = managed_instances.measure(args.quick, say)
    say("instruction counts (callgrind)")
    report["instructions"] = callgrind(args.quick)
    report["targets"] = {f"{group} | {peer}": target for (group, peer), target in TARGETS.items()}
    report["seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, out / "RESULTS.md", TARGETS)
    write_chart(report, out / "results.png")
    say(f"wrote {out / 'RESULTS.md'} and {out / 'results.png'} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
