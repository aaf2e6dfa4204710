"""The tests' own process helper (tests/processes.py): a child is always ended and reaped."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import processes

IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " \
                  "time.sleep(600)"  # fmt: skip


def test_a_process_that_ends_on_sigterm_is_reaped_without_a_word() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    assert processes.stop(process) is None
    assert process.returncode == -15


def test_a_process_that_ignores_sigterm_is_killed_reaped_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "STOP_GRACE", 0.5)
    process = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"  # SIGTERM is ignored from here
    problem = processes.stop(process)
    process.stdout.close()
    assert process.returncode == -9  # reaped: no process and no ResourceWarning left behind
    assert problem is not None and f"process {process.pid}" in problem and "ignored SIGTERM" in problem
