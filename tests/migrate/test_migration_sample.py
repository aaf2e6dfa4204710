"""The gradual-migration sample: the Django monolith, the FastAPI rewrite, SQS and a schedule in one handler."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from lambda_adapter.testing import LambdaContext, event_for, headers_of, json_of, status_of
from tests.conftest import SAMPLES, load_event, load_module


@pytest.fixture(scope="module")
def migration() -> Any:
    return load_module(SAMPLES / "migration" / "app.py", "migration_sample_app")


@pytest.mark.parametrize("format", ["http", "rest"])
def test_the_monolith_and_the_rewrite_answer_side_by_side(migration: Any, format: str) -> None:
    root = "/prod" if format == "rest" else ""
    old = migration.handler(event_for(format, path="/api/items", query="limit=1"), LambdaContext())
    assert json_of(old) == {"items": [{"id": 1, "name": "apple"}]}
    new = json_of(migration.handler(event_for(format, path="/api/v2/products"), LambdaContext()))
    assert new["url"] == f"https://abc123.execute-api.us-east-1.amazonaws.com{root}/api/v2/products"
    moved = migration.handler(event_for(format, path="/api/v2/go"), LambdaContext())
    assert urlsplit(headers_of(moved)["location"][0]).path == f"{root}/api/v2/api/items"


def test_sqs_orders_with_one_unreadable_message(migration: Any) -> None:
    event = load_event("powertools/sqsEvent.json")
    event["Records"][0]["body"] = json.dumps({"id": 7, "items": ["tea"]})
    bad = event["Records"][1]["messageId"]
    event["Records"][1]["body"] = "not an order"
    assert migration.handler(event, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert migration.orders_taken[-1] == {"id": 7, "items": ["tea"]}


def test_the_schedule_runs_the_rewrites_task_route(migration: Any) -> None:
    before = json_of(migration.handler(event_for("http", path="/api/v2/tasks"), LambdaContext()))["background"]
    answer = migration.handler(load_event("powertools/eventBridgeSchedulerEvent.json"), LambdaContext())
    assert answer == {"status": "queued"}
    after = json_of(migration.handler(event_for("http", path="/api/v2/tasks"), LambdaContext()))["background"]
    assert after == before + 1


def test_warm_pings_and_unknown_paths(migration: Any) -> None:
    assert migration.handler({"source": "serverless-plugin-warmup"}, LambdaContext()) == {"warm": True}
    assert status_of(migration.handler(event_for("http", path="/no/such/page"), LambdaContext())) == 404
