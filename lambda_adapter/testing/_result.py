"""What an event source answers its client: its reading of a Lambda function's result, and its own errors.

Invariants:
- A tool module, used by ``_local`` (``serve`` and the httpx transports) and ``invoke``.
- A result is read as Lambda hands it on (through JSON: ``marshal``) and as the source reads it: HTTP API
  2.0 and Function URLs take a result without ``statusCode`` as the JSON body of a 200 and ignore
  ``multiValueHeaders``; payload 1.0 sources ignore ``cookies``; a pair in both ``headers`` and
  ``multiValueHeaders`` arrives once; a JSON number or boolean header value arrives as its JSON text.
- Anything else the source cannot read is its failure (``failure``): REST's 502 ``{"message": "Internal
  server error"}``, HTTP APIs' 500 ``{"message":"Internal Server Error"}``, with the reason on stderr.
- Connection-level headers of the result belong to the server; ``Content-Length`` is the body's length,
  except in the answer to HEAD and a 304, which keep the app's, and a 1xx or 204, which have none.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from ._readers import headers_of, status_of

HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                         "upgrade", "content-length"))  # fmt: skip
JSON = ("Content-Type", "application/json")


@dataclass(frozen=True)
class Answer:
    """The HTTP answer the event source sends the client."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def outside_stage(format: str) -> Answer:
    """What API Gateway answers for a URL outside the API's stages."""
    if format == "rest":
        return _json_answer(403, b'{"message":"Forbidden"}', "ForbiddenException")
    return _json_answer(404, b'{"message":"Not Found"}', "NotFoundException")


def _json_answer(status: int, body: bytes, error_type: str) -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
    return Answer(status, [*headers, ("Content-Length", str(len(body)))], body)


def to_answer(format: str, result: Any, method: str) -> Answer:
    """The HTTP answer the source makes of a handler's ``result`` (as JSON gives it back: see ``marshal``)."""
    if format in ("http", "url") and not (isinstance(result, dict) and "statusCode" in result):
        # HTTP API 2.0 and Function URLs: a result without statusCode is the JSON body of a 200
        body = json.dumps(result).encode()
        return Answer(200, [JSON, ("Content-Length", str(len(body)))], body)
    try:
        status, received, body = _proxy_response(_known_fields(format, result))
    except (ValueError, TypeError) as exc:  # API Gateway: a malformed proxy response is its failure
        log(f"malformed Lambda proxy response: {exc}")
        return failure(format)
    headers = [(name, value) for name, values in received.items() if name not in HOP_BY_HOP for value in values]
    return Answer(status, [*headers, *_content_length(status, method, received, body)], body)


def _content_length(status: int, method: str, received: dict[str, list[str]], body: bytes) -> list[tuple[str, str]]:
    """The answer's Content-Length (LocalFunction drops a HEAD's body): RFC 9110 8.6 allows none in a 1xx or
    204, and in a 304 only the length the 200 would have, which the app knows (Flask sends none)."""
    if status < 200 or status == 204:
        return []
    if status == 304:
        return [("Content-Length", value) for value in received.get("content-length", [])[-1:]]
    return [
        ("Content-Length", received.get("content-length", [str(len(body))])[-1] if method == "HEAD" else str(len(body)))
    ]


def _known_fields(format: str, result: Any) -> Any:
    """``result`` without the header fields the source ignores: 2.0 has no multiValueHeaders, 1.0 no cookies[]."""
    if not isinstance(result, dict):
        return result
    ignored = "multiValueHeaders" if format in ("http", "url") else "cookies"
    return {key: value for key, value in result.items() if key != ignored}


def _proxy_response(result: Any) -> tuple[int, dict[str, list[str]], bytes]:
    """Status, headers (values as text) and body of a proxy response; ValueError or TypeError saying what is wrong."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise ValueError(f"no statusCode in the result (a {type(result).__name__})")
    if not str(result["statusCode"]).isdigit() or not 100 <= int(result["statusCode"]) <= 599:
        raise ValueError(f"statusCode {result['statusCode']!r} is no HTTP status")
    for key in ("headers", "multiValueHeaders"):
        if not isinstance(result.get(key) or {}, dict):
            raise TypeError(f"{key} is a {type(result[key]).__name__}, not an object")
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            raise TypeError(f"multiValueHeaders: header {name!r} is a {type(values).__name__}, not a list")
    if not isinstance(result.get("cookies") or [], list):
        raise TypeError(f"cookies is a {type(result['cookies']).__name__}, not a list")
    if not isinstance(result.get("body") or "", str):
        raise TypeError(f"body is a {type(result['body']).__name__}, not a string")
    text = result.get("body") or ""
    encoded = bool(result.get("isBase64Encoded"))
    try:
        body = base64.b64decode("".join(text.split()), validate=True) if encoded else text.encode()
    except binascii.Error as exc:
        raise ValueError(f"body is not valid base64 ({exc})") from None
    headers = {name: [_header_text(name, value) for value in values] for name, values in headers_of(result).items()}
    return status_of(result), headers, body


def _header_text(name: str, value: Any) -> str:
    """A header value as API Gateway writes it: a JSON number or boolean as its JSON text. One holding CR
    or LF is no header (it would split the answer): a malformed proxy response."""
    if "\r" in name or "\n" in name or (isinstance(value, str) and ("\r" in value or "\n" in value)):
        raise ValueError(f"header {name!r} holds CR or LF")
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise TypeError(f"header {name!r} has a {type(value).__name__} value")


def marshal(result: Any) -> Any:
    """``result`` as the Lambda runtime hands it on: through JSON (TypeError, ValueError if it cannot be)."""
    return json.loads(json.dumps(result))


def log(message: str) -> None:
    print(f"lambda-adapter: {message}", file=sys.stderr, flush=True)


def failure(format: str) -> Answer:
    """What the source answers when the function fails: REST 502, HTTP APIs their own 500."""
    if format in ("http", "http1"):
        body = b'{"message":"Internal Server Error"}'
        return Answer(500, [JSON, ("Content-Length", str(len(body)))], body)
    return _json_answer(502, b'{"message": "Internal server error"}', "InternalServerErrorException")
