"""The Runtime API client's streamed answer (``_runtime_api.ResponseStream``) against a socket that only counts."""

from __future__ import annotations

import socket
import threading
import tracemalloc

from lambda_adapter.runtime._api import ResponseStream


class CountingServer:
    """Accepts one connection and counts the bytes that arrive, into one reused buffer (no allocation)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = 0
        self.done = threading.Event()
        self.buffer = bytearray(1 << 20)  # made here: not in the measured window
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            while size := connection.recv_into(self.buffer):
                self.received += size
        self.done.set()


def test_a_large_chunk_is_sent_without_a_framed_copy() -> None:
    """A 32 MB chunk goes out as it is, between its size line and CRLF: no second 32 MB in memory."""
    server = CountingServer()
    chunk = bytes(32 * 1024 * 1024)
    out = ResponseStream("127.0.0.1", server.port, "/2018-06-01/runtime/invocation/id/response")
    warm_up = b"the request line and headers are sent before measuring"
    out.write(warm_up)
    tracemalloc.start()
    try:
        out.write(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        out.close()
        server.listener.close()
    assert server.done.wait(10)
    assert server.received > len(chunk) and out.sent == len(chunk) + len(warm_up)
    assert peak < 1024 * 1024, f"{peak} bytes at the peak"
