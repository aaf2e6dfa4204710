"""``adapt()``: choose the runner once, then per event detect, translate, run, translate back."""

from __future__ import annotations

from ._errors import UnsupportedEvent
from ._events import SOURCES, load
from ._events.detect import NAMES, NON_HTTP, detect
from ._model import Options
from ._run.faults import answer_for_malformed, logger, request_id, too_large

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from ._migrate.route import Router, Target
    from ._model import ConnectionStore, Environ, Event, LambdaContext, Response, Result

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]
    Handler = Callable[[Any, Any], Result]

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
_NO_BODY = frozenset((204, 304))
_SINGLE_VALUE = frozenset(("alb", "lattice_v1", "lattice_v2"))  # answers with one value per header name
_LIMITS = {"alb": 1_000_000}  # ALB caps a Lambda answer at 1 MB
_LIMIT = 6_291_556  # a synchronous Lambda answer, as Lambda's own error states it


def adapt(
    app: Any,
    *,
    interface: str = "auto",
    base_path: str = "",
    lifespan: str = "auto",
    text_mime_types: Iterable[str] = (),
    stage_in_url: bool | None = None,
    eager_startup: bool = False,
    deadline_margin: float = 0.5,
    events: Mapping[str, Target] | None = None,
    warm_pings: bool | Callable[[Any], bool] = True,
    fallback: str | None = None,
    fallback_timeout: float = 10.0,
    streaming: str = "auto",
    connection_store: ConnectionStore | None = None,
    websocket_endpoint: str | None = None,
    websocket_path: str | None = None,
    warmup: Iterable[str] = (),
    compress: bool = False,
) -> Handler:
    """Wrap a WSGI or ASGI app into a Lambda handler ``handler(event, context)``.

    app: the app, or a mapping of path prefixes to apps (WSGI and ASGI mixed), such as
        ``{"/api/v2": fastapi_app, "/": django_app}``: the longest whole-segment prefix wins and
        becomes the app's ``SCRIPT_NAME`` / ``root_path``.
    interface: "auto" (detect), "wsgi" or "asgi" (for every mounted app).
    base_path: a custom-domain mapping prefix such as "/api", moved from the path to the root.
    lifespan: ASGI lifespan, "auto" (tolerate apps without it), "on" (must succeed) or "off".
    text_mime_types: more response media types sent as text rather than base64.
    stage_in_url: whether the client's URL holds the API Gateway stage; None decides by host
        (execute-api hosts hold it; custom domains and SAM CLI do not; serverless-offline does).
    eager_startup: run ASGI lifespan startup now, in the Lambda init phase.
    deadline_margin: seconds before the Lambda deadline at which an ASGI app still running is
        cancelled (answered with a 504) and a WSGI app still running is reported in the log.
    events: non-HTTP sources ("sqs", "sns", "s3", "dynamodb", "kinesis", "eventbridge", "schedule",
        "warmup") -> a callable ``(event, context)`` or an app route that gets the event JSON as a POST.
    warm_pings: answer warm-up pings without running the app (True), not (False), or a predicate.
    fallback: origin URL for requests no mounted app takes (the part not migrated yet).
    fallback_timeout: seconds to wait for the fallback origin (never past the Lambda deadline).
    streaming: "auto" (``handler.stream`` is there; the runtime loop streams when
        LAMBDA_ADAPTER_STREAMING=1), "on" (the runtime loop always streams Function URL events) or
        "off" (no ``handler.stream``: always buffered). See ``lambda_adapter.runtime``. Mounted apps
        (a mapping) answer buffered.
    connection_store: where WebSocket connections keep their connect-time request
        (``lambda_adapter.websocket.MemoryStore`` or ``DynamoDBStore``); None: one in memory.
    websocket_endpoint: the API Gateway Management API URL (for custom domains); by default
        ``https://{domainName}/{stage}`` of the event. ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``
        overrides both.
    websocket_path: the path WebSocket connections reach the app at (their URL has none); None:
        the path of the app's one WebSocket route (Starlette, FastAPI), else "/".
    warmup: requests sent through the handler once, in the init phase (or, with SnapStart's
        snapshot-restore-py, before the snapshot), such as ["/", "GET /health"]: the first
        request's lazy work is done before a user's first request; ASGI lifespan starts with it.
    compress: compress answers the client accepts compressed (``Accept-Encoding``: Brotli with the
        ``[compress]`` extra, zstd on Python 3.14, gzip), buffered and streamed, before the size limits
        are checked; only compressible types of 1 KB or more. See docs/compression.md.
    """
    _refuse_class(app)
    options = Options(
        interface=interface,
        base_path=base_path,
        lifespan=lifespan,
        text_mime_types=text_mime_types,
        stage_in_url=stage_in_url,
        eager_startup=eager_startup,
        deadline_margin=deadline_margin,
        streaming=streaming,
        connection_store=connection_store,
        websocket_endpoint=websocket_endpoint,
        websocket_path=websocket_path,
        warmup=warmup,
        compress=compress,
    )
    return _handler_for(app, options, events, warm_pings, fallback, fallback_timeout)


