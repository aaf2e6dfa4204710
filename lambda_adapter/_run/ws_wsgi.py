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

from .._events.websocket import CONNECT, MALFORMED, Frame, from_response, to_wsgi_request
from ..websocket._management import resolve_endpoint
from ..websocket._stores import MemoryStore, request_for, settle
from .faults import bad_request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .._model import Environ, Event, LambdaContext, Options, Response, Result

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]
    Handler = Callable[[Event, LambdaContext], Result]


def make_handler(run: Runner, options: Options) -> Handler:
    """The handler of WebSocket events: request from the store, the app through ``run``, the result."""
    store = options.connection_store or MemoryStore()
    path = options.websocket_path or "/"

    def handler(event: Event, context: LambdaContext) -> Result:
        try:
            frame = Frame(event)
            request = request_for(frame, event, store, options, path)
        except MALFORMED as exc:
            return {"statusCode": bad_request(exc, context).status}
        environ, body = to_wsgi_request(request, frame)
        environ["aws.websocket"] = frame.info(resolve_endpoint(frame.endpoint, options.websocket_endpoint))
        response = run(environ, body, event, context)
        settle(frame, store, request, frame.event_type == CONNECT and 200 <= response.status < 300)
        return from_response(response, frame)

    return handler
