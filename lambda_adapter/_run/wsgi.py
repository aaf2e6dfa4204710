"""The WSGI runner: the environ completed, the app run per PEP 3333, a ``Response`` out.

Invariants: never imports asyncio; ``close()`` is called on every iterable the app returns,
whatever happens; every environ passes ``wsgiref.validate``. Its streaming twin ``wsgi_stream``
shares ``complete_environ``, ``close_iterable`` and ``WATCHDOG``: one set of rules, two transports.
"""

from __future__ import annotations

from io import BytesIO

from .._errors import InvalidResponse
from .._events.response import checked_headers
from .._model import Response
from .faults import logger, request_id, seconds_left, server_error

TYPE_CHECKING = False
if TYPE_CHECKING:  # the same functions and constants as the C module below
    import signal
else:  # the C module: the signal module's enums cost a WSGI cold start ~3.7 M instructions
    try:
        import _signal as signal
    except ImportError:  # pragma: no cover - every CPython has it; other Pythons may not
        import signal
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from .._model import Environ, Event, LambdaContext

    WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]
    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]


class FileWrapper:
    """``wsgi.file_wrapper``: a file the runner reads whole instead of iterating."""

    def __init__(self, filelike: Any, block_size: int = 65536) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> Any:
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()


class _ErrorStream:
    """``wsgi.errors``: what the app writes goes to the log, a line at a time."""

    def __init__(self) -> None:
        self._pending = ""

    def write(self, text: str) -> None:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            logger().error("%s", line)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            logger().error("%s", self._pending)
            self._pending = ""


TEMPLATE: dict[str, Any] = {
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0),
    "wsgi.errors": _ErrorStream(),
    "wsgi.multithread": False,  # Lambda sends a process one request at a time
    "wsgi.multiprocess": True,  # ...and runs many processes side by side
    "wsgi.run_once": False,
    "wsgi.input_terminated": True,  # the whole body is there, as gunicorn declares
    "wsgi.file_wrapper": FileWrapper,
}


def run_wsgi(app: WSGIApp, environ: dict[str, Any]) -> Response:
    """Run ``app`` on ``environ`` and collect its whole answer; ``close()`` always called."""
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None:
            if any(chunks):  # a real server would have sent the headers by now
                raise exc_info[1].with_traceback(exc_info[2])
        elif started:
            raise InvalidResponse("start_response() was called twice without exc_info")
        started[:] = (status, headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        if type(result) is FileWrapper:  # wsgi.file_wrapper honoured: read whole, not per block
            chunks.append(result.filelike.read())
        else:
            for chunk in result:
                if chunk and not started:
                    raise InvalidResponse("the app sent body bytes before calling start_response()")
                chunks.append(chunk)
    except BaseException:
        close_iterable(result, quietly=True)  # the iteration's error is the one to report
        raise
    close_iterable(result, quietly=False)
    if not started:
        raise InvalidResponse("the app returned without calling start_response()")
    status, headers = started
    code = status[:3]
    if type(status) is not str or not code.isdigit() or len(code) != 3:
        raise InvalidResponse(f"the app's status must be a str such as '200 OK', got {status!r}")
    try:
        body = chunks[0] if len(chunks) == 1 and type(chunks[0]) is bytes else b"".join(chunks)
    except TypeError:
        raise InvalidResponse("the app's body must be an iterable of bytes") from None
    return Response(int(code), checked_headers(headers), body)


def close_iterable(result: Any, quietly: bool) -> None:
    """``close()`` the app's iterable (PEP 3333); once the answer is whole, a failure there is
    logged and the answer stands, as a real server has sent it by then."""
    close = getattr(result, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        if quietly:
            logger().exception("close() of the WSGI app's response failed as well")
        else:
            logger().exception("close() of the WSGI app's response failed; the response stands")


class Watchdog:
    """Logs a warning when a WSGI app is still running as the deadline comes near.

    A thread cannot be stopped from outside, so a warning is all a WSGI adapter can honestly
    give. It is a SIGALRM timer (one ``setitimer`` call to arm, one to disarm: no thread, no
    lock on the hot path), taken only in the main thread and only while nobody else uses SIGALRM.
    """

    def __init__(self) -> None:
        self._request = "-"
        self._usable: bool | None = None  # decided on the first arm

    def arm(self, seconds: float, request: str) -> None:
        if self._usable is None:
            self._usable = self._install()
        if self._usable:
            self._request = request
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def disarm(self) -> None:
        if self._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _install(self) -> bool:
        try:
            if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None):
                logger().debug("SIGALRM is in use: no deadline warning for the WSGI app")
                return False
            signal.signal(signal.SIGALRM, self._alarm)
        except ValueError:  # not the main thread: signals cannot be handled here
            return False
        return True

    def _alarm(self, signum: int, frame: Any) -> None:
        logger().warning(
            "the WSGI app is still running near the Lambda deadline (request %s); "
            "a WSGI app cannot be interrupted, Lambda will end the invocation",
            self._request,
        )


def complete_environ(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> None:
    """The ``wsgi.*`` keys, the body as ``wsgi.input``, the event and context as ``aws.*`` (both runners)."""
    environ.update(TEMPLATE)
    environ["wsgi.input"] = BytesIO(body)
    environ["aws.event"] = event
    environ["aws.context"] = context


WATCHDOG = Watchdog()  # one per process: Lambda runs one invocation at a time in it


def make_runner(app: WSGIApp, margin: float) -> Runner:
    """The runner ``adapt()`` calls per event: environ completed, app run; a fault is a 500."""
    watchdog = WATCHDOG

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        complete_environ(environ, body, event, context)
        left = seconds_left(context, margin)
        if left is not None:
            watchdog.arm(left, request_id(context))
        try:
            return run_wsgi(app, environ)
        except Exception:
            logger().exception("the WSGI app failed (request %s)", request_id(context))
            return server_error()
        finally:
            if left is not None:
                watchdog.disarm()

    return run
