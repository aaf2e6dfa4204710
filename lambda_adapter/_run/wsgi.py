"""The WSGI runner: the environ completed, the app run per PEP 3333, its answer sent through a sink.

Invariants (PEP 3333 as a server sees it):
- Never imports asyncio. One runner for both transports: the status and headers go to the sink
  with the first non-empty body part (or at the end, for an empty body), ``write()`` sends at once,
  ``end`` comes after the last part and before ``close()``, which is called on every iterable the
  app returns, whatever happens. Every environ passes ``wsgiref.validate``.
- Per request, nothing of the process's: ``wsgi.errors`` is a stream of the request's own (its
  partial last line logged at the end). Between parts the deadline is checked: an app still
  sending near it is stopped there. One stuck inside a part is reported by ``Watchdog``.
"""

from __future__ import annotations

import time
from _thread import get_ident
from io import BytesIO

from .._events.encoding import checked_headers
from .._model import DeadlineExceeded, InvalidResponse
from . import after_failure, logger, request_id, seconds_left

TYPE_CHECKING = False
if TYPE_CHECKING:  # the same functions and constants as the C module below
    import signal
else:  # the C module: the signal module's enums cost a WSGI cold start ~3.7 M instructions
    try:
        import _signal as signal
    except ImportError:  # pragma: no cover - every CPython has it; other Pythons may not
        import signal
setitimer, ITIMER_REAL = signal.setitimer, signal.ITIMER_REAL  # module names: fewer look-ups per event
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, LambdaContext, ResponseSink

    WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


class FileWrapper:
    """``wsgi.file_wrapper``: a file the runner reads in blocks."""

    def __init__(self, filelike: Any, block_size: int = 65536) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> Any:
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()


class ErrorStream:
    """``wsgi.errors`` of one request: what the app writes goes to the log, a line at a time."""

    _pending = ""  # the partial last line: a class default, so making one per request calls nothing

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
    "wsgi.multithread": False,  # Lambda sends a process one request at a time
    "wsgi.multiprocess": True,  # ...and runs many processes side by side
    "wsgi.run_once": False,
    "wsgi.input_terminated": True,  # the whole body is there, as gunicorn declares
    "wsgi.file_wrapper": FileWrapper,
}


class _Start:
    """``start_response`` and ``write`` of one request: what the app said, sent with its first bytes."""

    # class defaults and no __init__: made with no Python call per request
    answer: ResponseSink
    pending: tuple[Any, Any] | None = None
    sent = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
        if exc_info is not None:
            if self.sent:  # a real server would have sent the headers by now: the error goes up
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.pending is not None:
            raise InvalidResponse("start_response() was called twice without exc_info")
        self.pending = (status, headers)
        return self.write

    def write(self, chunk: bytes) -> None:
        if chunk.__class__ is not bytes:  # __class__, not type(): no call per part
            if not isinstance(chunk, (bytes, bytearray)):
                raise InvalidResponse(f"the app's body must be an iterable of bytes, got {type(chunk).__name__}")
            chunk = bytes(chunk)
        if chunk:
            if not self.sent:  # send_headers written in for its common case, a status seen before: a call fewer
                pending = self.pending
                code = _CODES.get(pending[0]) if pending is not None and pending[0].__class__ is str else None
                if code is None:
                    self.send_headers()
                else:
                    self.sent = True
                    self.answer.start(code, checked_headers(pending[1]))  # type: ignore[index]  # code: a pair
            self.answer.body(chunk)

    def send_headers(self) -> None:
        if self.pending is None:
            raise InvalidResponse("the app sent body bytes (or returned) without calling start_response()")
        status, headers = self.pending
        code = _CODES.get(status) if status.__class__ is str else None  # an app answers with a few statuses
        if code is None:
            code = status_code(status)
        self.sent = True
        self.answer.start(code, checked_headers(headers))


_CODES: dict[str, int] = {}  # status line -> code: status_code's bounded memo
_CODES_LIMIT = 256


