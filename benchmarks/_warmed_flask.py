"""The flask sample with warm-up in the init phase, against the sample as it is (benchmarks/suite.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "samples" / "flask_app"))

from app import app

from lambda_adapter import adapt

handler = adapt(app, init_requests=["/api/items"])
