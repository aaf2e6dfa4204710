"""The loop itself: load the handler, then next invocation, the handler, its answer (see ``lambda_adapter.runtime``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from http.client import HTTPException

from .._load import NotCallable, UsageError, load_handler, split_spec
from . import _log
from ._answer import serve
from ._api import RuntimeAPI, RuntimeAPIError, error_document
from ._payload import Fault
from ._snapstart import SNAPSTART, SNAPSTART_ENV, restore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

ENV_STREAMING = "LAMBDA_ADAPTER_STREAMING"
ENV_CONCURRENCY = "AWS_LAMBDA_MAX_CONCURRENCY"  # Lambda Managed Instances: invocations in flight at once
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
    slots = _slots(os.environ.get(ENV_CONCURRENCY))
    api = RuntimeAPI(address)
    try:
        handler = _load(api, args.handler)
        if handler is None:
            return 1
        if os.environ.get(SNAPSTART_ENV) == SNAPSTART:
            restore(api)
        streams = _streams(handler, os.environ.get(ENV_STREAMING))
        if slots is not None:
            from ._concurrent import serve_concurrently

            api.close()
            return serve_concurrently(address, handler, streams, slots, args.invocations)
        serve(api, handler, streams, args.invocations)
    except (RuntimeAPIError, OSError, HTTPException) as exc:  # HTTPException: no HTTP from the other side
        log.error("the Runtime API at %s failed (%s); exiting", address, exc)
        return 1
    finally:
        api.close()
    return 0


def _slots(setting: str | None) -> int | None:
    """How many invocations may be in flight at once: None when Lambda hands out one at a time."""
    if setting is None or not setting.strip():
        return None
    try:
        slots = int(setting)
    except ValueError:
        slots = 0
    if slots < 1:
        log.warning("%s=%r is no positive number: one invocation at a time", ENV_CONCURRENCY, setting)
        return None
    return slots


def _load(api: RuntimeAPI, spec: str) -> Callable[..., Any] | None:
    """The handler, or None once its failure to load is reported to ``/init/error``."""
    try:
        module, attribute = split_spec(spec)
    except UsageError:
        module = attribute = ""  # reported below as Runtime.MalformedHandlerName
    try:
        if module.partition(".")[0] in sys.builtin_module_names:  # awslambdaric refuses it before importing
            raise Fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module} as a handler module")
        return load_handler(spec, search_path=os.environ.get("LAMBDA_TASK_ROOT"))
    except Exception as exc:
        log.exception("cannot load the handler %r", spec)
        document = _init_error(exc, module, attribute)
        api.init_error(document, document["errorType"])
        return None


def _init_error(exc: BaseException, module: str, attribute: str) -> dict[str, Any]:
    """The error document the managed Python runtime posts for the same failure: type, message."""
    cause = exc.__cause__ if isinstance(exc, UsageError) and exc.__cause__ is not None else exc
    if isinstance(exc, Fault):
        return exc.document()
    if isinstance(cause, SyntaxError):  # awslambdaric's one-frame trace: the file, the line and its code
        trace = [f'  File "{cause.filename}" Line {cause.lineno}\n    {cause.text}']
        fault = Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module}': {cause}")
        return {**fault.document(), "stackTrace": trace}
    if isinstance(cause, ImportError):
        fault = Fault("Runtime.ImportModuleError", f"Unable to import module '{module}': {cause}")
    elif not module or not attribute:
        fault = Fault("Runtime.MalformedHandlerName", f"Bad handler: {exc}")
    elif isinstance(exc, NotCallable):  # awslambdaric loads it, and each invocation fails calling it
        fault = Fault("Runtime.HandlerNotFound", f"Handler '{attribute}' on module '{module}' is not callable")
    elif isinstance(exc, UsageError):
        fault = Fault("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module}'")
    else:  # the module raised while it was imported: its own error
        return error_document(exc)
    return fault.document()


def _streams(handler: Any, setting: str | None) -> bool:
    """Whether answers are to be streamed (the handler can: ``handler.stream`` is there)."""
    stream = getattr(handler, "stream", None)
    choice = (setting or "").strip().lower()
    if choice and choice not in _ON + _OFF:
        log.warning("%s=%r is neither on (1, true) nor off (0, false): ignored", ENV_STREAMING, setting)
    wanted = choice in _ON if choice in _ON + _OFF else getattr(handler, "streaming", "off") == "on"
    if wanted and stream is None:
        log.warning("%s=%s, but the handler cannot stream (not made by adapt(), or streaming='off'): buffered",
                    ENV_STREAMING, setting)  # fmt: skip
    return wanted and stream is not None
