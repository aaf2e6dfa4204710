"""One invocation served: the handler called, its answer posted (buffered or streamed), its faults reported.

See ``lambda_adapter.runtime`` for the invariants; this module is shared by the one-at-a-time loop
(``_loop``) and the concurrent slots (``_concurrent``). A handler made by ``adapt()`` is run through
``handler.invoke(event, context, sink)`` with a ``Posting`` sink: the answer is posted the moment
the pipeline says it is complete, and ``invoke`` returns once the app has finished the work it
does after its answer (so the loop asks for the next event only then). Any other handler is
called and its return value posted.
"""

from __future__ import annotations

import logging
import os

from . import _log
from ._api import Invocation, ResponseStream, RuntimeAPI, RuntimeAPIError, error_document, xray_cause
from ._context import TRACE
from ._payload import Fault, to_event, to_payload

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Run = Callable[[Any, Any, Any, "Posting"], None]

log = logging.getLogger("lambda_adapter.runtime")


def answer(api: RuntimeAPI, handler: Callable[..., Any], streams: bool, invocation: Invocation,
           run: Run | None = None) -> None:  # fmt: skip
    """Serve one invocation, its request id, tenant id and trace id in the log's context variable; a refused
    answer is logged (it concerns this invocation only), a fatal ``RuntimeAPIError`` raised. ``run``, when
    given, runs ``handler.invoke``'s work elsewhere (``_concurrent``: on the one event loop)."""
    _log.current.set(_log.Current(invocation.request_id, invocation.tenant_id, invocation.trace_id))
    try:
        event, context = to_event(invocation)
    except Fault as fault:
        report(api, invocation.request_id, fault)
        return
    invoke = getattr(handler, "invoke", None)
    if invoke is None:  # not made by adapt(): its result is the answer
        _call(api, handler, event, context)
        return
    posting = Posting(api, invocation.request_id, streams)
    if run is not None:
        run(handler, event, context, posting)
    else:
        try:
            invoke(event, context, posting)
        except Exception as exc:
            posting.failed(exc)
    posting.settle()


def _call(api: RuntimeAPI, handler: Callable[..., Any], event: Any, context: Any) -> None:
    request_id = context.aws_request_id
    try:
        try:
            result = handler(event, context)
        except Exception as exc:
            log.exception("the handler failed (request %s)", request_id)
            fail(api, request_id, exc)
            return
        respond(api, request_id, result)
    except RuntimeAPIError as exc:
        refused(exc, request_id)


def respond(api: RuntimeAPI, request_id: str, result: Any) -> None:
    try:
        payload, content_type = to_payload(result)
    except Fault as fault:
        report(api, request_id, fault)
        return
    api.respond(request_id, payload, content_type)


def report(api: RuntimeAPI, request_id: str, fault: Fault) -> None:
    log.error("%s (request %s): %s", fault.error_type, request_id, fault)
    cause = xray_cause(None, str(fault), "LambdaValidationError")  # awslambdaric's type for its own faults
    api.fail(request_id, fault.document(request_id), fault.error_type, cause)


def fail(api: RuntimeAPI, request_id: str, exc: Exception) -> None:
    cause = xray_cause(exc, str(exc), type(exc).__name__)
    api.fail(request_id, error_document(exc, request_id), "Function.Unhandled", cause)


def refused(exc: RuntimeAPIError, request_id: str) -> None:
    """A refused answer concerns this invocation alone (logged); a fatal failure is raised."""
    if exc.fatal:
        raise exc
    log.error("the Runtime API refused the answer (request %s): %s", request_id, exc)


class Posting:
    """The runtime's sink for ``Handler.invoke``: each part of the answer goes to the Runtime API as soon
    as the pipeline hands it over, before the app's remaining work. ``write`` raises into the app when the
    client is gone (so it stops); the Runtime API's refusals are kept for ``settle``, never raised into the
    app, whose background work must not see them."""

    __slots__ = ("_api", "_error", "_out", "answered", "request_id", "streams")

    def __init__(self, api: RuntimeAPI, request_id: str, streams: bool) -> None:
        self._api = api
        self.request_id = request_id
        self.streams = streams
        self.answered = False
        self._out: ResponseStream | None = None  # opened by the first streamed bytes
        self._error: RuntimeAPIError | None = None

    def result(self, result: Any) -> None:
        self.answered = True
        try:
            respond(self._api, self.request_id, result)
        except RuntimeAPIError as exc:
            self._error = exc

    def write(self, data: bytes) -> None:
        if self._out is None:
            self._out = self._api.stream(self.request_id)
        self._out.write(data)

    def end(self) -> None:
        self.answered = True
        if self._out is None:
            self._out = self._api.stream(self.request_id)
        try:
            self._out.finish()
        except RuntimeAPIError as exc:
            self._error = exc
        except OSError as exc:
            self._client_gone(exc)

    def failed(self, exc: Exception) -> None:
        """``invoke`` raised: an error answer if none went out yet, error trailers on a stream cut short."""
        out = self._out
        if self.answered:
            log.error("the handler failed after its answer was posted (request %s)", self.request_id, exc_info=exc)
            return
        self.answered = True
        try:
            if out is None or not out.started:  # nothing sent yet: the error endpoint still takes it
                if out is not None:
                    out.close()
                log.error("the handler failed (request %s)", self.request_id, exc_info=exc)
                fail(self._api, self.request_id, exc)
            elif out.broken:
                self._client_gone(exc)
            else:
                log.error("the answer failed after %d streamed bytes (request %s); ended with error trailers",
                          out.sent, self.request_id, exc_info=exc)  # fmt: skip
                out.finish(exc)
        except RuntimeAPIError as error:
            self._error = error
        except OSError as gone:
            self._client_gone(gone)

    def settle(self) -> None:
        """After ``invoke``: the Runtime API's refusal logged (a fatal one raised); an answer never given
        (a pipeline bug) reported as the invocation's error."""
        if not self.answered:
            self.failed(RuntimeError("the handler returned without giving an answer"))
        if self._error is not None:
            refused(self._error, self.request_id)

    def _client_gone(self, exc: BaseException) -> None:
        assert self._out is not None
        self._out.close()
        log.warning("the client went away after %d streamed bytes (request %s): %s; the app was stopped",
                    self._out.sent, self.request_id, exc)  # fmt: skip


def serve(api: RuntimeAPI, handler: Callable[..., Any], streams: bool, limit: int | None = None) -> None:
    """The loop: next invocation, the handler, its answer; ``limit`` invocations, or forever."""
    served = 0
    while limit is None or served < limit:
        invocation = api.next()
        # the managed runtimes set it per invocation; the X-Ray SDK reads it from the environment
        if invocation.trace_id:
            os.environ[TRACE] = invocation.trace_id
        else:
            os.environ.pop(TRACE, None)
        answer(api, handler, streams, invocation)
        served += 1
