"""Lambda Managed Instances: our runtime loop against the managed runtime's (awslambdaric), same apps, same
loopback Runtime API (tests/runtime_api.py).

Run: ``python benchmarks/managed_instances.py`` (``--quick``: 4 slots, short requests, one round), or as
part of ``benchmarks/suite.py``. Per app (Flask with ``time.sleep``, FastAPI with ``await asyncio.sleep``,
0.3 s per request, both in ``_mi_apps.py``), per ``AWS_LAMBDA_MAX_CONCURRENCY`` (4 and 16) and per
runtime (awslambdaric, ours with threads, ours with forked processes for WSGI): a fresh process gets
4x as many requests as slots at once (cold: the init is in the time), then as many again (warm);
then the process tree's PSS (``/proc/PID/smaps_rollup``), its processes, and the module inits and
lifespans its log counts. Rounds are interleaved across runtimes; the median round is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from lambda_adapter.testing import url_event  # noqa: E402
from tests.runtime_api import RuntimeAPIServer  # noqa: E402

RUNTIMES = {"asgi": ["awslambdaric", "ours (threads)"], "wsgi": ["awslambdaric", "ours (threads)", "ours (processes)"]}


def command(runtime: str, app: str) -> tuple[list[str], dict[str, str]]:
    if runtime == "awslambdaric":
        return [sys.executable, "-m", "awslambdaric", f"_mi_apps.{app}"], {}
    workers = "processes" if "processes" in runtime else "threads"
    return [sys.executable, "-m", "lambda_adapter.runtime", f"_mi_apps:{app}"], {"LAMBDA_ADAPTER_WORKERS": workers}


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, index = [pid], 0
    while index < len(found):
        for task in Path(f"/proc/{found[index]}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            found += [int(child) for child in children]
        index += 1
    return found


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total


def wave(api: RuntimeAPIServer, count: int) -> float:
    start = time.perf_counter()
    ids = [api.submit(url_event(path="/work"), deadline_in=120) for _ in range(count)]
    for request_id in ids:
        answer = api.wait(request_id, timeout=120)
        assert answer.kind == "response" and json.loads(answer.body)["statusCode"] == 200, answer.body[:300]
    return time.perf_counter() - start


def one_run(runtime: str, app: str, slots: int, sleep: float, log: Path) -> dict[str, Any]:
    api = RuntimeAPIServer()
    argv, extra = command(runtime, app)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_LAMBDA_", "LAMBDA_ADAPTER"))}
    env.update(extra, AWS_LAMBDA_RUNTIME_API=api.address, AWS_LAMBDA_MAX_CONCURRENCY=str(slots), MI_SLEEP=str(sleep))
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT)])
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=HERE, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        cold = wave(api, 4 * slots)
        warm = wave(api, 4 * slots)
        pids = tree(process.pid)
        figures = {"cold_s": cold, "warm_s": warm, "processes": len(pids), "pss_mib": pss_kib(pids) / 1024}
    finally:
        process.kill()  # awslambdaric's workers wait in C, where SIGTERM is not handled
        process.wait(10)
        for pid in tree_left(process.pid):
            os.kill(pid, 9)
        api.close()
    text = log.read_text(errors="replace")
    return {**figures, "module_inits": text.count("module init"), "lifespans": text.count("lifespan startup")}


def tree_left(pid: int) -> list[int]:
    """Children a killed parent left behind (awslambdaric's forked workers), found by their command line."""
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int((proc / "stat").read_text().split(") ")[1].split()[1]) == pid:
                left.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return left


def measure(quick: bool, say: Any = print) -> dict[str, Any]:
    slot_counts, sleep, rounds = ([4], 0.05, 1) if quick else ([4, 16], 0.3, 3)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "lambda-adapter-mi-bench.log"
    rows = []
    for app in ("asgi", "wsgi"):
        for slots in slot_counts:
            runs: dict[str, list[dict[str, Any]]] = {runtime: [] for runtime in RUNTIMES[app]}
            for round_ in range(rounds):
                order = RUNTIMES[app] if round_ % 2 == 0 else list(reversed(RUNTIMES[app]))
                for runtime in order:
                    runs[runtime].append(one_run(runtime, app, slots, sleep, log))
            for runtime, results in runs.items():
                median = sorted(results, key=lambda r: r["warm_s"])[len(results) // 2]
                row = {"app": app, "slots": slots, "runtime": runtime, "requests": 4 * slots, **median,
                       "warm_s_all": [r["warm_s"] for r in results]}  # fmt: skip
                rows.append(row)
                say(f"  {app} {slots:>2} slots {runtime:<17} cold {row['cold_s']:5.2f} s  warm {row['warm_s']:5.2f} s"
                    f"  {row['processes']:>2} processes  {row['module_inits']:>2} inits"
                    f"  {row['lifespans']:>2} lifespans  PSS {row['pss_mib']:6.1f} MiB")  # fmt: skip
    return {"sleep_s": sleep, "rounds": rounds, "rows": rows, "ratios": ratios(rows)}


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ours over awslambdaric's, per app and slot count: warm time and PSS."""
    out = []
    for row in rows:
        if row["runtime"] == "awslambdaric":
            continue
        peer = next(
            r for r in rows if r["runtime"] == "awslambdaric" and (r["app"], r["slots"]) == (row["app"], row["slots"])
        )
        out.append({"app": row["app"], "slots": row["slots"], "runtime": row["runtime"],
                    "time": row["warm_s"] / peer["warm_s"], "cold_time": row["cold_s"] / peer["cold_s"],
                    "pss": row["pss_mib"] / peer["pss_mib"]})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    result = measure(parser.parse_args().quick)
    for ratio in result["ratios"]:
        print(f"{ratio['app']} {ratio['slots']:>2} {ratio['runtime']:<17} time x{ratio['time']:.2f} "
              f"(cold x{ratio['cold_time']:.2f})  PSS x{ratio['pss']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
