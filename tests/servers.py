"""Real servers on loopback for the end-to-end tests: free ports, started as subprocesses, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(
    port: int,
    process: subprocess.Popen[bytes],
    log: IO[bytes],
    *,
    timeout: float = 30,
    what: str = "server",
    host: str = "127.0.0.1",
) -> None:
    """Return once ``port`` on ``host`` accepts connections; fail with the process's output if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with status {process.returncode} before listening:\n{output(log)}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise AssertionError(f"{what} did not listen on port {port} within {timeout} s:\n{output(log)}")


def output(log: IO[bytes]) -> str:
    """What a server wrote so far."""
    log.seek(0)
    return log.read().decode(errors="replace")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process we started (and its children, through its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(10)


@contextmanager
def serving(
    spec: str,
    *,
    cwd: Path,
    format: str,
    stage: str | None = None,
    env: dict[str, str] | None = None,
    options: Sequence[str] = (),
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """``lambda-adapter serve spec`` as a subprocess on a free port of ``host``; yields the base URL (and stage)."""
    port = free_port()
    command = [sys.executable, "-m", "lambda_adapter", "serve", spec, "--format", format, "--port", str(port)]
    command += [*(["--stage", stage] if stage else []), *(["--host", host] if host != "127.0.0.1" else []), *options]
    origin = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    base = f"{origin}/{stage}" if stage else origin
    yield from run_server(command, cwd=cwd, port=port, env=env, base=base, host=host)


def run_server(
    command: Sequence[str],
    *,
    cwd: Path,
    port: int,
    env: dict[str, str] | None,
    base: str,
    timeout: float = 30,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """Run ``command`` (a server listening on ``port``) until the caller is done with ``base``."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        try:
            wait_for_port(port, process, log, timeout=timeout, what=" ".join(command[:5]), host=host)
            yield base
        finally:
            stop(process)
