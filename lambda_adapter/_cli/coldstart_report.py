"""The figures of ``lambda-adapter coldstart`` runs, summarised (for ``--json``) and told in words.

Invariants: pure functions of the runs' figures (no I/O); a figure over runs is given as
median / min / max; shares are of the median import time or the median time to first response.
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

Line = tuple[str, int, int, int]  # module, self us, cumulative us, depth


def summarise(spec: str, event_name: str, module_name: str, runs: list[dict[str, Any]], top: int) -> dict[str, Any]:
    """What the report shows, as plain data."""
    warm = sorted(value for figures in runs for value in figures["warm_ns"])
    first_response = [f["startup_s"] + f["import_s"] + f["first_event_s"] for f in runs]
    summary: dict[str, Any] = {
        "handler": spec,
        "event": event_name,
        "python": sys.version.split()[0],
        "runs": len(runs),
        "status": runs[0]["status"],
        "startup_ms": _spread([f["startup_s"] * 1000 for f in runs]),
        "import_ms": _spread([f["import_s"] * 1000 for f in runs]),
        "first_event_ms": _spread([f["first_event_s"] * 1000 for f in runs]),
        "to_first_response_ms": _spread([value * 1000 for value in first_response]),
        "warm_us": {"events": len(warm), "p50": _percentile(warm, 50) / 1000, "p99": _percentile(warm, 99) / 1000},
        "rss_after_import_mib": _spread([f["rss_after_import_kib"] / 1024 for f in runs]),
        "peak_rss_mib": _spread([f["peak_rss_kib"] / 1024 for f in runs]),
        "import_by_package": _by_package([f["imports"].get("import", []) for f in runs], top),
        "heaviest_imports": _heaviest([f["imports"].get("import", []) for f in runs], module_name, top),
        "first_event_imports": _first_event_imports([f["imports"].get("first-event", []) for f in runs], top),
    }
    summary["findings"] = findings(summary)
    return summary


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _percentile(ordered: list[int], percent: int) -> float:
    if not ordered:
        return 0.0
    return float(ordered[min(len(ordered) - 1, (len(ordered) * percent) // 100)])


def _median_by_key(per_run: list[dict[str, float]]) -> dict[str, float]:
    keys = {key for figures in per_run for key in figures}
    return {key: statistics.median([figures.get(key, 0.0) for figures in per_run]) for key in keys}


def _by_package(per_run: list[list[Line]], top: int) -> list[dict[str, Any]]:
    totals = []
    for lines in per_run:
        sums: dict[str, float] = {}
        for name, own, _, _ in lines:
            package = name.split(".")[0]
            sums[package] = sums.get(package, 0.0) + own / 1000
        totals.append(sums)
    merged = _median_by_key(totals)
    whole = sum(merged.values()) or 1.0
    ranked = sorted(merged.items(), key=lambda item: -item[1])[:top]
    return [{"package": name, "self_ms": ms, "share": ms / whole} for name, ms in ranked]


def _heaviest(per_run: list[list[Line]], module_name: str, top: int) -> list[dict[str, Any]]:
    """The handler module's own imports (one level down), by cumulative time."""
    totals = []
    for lines in per_run:
        depth = next((d for name, _, _, d in lines if name == module_name), min((d for *_, d in lines), default=0))
        totals.append({name: cumulative / 1000 for name, _, cumulative, d in lines if d == depth + 1})
    ranked = sorted(_median_by_key(totals).items(), key=lambda item: -item[1])[:top]
    return [{"module": name, "cumulative_ms": ms} for name, ms in ranked]


def _first_event_imports(per_run: list[list[Line]], top: int) -> dict[str, Any]:
    names = {name for lines in per_run for name, *_ in lines}
    total = statistics.median([sum(own for _, own, _, _ in lines) / 1000 for lines in per_run])
    ranked = sorted(names, key=lambda name: -max(c for lines in per_run for n, _, c, _ in lines if n == name))
    return {"count": round(statistics.median([len(lines) for lines in per_run])), "ms": total, "modules": ranked[:top]}


