"""One translation between HTTP on the wire and a Lambda function, shared by ``serve`` and the httpx transport.

Invariants:
- A tool module. A request becomes its event through ``lambda_adapter.testing``'s builders, the ones the
  tests use, so the server, the transport and the tests agree on every AWS quirk; the result becomes the
  answer as the source reads it (``_result``).
- A named stage lives in the URL as on an ``execute-api`` host (``/NAME/...``, REST and HTTP APIs): the
  event's ``domainName`` is an ``execute-api`` name so the handler moves the stage to the app's root, while
  the Host header stays the one the client sent. A request outside the stage gets what API Gateway answers
  for an unknown stage (REST: 403 ``{"message": "Forbidden"}``; HTTP API: 404 ``{"message": "Not Found"}``)
  and the handler is not called.
- Like AWS, the front adds ``X-Forwarded-For`` (the client appended), ``X-Forwarded-Proto`` and
  ``X-Forwarded-Port`` (the listener the client reached), replacing any the client sent for the last two,
  and an ``X-Amzn-Trace-Id`` unless the client sent one.
- A REST API is one with binary media types ``*/*``, as the README tells users to set (base64 answers only
  reach clients as bytes then): it base64-encodes every request body, whatever its type.
- One invocation at a time, as in one Lambda container; a handler that raises, or returns a result that is
  malformed or not JSON, is the source's failure (``_result.failure``), with the reason on stderr.
- Lambda's payload limits hold: an event over 6 MiB is a 413 and the handler is not called; a result over
  them is the source's failure (502/500), each with the sizes on stderr.
- Connection-level headers (``Connection``, ``Transfer-Encoding``...) end at API Gateway and Function
  URLs (ALB passes them on). No answer to HEAD has a body, the front's own included, nor a 1xx, 204 or 304
  (RFC 9110 6.4.1), whatever the handler returned.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .._events.encoding import text_from_native
from .._model import NO_BODY
from ._builders_other import event_for
from ._readers import LambdaContext
from ._result import HOP_BY_HOP, JSON, Answer, failure, log, outside_stage, to_answer

LOCAL_FORMATS = ("rest", "http", "http1", "url", "alb", "alb-multi")
STAGE_FORMATS = ("rest", "http", "http1")
STAGE_DOMAIN = "local.execute-api.localhost"  # an execute-api name: the client's URL holds the stage
_TOO_LARGE = b'{"message":"Request Entity Too Large"}'
INVOKE_LIMIT = 6_291_456  # bytes of event a synchronous invocation takes (Lambda's message names this number)
RESPONSE_LIMIT = 6_291_556  # bytes of result: Lambda's own limit, as its error message gives it


@dataclass(frozen=True)
class Request:
    """An HTTP request as it arrived: the target is the path and query as sent (``/a%20b?x=1``)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    client: str = "127.0.0.1"
    scheme: str = "http"
    port: int = 80


def request_kwargs(format: str, request: Request, *, stage: str | None) -> dict[str, Any]:
    """The builder arguments (``event_for``) describing ``request``; ``path`` without the stage."""
    path, _, query = request.target.partition("?")
    host = next((value for name, value in request.headers if name.lower() == "host"), "localhost")
    # a value beyond ASCII as AWS puts it in the event: the text its UTF-8 bytes spell, not their latin-1 reading
    # (an ALB event holds "Srīperumbūdūr" from a UTF-8 header: github.com/honojs/hono/issues/4432)
    headers = [(name, text_from_native(value)) for name, value in request.headers if name.lower() != "host"]
    if not any(name.lower() == "x-amzn-trace-id" for name, _ in headers):  # every source adds an X-Ray trace id
        headers.append(("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"))
    kwargs: dict[str, Any] = {"method": request.method, "path": path, "query": query, "body": request.body,
                              "host": host, "source_ip": request.client}  # fmt: skip
    if format.startswith("alb"):  # ALB appends the client to X-Forwarded-For itself
        kwargs.update(headers=headers, forwarded_proto=request.scheme, forwarded_port=request.port)
        return kwargs
    # API Gateway and Function URLs are proxies: connection-level headers end there (ALB passes them on)
    headers = [
        (name, value) for name, value in headers if name.lower() not in HOP_BY_HOP or name.lower() == "content-length"
    ]
    kwargs["headers"] = forwarded(headers, request.client, request.scheme, request.port)
    if format == "rest" and request.body:  # a REST API with binary media types */* (as it needs): every body
        kwargs["binary"] = True
    if format in STAGE_FORMATS:
        kwargs["stage"] = stage or ("prod" if format == "rest" else "$default")
        kwargs["domain_name"] = STAGE_DOMAIN if stage else host  # without a stage: like a custom domain
    return kwargs


