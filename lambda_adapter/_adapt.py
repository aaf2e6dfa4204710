"""``adapt()``: choose the runner once, then per event detect, translate, run, translate back."""

from __future__ import annotations

from ._detect import NAMES, detect
from ._errors import BadRequest, UnsupportedEvent
from ._events import SOURCES, load
from ._faults import bad_request, logger, request_id, too_large
from ._model import Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from ._model import Environ, Event, LambdaContext, Response, Result

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]
    Handler = Callable[[Any, Any], Result]

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
_NO_BODY = frozenset((204, 304))
_LIMITS = {"alb": 1_000_000}  # ALB caps a Lambda answer at 1 MB
_LIMIT = 6_291_556  # a synchronous Lambda answer, as Lambda's own error states it
_MALFORMED = (BadRequest, KeyError, TypeError, AttributeError, ValueError, IndexError)


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
    warmup: Iterable[str] = (),
) -> Handler:
    """Wrap a WSGI or ASGI app into a Lambda handler ``handler(event, context)``.

    interface: "auto" (detect), "wsgi" or "asgi".
    base_path: a custom-domain mapping prefix such as "/api", moved from the path to the root.
    lifespan: ASGI lifespan, "auto" (tolerate apps without it), "on" (must succeed) or "off".
    text_mime_types: more response media types sent as text rather than base64.
    stage_in_url: whether the client's URL holds the API Gateway stage; None decides by host
        (execute-api hosts hold it; custom domains and SAM CLI do not; serverless-offline does).
    eager_startup: run ASGI lifespan startup now, in the Lambda init phase.
    deadline_margin: seconds before the Lambda deadline at which an ASGI app still running is
        cancelled (answered with a 504) and a WSGI app still running is reported in the log.
    warmup: requests sent through the handler once, in the init phase (or, with SnapStart's
        snapshot-restore-py, before the snapshot), such as ["/", "GET /health"]: the first
        request's lazy work is done before a user's first request; ASGI lifespan starts with it.
    """
    options = Options(
        interface=interface,
        base_path=base_path,
        lifespan=lifespan,
        text_mime_types=text_mime_types,
        stage_in_url=stage_in_url,
        eager_startup=eager_startup,
        deadline_margin=deadline_margin,
        warmup=warmup,
    )
    if not callable(app):
        raise TypeError(f"adapt() needs a WSGI or ASGI app, got {type(app).__name__}")
    if _interface_of(app, options.interface) == "asgi":
        from ._asgi import make_runner as make_asgi_runner

        return _warmed(_make_handler(make_asgi_runner(app, options), options), options)
    from ._wsgi import make_runner as make_wsgi_runner

    return _warmed(_make_handler(make_wsgi_runner(app, options.deadline_margin), options), options)


def _warmed(handler: Handler, options: Options) -> Handler:
    """The handler, its warm-up requests sent (or, under SnapStart, registered to be sent)."""
    if options.warmup:
        from ._warmup import prepare

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


def _make_handler(run: Runner, options: Options) -> Handler:
    def handler(event: Any, context: Any) -> Result:
        source = detect(event)
        module = SOURCES.get(source) or load(source)
        if module is None:
            raise UnsupportedEvent(f"{NAMES[source]} events are recognised but not handled yet")
        try:
            environ, body = module.to_request(event, options)
        except UnsupportedEvent:
            raise
        except _MALFORMED as exc:
            response = bad_request(exc, context)
        else:
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
        if "statusDescription" in result and "headers" in result:  # one value per header name
            _warn_dropped_cookies(response, source, context)
        return result

    return handler


def _size_and_limit(result: Result, source: str, event: Any) -> tuple[int, int]:
    """The size of the result as Lambda serialises it, and the source's limit for it."""
    if source == "edge":  # CloudFront's limits are for the generated response's headers and body
        kind = event["Records"][0]["cf"].get("config", {}).get("eventType", "origin-request")
        limits: dict[str, int] = SOURCES["edge"].LIMITS  # type: ignore[attr-defined]
        limit = limits.get(kind, limits["origin-request"])
    else:
        limit = _LIMITS.get(source, _LIMIT)
    size = len(result["body"])
    # JSON escapes at most 6 bytes per character: only a body that could be over is serialised
    if size * 6 + 65536 > limit:
        import json

        size = len(json.dumps(result))
    return size, limit


def _warn_dropped_cookies(response: Response, source: str, context: Any) -> None:
    cookies = sum(1 for name, _ in response.headers if name.lower() == "set-cookie")
    if cookies > 1:
        logger().warning(
            "%s without multi-value headers carries one Set-Cookie; %d of %d dropped (request %s). "
            "Turn on multi-value headers (ALB target group) to keep them all.",
            NAMES[source], cookies - 1, cookies, request_id(context),
        )  # fmt: skip
