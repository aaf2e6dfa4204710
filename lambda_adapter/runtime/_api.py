"""A client of the Lambda Runtime API, on ``http.client`` alone (a tool module: nothing below imports it).

AWS: docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html (next, response, error, init error, and
SnapStart's restore next and restore error) and
docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming.
Invariants: one keep-alive connection for ``next`` and buffered answers; each streamed answer has a
connection of its own, closed once the answer is written, as the streaming documentation asks.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
import traceback

from .._run import escapes_non_ascii, written_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASE = "/2018-06-01/runtime"
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"  # status and headers, then the body
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
XRAY_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
_RUNTIME = os.path.dirname(os.path.abspath(__file__))  # this package's frames stay out of stack traces
_LOAD = os.path.join(os.path.dirname(_RUNTIME), "_load.py")  # ... and the handler loader's, at init
_SMALL = 65536  # a chunk up to this size is framed in one copy and sent at once
ASCII_ONLY = escapes_non_ascii()  # JSON text as awslambdaric writes it on this runtime: UTF-8 from python3.12


class RuntimeAPIError(RuntimeError):
    """The Runtime API refused a request (``status``), or asked the runtime to exit."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def fatal(self) -> bool:
        """Whether the runtime must exit: a 500 is "non-recoverable state, exit promptly" (runtimes-api.html);
        a 400, 403 or 413 refuses this one answer only (a 413: over the 6 MB limit), and the loop goes on."""
        return self.status is None or self.status >= 500


class Invocation:
    """One event from ``/runtime/invocation/next``, with the headers that describe it; the event and the
    JSON headers stay text here, decoded by the loop, which reports a malformed one for this invocation."""

    __slots__ = (
        "body", "client_context", "deadline_ms", "function_arn", "identity", "request_id", "tenant_id", "trace_id",
    )  # fmt: skip

    def __init__(self, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.request_id = headers["Lambda-Runtime-Aws-Request-Id"] or ""
        deadline = headers["Lambda-Runtime-Deadline-Ms"]
        # Lambda always sends it; an emulator may not: then Lambda's longest timeout, 15 minutes
        self.deadline_ms = int(deadline) if deadline else int(time.time() * 1000) + 900_000
        self.function_arn = headers["Lambda-Runtime-Invoked-Function-Arn"] or ""
        self.trace_id = headers["Lambda-Runtime-Trace-Id"]
        self.tenant_id = headers["Lambda-Runtime-Aws-Tenant-Id"]  # tenant isolation mode only
        self.client_context = headers["Lambda-Runtime-Client-Context"]
        self.identity = headers["Lambda-Runtime-Cognito-Identity"]
        self.body = body


def error_document(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    """The error as awslambdaric posts it: errorMessage, errorType, requestId, stackTrace (the runtime's own
    frames left out, each frame as ``traceback.format_list`` writes it)."""
    frames = _user_frames(exc)
    # as plain tuples, as awslambdaric formats them: no ``^^^`` lines under the code (Python 3.11+)
    trace = traceback.format_list([(frame.filename, frame.lineno or 0, frame.name, frame.line) for frame in frames])
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id, "stackTrace": trace}


def xray_cause(exc: BaseException | None, message: str, kind: str) -> str:
    """The ``Lambda-Runtime-Function-XRay-Error-Cause`` header awslambdaric sends with an error (X-Ray's
    "cause" document); the managed runtime leaves it out when it passes 1 MiB."""
    frames = _user_frames(exc) if exc is not None else []
    stack = [{"label": frame.name, "path": frame.filename, "line": frame.lineno} for frame in frames]
    document = {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": kind, "stack": stack}],
        "paths": list(dict.fromkeys(frame.filename for frame in frames)),
    }
    cause = json.dumps(document)
    return cause if len(cause) < 1024 * 1024 else ""


def _user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(exc.__traceback__)
    for index, frame in enumerate(frames):  # from the first frame that is not the runtime's (nor the loader's)
        if _RUNTIME not in frame.filename and frame.filename != _LOAD:
            return frames[index:]
    return list(frames)


def _public_message(error: BaseException) -> str:
    """What the client may read of ``error``: the adapter's own message (the deadline, the size limit), or
    a pointer to the log for the app's (which may hold anything: paths, SQL, secrets)."""
    if type(error).__module__.startswith("lambda_adapter."):
        return str(error)[:1000]
    return "the app failed after its first bytes; its error is in the function's log"


def _json(document: dict[str, Any]) -> bytes:
    return written_json(lambda ascii_only: json.dumps(document, ensure_ascii=ascii_only), ASCII_ONLY)


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
            raise RuntimeAPIError(f"/invocation/next answered {response.status}: {body[:200]!r}")  # always fatal
        return Invocation(response.headers, body)

    def respond(self, request_id: str, payload: bytes, content_type: str = "application/json") -> None:
        self._post(f"{BASE}/invocation/{request_id}/response", payload, {"Content-Type": content_type})

    def fail(self, request_id: str, error: dict[str, Any], error_type: str, cause: str = "") -> None:
        headers = {"Content-Type": "application/json", ERROR_TYPE: error_type}
        if cause:
            headers[XRAY_CAUSE] = cause
        self._post(f"{BASE}/invocation/{request_id}/error", _json(error), headers)

    def init_error(self, error: dict[str, Any], error_type: str) -> None:
        self._post(f"{BASE}/init/error", _json(error), {ERROR_TYPE: error_type})

    def restore_next(self) -> None:
        """SnapStart: the snapshot is taken while this waits; it returns in a restored copy."""
        response = self._request("GET", f"{BASE}/restore/next", None, {})
        body = response.read()
        if response.status != 200:
            raise RuntimeAPIError(f"/restore/next answered {response.status}: {body[:200]!r}", response.status)

    def restore_error(self, error: dict[str, Any], error_type: str) -> None:
        self._post(f"{BASE}/restore/error", _json(error), {ERROR_TYPE: error_type})

    def close(self) -> None:
        self._connection.close()

    def stream(self, request_id: str) -> ResponseStream:
        return ResponseStream(self.host, self.port, f"{BASE}/invocation/{request_id}/response")

    def _post(self, path: str, payload: bytes, headers: dict[str, str]) -> None:
        response = self._request("POST", path, payload, headers)
        body = response.read()
        if response.status >= 300:  # 400, 403 and 413 (payload too large) are the documented refusals
            raise RuntimeAPIError(f"POST {path} answered {response.status}: {body[:200]!r}", response.status)

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
        if len(data) <= _SMALL:  # one send, one packet
            self._send(b"%x\r\n%b\r\n" % (len(data), data))
        else:  # framed around the data, never copied with it: a large chunk is not held twice
            self._send(b"%x\r\n" % len(data))
            self._send(data)
            self._send(b"\r\n")
        self.sent += len(data)

    def finish(self, error: BaseException | None = None) -> None:
        """End the body (with error trailers when ``error`` is given), read the answer, close."""
        if not self.started:
            self._open()
        end = b"0\r\n"
        if error is not None:
            # Lambda forwards the trailers to the client (runtimes-custom.html): the app's own message and
            # traceback stay in the log, as a buffered 500 keeps them there; the adapter's messages are safe
            summary = {"errorMessage": _public_message(error), "errorType": type(error).__name__}
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
            raise RuntimeAPIError(f"the streamed answer was refused: {response.status} {body[:200]!r}", response.status)

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
