"""Compression (``adapt(app, compress=True)``): its cost per MB and the bytes it saves on a realistic JSON answer.

Run: ``.venv/bin/python benchmarks/compression.py [--quick]`` (the suite, ``benchmarks/suite.py``, runs it too
and writes its table into RESULTS.md). Asserts nothing about speed: it measures and reports.

The answer is a list of records as a REST API returns them (ids, UUIDs, names, e-mails, timestamps, prices,
flags, tags, a nested address), made by a seeded generator: the same bytes every run. Measured in one
process, interleaved round by round:
- each coding's compressor on the whole body (the floor: what the adapter cannot do cheaper), and
  streamed in 16 KB chunks with a flush per chunk (what a streamed answer pays to stay live);
- the whole handler (a WSGI app answering the JSON over HTTP API 2.0), ``compress`` off against on with the
  client accepting gzip, then Brotli: time per event and the result Lambda carries (bytes of JSON).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lambda_adapter import adapt  # noqa: E402
from lambda_adapter._events.compress import StreamCompressor, available_codings, compress_whole  # noqa: E402
from lambda_adapter.testing import LambdaContext, http_event, status_of  # noqa: E402

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman"]
CITIES = ["Lisbon", "Oslo", "Nairobi", "Osaka", "Lima", "Toronto", "Tbilisi", "Perth", "Leeds", "Austin"]
TAGS = ["new", "vip", "beta", "churn-risk", "newsletter", "trial", "enterprise", "eu", "us", "apac"]
CHUNK = 16 * 1024


def records(size: int, seed: int = 17) -> bytes:
    """A JSON list of records of about ``size`` bytes."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    length = 2
    while length < size:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        item = {
            "id": 100_000 + len(items), "uuid": f"{rng.getrandbits(128):032x}", "name": f"{first} {last}",
            "email": f"{first}.{last}{rng.randrange(1000)}@example.com".lower(),
            "created_at": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
                          f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
            "balance": round(rng.uniform(-500, 50_000), 2), "active": rng.random() < 0.8,
            "tags": rng.sample(TAGS, rng.randrange(4)),
            "address": {"street": f"{rng.randrange(1, 999)} {rng.choice(LAST)} Street", "city": rng.choice(CITIES),
                        "postcode": f"{rng.randrange(10000, 99999)}"},
        }  # fmt: skip
        items.append(item)
        length += len(json.dumps(item)) + 2
    return json.dumps(items).encode()


def streamed(body: bytes, coding: str) -> bytes:
    compressor = StreamCompressor(coding)
    parts = [compressor.chunk(body[i : i + CHUNK]) for i in range(0, len(body), CHUNK)]
    return b"".join(parts) + compressor.finish()


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def compressors(body: bytes, rounds: int) -> list[dict[str, Any]]:
    """Each coding, whole and streamed: seconds per MB (min and median over interleaved rounds), size."""
    cases = [(coding, mode) for coding in available_codings() for mode in ("whole", "streamed")]
    seconds: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(rounds):
        for coding, mode in cases:
            encode = compress_whole if mode == "whole" else streamed
            took, out = timed(lambda e=encode, c=coding: e(body, c))
            seconds[coding, mode].append(took)
            sizes[coding, mode] = len(out)
    megabytes = len(body) / 1e6
    return [{"coding": coding, "mode": mode, "bytes": sizes[coding, mode],
             "ms_per_mb": {"min": min(seconds[coding, mode]) * 1000 / megabytes,
                           "median": statistics.median(seconds[coding, mode]) * 1000 / megabytes}}
            for coding, mode in cases]  # fmt: skip


def handlers(body: bytes, rounds: int) -> list[dict[str, Any]]:
    """The handler end to end: compress off, then on for a client accepting gzip, then Brotli."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    cases = [("off", adapt(app), "gzip, br"), ("gzip", adapt(app, compress=True), "gzip")]
    if "br" in available_codings():
        cases.append(("br", adapt(app, compress=True), "br"))
    events = {name: http_event(path="/users", headers={"Accept-Encoding": accept}) for name, _, accept in cases}
    seconds: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    results: dict[str, Any] = {}
    for _ in range(rounds):
        for name, handler, _ in cases:
            took, results[name] = timed(lambda h=handler, n=name: h(events[n], LambdaContext()))
            seconds[name].append(took)
    return [{"case": name, "status": status_of(results[name]), "result_bytes": len(json.dumps(results[name])),
             "ms": {"min": min(seconds[name]) * 1000, "median": statistics.median(seconds[name]) * 1000}}
            for name, _, _ in cases]  # fmt: skip


def measure(quick: bool) -> dict[str, Any]:
    """The figures for RESULTS.md: quick, one 256 KB answer and 3 rounds; else 100 KB, 1 MB and 9 MB, 7 rounds."""
    sizes, rounds = ([256_000], 3) if quick else ([100_000, 1_000_000, 9_000_000], 7)
    report: dict[str, Any] = {"rounds": rounds, "codings": list(available_codings()), "answers": []}
    for size in sizes:
        body = records(size)
        report["answers"].append({"bytes": len(body), "compressors": compressors(body, rounds),
                                  "handler": handlers(body, rounds)})  # fmt: skip
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    report = measure(parser.parse_args().quick)
    for answer in report["answers"]:
        print(f"JSON answer of {answer['bytes']:,} bytes")
        for row in answer["compressors"]:
            print(f"  {row['coding']:5} {row['mode']:9} {row['bytes']:>11,} bytes "
                  f"({answer['bytes'] / row['bytes']:5.1f}x)  {row['ms_per_mb']['median']:7.1f} ms/MB")  # fmt: skip
        for row in answer["handler"]:
            print(f"  handler, compress {row['case']:4}: {row['status']} {row['result_bytes']:>11,} bytes of result "
                  f"{row['ms']['median']:8.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
