"""A Lambda runtime loop in Python that can stream: ``python -m lambda_adapter.runtime [MODULE:HANDLER]``.

It speaks the Lambda Runtime API (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) at
``$AWS_LAMBDA_RUNTIME_API``: next invocation, response, invocation error, init error, and the
streaming response mode that the managed Python runtime lacks. MODULE:HANDLER defaults to
``$_HANDLER`` (the function's Handler setting), so the same command serves as

- the ``bootstrap`` of an OS-only runtime (``provided.al2023``; bring a Python with the code), or
- an ``AWS_LAMBDA_EXEC_WRAPPER`` script on a ``python3.x`` runtime: the wrapper is started with the
  runtime's own command line, whose first word is the interpreter::

      #!/bin/sh
      # bootstrap: the Handler setting names the handler, e.g. app.handler
      cd "${LAMBDA_TASK_ROOT:-.}"
      case "$1" in */python*) PYTHON="$1" ;; *) PYTHON=python3 ;; esac
      exec "$PYTHON" -m lambda_adapter.runtime "$_HANDLER"

Streaming: a handler made by ``adapt()`` has ``handler.stream``; its answers to Function URL
events are streamed when ``LAMBDA_ADAPTER_STREAMING=1`` (or ``adapt(app, streaming="on")``), with
the Function URL's invoke mode set to ``RESPONSE_STREAM``. ``LAMBDA_ADAPTER_STREAMING=0`` turns it
off. Any other handler (a plain function too) is answered buffered. Invariants:

- One invocation at a time; the event, the context (``_runtime_context``), the result's JSON and the
  logging (``_runtime_log``: request id in each line) are those of the managed Python runtime, and
  ``_X_AMZN_TRACE_ID`` is set per invocation (as the managed runtimes do: the X-Ray SDK reads it).
- A handler that cannot be loaded is reported to ``/init/error`` with the managed runtime's error
  type (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ...), and the process exits with 1.
- The Runtime API refusing one answer (400, 403, 413: over 6 MB) is logged and the loop goes on;
  a 500 or a lost connection ends the process (exit status 1), as the Runtime API asks.
- A failure before the first streamed byte goes to ``/invocation/{id}/error``; after it, the stream
  ends with ``Lambda-Runtime-Function-Error-Type`` / ``-Body`` trailers and a log line.
- A streamed write that fails means the client is gone: the app is stopped (its ``close()``
  called), a warning logged, and the loop goes on with the next invocation.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from http.client import HTTPException

from . import _runtime_log
from ._cli import UsageError, load_handler
from ._runtime_api import Invocation, ResponseStream, RuntimeAPI, RuntimeAPIError, error_document
from ._runtime_payload import Fault, to_event, to_payload

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
    parser = argparse.ArgumentParser(prog="python -m lambda_adapter.runtime", description=__doc__.split("\n")[0])
    parser.add_argument("handler", nargs="?", default=os.environ.get("_HANDLER"), help="MODULE:HANDLER ($_HANDLER)")
    parser.add_argument("--invocations", type=int, help="serve this many invocations, then exit (local tests)")
    args = parser.parse_args(argv)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address or not args.handler:
        parser.error("needs AWS_LAMBDA_RUNTIME_API (host:port) and a handler (MODULE:HANDLER or $_HANDLER)")
    _runtime_log.configure_logging()
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
    module, attribute = _split_handler(spec)
    try:
        return load_handler(f"{module}:{attribute}", search_path=os.environ.get("LAMBDA_TASK_ROOT"))
    except Exception as exc:
        log.exception("cannot load the handler %r", spec)
        document = _init_error(exc, module, attribute)
        api.init_error(document, document["errorType"])
        return None


def _split_handler(spec: str) -> tuple[str, str]:
    """MODULE and HANDLER of ``MODULE:HANDLER`` or of Lambda's ``path/to/module.handler``."""
    module, colon, attribute = spec.partition(":")
    if not colon:
        module, _, attribute = spec.rpartition(".")
    return module.replace("/", "."), attribute  # Lambda's Handler setting may name the module by its path


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
        _runtime_log.request_id = invocation.request_id
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


if __name__ == "__main__":
    sys.exit(main())
