"""The test suite on every Python that Lambda runs and this machine has: ``nox`` (``bash tasks.sh test`` runs it).

The interpreters come from pyenv where it is installed (``tasks.sh`` puts them on PATH); a version the
machine lacks is skipped, except under CI, where nox makes it an error. The end-to-end tests that need
Node (serverless-offline) or Chromium run on the main interpreter alone, in ``tasks.sh test``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]  # Lambda runs 3.10-3.14; no 3.14 on the machine yet
END_TO_END = ["tests/test_offline.py", "tests/test_browser.py", "tests/websocket/test_chat.py"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite without the Node and browser end-to-end tests, without coverage."""
    session.install("--quiet", "-e", ".[test]")
    ignored = [f"--ignore={path}" for path in END_TO_END]
    session.run("python", "-X", "dev", "-m", "pytest", "-q", "-p", "no:cacheprovider", *ignored, *session.posargs)
