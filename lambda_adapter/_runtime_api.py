"""A client of the Lambda Runtime API, on ``http.client`` alone (a tool module: nothing below imports it).

AWS: docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html (next, response, error, init error) and
docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming.
Invariants: one keep-alive connection for ``next`` and buffered answers; each streamed answer has a
connection of its own, closed once the answer is written, as the streaming documentation asks.
"""

from __future__ import annotations

import base64
import http.client
import json
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASE = "/2018-06-01/runtime"
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"  # status and headers, then the body
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"


class RuntimeAPIError(RuntimeError):
    """The Runtime API refused a request, or asked the runtime to exit."""


class Invocation:
    """One event from ``/runtime/invocation/next``, with the headers that describe it."""

    __slots__ = ("client_context", "deadline_ms", "event", "function_arn", "identity", "request_id", "trace_id")

    def __init__(self, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.request_id = headers["Lambda-Runtime-Aws-Request-Id"] or ""
        deadline = headers["Lambda-Runtime-Deadline-Ms"]
        # Lambda always sends it; an emulator may not: then Lambda's longest timeout, 15 minutes
        self.deadline_ms = int(deadline) if deadline else int(time.time() * 1000) + 900_000
        self.function_arn = headers["Lambda-Runtime-Invoked-Function-Arn"] or ""
        self.trace_id = headers["Lambda-Runtime-Trace-Id"]
        self.client_context = _json_header(headers["Lambda-Runtime-Client-Context"])
        self.identity = _json_header(headers["Lambda-Runtime-Cognito-Identity"])
        self.event: Any = json.loads(body) if body else None


def _json_header(value: str | None) -> Any:
    return json.loads(value) if value else None


def error_document(exc: BaseException) -> dict[str, Any]:
    """The error as the Runtime API takes it: errorMessage, errorType, stackTrace."""
    import traceback

    trace = [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": trace}


class RuntimeAPI:
    """``next``, ``respond``, ``fail`` and ``init_error`` on the Runtime API at ``host:port``."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or address, int(port or 80)
        self._connection = http.client.HTTPConnection(self.host, self.port)

    def next(self) -> Invocation:
        response = self._request("GET", f"{BASE}/invocation/next", None, {})
        body = response.read()
        if response.status != 200:  # 500 and the like: "non-recoverable state, exit promptly"
            raise RuntimeAPIError(f"/invocation/next answered {response.status}: {body[:200]!r}")
        return Invocation(response.headers, body)

    def respond(self, request_id: str, payload: bytes) -> None:
        self._post(f"{BASE}/invocation/{request_id}/response", payload, {"Content-Type": "application/json"})

    def fail(self, request_id: str, error: dict[str, Any], error_type: str) -> None:
        self._post(f"{BASE}/invocation/{request_id}/error", json.dumps(error).encode(), {ERROR_TYPE: error_type})

    def init_error(self, error: dict[str, Any], error_type: str) -> None:
        self._post(f"{BASE}/init/error", json.dumps(error).encode(), {ERROR_TYPE: error_type})

    def stream(self, request_id: str) -> ResponseStream:
        return ResponseStream(self.host, self.port, f"{BASE}/invocation/{request_id}/response")

    def _post(self, path: str, payload: bytes, headers: dict[str, str]) -> None:
        response = self._request("POST", path, payload, headers)
        body = response.read()
        if response.status >= 300:  # 400 and 413 (payload too large) are the documented refusals
            raise RuntimeAPIError(f"POST {path} answered {response.status}: {body[:200]!r}")

    def _request(self, method: str, path: str, payload: bytes | None, headers: dict[str, str]) -> Any:
        for attempt in (1, 2):  # a keep-alive connection the other side closed: once more, anew
            try:
                self._connection.request(method, path, payload, headers)
                return self._connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


class ResponseStream:
    """One streamed answer: a chunked POST opened by the first ``write``, trailers if it fails.

    ``broken`` tells that the connection failed under a write: the client is gone.
    """

    def __init__(self, host: str, port: int, path: str) -> None:
        self._connection = http.client.HTTPConnection(host, port)
        self._path = path
        self.started = False
        self.broken = False
        self.sent = 0

    def write(self, data: bytes) -> None:
        if not data:
            return  # an empty chunk would end the chunked body
        if not self.started:
            self._open()
        self._send(b"%x\r\n%b\r\n" % (len(data), data))
        self.sent += len(data)

    def finish(self, error: BaseException | None = None) -> None:
        """End the body (with error trailers when ``error`` is given), read the answer, close."""
        if not self.started:
            self._open()
        end = b"0\r\n"
        if error is not None:
            # Lambda forwards the trailers to the client (runtimes-custom.html): no stack trace there, only the log
            summary = {"errorMessage": str(error), "errorType": type(error).__name__}
            document = base64.b64encode(json.dumps(summary).encode())
            end += b"%s: Function.%s\r\n%s: %s\r\n" % (
                ERROR_TYPE.encode(), type(error).__name__.encode("ascii", "replace"), ERROR_BODY.encode(), document,
            )  # fmt: skip
        try:
            self._send(end + b"\r\n")
            response = self._connection.getresponse()
            body = response.read()
        finally:
            self._connection.close()  # "close the underlying connection after it has written the response"
        if response.status >= 300:
            raise RuntimeAPIError(f"the streamed answer was refused: {response.status} {body[:200]!r}")

    def close(self) -> None:
        self._connection.close()

    def _open(self) -> None:
        self.started = True
        connection = self._connection
        connection.putrequest("POST", self._path, skip_accept_encoding=True)
        connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", HTTP_INTEGRATION)
        # trailers must be announced before the body (HTTP/1.1 chunked coding; runtimes-custom.html)
        connection.putheader("Trailer", f"{ERROR_TYPE}, {ERROR_BODY}")
        try:
            connection.endheaders()
        except OSError:
            self.broken = True
            raise

    def _send(self, data: bytes) -> None:
        try:
            self._connection.send(data)
        except OSError:
            self.broken = True
            raise
