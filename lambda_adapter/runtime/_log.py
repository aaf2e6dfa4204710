"""Logging in the runtime loop, set up as the managed Python runtime (awslambdaric) sets it up.

Invariants:
- stdout and stderr write through: a ``print()`` reaches CloudWatch when it is made, not when a
  block buffer fills (a process frozen or killed between invocations would lose it).
- The root logger has one handler on stdout whose lines carry the request id:
  ``[LEVEL]\\t2026-11-23T09:00:00.123Z\\t<request id>\\tmessage`` (text), or one JSON object per record
  (``AWS_LAMBDA_LOG_FORMAT=JSON``: timestamp, level, message, logger, requestId).
- The level is ``AWS_LAMBDA_LOG_LEVEL`` when set, else the root logger's own (WARNING), as in the
  managed runtime: an app that wants INFO lines sets its logger's level, as it does on Lambda.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time

_TEXT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
_DATE = "%Y-%m-%dT%H:%M:%S"
_LEVELS = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING", "ERROR": "ERROR", "FATAL": "CRITICAL"}
request_id = ""  # the invocation being served: set by the loop, read by every log record


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = request_id
        return True


class _Json(logging.Formatter):
    """One JSON object per record, with the fields of Lambda's JSON log format."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "timestamp": time.strftime(_DATE, time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": request_id,
        }
        if record.exc_info and record.exc_info[1] is not None:
            document["errorType"] = type(record.exc_info[1]).__name__
            document["stackTrace"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(document, default=str)


def configure_logging() -> None:
    """Unbuffered stdout and stderr, and the root logger's handler with the request id."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True, write_through=True)
    handler = logging.StreamHandler(sys.stdout)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        handler.setFormatter(_Json())
    else:
        formatter = logging.Formatter(_TEXT, _DATE)
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.addHandler(handler)
    level = _LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
    if level:
        root.setLevel(level)
