"""Non-HTTP events (every recorded one) routed to callables and to app routes; partial batch failures;
warm-up pings answered without the app."""

from __future__ import annotations

import asyncio
import json
import threading
import wsgiref.validate
from typing import Any

import pytest
from fastapi import FastAPI, Request
from flask import Flask, jsonify, request

from lambda_adapter import EventFailed, InvalidResponse, UnsupportedEvent, adapt
from lambda_adapter.testing import LambdaContext, event_for, status_of
from tests.apps import wsgi_echo
from tests.conftest import Kept, ainvoke, load_event
from tests.events.test_detect import NON_HTTP

SOURCES = sorted(set(NON_HTTP.values()))


def flask_events_app(seen: list[Any]) -> Flask:
    """A Flask app whose routes take events; it fails the SQS messages whose body says so."""
    app = Flask("events")

    @app.post("/events/<source>")
    def take(source: str) -> Any:
        event = request.get_json()
        seen.append((source, request.headers.get("X-Lambda-Event-Source"), event))
        failed = [r["messageId"] for r in event.get("Records", []) if "fail" in str(r.get("body", ""))]
        return jsonify(batchItemFailures=[{"itemIdentifier": message} for message in failed])

    @app.post("/events/broken")
    def broken() -> Any:
        return "no", 500

    return app


