"""``adapt()`` and the ``Handler`` it returns: one pipeline for every event and both transports.

The pipeline (``Handler.invoke``), written once: detect the source -> route (non-HTTP sources and
warm pings to ``_migrate.route``, WebSocket events to their handler) -> translate (the source's
``to_request``; ``X-Lambda-Event-Source`` removed, so no client forges it) -> run (the runner sends
the app's answer through a sink; with ``compress=True``, through ``_run.compression`` first) -> clean
up (``_run.Answer``: no body for HEAD, 1xx, 204, 304; ``exclude_headers`` removed) -> check
limits (``_run.to_result``: translated back, the source's size limit). The sink is the only
difference between the transports:

- ``handler(event, context)``: buffered; the result is returned.
- ``handler.stream(event, context, write)``: a Function URL's or REST API's HTTP answer is written
  as it comes (the prelude, then the body) and None returned; any other event's result is
  returned. Absent (``AttributeError``) with ``streaming="off"`` and for mounted apps.
- ``handler.invoke(event, context, sink)``: the runtime loop's entry (``_model.Sink``): the result
  goes to ``sink.result`` (or the stream to ``sink.write`` / ``sink.end`` when ``sink.streams``)
  as soon as the answer is complete, before the app's remaining work (ASGI code after its last
  send, background tasks, WSGI ``close()``) has finished; ``invoke`` returns after it.
- ``await handler.ainvoke(event, context, sink)``: the same on the caller's running event loop, so
  many invocations can run as tasks of one loop. HTTP and WebSocket events of an ASGI app, and
  non-HTTP events routed to its app routes, run on that loop; a non-HTTP event's callable target in
  a worker thread (``_migrate.route.Router.acall``); a WSGI app synchronously.

The WSGI path never imports asyncio; modules a first event does not use are imported when needed.
"""

from __future__ import annotations

from ._events import NAMES, NON_HTTP, SOURCES, detect, load
from ._model import UnsupportedEvent
from ._options import Options
from ._run import Buffered, answer_for_malformed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from typing_extensions import Unpack

    from ._migrate.route import Router
    from ._typing import AdaptOptions, Event, LambdaContext, ResponseSink, Result, Sink

    Write = Callable[[bytes], None]

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect
_CO_VARARGS = 0x04
_WEBSOCKET = "websocket"


def adapt(app: Any, **options: Unpack[AdaptOptions]) -> Handler:
    """Wrap a WSGI or ASGI app into a Lambda handler ``handler(event, context)``.

    app: the app, or a mapping of path prefixes to apps (WSGI and ASGI mixed), such as
        ``{"/api/v2": fastapi_app, "/": django_app}``: the longest whole-segment prefix wins and
        becomes the app's ``SCRIPT_NAME`` / ``root_path``.
    options: keyword-only, each checked here (a ``TypeError`` or ``ValueError`` naming it, an option
        that cannot apply to this app included); their defaults and checks are ``_options.Options``,
        their meaning docs/options.md: interface, base_path, lifespan, text_mime_types,
        exclude_headers, stage_in_url, eager_startup, deadline_margin, streaming, events,
        answer_warm_pings, fallback, fallback_timeout, connection_store, websocket_endpoint,
        websocket_path, init_requests, compress.
    """
    checked = Options.from_keywords(dict(options))
    _refuse_class(app)
    return Handler(app, checked)


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


