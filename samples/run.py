"""Drive every sample through the events of every format, as AWS would call it, and report.

Run with ``bash tasks.sh samples``. Each row is one request sent as one event source's event;
the table shows what the client would receive.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, set_cookies_of, status_of  # noqa: E402

SAMPLES = {
    "flask": HERE / "flask_app" / "app.py",
    "django": HERE / "django_app" / "app.py",
    "django-asgi": HERE / "django_app" / "asgi.py",
    "fastapi": HERE / "fastapi_app" / "app.py",
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("json api", {"path": "/api/items", "query": "limit=1"}),
    ("query", {"path": "/query", "query": "a=1&a=2&b=x%20y&c=%2B&d=%26"}),
    ("login", {"method": "POST", "path": "/login", "body": b"username=ada", "headers": FORM}),
    ("binary echo", {"method": "POST", "path": "/echo", "body": os.urandom(256 * 1024),
                     "headers": {"Content-Type": "application/octet-stream"}}),
    ("gzip", {"path": "/gzip"}),
    ("redirect", {"path": "/go"}),
    ("404", {"path": "/missing"}),
    ("error", {"path": "/boom"}),
]  # fmt: skip


def load(name: str, path: Path) -> Any:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"sample_{name.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    import logging

    logging.disable(logging.CRITICAL)  # the error route logs a traceback by design
    print(f"{'sample':<12} {'format':<10} {'request':<12} {'status':>6} {'bytes':>8} {'b64':>5} {'cookies':>7}  check")
    problems = 0
    for name, path in SAMPLES.items():
        handler = load(name, path).handler
        for format in FORMATS:
            for label, request in REQUESTS:
                result = handler(event_for(format, **request), LambdaContext())
                body = body_of(result)
                check = "ok"
                if label == "binary echo" and body != request["body"]:
                    check, problems = "BODY DIFFERS", problems + 1
                elif label == "error" and status_of(result) != 500:
                    check, problems = "NOT A 500", problems + 1
                digest = hashlib.sha256(body).hexdigest()[:8] if label == "binary echo" else ""
                print(
                    f"{name:<12} {format:<10} {label:<12} {status_of(result):>6} {len(body):>8} "
                    f"{_is_base64(result)!s:>5} {len(set_cookies_of(result)):>7}  {check} {digest}"
                )
    problems += run_migration()
    print(f"\n{'all requests answered as expected' if not problems else f'{problems} problem(s)'}")
    return 1 if problems else 0


def _is_base64(result: dict[str, Any]) -> bool:
    return bool(result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64")  # Lambda@Edge names it so


def run_migration() -> int:
    """The migration sample: two apps, an SQS batch with one bad message, a schedule, a warm ping."""
    import json

    handler = load("migration", HERE / "migration" / "app.py").handler
    sqs = {"Records": [
        {"messageId": "m1", "eventSource": "aws:sqs", "body": json.dumps({"id": 1, "items": ["tea"]})},
        {"messageId": "m2", "eventSource": "aws:sqs", "body": "not an order"},
    ]}  # fmt: skip
    schedule = {"detail-type": "Scheduled Event", "source": "aws.events", "resources": ["rule/nightly"], "detail": {}}
    cases: list[tuple[str, dict[str, Any], Any]] = [
        ("GET /api/items (django)", event_for("http", path="/api/items"), 200),
        ("GET /api/v2/products (fastapi)", event_for("http", path="/api/v2/products"), 200),
        ("SQS batch, one bad message", sqs, {"batchItemFailures": [{"itemIdentifier": "m2"}]}),
        ("schedule -> POST /api/v2/tasks", schedule, {"status": "queued"}),
        ("warm-up ping", {"source": "serverless-plugin-warmup"}, {"warm": True}),
    ]
    print(f"\n{'migration sample':<34} answer")
    problems = 0
    for label, event, expected in cases:
        result = handler(event, LambdaContext())
        answer = status_of(result) if isinstance(expected, int) else result
        ok = answer == expected
        problems += not ok
        print(f"{label:<34} {answer}  {'ok' if ok else f'EXPECTED {expected}'}")
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
