#!/usr/bin/env bash
# The project's commands, each setting up what it needs on a fresh machine first:
#   bash tasks.sh samples   the samples behind the adapter, driven by events of every format
#   bash tasks.sh test      the whole test suite: lint, types, tests (what CI runs)
#   bash tasks.sh bench     the benchmarks against the peers (apig-wsgi, serverless-wsgi, Mangum): writes
#                           benchmarks/RESULTS.md and results.png (--quick: a short run into test-artifacts/)
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY="$VENV/bin/python"

setup() {
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -e ".[$1]"
}

case "${1:-}" in
    samples)
        setup test
        "$PY" samples/run.py
        ;;
    test)
        setup "test,bench,docs"
        # the peer emulators (serverless-offline) for the end-to-end tests, pinned by tests/node/package-lock.json
        npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
        # headless Chromium and its driver for the browser test (tests/test_browser.py), from Debian
        if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
            SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver
        fi
        # SAM CLI, in a virtual environment of its own (its pins are not the project's), for tests/test_sam_build.py
        [ -x .venv-sam/bin/sam ] || { python3 -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli; }
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/mypy"
        # the layer contracts (pyproject.toml [tool.importlinter]; README "Layout")
        "$VENV/bin/lint-imports"
        # the documentation site (docs/, mkdocs.yml): every page and link must build
        "$VENV/bin/mkdocs" build --strict --site-dir test-artifacts/site
        # the benchmark once, in quick mode: proves it runs; asserts nothing about speed
        "$PY" benchmarks/suite.py --quick
        PYTHONDEVMODE=1 "$PY" -m pytest --cov --cov-report=term --cov-fail-under=90 "${@:2}"
        # the suite again on every other Python that Lambda runs and the machine has (noxfile.py)
        # (pyenv's shims find python3.10 ... only for the versions PYENV_VERSION names)
        if command -v pyenv >/dev/null; then
            PYENV_VERSION="$(pyenv versions --bare | grep -E '^3\.1[0-3]\.' | paste -sd: -)"
            export PYENV_VERSION
        fi
        "$VENV/bin/nox" --non-interactive -s tests-3.10 tests-3.12 tests-3.13
        ;;
    bench)
        setup "test,bench"
        # valgrind (callgrind) counts instructions: the figures that hold on a noisy machine
        if ! command -v valgrind >/dev/null; then
            SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
            $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind
        fi
        "$PY" benchmarks/suite.py "${@:2}"
        "$PY" benchmarks/websocket.py
        ;;
    *)
        echo "usage: bash tasks.sh samples|test|bench" >&2
        exit 2
        ;;
esac