def _refuse_class(app: Any) -> None:
    """Refuse a framework class given for its app (``adapt(Flask)``): every request would fail inside it.

    A class whose instances are callable is one whose instances are the apps; PEP 3333's class
    apps (called per request, iterated for the body) define no ``__call__`` and pass.
    """
    apps = app.values() if hasattr(app, "items") and not callable(app) else (app,)
    for each in apps:
        if isinstance(each, type) and any("__call__" in vars(cls) for cls in each.__mro__[:-1]):
            name = each.__name__
            raise TypeError(
                f"adapt() needs an app instance, got the class {name} itself: create the app first "
                f"(app = {name}(...)) and pass adapt(app)"
            )


def _handler_for(
    app: Any, options: Options, events: Any, warm_pings: object, fallback: str | None, timeout: float
) -> Handler:
    """The handler for one app or a mapping of mounted apps, with its routes, streaming and warm-up."""
    on_websocket: Handler = _no_websocket
    if hasattr(app, "items") and not callable(app):
        run = _mounted(app, options, fallback, timeout, events)
    elif not callable(app):
        raise TypeError(f"adapt() needs a WSGI or ASGI app or a mapping of prefixes to apps, got {type(app).__name__}")
    elif fallback is not None:
        raise ValueError("adapt(): a fallback origin takes the paths no app is mounted at; mount apps by prefix")
    else:
        run = _runner_for(app, options)
        on_websocket = _websocket_handler(app, options, run)
    if events is None and warm_pings is True:  # the default: the router is imported on a first non-HTTP event
        handler = _make_handler(run, options, lambda: _router({}, True, run), on_websocket)
    else:
        from ._migrate.route import checked_events

        router = _router(checked_events(events), warm_pings, run)
        handler = _make_handler(run, options, lambda: router, on_websocket)
    if options.streaming != "off" and callable(app):
        _add_stream(handler, app, run, options)
    return _warmed(handler, options)


def _add_stream(handler: Handler, app: Any, run: Runner, options: Options) -> None:
    """``handler.stream(event, context, write)`` for the runtime loop; ``_run.streaming`` is imported on its
    first call, so a buffered function pays nothing for it."""
    streams: list[Any] = []

    def stream(event: Any, context: Any, write: Callable[[bytes], None]) -> Result | None:
        if not streams:
            from ._run.streaming import make_stream

            streams.append(make_stream(app, _interface_of(app, options.interface), run, handler, options))
        return streams[0](event, context, write)  # type: ignore[no-any-return]

    handler.stream = stream  # type: ignore[attr-defined]
    handler.streaming = options.streaming  # type: ignore[attr-defined]  # "on": stream without being told


def _router(events: dict[str, Target], warm_pings: object, run: Runner) -> Router:
    from ._migrate.route import make_router

    return make_router(events, warm_pings, run)


def _runner_for(app: Any, options: Options) -> Runner:
    if _interface_of(app, options.interface) == "asgi":
        from ._run.asgi import make_runner as make_asgi_runner

        return make_asgi_runner(app, options)
    from ._run.wsgi import make_runner as make_wsgi_runner

    return make_wsgi_runner(app, options.deadline_margin)


def _mounted(mounts: Mapping[str, Any], options: Options, fallback: str | None, timeout: float, events: Any) -> Runner:
    from ._migrate.mount import checked_prefixes, make_runner, resolve

    apps = checked_prefixes(mounts)
    prefixes = [prefix for prefix, _ in apps]
    if fallback is not None and prefixes[-1] == "":
        raise ValueError("adapt(): the fallback origin would never be used: an app is mounted at '/'")
    for route in (events or {}).values():
        if isinstance(route, str) and fallback is None and resolve(prefixes, route) is None:
            raise ValueError(f"adapt(): the events route {route!r} is under no mounted app")
    for method, target in options.warmup:  # a warm-up warms an app: never a fallback origin, never a 404
        if resolve(prefixes, target.partition("?")[0]) is None:
            raise ValueError(f"adapt(): the warmup request {method} {target} is under no mounted app")
    origin = None
    if fallback is not None:
        from ._migrate.fallback import make_runner as make_origin_runner

        origin = make_origin_runner(fallback, timeout, options.deadline_margin)
    runners: dict[int, Runner] = {}  # an app mounted twice is one app: one runner, one lifespan
    for _, app in apps:
        if id(app) not in runners:
            runners[id(app)] = _runner_for(app, options)
    return make_runner([(prefix, runners[id(app)]) for prefix, app in apps], origin)


def _warmed(handler: Handler, options: Options) -> Handler:
    """The handler, its warm-up requests sent (or, under SnapStart, registered to be sent)."""
    if options.warmup:
        from ._migrate.warmup import prepare

        prepare(handler, options.warmup)
    return handler


def _interface_of(app: Any, choice: str) -> str:
    if choice != "auto":
        return choice
    return "asgi" if is_coroutine_function(app) else "wsgi"


