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

- One invocation at a time; the context has the Python runtime's attributes, and
  ``_X_AMZN_TRACE_ID`` is set per invocation (as the managed runtimes do: the X-Ray SDK reads it).
- A handler that cannot be loaded is reported to ``/init/error``, and the process exits with 1.
- A failure before the first streamed byte goes to ``/invocation/{id}/error``; after it, the stream
  ends with ``Lambda-Runtime-Function-Error-Type`` / ``-Body`` trailers and a log line.
- A streamed write that fails means the client is gone: the app is stopped (its ``close()``
  called), a warning logged, and the loop goes on with the next invocation.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

from ._cli import UsageError, load_handler
from ._runtime_api import Invocation, ResponseStream, RuntimeAPI, RuntimeAPIError, error_document

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    Stream = Callable[[Any, Any, Callable[[bytes], None]], Any]

ENV_STREAMING = "LAMBDA_ADAPTER_STREAMING"
_ON, _OFF = ("1", "true", "on", "yes"), ("0", "false", "off", "no")
log = logging.getLogger("lambda_adapter.runtime")


class Context:
    """The context object, with the attributes and method the Python managed runtime gives it."""

    def __init__(self, invocation: Invocation) -> None:
        env = os.environ
        self.aws_request_id = invocation.request_id
        self.invoked_function_arn = invocation.function_arn
        self.client_context = invocation.client_context
        self.identity = invocation.identity
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0") or 0)
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = invocation.deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def main(argv: Sequence[str] | None = None) -> int:
    """Load the handler, then serve invocations until the Runtime API goes away."""
    parser = argparse.ArgumentParser(prog="python -m lambda_adapter.runtime", description=__doc__.split("\n")[0])
    parser.add_argument("handler", nargs="?", default=os.environ.get("_HANDLER"), help="MODULE:HANDLER ($_HANDLER)")
    parser.add_argument("--invocations", type=int, help="serve this many invocations, then exit (local tests)")
    args = parser.parse_args(argv)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address or not args.handler:
        parser.error("needs AWS_LAMBDA_RUNTIME_API (host:port) and a handler (MODULE:HANDLER or $_HANDLER)")
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="[%(levelname)s] %(name)s: %(message)s")
    api = RuntimeAPI(address)
    handler = _load(api, args.handler)
    if handler is None:
        return 1
    try:
        serve(api, handler, _stream_of(handler, os.environ.get(ENV_STREAMING)), args.invocations)
    except (RuntimeAPIError, OSError) as exc:
        log.error("the Runtime API at %s failed (%s); exiting", address, exc)
        return 1
    return 0


def _load(api: RuntimeAPI, spec: str) -> Callable[..., Any] | None:
    """The handler, or None once its failure to load is reported to ``/init/error``."""
    try:
        return load_handler(spec, search_path=os.environ.get("LAMBDA_TASK_ROOT"))
    except Exception as exc:
        log.exception("cannot load the handler %r", spec)
        api.init_error(error_document(exc), _init_error_type(exc))
        return None


def _init_error_type(exc: BaseException) -> str:
    """The error types the managed Python runtime reports for the same failures."""
    if isinstance(exc, SyntaxError):
        return "Runtime.UserCodeSyntaxError"
    if isinstance(exc, ImportError) or isinstance(exc.__cause__, ImportError):
        return "Runtime.ImportModuleError"
    return "Runtime.HandlerNotFound" if isinstance(exc, UsageError) else "Runtime.InitError"


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
        context = Context(invocation)
        if stream is None:
            _answer(api, handler, invocation, context)
        else:
            _stream_answer(api, stream, invocation, context)
        served += 1


def _answer(api: RuntimeAPI, handler: Callable[..., Any], invocation: Invocation, context: Context) -> None:
    try:
        result = handler(invocation.event, context)
    except Exception as exc:
        log.exception("the handler failed (request %s)", invocation.request_id)
        api.fail(invocation.request_id, error_document(exc), "Function.Unhandled")
        return
    _respond(api, invocation.request_id, result)


def _respond(api: RuntimeAPI, request_id: str, result: Any) -> None:
    try:
        payload = json.dumps(result).encode()
    except (TypeError, ValueError) as exc:
        log.error("the handler's result is no JSON (request %s): %s", request_id, exc)
        api.fail(request_id, error_document(exc), "Runtime.MarshalError")
        return
    api.respond(request_id, payload)


def _stream_answer(api: RuntimeAPI, stream: Stream, invocation: Invocation, context: Context) -> None:
    request_id = invocation.request_id
    out = api.stream(request_id)
    try:
        result = stream(invocation.event, context, out.write)
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