class Handler:
    """The Lambda handler ``adapt()`` returns; see the module docstring for its four entries."""

    __slots__ = ("_http", "_router", "_scoped", "_stream_allowed", "_websocket", "_ws_app", "options", "runner",
                 "streaming")  # fmt: skip

    def __init__(self, app: Any, options: Options) -> None:
        self.options = options
        self._router: Router | None = None
        self._websocket: Any = None  # the handler of WebSocket events, made on the first one
        self._ws_app: Any = None
        if hasattr(app, "items") and not callable(app):
            self.runner = _mounted(app, options)
            self._stream_allowed = False
        elif not callable(app):
            raise TypeError(f"adapt() needs a WSGI or ASGI app or a mapping of prefixes to apps, got {type(app)}")
        else:
            interface = interface_of(app, options.interface)
            options.refuse_inapplicable(asgi=interface == "asgi", wsgi=interface == "wsgi", mounted=False)
            self.runner = _runner_for(app, interface, options)
            self._ws_app = app
            self._stream_allowed = options.streaming != "off"
        self.streaming = options.streaming  # "on": the runtime loop streams without being told
        self._http = self.runner  # what runs HTTP events: the runner, or it behind compression (made once)
        self._scoped: Any = None  # source -> the reader of its scope, for an ASGI app run as it is
        if self._ws_app is not None and self.runner.interface == "asgi" and not options.compress:
            from ._events.scope import PLAIN_READERS

            self._scoped = PLAIN_READERS
        if options.compress:
            from ._run.compression import CompressingRunner

            self._http = CompressingRunner(self.runner, options.text_mime_types)
        if options.events is not None or options.answer_warm_pings is not True:
            self._router = _router(options, self.runner)  # checked now; else made on a first non-HTTP event
        if options.init_requests:
            from ._migrate.warmup import prepare

            prepare(self, options.init_requests)

    def __call__(self, event: Any, context: Any) -> Result:
        """The buffered handler: the result for this event.

        ``invoke`` written out for its common case, an HTTP event of a loaded source: the same steps
        with fewer calls per event; anything else goes through ``invoke``."""
        try:
            source = detect(event)
        except UnsupportedEvent:  # a warm ping by predicate, or raised again
            routed: Result = self._router_made()(event, "", context)
            return routed
        module: Any = SOURCES.get(source)
        if module is None:  # not loaded yet, or no HTTP source: the whole pipeline
            sink = _Returned()
            self.invoke(event, context, sink)
            routed = sink.value
            return routed
        options = self.options
        if self._scoped is not None:  # an ASGI app: the scope read straight from a plain event, if it is one
            read = self._scoped.get(source)
            made = read(event, options, context) if read is not None else None
            if made is not None:
                scope, body = made
                answer = Buffered(scope["method"] == "HEAD", options, module, source, event, context, None)
                self.runner.run_scope(scope, body, context, answer)
                return answer.value  # type: ignore[return-value]  # set by the answer's end
        try:
            environ, body = module.to_request(event, options)
        except UnsupportedEvent:
            raise
        except Exception as exc:  # a BadRequest is a 400; anything else, the adapter's bug: a 500
            answer = Buffered(False, options, module, source, event, context, None)
            answer.whole(answer_for_malformed(exc, context))
        else:
            if "HTTP_X_LAMBDA_EVENT_SOURCE" in environ:  # set only for non-HTTP events: never forged
                del environ["HTTP_X_LAMBDA_EVENT_SOURCE"]
            # no sink: the answer keeps the result in its value
            answer = Buffered(environ["REQUEST_METHOD"] == "HEAD", options, module, source, event, context, None)
            self._http.run(environ, body, event, context, answer)
        result: Result = answer.value  # type: ignore[assignment]  # set by the answer's end
        return result

    @property
    def stream(self) -> Callable[[Any, Any, Write], Result | None]:
        """``stream(event, context, write)``: a Function URL's or REST API's answer written through
        ``write`` (None returned), any other event's result returned. Absent with ``streaming="off"``,
        mounted apps."""
        if not self._stream_allowed:
            raise AttributeError("this handler does not stream (streaming='off', or mounted apps)")
        return self._stream

    def _stream(self, event: Any, context: Any, write: Write) -> Result | None:
        sink = _Returned()
        sink.streams = True
        sink.write = write  # type: ignore[method-assign,assignment]
        self.invoke(event, context, sink)
        result: Result | None = sink.value
        return result

    def invoke(self, event: Any, context: Any, sink: Sink) -> None:
        """Answer ``event`` through ``sink``; see the module docstring."""
        call = self._prepare(event, context, sink)
        if call == _WEBSOCKET:
            sink.result(self._websocket_handler()(event, context))
        elif type(call) is str:  # a source to route ("" for an event none claims: a warm ping by predicate?)
            sink.result(self._router_made()(event, call, context))
        elif call is not None:
            runner, environ, body, answer = call
            runner.run(environ, body, event, context, answer)

    async def ainvoke(self, event: Any, context: Any, sink: Sink) -> None:
        """``invoke`` on the caller's running event loop: nothing it runs blocks the loop."""
        call = self._prepare(event, context, sink)
        if call == _WEBSOCKET:
            handler = self._websocket_handler()
            acall = getattr(handler, "acall", None)
            sink.result(await acall(event, context) if acall is not None else handler(event, context))
        elif type(call) is str:
            sink.result(await self._router_made().acall(event, call, context))
        elif call is not None:
            runner, environ, body, answer = call
            await runner.arun(environ, body, event, context, answer)

    def _prepare(self, event: Any, context: Any, sink: Sink) -> Any:
        """Detect and translate: None when answered already, ``_WEBSOCKET``, the source to route (a
        str: "" for an event no source claims), or what to run."""
        try:
            source = detect(event)
        except UnsupportedEvent:  # a warm ping by predicate, or raised again by the router
            return ""
        module = SOURCES.get(source) or load(source)
        if module is None:
            if source == "websocket":
                return _WEBSOCKET
            if source in NON_HTTP:
                return source
            raise UnsupportedEvent(f"{NAMES[source]} events are recognised but not handled yet")
        try:
            environ, body = module.to_request(event, self.options)
        except UnsupportedEvent:
            raise
        except Exception as exc:  # a BadRequest is a 400; anything else, the adapter's bug: a 500
            self._answer_for(event, context, sink, source, module, False).whole(answer_for_malformed(exc, context))
            return None
        environ.pop("HTTP_X_LAMBDA_EVENT_SOURCE", None)  # set only for non-HTTP events: never forged
        head = environ["REQUEST_METHOD"] == "HEAD"
        return self._http, environ, body, self._answer_for(event, context, sink, source, module, head)

    def _answer_for(self, event: Event, context: Any, sink: Sink, source: str, module: Any,
                    head: bool) -> ResponseSink:  # fmt: skip
        """The sink the runner sends through: streamed for a Function URL or a REST API when ``sink.streams``."""
        if sink.streams and source in ("v1", "v2") and self._stream_allowed:
            from ._run.streaming import Streamed, streamable

            if streamable(source, event):
                return Streamed(head, self.options.exclude_headers, sink, module.to_prelude)
        return Buffered(head, self.options, module, source, event, context, sink)

    def _router_made(self) -> Router:
        """The router of non-HTTP events and warm pings, made (its module imported) on the first one."""
        if self._router is None:
            self._router = _router(self.options, self.runner)
        return self._router

    def _websocket_handler(self) -> Callable[[Event, LambdaContext], Result]:
        """The handler of WebSocket events, made (its module imported) on the first one; an ASGI app's
        share its runner's container (loop and lifespan)."""
        if self._websocket is None:
            app = self._ws_app
            if app is None:
                raise UnsupportedEvent("API Gateway WebSocket events need adapt() of one app, not of mounted apps")
            from ._run.ws_wsgi import path_of

            if self.runner.interface == "asgi":
                from ._run.ws_asgi import ASGIWebSocket

                self._websocket = ASGIWebSocket(self.runner, self.options, path_of(app, self.options))
            else:
                from ._run.ws_wsgi import make_handler

                self._websocket = make_handler(self.runner, self.options, path_of(app, self.options))
        return self._websocket  # type: ignore[no-any-return]


