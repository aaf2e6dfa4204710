"""A Lambda Runtime API on loopback, for the tests: written from AWS's documentation, not from our client.

docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html: GET /2018-06-01/runtime/invocation/next
hands out an event with the Lambda-Runtime-* headers; POST .../invocation/{id}/response, .../error
and /runtime/init/error take the answers (202); a buffered response over 6 MB is refused with 413
(Lambda's limit, 6291556 bytes), and ``invoke(reply=...)`` makes it refuse an answer with 400, 403 or 500.
``/next`` may be asked on several connections at once (Lambda Managed Instances, up to
``AWS_LAMBDA_MAX_CONCURRENCY``): ``in_flight`` counts the events handed out and not answered yet,
``max_in_flight`` its peak. SnapStart (runtimes-custom.html, "SnapStart"): GET /runtime/restore/next
answers 200 (the snapshot is "taken" and "restored" at once), POST /runtime/restore/error takes a
failed after-restore hook; ``requests`` lists every request's method and path, in order. An event
may carry a tenant id (``Lambda-Runtime-Aws-Tenant-Id``, tenant isolation mode).
runtimes-custom.html#runtimes-custom-response-streaming:
a streamed answer is a chunked POST with Lambda-Runtime-Function-Response-Mode: streaming, trailers
announced by Trailer. Each request is parsed by hand from the socket, so every chunk's raw bytes and
arrival time are recorded as they come.
"""

from __future__ import annotations

import json
import queue
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

PREFIX = "/2018-06-01/runtime"
MAX_PAYLOAD = 6_291_556  # bytes of a buffered response, as Lambda's own error message states it


@dataclass
class Answer:
    """What the runtime sent for one invocation (or for init)."""

    kind: str  # "response", "error", "init_error", "restore_error" or "dropped"
    request_id: str
    headers: dict[str, str]
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # (arrival, data), chunked bodies
    body: bytes = b""
    raw: bytes = b""  # the body as it came on the wire, chunk framing included
    head: bytes = b""  # the request line and header fields as they came
    trailers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # what the Runtime API answered
    sent_at: float = 0.0  # when the event was handed out (time.monotonic())
    done_at: float = 0.0  # when the last byte came

    @property
    def streamed(self) -> bool:
        return self.headers.get("lambda-runtime-function-response-mode") == "streaming"


