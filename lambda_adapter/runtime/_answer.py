"""One invocation served: the handler called, its answer posted (buffered or streamed), its faults reported.

See ``lambda_adapter.runtime`` for the invariants; this module is shared by the one-at-a-time loop
(``_loop``) and the concurrent slots (``_concurrent``).
"""

from __future__ import annotations

import logging

from . import _log
from ._api import Invocation, ResponseStream, RuntimeAPI, RuntimeAPIError, error_document, xray_cause
from ._payload import Fault, to_event, to_payload

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Stream = Callable[[Any, Any, Callable[[bytes], None]], Any]

log = logging.getLogger("lambda_adapter.runtime")


def answer(api: RuntimeAPI, handler: Callable[..., Any], stream: Stream | None, invocation: Invocation) -> None:
    """Serve one invocation, its request id, tenant id and trace id in the log's context variable; a refused
    answer is logged (it concerns this invocation only), a fatal ``RuntimeAPIError`` raised."""
    _log.current.set(_log.Current(invocation.request_id, invocation.tenant_id, invocation.trace_id))
    try:
        if stream is None:
            _answer(api, handler, invocation)
        else:
            _stream_answer(api, stream, invocation)
    except RuntimeAPIError as exc:
        if exc.fatal:
            raise
        log.error("the Runtime API refused the answer (request %s): %s", invocation.request_id, exc)


def _answer(api: RuntimeAPI, handler: Callable[..., Any], invocation: Invocation) -> None:
    request_id = invocation.request_id
    try:
        event, context = to_event(invocation)
        result = handler(event, context)
    except Fault as fault:
        _report(api, request_id, fault)
        return
    except Exception as exc:
        log.exception("the handler failed (request %s)", request_id)
        _failed(api, request_id, exc)
        return
    _respond(api, request_id, result)


def _respond(api: RuntimeAPI, request_id: str, result: Any) -> None:
    try:
        payload, content_type = to_payload(result)
    except Fault as fault:
        _report(api, request_id, fault)
        return
    api.respond(request_id, payload, content_type)


def _report(api: RuntimeAPI, request_id: str, fault: Fault) -> None:
    log.error("%s (request %s): %s", fault.error_type, request_id, fault)
    cause = xray_cause(None, str(fault), "LambdaValidationError")  # awslambdaric's type for its own faults
    api.fail(request_id, fault.document(request_id), fault.error_type, cause)


def _failed(api: RuntimeAPI, request_id: str, exc: Exception) -> None:
    cause = xray_cause(exc, str(exc), type(exc).__name__)
    api.fail(request_id, error_document(exc, request_id), "Function.Unhandled", cause)


def _stream_answer(api: RuntimeAPI, stream: Stream, invocation: Invocation) -> None:
    request_id = invocation.request_id
    try:
        event, context = to_event(invocation)
    except Fault as fault:
        _report(api, request_id, fault)
        return
    out = api.stream(request_id)
    try:
        result = stream(event, context, out.write)
    except Exception as exc:
        _stream_failed(api, out, request_id, exc)
        return
    if result is not None and not out.started:  # not a Function URL event: a buffered answer
        out.close()
        _respond(api, request_id, result)
        return
    try:
        out.finish()
    except OSError as exc:
        _client_gone(out, request_id, exc)


def _stream_failed(api: RuntimeAPI, out: ResponseStream, request_id: str, exc: Exception) -> None:
    if out.broken:
        _client_gone(out, request_id, exc)
    elif not out.started:  # nothing sent yet: the error endpoint still takes it
        out.close()
        log.error("the handler failed (request %s)", request_id, exc_info=exc)
        _failed(api, request_id, exc)
    else:
        log.error("the answer failed after %d streamed bytes (request %s); ended with error trailers",
                  out.sent, request_id, exc_info=exc)  # fmt: skip
        try:
            out.finish(exc)
        except OSError as gone:
            _client_gone(out, request_id, gone)


def _client_gone(out: ResponseStream, request_id: str, exc: BaseException) -> None:
    out.close()
    log.warning("the client went away after %d streamed bytes (request %s): %s; the app was stopped",
                out.sent, request_id, exc)  # fmt: skip
