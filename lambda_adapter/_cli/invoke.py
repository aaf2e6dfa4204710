"""``lambda-adapter invoke MODULE:HANDLER EVENT.json``: call a handler once with an event, print the result.

Invariants:
- EVENT is a file or ``-`` (stdin) holding one JSON object; anything else is a ``UsageError``.
- The result is printed as JSON on stdout (exit 0); a handler that raises prints Lambda's error object
  (``errorMessage``, ``errorType``, ``stackTrace``) on stdout, the traceback on stderr, and exits 1; so does
  a result JSON cannot carry (``Runtime.MarshalError``, as Lambda reports it).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from .._load import UsageError, load_handler
from ..testing import LambdaContext
from ..testing._result import marshal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", metavar="MODULE:HANDLER", help="the Lambda handler, e.g. app:handler")
    parser.add_argument("event", metavar="EVENT.json", help="the event file, or - to read it from stdin")


def run(args: argparse.Namespace) -> int:
    event = read_event(args.event)
    handler = load_handler(args.handler)
    context = LambdaContext()
    try:
        result = handler(event, context)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        # from the handler's frame on: awslambdaric leaves its own frames out of stackTrace
        frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
        print(json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": frames}, indent=2))
        return 1
    try:
        print(json.dumps(marshal(result), indent=2))
    except (TypeError, ValueError) as exc:  # the error object Lambda's Python runtime gives for such a result
        print(json.dumps({"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError",
                          "requestId": context.aws_request_id, "stackTrace": []}, indent=2))  # fmt: skip
        return 1
    return 0


def read_event(name: str) -> dict[str, Any]:
    """The JSON object in file ``name`` (``-``: stdin)."""
    where = "stdin" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the event file {where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the event file {where} is not UTF-8 text") from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the event in {where} is not valid JSON: {exc}") from None
    if not isinstance(event, dict):
        raise UsageError(f"the event in {where} is a JSON {type(event).__name__}, not an object")
    return event
