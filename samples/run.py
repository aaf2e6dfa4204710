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

from lambda_adapter.testing import FORMATS, LambdaContext, body_of, event_for, set_cookies_of  # noqa: E402

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
                elif label == "error" and result["statusCode"] != 500:
                    check, problems = "NOT A 500", problems + 1
                digest = hashlib.sha256(body).hexdigest()[:8] if label == "binary echo" else ""
                print(
                    f"{name:<12} {format:<10} {label:<12} {result['statusCode']:>6} {len(body):>8} "
                    f"{result['isBase64Encoded']!s:>5} {len(set_cookies_of(result)):>7}  {check} {digest}"
                )
    print(f"\n{'all requests answered as expected' if not problems else f'{problems} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