def is_coroutine_function(app: Any) -> bool:
    """Whether ``app`` (or its ``__call__``) is an ``async def``: the mark of an ASGI 3 app."""
    candidates: tuple[Any, ...] = (app, vars(type(app)).get("__call__") or type(app).__call__)
    for candidate in candidates:
        while hasattr(candidate, "func") and hasattr(candidate, "args"):  # functools.partial
            candidate = candidate.func
        function = getattr(candidate, "__func__", candidate)
        code = getattr(function, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:
            return True
        # asgiref.sync.markcoroutinefunction and inspect.markcoroutinefunction
        if getattr(function, "_is_coroutine", None) or getattr(function, "_is_coroutine_marker", None):
            return True
    return False


def _websocket_handler(app: Any, options: Options, run: Runner) -> Handler:
    """The handler of WebSocket events, its module imported on the first one. An ASGI app's
    events share its runner's container (loop and lifespan): ``run.container``."""
    made: list[Handler] = []

    def handler(event: Any, context: Any) -> Result:
        if not made:
            container = getattr(run, "container", None)
            if container is not None:
                from ._run.ws_asgi import make_handler as make_asgi_handler

                made.append(make_asgi_handler(app, container, options))
            else:
                from ._run.ws_wsgi import make_handler as make_wsgi_handler

                made.append(make_wsgi_handler(run, options))
        return made[0](event, context)

    return handler


def _no_websocket(event: Any, context: Any) -> Result:
    raise UnsupportedEvent("API Gateway WebSocket events need adapt() of one app, not of mounted apps")


def _make_handler(run: Runner, options: Options, make_router: Callable[[], Router], on_websocket: Handler) -> Handler:
    router: Router | None = None
    if options.compress:  # imported only when asked for; before the size limit, as it compresses the app's answer
        from ._run.compression import compressing

        run = compressing(run, options.text_mime_types)

    def handler(event: Any, context: Any) -> Result:
        nonlocal router
        try:
            source = detect(event)
        except UnsupportedEvent:
            router = router or make_router()
            return router(event, "", context)  # type: ignore[no-any-return]  # a warm ping by predicate, or raises
        module = SOURCES.get(source) or load(source)
        if module is None:
            if source == "websocket":
                return on_websocket(event, context)
            if source in NON_HTTP:
                router = router or make_router()
                return router(event, source, context)  # type: ignore[no-any-return]
            raise UnsupportedEvent(f"{NAMES[source]} events are recognised but not handled yet")
        try:
            environ, body = module.to_request(event, options)
        except UnsupportedEvent:
            raise
        except Exception as exc:  # a BadRequest is a 400; anything else, the adapter's bug: a 500
            response = answer_for_malformed(exc, context)
        else:
            environ.pop("HTTP_X_LAMBDA_EVENT_SOURCE", None)  # set only for non-HTTP events: never forged
            response = run(environ, body, event, context)
            if environ["REQUEST_METHOD"] == "HEAD" or response.status in _NO_BODY or response.status < 200:
                response.body = b""
        result = module.from_response(response, event, options)
        size, limit = _size_and_limit(result, source, event)
        if size > limit:
            logger().error(
                "response too large (request %s): %d bytes once encoded, over the %d-byte limit of %s",
                request_id(context), size, limit, NAMES[source],
            )  # fmt: skip
            return module.from_response(too_large(size, limit), event, options)
        if source in _SINGLE_VALUE and "headers" in result:  # one value per header name
            _warn_dropped_headers(response, result, source, context)
        return result

    return handler


def _size_and_limit(result: Result, source: str, event: Any) -> tuple[int, int]:
    """The size of the result as Lambda serialises it, and the source's limit for it."""
    if source == "edge":  # CloudFront's limits are for the generated response's headers and body
        kind = (event["Records"][0]["cf"].get("config") or {}).get("eventType") or "origin-request"
        limits: dict[str, int] = SOURCES["edge"].LIMITS  # type: ignore[attr-defined]
        limit = limits.get(kind, limits["origin-request"])
    else:
        limit = _LIMITS.get(source, _LIMIT)
    size = len(result["body"])
    # JSON escapes at most 6 bytes per character: only a body that could be over is serialised
    if size * 6 + 65536 > limit:
        import json

        if result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64":  # nothing to escape
            size += len(json.dumps({**result, "body": ""}))
        else:
            size = len(json.dumps(result))
    return size, limit


def _warn_dropped_headers(response: Response, result: Result, source: str, context: Any) -> None:
    """Log the header values a single-value answer could not carry: a repeated header goes out under
    case variants of its name, one value each; only values beyond those variants are lost."""
    dropped = len(response.headers) - len(result["headers"])
    if dropped > 0:
        logger().warning(
            "%s without multi-value headers: %d header value(s) dropped, more repeats of a header than case "
            "variants of its name (request %s). Turn on multi-value headers (ALB target group) to keep them all.",
            NAMES[source], dropped, request_id(context),
        )  # fmt: skip
