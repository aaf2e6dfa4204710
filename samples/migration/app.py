"""Gradual migration: one Lambda handler for a monolith moved to Lambda a piece at a time.

- ``/``: the Django sample, the "monolith" (WSGI), as it was.
- ``/api/v2``: the FastAPI sample, the part rewritten (ASGI, its own lifespan, run once per container).
- SQS: order messages, consumed by a plain function; messages that cannot be read are reported back as
  partial batch failures, so only they return to the queue.
- A schedule (EventBridge): posted as JSON to the FastAPI app's existing ``POST /tasks`` route.
- Warm-up pings (serverless-plugin-warmup, keep-warm rules) are answered without running any app.

SAM: ``Handler: migration/app.handler`` with ``CodeUri: ..`` (the samples folder, whose requirements.txt
lists what this sample needs), see template.yaml.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from lambda_adapter import adapt

SAMPLES = Path(__file__).resolve().parent.parent
log = logging.getLogger("migration")


def _load(folder: str, name: str) -> Any:
    """A sibling sample's ``app.py`` (each is called app.py, so each gets its own module name)."""
    sys.path.insert(0, str(SAMPLES / folder))
    spec = importlib.util.spec_from_file_location(name, SAMPLES / folder / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
monolith = _load("django_app", "migration_monolith").application
api_v2 = _load("fastapi_app", "migration_api_v2").app
orders_taken: list[dict[str, Any]] = []


def consume_orders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The SQS consumer: takes each order; a message that is not an order goes back to the queue."""
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            orders_taken.append({"id": order["id"], "items": order["items"]})
        except (ValueError, KeyError, TypeError):
            log.warning("message %s is not an order; left for a retry", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


handler = adapt(
    {"/": monolith, "/api/v2": api_v2},
    events={"sqs": consume_orders, "schedule": "/api/v2/tasks"},
)