def findings(summary: dict[str, Any]) -> list[str]:
    """Where the cold start goes, in sentences, largest part first."""
    total = summary["to_first_response_ms"]["median"] or 1.0
    startup, imported = summary["startup_ms"]["median"], summary["import_ms"]["median"]
    first, p50 = summary["first_event_ms"]["median"], summary["warm_us"]["p50"] / 1000
    said = [
        f"Importing the handler module is {imported / total:.0%} of the time to first response "
        f"({imported:.0f} of {total:.0f} ms); starting Python is {startup / total:.0%} and the first event "
        f"{first / total:.0%}."
    ]
    status = summary["status"]
    if not isinstance(status, int) or status >= 400:
        said.insert(
            0,
            f"The handler answered {status!r}, not a success: the first event and warm figures measure that "
            "answer (an error path?), not your app's usual work. Check --event and the route it asks for.",
        )
    packages = summary["import_by_package"]
    if packages:
        named = ", ".join(f"{p['package']} {p['self_ms']:.0f} ms ({p['share']:.0%})" for p in packages[:3])
        said.append(f"Most of the import goes to: {named}.")
    ours = next((p for p in packages if p["package"] == "lambda_adapter"), None)
    if ours is not None:
        said.append(f"lambda_adapter itself takes {ours['self_ms']:.1f} ms of it.")
    lazy = summary["first_event_imports"]
    if first > 2 * p50 + 1:
        extra = f"; it imported {lazy['count']} modules ({lazy['ms']:.0f} ms)" if lazy["count"] else ""
        said.append(
            f"The first event took {first:.1f} ms against {p50 * 1000:.0f} us warm{extra}: that is lazy "
            "first-request work (of the framework, the app or the adapter). adapt(app, init_requests=['/']) does it "
            "in the init phase instead (and before the snapshot on SnapStart)."
        )
    return said


def render(summary: dict[str, Any]) -> str:
    """The human report."""
    rows = [
        ("interpreter startup", summary["startup_ms"], "ms"),
        ("import of the handler", summary["import_ms"], "ms"),
        ("first event", summary["first_event_ms"], "ms"),
        ("time to first response", summary["to_first_response_ms"], "ms"),
        ("RSS after import", summary["rss_after_import_mib"], "MiB"),
        ("peak RSS", summary["peak_rss_mib"], "MiB"),
    ]
    warm = summary["warm_us"]
    out = [
        f"Cold start of {summary['handler']} (Python {summary['python']}, {summary['runs']} fresh interpreters)",
        f"event: {summary['event']} -> status {summary['status']}",
        "",
        f"  {'':<24}{'median':>10}{'min':>10}{'max':>10}",
        *(f"  {name:<24}{s['median']:>10.1f}{s['min']:>10.1f}{s['max']:>10.1f} {unit}" for name, s, unit in rows),
        f"  {'warm event p50 / p99':<24}{warm['p50']:>10.0f}{warm['p99']:>10.0f} us ({warm['events']} events)",
        "",
        "Import by top-level package (self time, median run):",
        *(f"  {p['package']:<32}{p['self_ms']:>9.1f} ms {p['share']:>5.0%}" for p in summary["import_by_package"]),
        "Heaviest imports of the handler module (cumulative):",
        *(f"  {m['module']:<32}{m['cumulative_ms']:>9.1f} ms" for m in summary["heaviest_imports"]),
    ]
    lazy = summary["first_event_imports"]
    if lazy["count"]:
        out.append(f"Imported during the first event: {lazy['count']} modules, {lazy['ms']:.1f} ms")
        out.append("  " + ", ".join(lazy["modules"]))
    out += ["", "Where the cold start goes:", *(f"- {line}" for line in summary["findings"])]
    return "\n".join(out)
