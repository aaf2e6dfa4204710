"""Time to first byte and to last byte through the runtime loop, streamed against buffered.

Run: ``.venv/bin/python benchmarks/streaming.py [--rounds N]``. Each app runs in a real
``python -m lambda_adapter.runtime`` process, driven by the test suite's Runtime API on loopback
(tests/runtime_api.py); times are from the moment the event is handed out to the first body byte
(after the prelude) and to the last byte, medians of the rounds, the first event (imports,
lifespan) not counted. Buffered, the first byte is the last: nothing leaves before the app is done.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lambda_adapter.testing import url_event  # noqa: E402
from tests.runtime_api import Answer, RuntimeAPIServer  # noqa: E402

NUL8 = b"\0" * 8
SAMPLE = ROOT / "samples" / "streaming"
CASES = [  # name, handler, task root, path, query
    ("ASGI, 10 chunks 0.1 s apart", "tests.streaming_apps:asgi", ROOT, "/slow", "n=10&delay=0.1"),
    ("WSGI, 10 chunks 0.1 s apart", "tests.streaming_apps:wsgi", ROOT, "/rows", "n=10&delay=0.1"),
    ("FastAPI SSE clock, 10 ticks 0.1 s", "sse_clock.handler", SAMPLE, "/clock", "ticks=10&interval=0.1"),
    ("Flask CSV export, 300k rows", "csv_export.handler", SAMPLE, "/export.csv", "rows=300000"),
]  # fmt: skip


Run = tuple[float, float, int]  # first byte, last byte (seconds), body size


def first_and_last(answer: Answer) -> Run:
    if answer.streamed:
        first = next(at for at, data in answer.chunks if not data.endswith(NUL8))
        return first - answer.sent_at, answer.done_at - answer.sent_at, len(answer.body)
    took = answer.done_at - answer.sent_at
    return took, took, len(answer.body)


def measure(spec: str, root: Path, event: dict[str, Any], streaming: str, rounds: int) -> list[Run]:
    server = RuntimeAPIServer()
    env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": server.address, "LAMBDA_ADAPTER_STREAMING": streaming}
    env["PYTHONPATH"], env["LAMBDA_TASK_ROOT"] = str(ROOT), str(root)
    command = [sys.executable, "-m", "lambda_adapter.runtime", spec]
    process = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.DEVNULL)
    try:
        server.invoke(event, timeout=120)  # imports and lifespan: not measured
        return [first_and_last(server.invoke(event, timeout=120)) for _ in range(rounds)]
    finally:
        process.terminate()
        process.wait(10)
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print(f"{'app':36} {'mode':9} {'first byte':>11} {'last byte':>10} {'bytes':>10}")
    for name, spec, root, path, query in CASES:
        event = url_event(path=path, query=query)
        for mode, streaming in (("streamed", "1"), ("buffered", "0")):
            runs = measure(spec, root, event, streaming, rounds)
            first = statistics.median(run[0] for run in runs) * 1000
            last = statistics.median(run[1] for run in runs) * 1000
            print(f"{name:36} {mode:9} {first:8.1f} ms {last:7.1f} ms {runs[-1][2]:10d}")


if __name__ == "__main__":
    main()