class _Returned:
    """The sink of ``handler(event, context)`` and ``handler.stream``: the result kept to return.
    Made without an ``__init__`` call (the class holds the defaults); ``handler.stream`` sets
    ``streams`` and ``write`` on its own (one class fewer on the cold path)."""

    streams = False
    value: Any = None

    def result(self, result: Any) -> None:
        self.value = result

    def write(self, data: bytes) -> None:
        raise RuntimeError("handler(event, context) does not stream")

    def end(self) -> None:
        pass


def _router(options: Options, runner: Any) -> Router:
    from ._migrate.route import checked_events, make_router

    return make_router(checked_events(options.events), options.answer_warm_pings, runner)


def _runner_for(app: Any, interface: str, options: Options) -> Any:
    if interface == "asgi":
        from ._run.asgi import ASGIRunner

        return ASGIRunner(app, options)
    from ._run.wsgi import WSGIRunner

    return WSGIRunner(app, options)


def _mounted(mounts: Any, options: Options) -> Any:
    from ._migrate.mount import MountRunner, checked_prefixes, resolve

    apps = checked_prefixes(mounts)
    interfaces = {id(app): interface_of(app, options.interface) for _, app in apps}
    asgi = "asgi" in interfaces.values()
    options.refuse_inapplicable(asgi=asgi, wsgi="wsgi" in interfaces.values(), mounted=True)
    prefixes = [prefix for prefix, _ in apps]
    fallback = options.fallback
    if fallback is not None and prefixes[-1] == "":
        raise ValueError("adapt(): the fallback origin would never be used: an app is mounted at '/'")
    for route in (options.events or {}).values():
        if isinstance(route, str) and fallback is None and resolve(prefixes, route) is None:
            raise ValueError(f"adapt(): the events route {route!r} is under no mounted app")
    for method, target in options.init_requests:  # an init request warms an app: never a fallback, never a 404
        if resolve(prefixes, target.partition("?")[0]) is None:
            raise ValueError(f"adapt(): the init request {method} {target} is under no mounted app")
    origin = None
    if fallback is not None:
        from ._migrate.fallback import make_runner as make_origin

        origin = make_origin(fallback, options.fallback_timeout, options.deadline_margin)
    runners: dict[int, Any] = {}  # an app mounted twice is one app: one runner, one lifespan
    for _, app in apps:
        if id(app) not in runners:
            runners[id(app)] = _runner_for(app, interfaces[id(app)], options)
    return MountRunner([(prefix, runners[id(app)]) for prefix, app in apps], origin)


def interface_of(app: Any, choice: str) -> str:
    """ "wsgi" or "asgi": the choice, else what ``app`` is (``is_coroutine_function``, ``takes_three``)."""
    if choice != "auto":
        return choice
    return "asgi" if is_coroutine_function(app) or takes_three(app) else "wsgi"


def takes_three(app: Any) -> bool:
    """Whether ``app`` (or its ``__call__``) takes exactly three positional arguments, as an ASGI app
    (scope, receive, send) does and a WSGI app (environ, start_response) never: a plain function
    that returns the coroutine of an ASGI app it wraps, a common middleware shape."""
    function = app if hasattr(app, "__code__") else vars(type(app)).get("__call__") or type(app).__call__
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    if code is None or code.co_flags & _CO_VARARGS:
        return False
    bound = function is not app and not isinstance(vars(type(app)).get("__call__"), staticmethod)
    defaults = len(getattr(function, "__defaults__", None) or ())
    return bool(code.co_argcount - bound - defaults == 3)


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
