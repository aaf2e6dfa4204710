"""The adapter's logger, imported only when something is logged (logging costs start-up time)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def logger() -> logging.Logger:
    """The ``lambda_adapter`` logger."""
    import logging

    return logging.getLogger("lambda_adapter")


def request_id(context: object) -> str:
    """The Lambda request id, for log lines, or ``-`` when the context has none."""
    return str(getattr(context, "aws_request_id", "-"))