def status_code(status: object) -> int:
    """The code of a WSGI status line ("200 OK"): three digits first, else ``InvalidResponse``."""
    if type(status) is not str or not status[:3].isdigit() or len(status[:3]) != 3:
        raise InvalidResponse(f"the app's status must be a str such as '200 OK', got {status!r}")
    code = int(status[:3])
    if len(_CODES) < _CODES_LIMIT:
        _CODES[status] = code
    return code


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
    give. It is the process's SIGALRM timer (one ``setitimer`` call to arm, one to disarm: no
    thread, no lock on the hot path), the one piece of process state a request touches: armed
    only from the main thread (the thread signals are delivered to), checked per request, and
    only while nobody else handles SIGALRM. From any other thread there is no watchdog.
    """

    def __init__(self) -> None:
        self._context: object = None  # the running request's, for its id in the warning
        self._main: int | None = None  # the main thread's id, once the handler is installed
        self._taken = False  # SIGALRM has a handler of someone else's: never touched

    def arm(self, seconds: float, context: object) -> bool:
        """Arm the timer for the request of ``context``, when this thread may; whether it was armed."""
        if self._main != get_ident() and not self._install():
            return False
        self._context = context  # its request id is read only if the alarm goes off
        setitimer(ITIMER_REAL, seconds if seconds > 0.001 else 0.001)
        return True

    def _install(self) -> bool:
        if self._taken or self._main is not None:  # taken, or installed and this is not the main thread
            return False
        try:
            if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None):
                logger().debug("SIGALRM is in use: no deadline warning for the WSGI app")
                self._taken = True
                return False
            signal.signal(signal.SIGALRM, self._alarm)
        except ValueError:  # not the main thread: signals cannot be handled here; decided per request
            return False
        self._main = get_ident()
        return True

    def _alarm(self, signum: int, frame: Any) -> None:
        logger().warning(
            "the WSGI app is still running near the Lambda deadline (request %s); "
            "a WSGI app cannot be interrupted, Lambda will end the invocation",
            request_id(self._context),
        )


WATCHDOG = Watchdog()  # one per process: SIGALRM is the process's


class WSGIRunner:
    """Runs a WSGI app per event: environ completed, app run; a failure before anything went out
    is a 500, one near the deadline a 504."""

    interface = "wsgi"
    __slots__ = ("app", "margin")

    def __init__(self, app: WSGIApp, options: Options) -> None:
        self.app = app
        self.margin = options.deadline_margin

    def run(self, environ: Environ, body: bytes, event: Event, context: LambdaContext, answer: ResponseSink) -> None:
        # the wsgi.* keys, the body as wsgi.input, the event and context as aws.* (written here: a call fewer)
        environ |= TEMPLATE
        environ["wsgi.input"] = BytesIO(body)
        environ["wsgi.errors"] = errors = ErrorStream()
        environ["aws.event"] = event
        environ["aws.context"] = context
        # seconds_left's rule written in for what Lambda's context answers, an int of milliseconds (a
        # call fewer per event); anything else (a float, no context, a method that raises) takes the rule
        try:
            remaining = context.get_remaining_time_in_millis()
            left = remaining / 1000 - self.margin if remaining.__class__ is int else seconds_left(context, self.margin)
        except Exception:  # the method raised, or an int too large for a float: the rule's own answer
            left = seconds_left(context, self.margin)
        if left is None:
            armed = False
        elif WATCHDOG._main == get_ident():  # Watchdog.arm written in for where it is installed: a call fewer
            WATCHDOG._context = context
            setitimer(ITIMER_REAL, left if left > 0.001 else 0.001)
            armed = True
        else:  # the first request, or another thread
            armed = WATCHDOG.arm(left, context)
        try:  # the app run (PEP 3333) here rather than in a function of its own: a call fewer per event
            start = _Start()
            start.answer = answer
            result = self.app(environ, start.start_response)
            plain = result.__class__ is list  # neither awaitable nor closable: no hasattr() call for either
            if not plain and hasattr(result, "__await__"):  # an ASGI app behind a wrapper detection cannot see through
                close_iterable(result, quietly=True)
                raise InvalidResponse(
                    "the app returned an awaitable: it is an ASGI app; say so with adapt(app, interface='asgi')"
                )
            try:
                first = True  # not enumerate(): a call fewer per answer
                deadline = None  # read from the context at the second part: most answers have one
                for chunk in result:
                    # the first part is the answer the app made; a further one past the deadline is not waited for
                    if first:
                        first = False
                    elif left is not None:  # None: no deadline guard
                        if deadline is None:
                            now_left = seconds_left(context, self.margin)  # None: the context stopped telling
                            deadline = time.monotonic() + now_left if now_left is not None else float("inf")
                        if time.monotonic() > deadline:
                            raise DeadlineExceeded("the WSGI app was still sending its answer near the Lambda deadline")
                    start.write(chunk)
                if not start.sent:
                    start.send_headers()
                answer.end()
            except BaseException:
                close_iterable(result, quietly=True)  # the iteration's error is the one to report
                raise
            if not plain and hasattr(result, "close"):
                close_iterable(result, quietly=False)
        except DeadlineExceeded:
            after_failure(answer, "stopped the WSGI app near the Lambda deadline", context, timeout=True)
        except Exception:
            after_failure(answer, "the WSGI app failed", context)
        finally:
            if armed:
                setitimer(ITIMER_REAL, 0)  # disarmed
            if errors._pending or environ["wsgi.errors"] is not errors:  # nothing to flush: no call
                environ["wsgi.errors"].flush()

    async def arun(self, environ: Environ, body: bytes, event: Event, context: LambdaContext,
                   answer: ResponseSink) -> None:  # fmt: skip
        """On a running event loop: the same, blocking it (a WSGI app has nothing to await)."""
        self.run(environ, body, event, context, answer)
