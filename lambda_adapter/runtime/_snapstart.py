"""SnapStart in the runtime loop, as the managed Python runtime (awslambdaric 4.x) does it.

docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html and runtimes-api.html
("Restore"): a custom runtime must itself call ``GET /runtime/restore/next`` once the handler is
loaded when ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, or publishing a SnapStart version fails.
Invariants:
- The before-snapshot hooks of ``snapshot_restore_py`` run first, the last registered first (the
  adapter's warm-up is one of them), then ``restore/next`` (the snapshot is taken while it waits; it
  returns in a restored copy), then the after-restore hooks in the order they were registered.
- A before-snapshot hook that raises (or a ``restore/next`` that fails) is an init error of type
  ``Runtime.BeforeSnapshotError`` and the process exits with 64; an after-restore hook that raises
  goes to ``/runtime/restore/error`` as ``Runtime.AfterRestoreError`` and the process exits with 65:
  awslambdaric's types and exit statuses. The error is logged with its traceback either way.
- Without ``snapshot_restore_py`` (an OS-only runtime whose package lacks it) there are no hooks.
"""

from __future__ import annotations

import logging
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._api import RuntimeAPI

SNAPSTART_ENV, SNAPSTART = "AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start"
BEFORE_SNAPSHOT_ERROR, AFTER_RESTORE_ERROR = "Runtime.BeforeSnapshotError", "Runtime.AfterRestoreError"
log = logging.getLogger("lambda_adapter.runtime")


def restore(api: RuntimeAPI) -> None:
    """Before-snapshot hooks, ``restore/next``, after-restore hooks; ``SystemExit`` when one fails."""
    before, after = _hooks()
    try:
        while before:
            function, args, kwargs = before.pop()
            function(*args, **kwargs)
        api.restore_next()
    except Exception as exc:
        log.error("SnapStart: a before-snapshot hook failed", exc_info=exc)
        api.init_error(_document(exc), BEFORE_SNAPSHOT_ERROR)
        raise SystemExit(64) from None
    try:
        for function, args, kwargs in after:
            function(*args, **kwargs)
    except Exception as exc:
        log.error("SnapStart: an after-restore hook failed", exc_info=exc)
        api.restore_error(_document(exc), AFTER_RESTORE_ERROR)
        raise SystemExit(65) from None


def _hooks() -> tuple[list[Any], list[Any]]:
    try:
        from snapshot_restore_py import get_after_restore, get_before_snapshot  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return [], []
    return get_before_snapshot(), get_after_restore()


def _document(exc: BaseException) -> dict[str, Any]:
    """awslambdaric's error document for a failed hook: message, type, an empty request id, the traceback."""
    trace = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": "", "stackTrace": trace}
