"""API Gateway WebSocket events: the connect-time request, what each event carries, the results.

AWS: docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integrations.html
and apigateway-how-to-call-websocket-api-connections.html (the Management API).

Invariants:
- Pure (see ``lambda_adapter._events``): no I/O, no ``os.environ``, no logging, no asyncio.
- A WebSocket URL has no path beyond the stage, so the request's path is the one the runner
  chose (``websocket_path``, or the app's one WebSocket route, or ``/``); the root is the stage
  on execute-api hosts, else ``base_path``.
- The request is the CGI environ of the client's connect (``GET``): only strings, so a
  connection store can keep it as JSON. The marker headers (``X-WebSocket-*``) are set by the
  adapter alone: every header of that family a client sent is dropped first.
- The field rules of ``cgi`` (issue 15): an absent or null part is its default, a part of the wrong
  type a ``BadRequest`` naming it (the runners answer 400), an event without ``eventType`` or
  ``connectionId`` (what identifies the format) an ``UnsupportedEvent``. Anything else escaping is the
  adapter's bug, never the client's 400.
"""

from __future__ import annotations

from .._model import BadRequest
from .cgi import (
    body_at,
    environ_from_event_headers,
    missing,
    object_at,
    query_params,
    set_path,
    set_request,
    set_server,
    str_at,
    wrong_type,
)
from .encoding import decode_body, query_from_decoded, stage_prefix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, Response, Result

CONNECT, MESSAGE, DISCONNECT = "CONNECT", "MESSAGE", "DISCONNECT"
NO_STATUS = 1005  # RFC 6455: the close frame had no code; what API Gateway reports then
# The close code of the websocket.disconnect an app gets when only the invocation ended, not the
# connection: 3000-3999 is the IANA range for libraries and frameworks; 3599 is unregistered.
INVOCATION_ENDED = 3599
INVOCATION_ENDED_REASON = "the Lambda invocation ended; the client is still connected"
MARKER_PREFIX = "HTTP_X_WEBSOCKET_"  # every client header named X-WebSocket-* is dropped
MARKERS = {
    "event_type": "HTTP_X_WEBSOCKET_EVENT",
    "route_key": "HTTP_X_WEBSOCKET_ROUTE_KEY",
    "connection_id": "HTTP_X_WEBSOCKET_CONNECTION_ID",
    "close_code": "HTTP_X_WEBSOCKET_CLOSE_CODE",
}
_BODY_HEADERS = frozenset(("content-type", "content-length", "transfer-encoding", "connection"))
_METHODS = {CONNECT: "GET", MESSAGE: "POST", DISCONNECT: "DELETE"}


class Frame:
    """What one WebSocket event says: its kind, route, connection, message or close code."""

    __slots__ = ("close_code", "close_reason", "connection_id", "endpoint", "event_type", "message", "route_key")

    def __init__(self, event: Event) -> None:
        context = object_at(event, "requestContext", "requestContext")
        kind = _required_str(context, "eventType")
        if kind not in _METHODS:
            raise BadRequest(f"unknown WebSocket eventType {kind!r}")  # one of three names AWS defines
        self.event_type: str = kind
        self.connection_id: str = _required_str(context, "connectionId")
        self.route_key: str = str_at(context, "routeKey", "requestContext.routeKey") or ""
        self.endpoint = endpoint_of(context)
        self.message: str | bytes = _message_of(event) if kind == MESSAGE else ""
        self.close_code = _close_code(context.get("disconnectStatusCode"))
        self.close_reason = str_at(context, "disconnectReason", "requestContext.disconnectReason") or ""

    def info(self, endpoint: str) -> dict[str, Any]:
        """The ``aws.websocket`` entry of the scope / environ: this event and where to send."""
        return {
            "event_type": self.event_type,
            "route_key": self.route_key,
            "connection_id": self.connection_id,
            "endpoint": endpoint,
        }


def endpoint_of(context: Any) -> str:
    """The Management API endpoint the event's domain and stage give: ``https://{domain}/{stage}``."""
    domain, stage = context.get("domainName"), context.get("stage")
    if not domain or not isinstance(domain, str):
        return ""
    return f"https://{domain}/{stage}" if stage and stage != "$default" else f"https://{domain}"


