"""Wall-clock measurements, always side by side: interleaved rounds, ratios ours / peer as min / median / max."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _peers import ROOT, get_event, same_answer

from lambda_adapter.testing import LambdaContext

HERE = Path(__file__).resolve().parent
OURS = "lambda-adapter"


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def in_turn(names: list[str], turn: int) -> list[str]:
    """The order of one round: forwards, then backwards (ours, peer, peer, ours, ...), so that no one is always
    first (after the previous round's garbage, a cold cache) or always last."""
    return names if turn % 2 == 0 else names[::-1]


def per_call(handler: Callable[[Any, Any], Any], event: Any, context: Any, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        handler(event, context)
    return (time.perf_counter() - start) / number


def compare(handlers: dict[str, Callable[[Any, Any], Any]], event: Any, rounds: int, number: int) -> dict[str, Any]:
    """Each handler ``number`` calls per round, in turn, ``rounds`` times; us per event and ratios to ours."""
    context = LambdaContext()
    answers = {name: handler(event, context) for name, handler in handlers.items()}  # and warms each
    for handler in handlers.values():
        for _ in range(min(number, 20)):
            handler(event, context)
    times: dict[str, list[float]] = {name: [] for name in handlers}
    for turn in range(rounds):
        for name in in_turn(list(handlers), turn):
            times[name].append(per_call(handlers[name], event, context, number))
    ours = times[OURS]
    return {
        "us": {name: statistics.median(values) * 1e6 for name, values in times.items()},
        "ratios": {
            name: spread([a / b for a, b in zip(ours, values, strict=True)])
            for name, values in times.items()
            if name != OURS
        },
        "note": same_answer(answers),
    }


def calls_for(event: dict[str, Any], number: int) -> int:
    """Fewer calls per round for big bodies: the round stays about as long as for a small one."""
    size = len(event.get("body") or "")
    return max(2, min(number, number * 20_000 // (size + 1)))


def fresh(*args: str) -> tuple[float, int]:
    """Wall seconds of a fresh interpreter running ``args``, and the peak RSS (KiB) it prints last."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stdout.split()[-1])


IMPORT = "import time; start = time.perf_counter(); import {0}; print(time.perf_counter() - start)"


def import_costs(modules: list[str], runs: int) -> dict[str, Any]:
    """``import X`` timed inside fresh interpreters, interleaved; ms. Ours byte-compiled first, as pip would."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lambda_adapter"], cwd=ROOT, check=True)
    costs: dict[str, list[float]] = {module: [] for module in modules}
    for turn in range(runs):
        for module in in_turn(modules, turn):
            done = subprocess.run(
                [sys.executable, "-c", IMPORT.format(module)], capture_output=True, text=True, check=True, cwd=ROOT
            )
            costs[module].append(float(done.stdout) * 1000)
    return {
        "ms": {module: statistics.median(values) for module, values in costs.items()},
        "ratios": {
            m: spread([a / b for a, b in zip(costs[modules[0]], v, strict=True)])
            for m, v in costs.items()
            if m != modules[0]
        },
    }


def cold_starts(framework: str, peers: list[str], runs: int) -> dict[str, Any]:
    """Fresh interpreters importing the sample and answering one event, interleaved with the floor; what each adds."""
    kinds = ["floor", "ours", *peers]
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    rss: dict[str, list[int]] = {kind: [] for kind in kinds}
    target = str(HERE / "_instructions_target.py")
    for turn in range(runs):
        for kind in in_turn(kinds, turn):
            seconds, peak = fresh(target, "cold", f"{framework}-{kind}")
            wall[kind].append(seconds * 1000)
            rss[kind].append(peak)
    added = {kind: [a - b for a, b in zip(wall[kind], wall["floor"], strict=True)] for kind in kinds[1:]}
    medians = {kind: statistics.median(values) for kind, values in added.items()}
    return {
        "ms": {kind: statistics.median(values) for kind, values in wall.items()},
        "added_ms": {kind: spread(values) for kind, values in added.items()},
        "rss_kib": {kind: statistics.median(values) for kind, values in rss.items()},
        # a ratio of medians: a round's own difference is often below the noise, even negative
        "ratio": {peer: medians["ours"] / medians[peer] if medians[peer] > 0 else None for peer in peers},
    }


def warmup_effect(framework: str, path: str, runs: int) -> dict[str, Any]:
    """The sample's first event in fresh interpreters, without and with ``adapt(app, init_requests=[path])``; ms."""
    from lambda_adapter._cli.coldstart import run_once

    targets = {
        "without": (str(ROOT / "samples" / f"{framework}_app"), "app"),
        "with": (str(HERE), f"_warmed_{framework}"),
    }
    figures: dict[str, dict[str, list[float]]] = {k: {"import": [], "first": [], "warm": []} for k in targets}
    with tempfile.TemporaryDirectory() as scratch:
        event_path = Path(scratch, "event.json")
        event_path.write_text(json.dumps(get_event(path)))
        for turn in range(runs):
            for name in in_turn(list(targets), turn):
                folder, module = targets[name]
                run = run_once(folder, module, "handler", event_path, 20, Path(scratch, "out.json"))
                figures[name]["import"].append(run["import_s"] * 1000)
                figures[name]["first"].append(run["first_event_s"] * 1000)
                figures[name]["warm"].append(statistics.median(run["warm_ns"]) / 1e6)
    return {name: {key: statistics.median(values) for key, values in parts.items()} for name, parts in figures.items()}
