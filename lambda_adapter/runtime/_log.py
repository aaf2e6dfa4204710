"""Logging in the runtime loop, set up as the managed Python runtime (awslambdaric 4.x) sets it up.

Invariants:
- stdout and stderr write through: a ``print()`` reaches CloudWatch when it is made, not when a
  block buffer fills (a process frozen or killed between invocations would lose it).
- The invocation being served (request id, tenant id, trace id) is a context variable (``current``):
  one per thread or asyncio task, so under Lambda Managed Instances every line carries the request
  id of the invocation that wrote it, never its neighbour's.
- The root logger has one handler on stdout whose lines carry the request id:
  ``[LEVEL]\\t2026-11-23T09:00:00.123Z\\t<request id>\\tmessage`` (text), or one JSON object per record
  (``AWS_LAMBDA_LOG_FORMAT=JSON``) with awslambdaric's fields: timestamp (whole seconds), level,
  message (a dict as it is), logger, requestId, tenantId, and for an exception errorType,
  errorMessage, stackTrace and location; the record's ``extra`` fields too; no null fields.
- The level is ``AWS_LAMBDA_LOG_LEVEL`` when set, else the root logger's own (WARNING), as in the
  managed runtime: an app that wants INFO lines sets its logger's level, as it does on Lambda.
- ``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET`` (Managed Instances): the process that serves
  invocations connects to it twice and puts the connections in place of stdout and stderr, as
  awslambdaric's workers do (``lambda_multi_concurrent_utils``).
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
import os
import socket
import sys
import time
import traceback
from typing import NamedTuple

_TEXT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
_DATE = "%Y-%m-%dT%H:%M:%S"
_JSON_DATE = "%Y-%m-%dT%H:%M:%SZ"  # awslambdaric's JSON timestamps have whole seconds
_LEVELS = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING", "ERROR": "ERROR", "FATAL": "CRITICAL"}
TELEMETRY_SOCKET = "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"
# what a record has of its own: awslambdaric's JSON lines carry every other attribute (``extra=``)
_RESERVED = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "taskName", "aws_request_id", "tenant_id", "xray_trace_id",
))  # fmt: skip


class Current(NamedTuple):
    """What the log and the app read of the invocation being served."""

    request_id: str
    tenant_id: str | None
    trace_id: str | None


NO_INVOCATION = Current("", None, None)  # in the init phase, and between invocations
current: contextvars.ContextVar[Current] = contextvars.ContextVar("lambda_adapter_invocation", default=NO_INVOCATION)


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        invocation = current.get()
        record.aws_request_id = invocation.request_id
        record.tenant_id = invocation.tenant_id
        record.xray_trace_id = invocation.trace_id
        return True


class _Json(logging.Formatter):
    """One JSON object per record, as awslambdaric's ``JsonFormatter`` writes it."""

    def __init__(self) -> None:
        super().__init__(datefmt=_JSON_DATE)
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        level = min(50, max(0, record.levelno)) // 10 * 10  # a custom level counts as the one below it
        error = record.exc_info or (None, None, None)
        document: dict[str, object] = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": logging.getLevelName(level),
            "message": record.msg if isinstance(record.msg, dict) and not record.args else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(error[2]) if record.exc_info else None,
            "errorType": error[0].__name__ if error[0] else None,
            "errorMessage": str(error[1]) if record.exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if record.exc_info else None,
            "tenantId": getattr(record, "tenant_id", None),
        }
        document.update((k, v) for k, v in vars(record).items() if k not in _RESERVED and k not in document)
        return json.dumps({k: v for k, v in document.items() if v is not None}, ensure_ascii=False, default=str)


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


def to_telemetry_socket() -> None:
    """Under Managed Instances, stdout and stderr to the log socket Lambda names, when it names one."""
    path = os.environ.get(TELEMETRY_SOCKET)
    if not path:
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            os.dup2(connection.fileno(), stream.fileno())
