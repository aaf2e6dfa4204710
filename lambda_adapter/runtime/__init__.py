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

Streaming: a handler made by ``adapt()`` has ``handler.stream``; its answers to Function URL and
REST API events are streamed when ``LAMBDA_ADAPTER_STREAMING=1`` (or ``adapt(app, streaming="on")``),
with the Function URL's invoke mode set to ``RESPONSE_STREAM`` and the REST API's integration to
``responseTransferMode: STREAM``. ``LAMBDA_ADAPTER_STREAMING=0`` turns it off. Any other handler (a
plain function too) is answered buffered. Invariants:

- Work after the answer: a handler made by ``adapt()`` runs through ``handler.invoke`` (``_answer``),
  whose sink hears the answer is complete at the app's last body part; the answer is posted (or the
  stream ended) then, and the next invocation is asked for only once the app has finished (Starlette
  background tasks, code after the last ``send``, a WSGI iterable's ``close()``), bounded by the
  deadline less ``deadline_margin``. Its errors are logged with the request id, never answered.
- One invocation at a time, or ``AWS_LAMBDA_MAX_CONCURRENCY`` at once (Lambda Managed Instances,
  ``_concurrent``: the handler imported once; threads, forked processes, or for an ASGI app one
  event loop); the event, the context (``_context``), the result's JSON, the error documents and the
  logging (``_log``: request id in each line, from a context variable) are those of the managed
  Python runtime (``tests/runtime/test_parity.py`` compares them), and ``_X_AMZN_TRACE_ID`` is each
  invocation's own (as the managed runtimes set it: the X-Ray SDK reads it).
- SnapStart (``_snapstart``): with ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` the before-snapshot
  hooks, ``/restore/next``, the after-restore hooks, and awslambdaric's error types and exit statuses.
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

from ._answer import serve
from ._loop import main

__all__ = ["main", "serve"]
