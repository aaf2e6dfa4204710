"""Per-event cost and import cost of lambda-adapter against apig-wsgi and Mangum, side by side.

Run standalone: ``python benchmarks/per_event.py [--quick]``; ``bash tasks.sh bench`` runs the whole
suite (benchmarks/suite.py), which adds serverless-wsgi, ALB, the samples and bodies. Every comparison runs the peers
in this one process, in interleaved rounds (ours, peer, ours, peer, ...), so that machine noise
hits both alike; the report gives our time over the peer's as min / median / max of the rounds.
Targets (issue 17): <= 1.0 x apig-wsgi (WSGI), <= 0.5 x Mangum (ASGI, lifespan off), <= 0.15 x Mangum (lifespan on).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apig_wsgi import make_lambda_handler  # noqa: E402
from mangum import Mangum  # noqa: E402

from lambda_adapter import adapt  # noqa: E402
from lambda_adapter.testing import LambdaContext, http_event, rest_event  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _instructions_target import trivial_asgi as asgi_app  # noqa: E402
from _instructions_target import trivial_wsgi as wsgi_app  # noqa: E402

EVENTS = ROOT / "tests" / "events" / "recorded"
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
    "Accept-Language": "en-GB,en;q=0.9",
    "Cache-Control": "no-cache",
    "Cookie": "session=abc123; theme=dark",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "X-Amzn-Trace-Id": "Root=1-5e272390-8c398be037738dc042009320",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


def events() -> dict[str, dict[str, Any]]:
    def recorded(name: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS / name).read_text())
        return event

    return {
        "v1 recorded (sam rest, 18 headers)": recorded("sam/apigateway-aws-proxy.json"),
        "v2 recorded (powertools, 2 headers)": recorded("powertools/apiGatewayProxyV2Event.json"),
        "v1 browser-like (11 headers)": rest_event(path="/items/42", query="page=2&q=a%20b", headers=BROWSER),
        "v2 browser-like (11 headers)": http_event(path="/items/42", query="page=2&q=a%20b", headers=BROWSER),
    }


def per_call(handler: Callable[[Any, Any], Any], event: dict[str, Any], context: Any, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        handler(event, context)
    return (time.perf_counter() - start) / number


def compare(ours: Any, peer: Any, event: dict[str, Any], rounds: int, number: int) -> dict[str, float]:
    context = LambdaContext()
    for handler in (ours, peer):  # warm both: the first call pays one-time costs
        for _ in range(20):
            handler(event, context)
    ours_times, peer_times, ratios = [], [], []
    for _ in range(rounds):
        a = per_call(ours, event, context, number)
        b = per_call(peer, event, context, number)
        ours_times.append(a)
        peer_times.append(b)
        ratios.append(a / b)
    return {
        "ours_us": statistics.median(ours_times) * 1e6,
        "peer_us": statistics.median(peer_times) * 1e6,
        "ratio_min": min(ratios),
        "ratio_median": statistics.median(ratios),
        "ratio_max": max(ratios),
    }


def import_cost(module: str, runs: int) -> float:
    """Median wall time of ``import module`` in a fresh interpreter, in milliseconds.

    Our package is byte-compiled first, as pip does when it installs a package (the peers are
    installed, so theirs is): otherwise our figure would include compiling the source.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lambda_adapter"], cwd=ROOT, check=True)
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few rounds: proves it runs, measures little")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rounds, number, runs = (3, 200, 3) if args.quick else (25, 2000, 15)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    pairs = [
        ("WSGI vs apig-wsgi", adapt(wsgi_app), make_lambda_handler(wsgi_app), 1.0),
        ("ASGI vs Mangum, lifespan off", adapt(asgi_app, lifespan="off"), Mangum(asgi_app, lifespan="off"), 0.5),
        ("ASGI vs Mangum, lifespan on", adapt(asgi_app, lifespan="on"), Mangum(asgi_app, lifespan="on"), 0.15),
    ]
    report: dict[str, Any] = {"python": sys.version.split()[0], "rounds": rounds, "calls_per_round": number}
    print(f"python {report['python']}; {rounds} interleaved rounds of {number} calls; ratio = ours / peer")
    print(f"{'comparison':<32} {'event':<38} {'ours us':>8} {'peer us':>8} {'min':>6} {'median':>7} {'max':>6} target")
    for label, ours, peer, target in pairs:
        for name, event in events().items():
            figures = compare(ours, peer, event, rounds, number)
            report[f"{label} | {name}"] = figures
            print(
                f"{label:<32} {name:<38} {figures['ours_us']:>8.1f} {figures['peer_us']:>8.1f} "
                f"{figures['ratio_min']:>6.2f} {figures['ratio_median']:>7.2f} {figures['ratio_max']:>6.2f} <= {target}"
            )
    print()
    for module in ("lambda_adapter", "apig_wsgi", "mangum"):
        report[f"import {module} ms"] = cost = import_cost(module, runs)
        print(f"import {module:<16} {cost:7.2f} ms (median of {runs} fresh interpreters)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
