"""WebSocket events for WSGI apps: WSGI has no WebSocket, so each event is a plain HTTP request.

Each event reaches the app as a request to the connect-time path, with the connect-time headers
and query (kept in the connection store): CONNECT as ``GET``, MESSAGE as ``POST`` with the
message as the body (``text/plain; charset=utf-8``, or ``application/octet-stream`` for a
binary frame), DISCONNECT as ``DELETE``. Headers mark it: ``X-WebSocket-Event``,
``X-WebSocket-Route-Key``, ``X-WebSocket-Connection-Id`` and, on DISCONNECT,
``X-WebSocket-Close-Code``; any the client sent are dropped. A 2xx accepts a connect.

Invariants: never imports asyncio; the app runs through the same WSGI runner as HTTP events.
"""

from __future__ import annotations

from .._events.websocket import CONNECT, Frame, from_response, to_wsgi_request
from .._model import BadRequest
from ..websocket._management import resolve_endpoint
from ..websocket._stores import MemoryStore, request_for, settle
from . import bad_request, logger
from .held import response_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._options import Options
    from .._typing import Event, LambdaContext, Result
    from .wsgi import WSGIRunner

    Handler = Callable[[Event, LambdaContext], Result]


def make_handler(runner: WSGIRunner, options: Options, path: str) -> Handler:
    """The handler of WebSocket events: request from the store, the app through ``runner``, the result."""
    store = MemoryStore() if options.connection_store is None else options.connection_store

    def handler(event: Event, context: LambdaContext) -> Result:
        try:
            frame = Frame(event)
            request = request_for(frame, event, store, options, path)
        except BadRequest as exc:  # a field of the wrong type: the client's 400
            return {"statusCode": bad_request(exc, context).status}
        environ, body = to_wsgi_request(request, frame)
        environ["aws.websocket"] = frame.info(resolve_endpoint(frame.endpoint, options.websocket_endpoint))
        response = response_of(runner, environ, body, event, context, options.exclude_headers)
        settle(frame, store, request, frame.event_type == CONNECT and 200 <= response.status < 300)
        return from_response(response, frame)

    return handler


def path_of(app: Any, options: Options) -> str:
    """The path WebSocket events reach the app at, for both handlers: ``websocket_path``, else the
    app's one WebSocket route, else ``/``."""
    return options.websocket_path or websocket_route_of(app) or "/"


def websocket_route_of(app: Any) -> str | None:
    """The path of the app's WebSocket route when it has exactly one, without path parameters
    (Starlette and FastAPI list theirs in ``app.routes``); else None, with a warning if several."""
    routes = getattr(app, "routes", None)
    if not isinstance(routes, list):
        return None
    paths = [
        str(getattr(route, "path", ""))
        for route in routes
        if any(kind.__name__ == "WebSocketRoute" for kind in type(route).__mro__)
    ]
    if len(paths) == 1 and paths[0].startswith("/") and "{" not in paths[0]:
        return paths[0]
    if len(paths) > 1:
        logger().warning("the app has %d WebSocket routes; WebSocket events reach '/': pass websocket_path", len(paths))
    return None
