"""The loop itself: load the handler, then next invocation, the handler, its answer (see ``lambda_adapter.runtime``)."""

from __future__ import annotations

import argparse
import logging
import os
from http.client import HTTPException

from .._load import UsageError, load_handler, split_spec
from . import _log
from ._api import Invocation, ResponseStream, RuntimeAPI, RuntimeAPIError, error_document
from ._payload import Fault, to_event, to_payload

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    Stream = Callable[[Any, Any, Callable[[bytes], None]], Any]

ENV_STREAMING = "LAMBDA_ADAPTER_STREAMING"
_ON, _OFF = ("1", "true", "on", "yes"), ("0", "false", "off", "no")
log = logging.getLogger("lambda_adapter.runtime")


def main(argv: Sequence[str] | None = None) -> int:
    """Load the handler, then serve invocations until the Runtime API goes away."""
    parser = argparse.ArgumentParser(
        prog="python -m lambda_adapter.runtime", description="A Lambda runtime loop in Python that can stream."
    )
    parser.add_argument("handler", nargs="?", default=os.environ.get("_HANDLER"), help="MODULE:HANDLER ($_HANDLER)")
    parser.add_argument("--invocations", type=int, help="serve this many invocations, then exit (local tests)")
    args = parser.parse_args(argv)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address or not args.handler:
        parser.error("needs AWS_LAMBDA_RUNTIME_API (host:port) and a handler (MODULE:HANDLER or $_HANDLER)")
    _log.configure_logging()
    api = RuntimeAPI(address)
    try:
        handler = _load(api, args.handler)
        if handler is None:
            return 1
        serve(api, handler, _stream_of(handler, os.environ.get(ENV_STREAMING)), args.invocations)
    except (RuntimeAPIError, OSError, HTTPException) as exc:  # HTTPException: no HTTP from the other side
        log.error("the Runtime API at %s failed (%s); exiting", address, exc)
        return 1
    finally:
        api.close()
    return 0


def _load(api: RuntimeAPI, spec: str) -> Callable[..., Any] | None:
    """The handler, or None once its failure to load is reported to ``/init/error``."""
    try:
        module, attribute = split_spec(spec)
    except UsageError:
        module = attribute = ""  # reported below as Runtime.MalformedHandlerName
    try:
        return load_handler(spec, search_path=os.environ.get("LAMBDA_TASK_ROOT"))
    except Exception as exc:
        log.exception("cannot load the handler %r", spec)
        document = _init_error(exc, module, attribute)
        api.init_error(document, document["errorType"])
        return None


def _init_error(exc: BaseException, module: str, attribute: str) -> dict[str, Any]:
    """The error document the managed Python runtime posts for the same failure: type, message."""
    cause = exc.__cause__ if isinstance(exc, UsageError) and exc.__cause__ is not None else exc
    if isinstance(cause, SyntaxError):
        fault = Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module}': {cause}")
    elif isinstance(cause, ImportError):
        fault = Fault("Runtime.ImportModuleError", f"Unable to import module '{module}': {cause}")
    elif not module or not attribute:
        fault = Fault("Runtime.MalformedHandlerName", f"Bad handler: {exc}")
    elif isinstance(exc, UsageError):
        fault = Fault("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module}'")
    else:  # the module raised while it was imported: its own error
        return error_document(exc)
    return fault.document()


def _stream_of(handler: Any, setting: str | None) -> Stream | None:
    """``handler.stream`` when answers are to be streamed, else None."""
    stream: Stream | None = getattr(handler, "stream", None)
    choice = (setting or "").strip().lower()
    if choice and choice not in _ON + _OFF:
        log.warning("%s=%r is neither on (1, true) nor off (0, false): ignored", ENV_STREAMING, setting)
    wanted = choice in _ON if choice in _ON + _OFF else getattr(handler, "streaming", "off") == "on"
    if wanted and stream is None:
        log.warning("%s=%s, but the handler cannot stream (not made by adapt(), or streaming='off'): buffered",
                    ENV_STREAMING, setting)  # fmt: skip
    return stream if wanted else None


def serve(api: RuntimeAPI, handler: Callable[..., Any], stream: Stream | None, limit: int | None = None) -> None:
    """The loop: next invocation, the handler, its answer; ``limit`` invocations, or forever."""
    served = 0
    while limit is None or served < limit:
        invocation = api.next()
        # the managed runtimes set it per invocation; the X-Ray SDK reads it from the environment
        if invocation.trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = invocation.trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        _log.request_id = invocation.request_id
        try:
            if stream is None:
                _answer(api, handler, invocation)
            else:
                _stream_answer(api, stream, invocation)
        except RuntimeAPIError as exc:
            if exc.fatal:
                raise
            log.error("the Runtime API refused the answer (request %s): %s", invocation.request_id, exc)
        served += 1


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
        api.fail(request_id, error_document(exc), "Function.Unhandled")
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
    api.fail(request_id, fault.document(), fault.error_type)


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
        api.fail(request_id, error_document(exc), "Function.Unhandled")
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
