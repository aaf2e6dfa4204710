"""Shared fixtures: the recorded AWS events and the sample apps, loaded as Lambda would."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT.parent / "shared" / "events"
SAMPLES = ROOT / "samples"


def recorded_events() -> list[Path]:
    """Every recorded event file under ../shared/events."""
    return sorted(EVENTS.glob("*/*.json"))


def load_event(name: str) -> dict[str, Any]:
    """A recorded event by its path below ../shared/events, e.g. 'sam/alb-request.json'."""
    return json.loads((EVENTS / name).read_text())


def load_module(path: Path, name: str) -> Any:
    """Import a sample's handler module from its file, as the Lambda runtime would."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def flask_sample() -> Any:
    return load_module(SAMPLES / "flask_app" / "app.py", "flask_sample_app")


@pytest.fixture(scope="session")
def django_sample() -> Any:
    return load_module(SAMPLES / "django_app" / "app.py", "django_sample_app")


@pytest.fixture(scope="session")
def django_asgi_sample() -> Any:
    return load_module(SAMPLES / "django_app" / "asgi.py", "django_sample_asgi")


@pytest.fixture(scope="session")
def fastapi_sample() -> Any:
    return load_module(SAMPLES / "fastapi_app" / "app.py", "fastapi_sample_app")
