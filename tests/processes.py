"""Child processes of the tests, ended and reaped whatever happens."""

from __future__ import annotations

import subprocess

STOP_GRACE = 60.0  # seconds a process gets to end after SIGTERM: generous, for a loaded CI machine


def stop(process: subprocess.Popen[bytes]) -> str | None:
    """End ``process`` and reap it, whatever happens (never a process left behind, whose ``ResourceWarning``
    would fail a later test): SIGTERM, ``STOP_GRACE`` seconds, then SIGKILL and a wait that cannot be
    ignored. What went wrong when the process truly hung; None when it ended."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(STOP_GRACE)
        return None
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        command = " ".join(map(str, process.args)) if isinstance(process.args, list) else str(process.args)
        return f"process {process.pid} ({command}) hung: it ignored SIGTERM for {STOP_GRACE:.0f} s and was killed"