def fastapi_events_app(seen: list[Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/jobs/{source}")
    async def take(source: str, request: Request) -> dict[str, Any]:
        seen.append((source, request.headers.get("x-lambda-event-source"), await request.json()))
        return {"ok": True}

    return app


@pytest.mark.parametrize("name", sorted(NON_HTTP))
def test_every_recorded_non_http_event_reaches_its_callable(name: str) -> None:
    event, source = load_event(name), NON_HTTP[name]
    calls: list[Any] = []
    context = LambdaContext()
    handler = adapt(wsgi_echo, events={source: lambda e, c: calls.append((e, c)) or {"done": source}})
    assert handler(event, context) == {"done": source}
    assert calls == [(event, context)]


@pytest.mark.parametrize("name", sorted(NON_HTTP))
@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_every_recorded_non_http_event_reaches_an_app_route_as_a_post(name: str, framework: str) -> None:
    event, source = load_event(name), NON_HTTP[name]
    seen: list[Any] = []
    if framework == "flask":
        handler = adapt(flask_events_app(seen), events={source: f"/events/{source}"})
    else:
        handler = adapt(fastapi_events_app(seen), events={source: f"/jobs/{source}"})
    result = handler(event, LambdaContext())
    assert seen == [(source, source, event)]
    assert result == ({"batchItemFailures": []} if framework == "flask" else {"ok": True})


def test_the_route_request_is_valid_wsgi_and_carries_the_event_as_sent() -> None:
    event = load_event("powertools/sqsEvent.json")
    handler = adapt(wsgiref.validate.validator(wsgi_echo), events={"sqs": "/tasks"})  # a 500 if invalid
    seen = handler(event, LambdaContext())
    assert (seen["method"], seen["script_name"], seen["path_info"]) == ("POST", "", "/tasks")
    assert seen["headers"]["CONTENT_TYPE"] == "application/json"
    assert seen["headers"]["HTTP_X_LAMBDA_EVENT_SOURCE"] == "sqs"
    assert json.loads(seen["body"]) == event


def test_sqs_partial_failures_through_an_app_route() -> None:
    event = load_event("powertools/sqsEvent.json")
    event["Records"][1]["body"] = "please fail"
    handler = adapt(flask_events_app([]), events={"sqs": "/events/sqs"})
    failed = event["Records"][1]["messageId"]
    assert handler(event, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": failed}]}


@pytest.mark.parametrize(
    ("name", "source", "identifier"),
    [
        ("powertools/sqsEvent.json", "sqs", lambda r: r["messageId"]),
        ("powertools/kinesisStreamEvent.json", "kinesis", lambda r: r["kinesis"]["sequenceNumber"]),
        ("powertools/dynamoStreamEvent.json", "dynamodb", lambda r: r["dynamodb"]["SequenceNumber"]),
    ],
)
def test_partial_failures_from_a_callable_name_items_of_the_batch(name: str, source: str, identifier: Any) -> None:
    event = load_event(name)
    last = identifier(event["Records"][-1])
    answer = {"batchItemFailures": [{"itemIdentifier": last}]}
    assert adapt(wsgi_echo, events={source: lambda e, c: answer})(event, LambdaContext()) == answer
    wrong = {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    with pytest.raises(InvalidResponse, match=r"not in the .* batch: \['not-in-this-batch'\]"):
        adapt(wsgi_echo, events={source: lambda e, c: wrong})(event, LambdaContext())


@pytest.mark.parametrize("answer", [{"batchItemFailures": None}, {"batchItemFailures": []}, {}])
def test_no_failures_said_any_way_lambda_accepts_is_no_failure(answer: Any) -> None:
    handler = adapt(wsgi_echo, events={"sqs": lambda e, c: answer})
    assert handler(load_event("powertools/sqsEvent.json"), LambdaContext()) == answer


@pytest.mark.parametrize("answer", [{"batchItemFailures": "all"}, {"batchItemFailures": ["id"]}])
def test_malformed_partial_failures_are_the_apps_error(answer: Any) -> None:
    handler = adapt(wsgi_echo, events={"sqs": lambda e, c: answer})
    with pytest.raises(InvalidResponse, match="batchItemFailures must be a list"):
        handler(load_event("powertools/sqsEvent.json"), LambdaContext())


def test_an_error_status_raises_so_the_source_retries_and_the_next_event_works() -> None:
    seen: list[Any] = []
    handler = adapt(flask_events_app(seen), events={"sqs": "/events/broken", "sns": "/events/sns"})
    with pytest.raises(EventFailed, match="answered 500 to the sqs event posted to /events/broken; raised"):
        handler(load_event("powertools/sqsEvent.json"), LambdaContext())
    assert handler(load_event("powertools/snsEvent.json"), LambdaContext()) == {"batchItemFailures": []}
    assert [source for source, _, _ in seen] == ["sns"]


@pytest.mark.parametrize(("route", "hint"), [("/status", "does not take POST"), ("/nowhere/x", "no such route")])
def test_an_error_status_says_what_is_likely_wrong(route: str, hint: str) -> None:
    app = flask_events_app([])
    app.add_url_rule("/status", "status", lambda: "ok", methods=["GET"])
    with pytest.raises(EventFailed, match=f"posted to {route} \\(.*{hint}"):
        adapt(app, events={"sqs": route})(load_event("powertools/sqsEvent.json"), LambdaContext())


def test_json_that_does_not_parse_is_the_apps_error() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{not json"]

    with pytest.raises(InvalidResponse, match="does not parse"):
        adapt(app, events={"s3": "/s3"})(load_event("powertools/s3Event.json"), LambdaContext())


def test_a_source_without_a_target_is_unsupported_and_names_the_keys() -> None:
    handler = adapt(wsgi_echo, events={"sqs": "/tasks"})
    with pytest.raises(UnsupportedEvent, match=r"no events\['sns'\] for this SNS event.*top-level keys: Records"):
        handler(load_event("powertools/snsEvent.json"), LambdaContext())
    with pytest.raises(UnsupportedEvent, match="top-level keys: Records"):
        adapt(wsgi_echo)(load_event("powertools/sqsEvent.json"), LambdaContext())


def test_scheduled_events_fall_back_to_the_eventbridge_target() -> None:
    calls: list[str] = []
    handler = adapt(wsgi_echo, events={"eventbridge": lambda e, c: calls.append(e["detail-type"])})
    handler(load_event("powertools/eventBridgeSchedulerEvent.json"), LambdaContext())
    handler(load_event("powertools/eventBridgeEvent.json"), LambdaContext())
    assert calls == ["Scheduled Event", "EC2 Instance State-change Notification"]


@pytest.mark.parametrize("format", ["http", "rest", "alb"])
def test_http_clients_reach_the_same_route_but_cannot_forge_the_event_source_header(format: str) -> None:
    seen: list[Any] = []
    handler = adapt(flask_events_app(seen), events={"sqs": "/events/sqs"})
    headers = {"Content-Type": "application/json", "X-Lambda-Event-Source": "sqs"}
    forged = event_for(format, method="POST", path="/events/sqs", body='{"Records": []}', headers=headers)
    assert status_of(handler(forged, LambdaContext())) == 200
    handler(load_event("powertools/sqsEvent.json"), LambdaContext())
    assert [header for _, header, _ in seen] == [None, "sqs"]


KEEP_WARM_RULE = {
    "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
    "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "detail": {},
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/app-zappa-keep-warm-handler.keep_warm_callback"],
}  # fmt: skip


class Counting:
    """A WSGI app that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ran"]


@pytest.mark.parametrize(
    "event", [{"source": "serverless-plugin-warmup"}, {"warmer": True, "concurrency": 2}, KEEP_WARM_RULE], ids=str
)
def test_warm_pings_are_answered_without_running_anything(event: dict[str, Any]) -> None:
    app, calls = Counting(), []
    handler = adapt(app, events={"schedule": lambda e, c: calls.append(e), "warmup": lambda e, c: calls.append(e)})
    assert handler(event, LambdaContext()) == {"warm": True}
    assert (app.calls, calls) == (0, [])


@pytest.mark.parametrize("rule", ["nightly-cache-warmer", "search-index-rewarmer", "keep-warmer-report", "warm"])
def test_real_jobs_whose_names_look_warm_still_run(rule: str) -> None:
    calls: list[Any] = []
    event = {**KEEP_WARM_RULE, "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"]}
    assert (
        adapt(Counting(), events={"schedule": lambda e, c: calls.append(e) or "ran"})(event, LambdaContext()) == "ran"
    )
    assert calls == [event]


def test_warm_pings_off_let_the_schedule_through_and_leave_plugin_pings_unhandled() -> None:
    calls: list[Any] = []
    handler = adapt(Counting(), events={"schedule": lambda e, c: calls.append(e) or "ran"}, answer_warm_pings=False)
    assert handler(KEEP_WARM_RULE, LambdaContext()) == "ran"
    with pytest.raises(UnsupportedEvent, match=r"no events\['warmup'\] for this warm-up ping event"):
        handler({"source": "serverless-plugin-warmup"}, LambdaContext())


def test_a_warm_ping_predicate_replaces_the_rule() -> None:
    app = Counting()
    handler = adapt(app, answer_warm_pings=lambda event: event.get("ping") == "keep-warm")
    assert handler({"ping": "keep-warm"}, LambdaContext()) == {"warm": True}
    with pytest.raises(UnsupportedEvent, match="top-level keys: ping"):
        handler({"ping": "other"}, LambdaContext())
    with pytest.raises(UnsupportedEvent, match="JSON object, got list"):
        handler(["ping"], LambdaContext())
    with pytest.raises(UnsupportedEvent, match=r"no events\['warmup'\] for this warm-up ping event"):
        handler({"source": "serverless-plugin-warmup"}, LambdaContext())
    assert app.calls == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"events": {"kafka": "/x"}}, ValueError, "unknown source 'kafka'"),
        ({"events": {"sqs": "tasks"}}, ValueError, "must be a callable or a route"),
        ({"events": {"sqs": "/tasks?kind=sqs"}}, ValueError, "no query, no percent-encoding"),
        ({"events": {"sqs": "/t%C3%A4sks"}}, ValueError, "no query, no percent-encoding"),
        ({"events": {"sqs": 3}}, ValueError, "must be a callable or a route"),
        ({"events": ["sqs"]}, TypeError, "events must map"),
        ({"answer_warm_pings": "yes"}, TypeError, "answer_warm_pings must be"),
    ],
)
def test_bad_event_options_are_refused_at_adapt_time(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        adapt(wsgi_echo, **kwargs)


def test_mounted_apps_take_event_routes_below_their_prefix() -> None:
    seen: list[Any] = []
    handler = adapt({"/api/v2": fastapi_events_app(seen), "/": wsgi_echo}, events={"sqs": "/api/v2/jobs/sqs"})
    assert handler(load_event("powertools/sqsEvent.json"), LambdaContext()) == {"ok": True}
    assert seen[0][:2] == ("sqs", "sqs")


# -- on a running event loop (handler.ainvoke: Lambda Managed Instances runs ASGI invocations as tasks) --


def test_on_a_running_loop_an_app_route_runs_as_a_task_of_that_loop() -> None:
    seen: list[Any] = []
    app = fastapi_events_app(seen)
    loops: list[Any] = []

    @app.middleware("http")
    async def note_loop(request: Request, call_next: Any) -> Any:
        loops.append(asyncio.get_running_loop())
        return await call_next(request)

    event = load_event("powertools/sqsEvent.json")
    handler = adapt(app, lifespan="off", events={"sqs": "/jobs/sqs"})

    async def main() -> Any:
        sink = Kept()
        await handler.ainvoke(event, LambdaContext(), sink)
        return sink.value, asyncio.get_running_loop()

    result, loop = asyncio.run(main())
    assert result == {"ok": True} and seen == [("sqs", "sqs", event)]
    assert loops == [loop]  # the caller's loop, not the adapter's own


def test_on_a_running_loop_a_callable_target_leaves_the_loop_free() -> None:
    """The callable waits for an HTTP invocation that can only run while it waits: on the loop's
    thread it would block that invocation, and its wait would end unanswered."""
    answered = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        answered.set()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    def take(event: Any, context: Any) -> dict[str, Any]:
        return {"http_ran_meanwhile": answered.wait(timeout=10), "thread": threading.get_ident()}

    handler = adapt(app, lifespan="off", events={"sqs": take})

    async def main() -> list[Any]:
        sinks = [Kept(), Kept()]
        events = [load_event("powertools/sqsEvent.json"), event_for("http")]
        pairs = zip(events, sinks, strict=True)
        await asyncio.gather(*(handler.ainvoke(event, LambdaContext(), sink) for event, sink in pairs))
        return [sink.value for sink in sinks]

    routed, http = asyncio.run(main())
    assert routed["http_ran_meanwhile"] is True and routed["thread"] != threading.get_ident()
    assert status_of(http) == 204


def test_on_a_running_loop_an_async_callable_is_awaited_and_warm_pings_answered() -> None:
    async def take(event: Any, context: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"batchItemFailures": []}

    handler = adapt(wsgi_echo, events={"sqs": take})
    assert ainvoke(handler, load_event("powertools/sqsEvent.json")) == {"batchItemFailures": []}
    assert ainvoke(handler, {"warmer": True}) == {"warm": True}
    with pytest.raises(UnsupportedEvent, match="no events\\['sns'\\]"):
        ainvoke(handler, load_event("powertools/snsEvent.json"))
    with pytest.raises(UnsupportedEvent, match="matches no event source"):
        ainvoke(handler, {"what": "ever"})


@pytest.mark.parametrize("identifier", [{"messageId": "x"}, ["x"], None, 7], ids=["object", "list", "null", "number"])
def test_partial_failures_whose_identifier_is_no_string_are_the_apps_error(identifier: Any) -> None:
    """Lambda fails the whole batch on an itemIdentifier that is not a message id (null among them):
    said as InvalidResponse, never a TypeError from the check itself, even for a record without an id."""
    event = load_event("powertools/sqsEvent.json")
    del event["Records"][0]["messageId"]  # a hand-made record: its id is missing, not null
    answer = {"batchItemFailures": [{"itemIdentifier": identifier}]}
    with pytest.raises(InvalidResponse, match="not in the sqs batch"):
        adapt(wsgi_echo, events={"sqs": lambda e, c: answer})(event, LambdaContext())


def test_an_async_target_on_the_buffered_handler_is_refused_clearly_and_the_next_event_works() -> None:
    """handler(event, context) cannot await: an async def target would return a coroutine to Lambda,
    which cannot serialise it, and the job would never run."""
    ran: list[Any] = []

    async def take(event: Any, context: Any) -> dict[str, Any]:
        ran.append(event)
        return {"batchItemFailures": []}

    handler = adapt(wsgi_echo, events={"sqs": take, "sns": lambda e, c: {"done": True}})
    with pytest.raises(TypeError, match=r"events\['sqs'\] returned an awaitable .* handler.ainvoke"):
        handler(load_event("powertools/sqsEvent.json"), LambdaContext())
    assert ran == []  # refused before it ran, closed so that nothing warns of a coroutine never awaited
    assert handler(load_event("powertools/snsEvent.json"), LambdaContext()) == {"done": True}