def forwarded(headers: list[tuple[str, str]], client: str, scheme: str, port: int) -> list[tuple[str, str]]:
    """``headers`` with the X-Forwarded-* headers API Gateway and Function URLs add."""
    names = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-port")
    chain = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    kept = [(name, value) for name, value in headers if name.lower() not in names]
    return [*kept, ("X-Forwarded-For", ", ".join([*chain, client])), ("X-Forwarded-Proto", scheme),
            ("X-Forwarded-Port", str(port))]  # fmt: skip


class LocalFunction:
    """A handler behind one event source, called once at a time as in one Lambda container."""

    def __init__(self, handler: Any, *, format: str = "http", stage: str | None = None) -> None:
        if format not in LOCAL_FORMATS:
            raise ValueError(f"format must be one of {', '.join(LOCAL_FORMATS)}, got {format!r}")
        if stage is not None and (format not in STAGE_FORMATS or not stage or "/" in stage or stage == "$default"):
            raise ValueError(f"a stage goes with the formats {', '.join(STAGE_FORMATS)} and is one path segment")
        self.handler, self.format, self.stage = handler, format, stage
        self._lock = threading.Lock()

    def answer(self, request: Request) -> Answer:
        """Turn ``request`` into the event, call the handler, turn its result into the answer."""
        answer = self._answer(request)
        bodiless = request.method == "HEAD" or answer.status < 200 or answer.status in NO_BODY
        return replace(answer, body=b"") if bodiless else answer  # the front's own answers too

    def _answer(self, request: Request) -> Answer:
        target = self._within_stage(request.target)
        if target is None:
            return outside_stage(self.format)
        kwargs = request_kwargs(self.format, request, stage=self.stage)
        kwargs["path"] = target.partition("?")[0]
        request_id = str(uuid.uuid4())
        if not self.format.startswith("alb"):
            kwargs["request_id"] = request_id
        event = event_for(self.format, **kwargs)
        size = len(json.dumps(event).encode())
        if size > INVOKE_LIMIT:  # Lambda refuses the invocation; the source answers 413
            log(f"the event is {size} bytes: Request must be smaller than {INVOKE_LIMIT} bytes for the InvokeFunction "
                 "operation (a binary body grows by a third in base64)")  # fmt: skip
            return Answer(413, [JSON, ("Content-Length", str(len(_TOO_LARGE)))], _TOO_LARGE)
        return self._invoke(event, request_id, request.method)

    def _invoke(self, event: dict[str, Any], request_id: str, method: str) -> Answer:
        with self._lock:
            try:
                result = self.handler(event, LambdaContext(request_id=request_id))
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return failure(self.format)
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as exc:  # what Lambda's Python runtime reports for such a result
            log(f"Runtime.MarshalError: Unable to marshal response: {exc}")
            return failure(self.format)
        if len(text.encode()) > RESPONSE_LIMIT:  # Lambda fails the invocation; the source answers its failure
            log(f"Response payload size ({len(text.encode())} bytes) exceeded maximum allowed payload size "
                 f"({RESPONSE_LIMIT} bytes).")  # fmt: skip
            return failure(self.format)
        return to_answer(self.format, json.loads(text), method)

    def _within_stage(self, target: str) -> str | None:
        if self.stage is None:
            return target
        prefix = "/" + self.stage
        if target == prefix or target.startswith((prefix + "/", prefix + "?")):
            rest = target[len(prefix) :]
            return rest if rest.startswith("/") else "/" + rest
        return None