def _required_str(context: dict[str, Any], key: str) -> str:
    """``requestContext[key]``: what identifies a WebSocket event, so absent is no such event."""
    value = context.get(key)
    if value is None:
        raise missing("websocket", f"requestContext.{key}")
    if type(value) is not str:
        raise wrong_type(f"requestContext.{key}", value, "a string")
    if not value:
        raise BadRequest(f"the event's requestContext.{key} is empty")
    return value


def _close_code(value: object) -> int:
    """The close code of a disconnect: AWS sends a number; absent or null is "no code" (1005)."""
    if value is None:
        return NO_STATUS
    if type(value) is int:
        return value or NO_STATUS
    if type(value) is str and value.isascii() and value.isdigit():  # hand-made events write numbers as strings
        return int(value) or NO_STATUS
    raise wrong_type("requestContext.disconnectStatusCode", value, "an integer")


def _message_of(event: Event) -> str | bytes:
    """The client's message: bytes when the event is base64, else text. API Gateway closes a client
    that sends a binary frame (1003): base64 comes from a CONVERT_TO_BINARY route integration."""
    body, is_base64 = body_at(event, "body", "isBase64Encoded")
    if is_base64:
        return decode_body(body, True)
    return body or ""


def to_request(event: Event, options: Options, path: str | None = None) -> Environ:
    """The client's connect request to ``path`` (default: ``websocket_path``, else ``/``) as CGI
    variables (no body); from any event, as far as it tells."""
    context = object_at(event, "requestContext", "requestContext")
    environ = environ_from_event_headers(event)
    for key in [key for key in environ if key.startswith(MARKER_PREFIX)]:
        del environ[key]  # only the adapter sets these: a client must not pose as an event
    environ.pop("HTTP_X_LAMBDA_EVENT_SOURCE", None)  # the non-HTTP events' marker: never a client's
    domain = str_at(context, "domainName", "requestContext.domainName") or ""
    set_server(environ, domain, "https")
    params = query_params(event, "multiValueQueryStringParameters", "queryStringParameters")
    # the client's URL is the stage (execute-api hosts) or the custom domain's mapping, no more
    stage = str_at(context, "stage", "requestContext.stage")
    root = stage_prefix(stage, domain or environ["SERVER_NAME"], options.stage_in_url)
    path = path or options.websocket_path or "/"
    set_path(environ, root or options.base_path, path, query_from_decoded(params) if params else "")
    identity = object_at(context, "identity", "requestContext.identity")
    authorizer = object_at(context, "authorizer", "requestContext.authorizer")
    set_request(environ, "GET", identity.get("sourceIp"), authorizer.get("principalId"), b"")
    return environ


def to_wsgi_request(request: Environ, frame: Frame) -> tuple[Environ, bytes]:
    """The HTTP request a WSGI app gets for ``frame``: the connect request, marked, with the message."""
    environ = request.copy()
    environ.pop("CONTENT_TYPE", None)
    environ.pop("CONTENT_LENGTH", None)
    environ["REQUEST_METHOD"] = _METHODS[frame.event_type]
    environ[MARKERS["event_type"]] = frame.event_type
    environ[MARKERS["route_key"]] = frame.route_key
    environ[MARKERS["connection_id"]] = frame.connection_id
    if frame.event_type == DISCONNECT:
        environ[MARKERS["close_code"]] = str(frame.close_code)
    message = frame.message
    body = message.encode("utf-8", "surrogateescape") if isinstance(message, str) else message
    if frame.event_type == MESSAGE:
        text = isinstance(message, str)
        environ["CONTENT_TYPE"] = "text/plain; charset=utf-8" if text else "application/octet-stream"
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ, body


def from_response(response: Response, frame: Frame) -> Result:
    """The result for API Gateway: a connect is accepted by a 2xx; a body goes back only on a
    two-way route (one with a route response), and never for a connect or disconnect."""
    result: Result = {"statusCode": response.status}
    if frame.event_type == CONNECT:
        headers: dict[str, str] = {}
        for name, value in response.headers:
            if name.lower() not in _BODY_HEADERS:  # the handshake answer has no body
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if headers and 200 <= response.status < 300:
            result["headers"] = headers
    elif frame.event_type == MESSAGE and response.body:
        try:
            result["body"] = response.body.decode("utf-8")
        except UnicodeDecodeError:
            result["body"] = _b64(response.body)
            result["isBase64Encoded"] = True
    return result


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")
