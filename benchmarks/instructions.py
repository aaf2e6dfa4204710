"""Instruction counts (valgrind's callgrind): per event, and added to a cold start.

Wall time on a shared 2-core machine wanders by +-20% between runs; instruction counts do not.
Run standalone: ``python benchmarks/instructions.py [--quick]`` (needs valgrind: ``apt-get install
valgrind``; skipped with a note when it is missing); benchmarks/suite.py uses its functions.

Per event: a subprocess handles N events, another handles 0; the difference over N is the
cost of one event, for our handler and the peer's, with the same trivial app and event.
Cold start: a fresh interpreter imports the sample handler and answers one event, against the
same app called with a hand-built environ / scope (the floor); what the adapter adds is the
difference. Peers: apig-wsgi (Flask sample) and Mangum (FastAPI sample). The count stops at the
answer (``os._exit``): a Lambda environment never runs interpreter exit, so it is no part of a cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "_instructions_target.py"


def instructions(*args: str) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    for line in done.stderr.splitlines():
        if "Collected" in line:
            return int(line.split()[-1])
    raise RuntimeError(f"callgrind gave no count for {args}: {done.stderr[-500:]}")


def per_event(handler: str, event: str, number: int) -> int:
    return (instructions("event", handler, event, str(number)) - instructions("event", handler, event, "0")) // number


def cold(kind: str) -> int:
    return instructions("cold", kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cold-only", action="store_true", help="only the cold-start figures")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions: valgrind is not installed (apt-get install valgrind); skipped")
        return
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lambda_adapter"], cwd=ROOT, check=True)
    number = 100 if args.quick else 1000
    if args.cold_only:
        number = 0
    report: dict[str, object] = {}
    print(f"per event, instructions (callgrind), {number} events; ratio = ours / peer")
    for ours, peer in (
        () if args.cold_only else (("wsgi", "apig"), ("asgi", "mangum"), ("asgi-lifespan", "mangum-lifespan"))
    ):
        for event in ("v1", "v2", "v1-recorded", "v2-recorded"):
            a, b = per_event(ours, event, number), per_event(peer, event, number)
            report[f"{ours} vs {peer} {event}"] = {"ours": a, "peer": b, "ratio": a / b}
            print(f"  {ours:<14} vs {peer:<16} {event:<12} {a:>9,} {b:>9,}  ratio {a / b:.2f}")
    print("cold start: instructions the adapter adds over calling the app directly (the floor)")
    for framework, peer in (("flask", "apig"), ("fastapi", "mangum")):
        floor = cold(f"{framework}-floor")
        ours, theirs = cold(f"{framework}-ours") - floor, cold(f"{framework}-{peer}") - floor
        bundled = cold(f"{framework}-bundled") - floor  # the same code without importlib: any layout's bound
        report[f"cold {framework}"] = {"floor": floor, "ours_added": ours, "peer_added": theirs, "ratio": ours / theirs,
                                       "bundled_added": bundled, "bundled_ratio": bundled / theirs}  # fmt: skip
        print(
            f"  {framework:<8} floor {floor:>12,}  ours +{ours:>10,}  {peer} +{theirs:>10,}  ratio {ours / theirs:.2f}"
            f"  (without importlib +{bundled:>10,}, ratio {bundled / theirs:.2f})"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