class RuntimeAPIServer:
    """Serves events queued by ``invoke``; collects what the runtime answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._events: queue.Queue[tuple[str, bytes, dict[str, str]]] = queue.Queue()
        self._answers: dict[str, Answer] = {}
        self._sent_at: dict[str, float] = {}
        self._on_chunk: dict[str, Callable[[int, bytes], None]] = {}
        self._drop_after: dict[str, int] = {}
        self._reply: dict[str, int] = {}
        self._ready = threading.Condition()
        self._closed = False
        self._outstanding: set[str] = set()
        self.in_flight = 0  # events handed out by /next, not answered yet
        self.max_in_flight = 0
        self.on_restore: Callable[[], object] | None = None  # asked when /restore/next comes: what it answers
        self.restore_checks: list[object] = []  # ... is kept here
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order of arrival
        threading.Thread(target=self._accept, daemon=True).start()

    def invoke(
        self,
        event: Any,
        *,
        timeout: float = 30,
        deadline_in: float | None = 30,
        headers: dict[str, str] | None = None,
        on_chunk: Callable[[int, bytes], None] | None = None,
        drop_after: int | None = None,
        reply: int | None = None,
        raw: bytes | None = None,
        tenant_id: str | None = None,
    ) -> Answer:
        """Queue ``event``, wait for the runtime's answer. ``drop_after``: cut the connection (RST) after that
        many chunks, as a client that goes away; ``on_chunk(index, data)`` runs as each chunk arrives;
        ``reply``: the status to answer the runtime's answer with; ``raw``: the event's bytes instead of JSON;
        ``tenant_id``: the tenant the invocation is for."""
        request_id = self.submit(
            event, deadline_in=deadline_in, headers=headers, on_chunk=on_chunk, drop_after=drop_after, reply=reply,
            raw=raw, tenant_id=tenant_id,
        )  # fmt: skip
        return self.wait(request_id, timeout)

    def submit(
        self,
        event: Any,
        *,
        deadline_in: float | None = 30,
        headers: dict[str, str] | None = None,
        on_chunk: Callable[[int, bytes], None] | None = None,
        drop_after: int | None = None,
        reply: int | None = None,
        raw: bytes | None = None,
        tenant_id: str | None = None,
    ) -> str:
        """Queue ``event`` without waiting (``wait(request_id)`` collects its answer): its request id."""
        request_id = str(uuid.uuid4())
        if reply is not None:
            self.refuse(request_id, reply)
        if on_chunk is not None:
            self._on_chunk[request_id] = on_chunk
        if drop_after is not None:
            self._drop_after[request_id] = drop_after
        fields = {}
        if deadline_in is not None:
            fields["Lambda-Runtime-Deadline-Ms"] = str(int((time.time() + deadline_in) * 1000))
        if tenant_id is not None:
            fields["Lambda-Runtime-Aws-Tenant-Id"] = tenant_id
        body = json.dumps(event).encode() if raw is None else raw
        self._events.put((request_id, body, {**fields, **(headers or {})}))
        return request_id

    def refuse(self, request_id: str, status: int) -> None:
        """Answer the runtime's answer for ``request_id`` ("init" for /init/error) with ``status``."""
        self._reply[request_id] = status

    def wait(self, request_id: str, timeout: float = 30) -> Answer:
        with self._ready:
            if not self._ready.wait_for(lambda: request_id in self._answers, timeout):
                raise AssertionError(f"no answer from the runtime for {request_id} within {timeout} s")
            return self._answers.pop(request_id)

    def wait_for_requests(self, request: tuple[str, str], count: int, timeout: float = 30) -> None:
        """Wait until ``request`` (method, path) has come ``count`` times: the runtime is waiting for its answer."""
        with self._ready:
            if not self._ready.wait_for(lambda: self.requests.count(request) >= count, timeout):
                raise AssertionError(f"{request} did not come {count} times within {timeout} s: {self.requests}")

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while self._one_request(connection, reader):
                pass
        except (OSError, ValueError):
            pass
        finally:
            reader.close()
            connection.close()

    def _one_request(self, connection: socket.socket, reader: BinaryIO) -> bool:
        line = reader.readline()
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        head = bytearray(line)
        headers = _read_fields(reader, head)
        with self._ready:
            self.requests.append((method, path))
            self._ready.notify_all()
        if method == "GET" and path == f"{PREFIX}/invocation/next":
            return self._next(connection)
        if method == "GET" and path == f"{PREFIX}/restore/next":  # the snapshot is taken and restored at once
            if self.on_restore is not None:
                self.restore_checks.append(self.on_restore())
            connection.sendall(_reply(200, b""))
            return True
        kind, request_id = _route(path)
        answer = Answer(kind, request_id, headers, sent_at=self._sent_at.get(request_id, 0.0), head=bytes(head))
        if headers.get("transfer-encoding") == "chunked":
            if not self._read_chunks(connection, reader, answer):
                self._record(answer)
                return False
        else:
            answer.body = answer.raw = reader.read(int(headers.get("content-length", "0")))
        answer.done_at = time.monotonic()
        status = self._reply.pop(request_id, 202)
        if kind == "response" and not answer.streamed and len(answer.body) > MAX_PAYLOAD:
            status = 413
        answer.status = status
        connection.sendall(_reply(status, b'{"status":"OK"}' if status == 202 else _refusal(status)))
        self._record(answer)
        return True

    def _next(self, connection: socket.socket) -> bool:
        while True:
            try:
                request_id, event, extra = self._events.get(timeout=0.2)
                break
            except queue.Empty:
                if self._closed:
                    return False
        fields = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:test",
            "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
            **extra,
        }
        self._sent_at[request_id] = time.monotonic()
        with self._ready:
            self._outstanding.add(request_id)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        connection.sendall(_reply(200, event, fields))
        return True

    def _read_chunks(self, connection: socket.socket, reader: BinaryIO, answer: Answer) -> bool:
        """Read a chunked body chunk by chunk; False when the connection was cut on purpose."""
        on_chunk = self._on_chunk.pop(answer.request_id, None)
        drop_after = self._drop_after.pop(answer.request_id, None)
        raw = bytearray()
        while True:
            size_line = reader.readline()
            raw += size_line
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            data = reader.read(size)
            raw += data + reader.readline()
            answer.chunks.append((time.monotonic(), data))
            if on_chunk is not None:
                on_chunk(len(answer.chunks) - 1, data)
            if drop_after is not None and len(answer.chunks) >= drop_after:  # RST: the client went away
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                answer.kind, answer.raw = "dropped", bytes(raw)
                answer.body = b"".join(data for _, data in answer.chunks)
                return False
        trailer_lines = _read_fields(reader, raw)
        answer.trailers = trailer_lines
        answer.raw = bytes(raw)
        answer.body = b"".join(data for _, data in answer.chunks)
        return True

    def _record(self, answer: Answer) -> None:
        with self._ready:
            if answer.request_id in self._outstanding:
                self._outstanding.discard(answer.request_id)
                self.in_flight -= 1
            self._answers[answer.request_id] = answer
            self._ready.notify_all()


def _route(path: str) -> tuple[str, str]:
    if path == f"{PREFIX}/init/error":
        return "init_error", "init"
    if path == f"{PREFIX}/restore/error":
        return "restore_error", "restore"
    parts = path.removeprefix(f"{PREFIX}/invocation/").split("/")
    if len(parts) != 2 or parts[1] not in ("response", "error"):
        raise ValueError(f"not a Runtime API path: {path}")
    return parts[1], parts[0]


def _read_fields(reader: BinaryIO, raw: bytearray | None = None) -> dict[str, str]:
    fields: dict[str, str] = {}
    while True:
        line = reader.readline()
        if raw is not None:
            raw += line
        if line in (b"\r\n", b"\n", b""):
            return fields
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()


def _reply(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large"}.get(
        status, "Internal Server Error"
    )
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _refusal(status: int) -> bytes:
    if status == 413:
        message, kind = f"Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).", "RequestEntityTooLarge"
    else:
        message, kind = f"refused with {status} by the test", "InvalidRequest"
    return json.dumps({"errorMessage": message, "errorType": kind}).encode()
