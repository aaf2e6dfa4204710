"""Non-HTTP events (SQS, SNS, S3, EventBridge, streams) and warm-up pings: who answers them.

Invariants:
- HTTP events never come here; the handler sends only the non-HTTP sources of ``_events.detect()``.
- A warm-up ping (serverless-plugin-warmup, ``{"warmer": true}``, a scheduled rule named keep-warm)
  is answered at once without running any app, unless ``adapt(answer_warm_pings=False)``; a callable
  ``answer_warm_pings`` replaces the rule.
- Each source goes to the target ``adapt(events=...)`` names for it: a callable ``(event, context)``
  whose result is returned, or an app route that gets the event JSON as ``POST <route>``. A scheduled
  event with no "schedule" target goes to the "eventbridge" one. A source with no target raises
  ``UnsupportedEvent`` naming the event's keys, as an unknown event does.
- The app can tell an event from an HTTP request by ``X-Lambda-Event-Source``: the handler removes
  that header from every HTTP request, so no client can forge it.
- SQS and stream batches may answer ``batchItemFailures`` either way; identifiers are checked.
- On a running event loop (``Router.acall``, from ``Handler.ainvoke``: Lambda Managed Instances runs
  an ASGI app's invocations as tasks of one loop) nothing blocks the loop: an app route runs as a
  task of it (``runner.arun``), a plain callable in a worker thread (``asyncio.to_thread``, which
  carries the invocation's context variables), a callable that returns an awaitable is awaited.
  ``router(...)`` cannot await: there, a callable that returns an awaitable is a ``TypeError`` (the
  awaitable closed unstarted), never a coroutine handed to Lambda, which cannot serialise it.
"""

from __future__ import annotations

from .._events import NAMES, NON_HTTP, detect, unsupported
from .._run.held import aresponse_of, response_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .._typing import Event

    Runner = Any  # a runner of _run (WSGIRunner, ASGIRunner, MountRunner)
    Target = str | Callable[[Event, Any], Any]

_KNOWN = ", ".join(sorted(NON_HTTP))
WARM = {"warm": True}


def checked_events(events: Mapping[str, Target] | None) -> dict[str, Target]:
    """The ``events`` argument of ``adapt()``: source -> callable or route path."""
    if events is None:
        return {}
    checked: dict[str, Target] = {}
    for source, target in events.items():
        if source not in NON_HTTP:
            raise ValueError(f"adapt(): events has an unknown source {source!r}; known: {_KNOWN}")
        if not callable(target) and not _is_route(target):
            raise ValueError(
                f"adapt(): events[{source!r}] must be a callable or a route such as '/events/{source}' "
                f"(a plain ASCII path: no query, no percent-encoding), got {target!r}"
            )
        checked[source] = target
    return checked


def _is_route(target: object) -> bool:
    return isinstance(target, str) and target.startswith("/") and target.isascii() and not set("?#% ") & set(target)


def make_router(events: Mapping[str, Target], warm_pings: object, run: Runner) -> Router:
    """What the handler calls with a non-HTTP event and its source (``warm_pings`` is
    ``Options.answer_warm_pings``, checked there)."""
    return Router(events, warm_pings, run)


class Router:
    """Answers non-HTTP events and warm pings: ``router(event, source, context)``, or ``await
    router.acall(...)`` on a running event loop; ``source`` is "" for an event no source claims."""

    __slots__ = ("events", "run", "warm_pings")

    def __init__(self, events: Mapping[str, Target], warm_pings: object, run: Runner) -> None:
        self.events, self.warm_pings, self.run = events, warm_pings, run

    def __call__(self, event: Event, source: str, context: Any) -> Any:
        target = self._target(event, source)
        if target is None:
            return WARM
        from .._events import records

        if not isinstance(target, str):
            result = target(event, context)
            if hasattr(result, "__await__"):  # an async def target: only acall, on a running loop, awaits it
                raise _refused(result, source)
            return records.checked_result(result, source, event)
        environ, body = records.to_request(event, target, source)
        return records.from_response(response_of(self.run, environ, body, event, context), source, event, target)

    async def acall(self, event: Event, source: str, context: Any) -> Any:
        target = self._target(event, source)
        if target is None:
            return WARM
        from .._events import records

        if not isinstance(target, str):
            import asyncio

            result = await asyncio.to_thread(target, event, context)  # a callable never blocks the loop
            if hasattr(result, "__await__"):  # an async def target
                result = await result
            return records.checked_result(result, source, event)
        environ, body = records.to_request(event, target, source)
        response = await aresponse_of(self.run, environ, body, event, context)
        return records.from_response(response, source, event, target)

    def _target(self, event: Event, source: str) -> Target | None:
        """The target for this event; None for a warm ping, answered at once."""
        if isinstance(event, dict) and _is_warm_ping(event, source, self.warm_pings):
            return None
        if not source:  # an event no source claims, and no warm ping
            detect(event)  # raises UnsupportedEvent, saying what the event holds
        events = self.events
        target = events.get(source) or (events.get("eventbridge") if source == "schedule" else None)
        if target is None:
            raise unsupported(event, f"adapt() has no events[{source!r}] for this {NAMES[source]} event")
        return target


def _refused(awaitable: Any, source: str) -> TypeError:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()  # never started: closed, so that nothing warns of a coroutine never awaited
    return TypeError(
        f"adapt(): events[{source!r}] returned an awaitable (an async def target?), which handler(event, "
        "context) cannot await (Lambda could not serialise it and the job would never run): make the target a "
        "plain function, or call handler.ainvoke on a running event loop"
    )


def _is_warm_ping(event: Event, source: str, rule: object) -> bool:
    if callable(rule):
        return bool(rule(event))
    if not rule:
        return False
    if source == "schedule":
        from .._events.records import is_keep_warm

        return is_keep_warm(event)
    return source == "warmup"
