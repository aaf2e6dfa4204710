"""The errors the adapter raises; each names whose fault it was."""

from __future__ import annotations


class UnsupportedEvent(ValueError):
    """The event is no source the adapter knows (bad input, the caller's fault)."""


class InvalidResponse(RuntimeError):
    """The app broke the WSGI or ASGI protocol (the app's fault)."""


class LifespanFailure(RuntimeError):
    """The ASGI app's lifespan startup failed."""


class BadRequest(ValueError):
    """A known event whose content is unusable: answered with a 400, never raised to Lambda."""

    status = 400


class PayloadTooLarge(BadRequest):
    """A request body cut short before it reached us: answered with a 413."""

    status = 413


class DeadlineExceeded(RuntimeError):
    """The app was still running when the Lambda deadline (less the margin) came."""


class EventFailed(RuntimeError):
    """The app answered a non-HTTP event (SQS, SNS, ...) posted to its route with an error status.

    Raised to Lambda so that the event source's retry policy (and dead-letter queue) applies.
    """
