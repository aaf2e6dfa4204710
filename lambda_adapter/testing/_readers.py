"""The Lambda context and the result readers of ``lambda_adapter.testing``: below both the local
translation (``_local``, ``_result``) and the public module, so neither imports the other back."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any


class LambdaContext:
    """A Lambda context with the attributes the Python runtime provides."""

    def __init__(self, *, function_name: str = "app", timeout_ms: int = 30_000, request_id: str | None = None) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/11/22/[$LATEST]0123456789abcdef"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def w3c(self) -> dict[str, str]:
        """The caller's W3C trace context (awslambdaric 4.2): none, as for an invocation without a client context."""
        return {}


def body_of(result: Mapping[str, Any]) -> bytes:
    """The bytes the client receives from a handler's result."""
    body = result.get("body") or ""
    encoded = result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64"
    return base64.b64decode(body) if encoded else body.encode("utf-8")


def status_of(result: Mapping[str, Any]) -> int:
    """The status code the client receives (Lambda@Edge gives it as a string)."""
    return int(result["status"] if "status" in result else result["statusCode"])


def headers_of(result: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every response header the client receives, by lower-case name, whatever the format."""
    headers: dict[str, list[str]] = {}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    multi = {name: list(values) for name, values in headers.items()}
    for name, value in (result.get("headers") or {}).items():
        if isinstance(value, list):  # Lambda@Edge: [{"key": Name, "value": v}]
            headers.setdefault(name.lower(), []).extend(item["value"] for item in value)
        elif value not in multi.get(name.lower(), []):  # API Gateway: a pair in both fields arrives once;
            headers.setdefault(name.lower(), []).append(value)  # ALB's case variants (set-cookie, Set-cookie) each
    if result.get("cookies"):
        headers.setdefault("set-cookie", []).extend(result["cookies"])
    return headers


def set_cookies_of(result: Mapping[str, Any]) -> list[str]:
    """Every Set-Cookie the client receives from a handler's result, whatever the format."""
    return headers_of(result).get("set-cookie", [])


def json_of(result: Mapping[str, Any]) -> Any:
    """The JSON body of a handler's result."""
    return json.loads(body_of(result))
