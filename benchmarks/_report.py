"""benchmarks/RESULTS.md and results.png from the suite's figures (benchmarks/suite.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

OURS = "lambda-adapter"
PEER_OF = {"apig": "apig-wsgi", "serverless": "serverless-wsgi", "mangum": "Mangum", "mangum-lifespan": "Mangum"}
# issue 17 (SPEC section 8), in instructions: (group, peer kind) -> the highest ratio ours / peer
CALLGRIND_TARGETS = {("WSGI", "apig"): 1.0, ("ASGI", "mangum"): 0.5, ("ASGI, lifespan on", "mangum-lifespan"): 0.15}
COLD_TARGET = 1.0  # the adapter adds no more instructions than the peer (SPEC section 8)


def _r(spread: dict[str, float]) -> str:
    return f"{spread['min']:.2f} | {spread['median']:.2f} | {spread['max']:.2f}"


def _target(targets: dict[tuple[str, str], float], group: str, peer: str, median: float) -> str:
    target = targets.get((group, peer))
    if target is None:
        return ""
    return f"≤ {target}" + (" (met)" if median <= target else " (missed)")


def _per_event(report: dict[str, Any], targets: dict[tuple[str, str], float]) -> list[str]:
    lines = [
        "| comparison | case | ours µs | peer | peer µs | min | median | max | target |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    notes = []
    for row in report["per_event"]:
        for peer, spread in row["ratios"].items():
            goal = _target(targets, row["group"], peer, spread["median"])
            lines.append(
                f"| {row['group']} | {row['case']} | {row['us'][OURS]:,.1f} | {peer} | "
                f"{row['us'][peer]:,.1f} | {_r(spread)} | {goal} |"
            )
        if row["note"]:
            notes.append(f"- {row['group']} {row['case']}: {row['note']}")
    return lines + (["", *notes] if notes else [])


def _instructions(report: dict[str, Any]) -> list[str]:
    counted = report["instructions"]
    if "skipped" in counted:
        return [f"Skipped: {counted['skipped']}."]
    lines = [
        f"(instructions for {counted['events_counted']:,} events - for 0) / {counted['events_counted']:,}, "
        "trivial app, browser-like headers.",
        "",
        "| interface | event | ours | peer | peer's | ratio | target |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for row in counted["per_event"]:
        counts = dict(row["counts"])
        ours = counts.pop("wsgi", None) or counts.pop("asgi", None) or counts.pop("asgi-lifespan")
        for kind, count in counts.items():
            goal = _target(CALLGRIND_TARGETS, row["group"], kind, ours / count)
            lines.append(
                f"| {row['group']} | {row['case']} | {ours:,} | {PEER_OF[kind]} | {count:,} | {ours / count:.2f} "
                f"| {goal} |"
            )
    lines.append("")
    if isinstance(counted["cold"], str):
        return [*lines, f"Cold start under callgrind: {counted['cold']}."]
    lines += [
        "Cold start: a fresh interpreter imports the sample's handler module and answers one REST event; the floor "
        "calls the same app with a hand-built environ / scope. Each count ends with the answer (`os._exit`): "
        "interpreter exit, which a Lambda environment never runs, is not counted. What each adds over the floor:",
        "",
        "| sample | floor | ours adds | peer | peer adds | ratio | target |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    bounds = []
    for framework, counts in counted["cold"].items():
        floor, ours = counts["floor"], counts["ours"] - counts["floor"]
        for kind in (k for k in counts if k not in ("floor", "ours", "bundled")):
            theirs = counts[kind] - floor
            met = "(met)" if ours / theirs <= COLD_TARGET else "(missed)"
            verdict = f"≤ {COLD_TARGET} {met}" if kind in ("apig", "mangum") else ""
            lines.append(
                f"| {framework} | {floor / 1e6:,.1f} M | {ours / 1e6:,.2f} M | {PEER_OF[kind]} | "
                f"{theirs / 1e6:,.2f} M | {ours / theirs:.2f} | {verdict} |"
            )
            if "bundled" in counts and kind in ("apig", "mangum"):
                bundled = counts["bundled"] - floor
                bounds.append(f"- {framework}: {bundled / 1e6:,.2f} M, {bundled / theirs:.2f} x {PEER_OF[kind]} "
                              f"({(ours - bundled) / 1e6:,.2f} M of ours is importlib's, for our modules)")  # fmt: skip
    if bounds:
        lines += [
            "",
            "The same code without importlib (`bundled`: each module of ours the first event needs made from its "
            ".pyc and run, as one module holding all of it would be; the bound for any layout of this code):",
            "",
            *bounds,
        ]
    return lines


def _cold_wall(report: dict[str, Any]) -> list[str]:
    lines = [
        "| sample | floor ms | ours adds ms: min / median / max | peer | peer adds ms: min / median / max | "
        "ratio of medians | peak RSS: ours adds | peer adds |",
        "|---|---:|---|---|---|---:|---:|---:|",
    ]
    for framework, cold in report["cold"].items():
        rss = {kind: (kib - cold["rss_kib"]["floor"]) / 1024 for kind, kib in cold["rss_kib"].items()}
        added = {kind: _r(spread).replace(" | ", " / ") for kind, spread in cold["added_ms"].items()}
        for kind, ratio in cold["ratio"].items():
            shown = "n/a (peer adds nothing measurable)" if ratio is None else f"{ratio:.2f}"
            lines.append(
                f"| {framework} | {cold['ms']['floor']:.0f} | {added['ours']} | {PEER_OF[kind]} | {added[kind]} | "
                f"{shown} | {rss['ours']:.2f} MiB | {rss[kind]:.2f} MiB |"
            )
    return lines


def _imports(report: dict[str, Any]) -> list[str]:
    imports = report["imports"]
    lines = ["| module | ms | ours / it: min | median | max |", "|---|---:|---:|---:|---:|"]
    for module, ms in imports["ms"].items():
        ratio = _r(imports["ratios"][module]) if module in imports["ratios"] else "| |"
        lines.append(f"| {module} | {ms:.1f} | {ratio} |")
    return lines


def _warmup(report: dict[str, Any]) -> list[str]:
    lines = [
        "| sample | import, without | import, with warm-up | first event, without | first event, with | warm event |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for framework, parts in report["warmup"].items():
        without, with_ = parts["without"], parts["with"]
        lines.append(
            f"| {framework} | {without['import']:.1f} ms | {with_['import']:.1f} ms | {without['first']:.2f} ms | "
            f"{with_['first']:.2f} ms | {without['warm']:.2f} ms |"
        )
    return lines


MI_TARGETS = {"time": 1.15, "pss": {"asgi": 0.5, "wsgi": 0.6}}  # issue 16: ours / awslambdaric's


def _managed_instances(report: dict[str, Any]) -> list[str]:
    mi = report.get("managed_instances")
    if not mi:
        return ["Not measured in this run."]
    lines = [
        "| app | slots | runtime | requests | cold s | warm s | processes | module inits | lifespans | PSS MiB "
        "| warm time / awslambdaric's | PSS / awslambdaric's |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in mi["rows"]:
        ratio = next((r for r in mi["ratios"] if (r["app"], r["slots"], r["runtime"]) ==
                      (row["app"], row["slots"], row["runtime"])), None)  # fmt: skip
        time_ratio = pss_ratio = ""
        if ratio is not None:
            time_ok = "✓" if ratio["time"] <= MI_TARGETS["time"] else "✗"
            pss_ok = "✓" if ratio["pss"] <= MI_TARGETS["pss"][row["app"]] else "✗"
            time_ratio = f"{ratio['time']:.2f} {time_ok} (≤ {MI_TARGETS['time']})"
            pss_ratio = f"{ratio['pss']:.2f} {pss_ok} (≤ {MI_TARGETS['pss'][row['app']]})"
        lines.append(
            f"| {row['app']} | {row['slots']} | {row['runtime']} | {row['requests']} | {row['cold_s']:.2f} | "
            f"{row['warm_s']:.2f} | {row['processes']} | {row['module_inits']} | {row['lifespans']} | "
            f"{row['pss_mib']:.1f} | {time_ratio} | {pss_ratio} |"
        )
    return lines


def _compression(report: dict[str, Any]) -> list[str]:
    """Each coding's cost per MB and size, then the handler with compress off and on, per answer size."""
    compressed = report["compression"]
    lines = [
        "| JSON answer | coding | mode | bytes | smaller by | ms per MB: min | median |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for answer in compressed["answers"]:
        for row in answer["compressors"]:
            per_mb = row["ms_per_mb"]
            lines.append(
                f"| {answer['bytes']:,} B | {row['coding']} | {row['mode']} | {row['bytes']:,} | "
                f"{answer['bytes'] / row['bytes']:.1f} times | {per_mb['min']:.1f} | {per_mb['median']:.1f} |"
            )
    lines += ["", "| JSON answer | compress | status | result Lambda carries | ms per event: min | median |",
              "|---:|---|---:|---:|---:|---:|"]  # fmt: skip
    for answer in compressed["answers"]:
        for row in answer["handler"]:
            lines.append(
                f"| {answer['bytes']:,} B | {row['case']} | {row['status']} | {row['result_bytes']:,} B | "
                f"{row['ms']['min']:.2f} | {row['ms']['median']:.2f} |"
            )
    return lines


def _compression_section(report: dict[str, Any]) -> list[str]:
    return [
        f"## Compression ({report['compression']['rounds']} interleaved rounds; benchmarks/compression.py)",
        "",
        "`adapt(app, compress=True)` on a JSON list of records as a REST API returns them (ids, UUIDs, names, "
        "e-mails, timestamps, amounts, tags, an address; seeded, the same bytes every run). First each coding's "
        "compressor alone, on the whole body and streamed in 16 KB chunks flushed one by one (the floor: what "
        "the adapter adds nothing to); then the handler (a WSGI app, HTTP API 2.0 event) with compress off and "
        "on, and the size of the result Lambda carries (the compressed body is base64: a third more). Off, an "
        "answer over Lambda's 6 MB limit is the adapter's 500; on, it reaches the client.",
        "",
        *_compression(report),
        "",
    ]


def _preamble(report: dict[str, Any]) -> list[str]:
    """The title, the machine and versions, and how to read the ratios."""
    m, v = report["machine"], report["versions"]
    mode = "quick mode (few rounds: proves the suite runs, measures little)" if report["quick"] else "full run"
    return [
        "# Results",
        "",
        f"Written by `bash tasks.sh bench` (benchmarks/suite.py), {mode}, on {m['date']}: {m['cpu']}, "
        f"{m['cores']} cores, "
        f"{m['system']}, Python {m['python']}, {m['valgrind']}. Versions: "
        + ", ".join(f"{name} {version}" for name, version in v.items())
        + ".",
        "",
        "Ratios are ours / peer (below 1: we are faster), with min / median / max over interleaved rounds; targets are "
        "SPEC section 8's. Wall time on this shared machine wanders by ±20%; the instruction counts (callgrind) are "
        "repeatable and are what conclusions rest on. ![ratios](results.png)",
        "",
    ]


def write_markdown(report: dict[str, Any], path: Path, targets: dict[tuple[str, str], float]) -> None:
    text = [
        *_preamble(report),
        f"## Per event, wall clock ({report['rounds']} interleaved rounds of up to {report['calls']:,} calls)",
        "",
        "Trivial apps with REST v1, HTTP API v2 and ALB events (browser-like headers); the samples answering "
        "GET /api/items (the FastAPI sample with lifespan, which Mangum runs on every event); an echo app with "
        "binary bodies, base64 both ways over HTTP API v2. A 5 MB body is over "
        "Lambda's 6 MB limit once base64-encoded: we answer the documented 'too large' error (the answers differ "
        "there, as the note says), the peers return a result Lambda would refuse.",
        "",
        *_per_event(report, targets),
        "",
        "## Per event and cold start, instructions (callgrind)",
        "",
        *_instructions(report),
        "",
        f"## Cold start, wall clock and peak RSS ({report['runs']} interleaved fresh interpreters per kind)",
        "",
        *_cold_wall(report),
        "",
        "## Import cost (`import X` timed in fresh interpreters, interleaved; ours byte-compiled as pip would)",
        "",
        *_imports(report),
        "",
        "## Warm-up in the init phase",
        "",
        "The sample's handler module in fresh interpreters (`lambda-adapter coldstart`'s probe), without and with "
        "`adapt(app, init_requests=['/api/items'])`, answering GET /api/items over HTTP API v2: the warm-up moves the "
        "first request's lazy work from the first event into the import (Lambda's init phase, or before the "
        "SnapStart snapshot).",
        "",
        *_warmup(report),
        "",
        "## Lambda Managed Instances: our runtime loop against awslambdaric",
        "",
        "`benchmarks/managed_instances.py`: one module with a Flask app (`time.sleep`) and a FastAPI app (`await "
        f"asyncio.sleep`, a lifespan), {(report.get('managed_instances') or {}).get('sleep_s', 0.3)} s per request, "
        "`AWS_LAMBDA_MAX_CONCURRENCY` slots, 4x as many Function URL requests as slots sent at once to a fresh "
        "process (cold: the init counts) and then again (warm), through the loopback Runtime API of the tests. "
        "awslambdaric forks a worker per slot before importing the handler; ours imports it once and serves "
        "the slots in threads (ASGI: on one event loop) or in processes forked after the import. PSS: the "
        "whole process tree's, from /proc/PID/smaps_rollup, after both waves. Median round by warm time.",
        "",
        *_managed_instances(report),
        "",
    ]
    if "compression" in report:
        text += _compression_section(report)
    path.write_text("\n".join(text))


def write_chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, medians, low, high = [], [], [], []
    for row in report["per_event"]:
        for peer, spread in row["ratios"].items():
            labels.append(f"{row['group']} {row['case']} vs {peer}")
            medians.append(spread["median"])
            low.append(spread["median"] - spread["min"])
            high.append(spread["max"] - spread["median"])
    mi = (report.get("managed_instances") or {}).get("ratios", [])
    rows = len(labels) + 2 * len(mi)
    if mi:
        figure, (axes, mi_axes) = plt.subplots(
            2, 1, figsize=(10, 0.28 * rows + 3), gridspec_kw={"height_ratios": [len(labels), 2 * len(mi) + 2]}
        )
        _managed_chart(mi_axes, mi)
    else:
        figure, axes = plt.subplots(figsize=(10, 0.28 * len(labels) + 1.5))
    axes.barh(range(len(labels)), medians, xerr=[low, high], color="#4C72B0", ecolor="#333333", capsize=2)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.axvline(1.0, color="#C44E52", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlabel("wall time per event, ours / peer (median, min-max over rounds; < 1 is faster)")
    axes.set_title(f"lambda-adapter vs peers, per event ({report['machine']['date']})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _managed_chart(axes: Any, ratios: list[dict[str, Any]]) -> None:
    labels = [f"{r['app']} {r['slots']} slots, {r['runtime']}: {kind}" for r in ratios for kind in ("time", "PSS")]
    values = [r[key] for r in ratios for key in ("time", "pss")]
    colours = ["#4C72B0", "#55A868"] * len(ratios)
    axes.barh(range(len(labels)), values, color=colours)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.axvline(1.0, color="#C44E52", linewidth=1)
    axes.set_xlabel("Managed Instances, ours / awslambdaric (warm time, PSS of all processes; < 1 is better)")
