"""The WSGI runner, streaming: the app's iterable goes out chunk by chunk as it yields.

Invariants (PEP 3333 as a server sees it): the status and headers go out with the first non-empty
chunk (or at the end, for an empty body); ``write()`` sends at once; ``close()`` is called on the
iterable whatever happens. Between chunks the deadline is checked: an app still yielding near it
is stopped there and the stream ended; one stuck inside a chunk is reported in the log, as on the
buffered path (``_wsgi.Watchdog``). Never imports asyncio.
"""

from __future__ import annotations

import time

from .._errors import DeadlineExceeded, InvalidResponse
from .._events.response import checked_headers
from .faults import gateway_timeout, logger, request_id, seconds_left, server_error
from .wsgi import WATCHDOG, close_iterable, complete_environ

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._model import Environ, Event, LambdaContext, Sink
    from .wsgi import WSGIApp

    StreamRunner = Callable[[Environ, bytes, Event, LambdaContext, Sink], None]


class _Answer:
    """What ``start_response`` was told, sent through the sink with the first body bytes."""

    __slots__ = ("pending", "sink")

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.pending: tuple[Any, Any] | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
        if exc_info is not None:
            if self.sink.started:  # too late to change the answer: the error goes up
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.pending is not None:
            raise InvalidResponse("start_response() was called twice without exc_info")
        self.pending = (status, headers)
        return self.write

    def write(self, chunk: bytes) -> None:
        if not isinstance(chunk, (bytes, bytearray)):
            raise InvalidResponse(f"the app's body must be an iterable of bytes, got {type(chunk).__name__}")
        if chunk:
            self.send_headers()
            self.sink.body(bytes(chunk))

    def send_headers(self) -> None:
        if self.sink.started:
            return
        if self.pending is None:
            raise InvalidResponse("the app sent body bytes (or returned) without calling start_response()")
        status, headers = self.pending
        code = status[:3] if type(status) is str else ""
        if not code.isdigit() or len(code) != 3:
            raise InvalidResponse(f"the app's status must be a str such as '200 OK', got {status!r}")
        self.sink.start(int(code), checked_headers(headers))


def stream_wsgi(app: WSGIApp, environ: Environ, sink: Sink, deadline: float | None) -> None:
    """Run ``app`` and send its answer through ``sink`` as it comes; ``close()`` always called."""
    answer = _Answer(sink)
    result = app(environ, answer.start_response)
    try:
        for chunk in result:
            answer.write(chunk)
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineExceeded("the WSGI app was still sending its answer near the Lambda deadline")
        answer.send_headers()
    except BaseException:
        close_iterable(result, quietly=True)  # the iteration's error is the one to report
        raise
    close_iterable(result, quietly=False)


def make_stream_runner(app: WSGIApp, margin: float) -> StreamRunner:
    """The streaming runner: environ completed, app run; a failure before the first byte is a 500."""

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext, sink: Sink) -> None:
        complete_environ(environ, body, event, context)
        left = seconds_left(context, margin)
        deadline = None
        if left is not None:
            deadline = time.monotonic() + left
            WATCHDOG.arm(left, request_id(context))
        try:
            stream_wsgi(app, environ, sink, deadline)
        except DeadlineExceeded:
            if sink.started:
                raise  # the runtime ends the stream with error trailers and logs it
            logger().error("stopped the WSGI app near the Lambda deadline (request %s)", request_id(context))
            sink.whole(gateway_timeout())
        except Exception:
            if sink.started:
                raise
            logger().exception("the WSGI app failed (request %s)", request_id(context))
            sink.whole(server_error())
        finally:
            if left is not None:
                WATCHDOG.disarm()

    return run
