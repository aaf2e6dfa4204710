"""The runtime loop's fixtures: the loopback Runtime API (tests/runtime_api.py) and the loop as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.processes import stop
from tests.runtime_api import RuntimeAPIServer

ROOT = Path(__file__).resolve().parents[2]


class Runtime:
    """One ``python -m lambda_adapter.runtime`` process and its log."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log_path = log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 10) -> str:
        end = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} not in the runtime's log:\n{self.log()}")
            time.sleep(0.02)
        return self.log()


@pytest.fixture
def api() -> Iterator[RuntimeAPIServer]:
    server = RuntimeAPIServer()
    yield server
    server.close()


@pytest.fixture
def start_runtime(api: RuntimeAPIServer, tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    runtimes: list[Runtime] = []

    def start(
        spec: str,
        *,
        streaming: str | None = None,
        task_root: Path = ROOT,
        api: RuntimeAPIServer = api,
        command: list[str] | None = None,
    ) -> Runtime:
        env = {key: value for key, value in os.environ.items() if key != "LAMBDA_ADAPTER_STREAMING"}
        env.update(AWS_LAMBDA_RUNTIME_API=api.address, LAMBDA_TASK_ROOT=str(task_root))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if streaming is not None:
            env["LAMBDA_ADAPTER_STREAMING"] = streaming
        log = tmp_path / f"runtime-{len(runtimes)}.log"
        with log.open("wb") as out:
            command = command or [sys.executable, "-m", "lambda_adapter.runtime", *filter(None, [spec])]
            process = subprocess.Popen(command, cwd=task_root, env=env, stdout=out, stderr=subprocess.STDOUT)
        runtimes.append(Runtime(process, log))
        return runtimes[-1]

    yield start
    hung = [problem for runtime in runtimes if (problem := stop(runtime.process))]
    if hung:
        pytest.fail("; ".join(hung))
