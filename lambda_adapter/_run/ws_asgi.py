"""The ASGI WebSocket runner: each API Gateway WebSocket event is one short ASGI websocket session.

Per event the app runs from the start with the connect-time scope (kept in the connection
store) and gets, from ``receive``:
- CONNECT: ``websocket.connect``; ``websocket.accept`` makes it a 200 (with the subprotocol),
  ``websocket.close``, a denial response or no accept refuse it (403, or the denial's status
  unless a 2xx, which API Gateway would take for an accept).
- MESSAGE: ``websocket.connect`` (its ``websocket.accept`` is a no-op: the connection is open),
  then ``websocket.receive`` with the message (``text``, or ``bytes`` for a base64 event).
- DISCONNECT: ``websocket.connect``, then ``websocket.disconnect`` with the event's close code.
Once those are taken, ``receive`` gives ``websocket.disconnect`` with ``INVOCATION_ENDED``
(3599): this invocation is over, the client is still connected.

Invariants: the session is the state machine of ``_Session`` (CONNECTING, OPEN, CLOSED); a
message out of order is ``InvalidResponse`` raised into the app. ``websocket.send`` goes
through the Management API at once (boto3, blocking: Lambda runs one event at a time); during
CONNECT it cannot (API Gateway opens the connection only once $connect returns): logged, dropped.
The loop and lifespan are the ASGI runner's container (``runner.container``), shared with HTTP events.
"""

from __future__ import annotations

from .._events.encoding import checked_headers
from .._events.scope import to_scope
from .._events.websocket import (
    CONNECT,
    DISCONNECT,
    INVOCATION_ENDED,
    INVOCATION_ENDED_REASON,
    MESSAGE,
    Frame,
    from_response,
)
from .._model import BadRequest, DeadlineExceeded, InvalidResponse, Response
from ..websocket import _management
from ..websocket._stores import MemoryStore, request_for, settle
from . import bad_request, logger, request_id, seconds_left
from .container import GUARD, finish

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, LambdaContext, Result
    from .asgi import ASGIRunner

    Message = dict[str, Any]
    ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
    Handler = Callable[[Event, LambdaContext], Result]

CONNECTING, OPEN, CLOSED = "connecting", "open", "closed"
_FAILED = Response(500, [], b"")  # refuses a connect; API Gateway tells the client of a failed message
_ASGI = {"version": "3.0", "spec_version": "2.4"}


class ConnectionClosed(OSError):
    """Sent to a connection that is closed (ASGI: an ``OSError`` on ``send``)."""


class _Session:
    """One event's side of a WebSocket connection: ``receive`` and ``send`` for the app."""

    def __init__(self, frame: Frame, endpoint: str, off_loop: bool = False) -> None:
        self.frame = frame
        self.endpoint = endpoint
        self.off_loop = off_loop  # Management API calls in a worker thread: the loop is shared (ainvoke)
        self._calls: Any = None  # then an asyncio.Lock: one call at a time, as on the loop (a send can't pass a close)
        self.state = CONNECTING if frame.event_type == CONNECT else OPEN
        self.inbox: list[Message] = [{"type": "websocket.connect"}]
        if frame.event_type == MESSAGE:
            key = "text" if isinstance(frame.message, str) else "bytes"
            self.inbox.append({"type": "websocket.receive", key: frame.message})
        elif frame.event_type == DISCONNECT:
            self.inbox.append(self._disconnect(frame.close_code, frame.close_reason))
        self.ended = False
        self.status = 403 if frame.event_type == CONNECT else 200  # a connect not accepted is refused
        self.headers: list[tuple[str, str]] = []
        self.denial: list[bytes] | None = None

    @staticmethod
    def _disconnect(code: int, reason: str) -> Message:
        return {"type": "websocket.disconnect", "code": code, "reason": reason}

    async def receive(self) -> Message:
        if self.inbox:
            message = self.inbox.pop(0)
            self.ended = message["type"] == "websocket.disconnect"
            return message
        self.ended = True  # the app was told of a disconnect: its framework may raise for it
        if self.frame.event_type == DISCONNECT:
            return self._disconnect(self.frame.close_code, self.frame.close_reason)
        return self._disconnect(INVOCATION_ENDED, INVOCATION_ENDED_REASON)

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "websocket.accept":
            self._accept(message)
        elif kind == "websocket.send" and self.state == OPEN:
            await self._call(self._send, message)
        elif kind == "websocket.close":
            if self.state != CLOSED:
                await self._call(self._close)
        elif kind == "websocket.http.response.start" and self.state == CONNECTING and self.denial is None:
            self.status = int(message["status"])
            self.headers = _headers_of(message)
            self.denial = []
        elif kind == "websocket.http.response.body" and self.denial is not None and self.state == CONNECTING:
            self.denial.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.state = CLOSED
        elif kind == "websocket.send" and self.state == CLOSED and self.frame.event_type != CONNECT:
            raise ConnectionClosed(f"WebSocket connection {self.frame.connection_id} is closed")
        else:
            raise InvalidResponse(f"ASGI message {kind!r} is out of order: the WebSocket is {self.state!r}")

    async def _call(self, call: Callable[..., None], *args: Any) -> None:
        """``call`` (a Management API request at most), in a worker thread when the loop is shared."""
        if self.off_loop:
            import asyncio

            if self._calls is None:
                self._calls = asyncio.Lock()
            async with self._calls:  # the app's tasks may send at once: in turn, as they asked
                await asyncio.to_thread(call, *args)
        else:
            call(*args)

    def _accept(self, message: Message) -> None:
        if self.frame.event_type != CONNECT:
            return  # the connection is open since its $connect: accepting again is the app's habit
        if self.state != CONNECTING or self.denial is not None:
            raise InvalidResponse(f"websocket.accept came when the WebSocket is {self.state!r}")
        headers = _headers_of(message)
        subprotocol = message.get("subprotocol")
        if subprotocol and any(name.lower() == "sec-websocket-protocol" for name, _ in headers):
            # ASGI: the server must raise; joined, the two would be one header clients refuse
            raise InvalidResponse("websocket.accept has both a subprotocol and a Sec-WebSocket-Protocol header")
        self.state, self.status = OPEN, 200
        if subprotocol:
            self.headers.append(("Sec-WebSocket-Protocol", str(subprotocol)))
        self.headers += headers

    def _send(self, message: Message) -> None:
        text, data = message.get("text"), message.get("bytes")
        if (text is None) == (data is None):  # ASGI: exactly one of them; else the app's bug, not an empty frame
            raise InvalidResponse("websocket.send needs exactly one of 'text' and 'bytes' (not None)")
        payload = text.encode("utf-8") if text is not None else bytes(data or b"")
        if self.frame.event_type == DISCONNECT:
            raise ConnectionClosed(f"WebSocket connection {self.frame.connection_id} has disconnected")
        if self.frame.event_type == CONNECT:
            logger().warning(
                "websocket.send during $connect dropped (connection %s): API Gateway opens the connection "
                "only once $connect returns; send it on the client's first message instead",
                self.frame.connection_id,
            )
            return
        if not _management.post(self.endpoint, self.frame.connection_id, payload):
            self.state = CLOSED
            raise ConnectionClosed(f"WebSocket connection {self.frame.connection_id} is gone")

    def _close(self) -> None:
        if self.frame.event_type == CONNECT:
            self.status = 403  # closed before $connect returned: the connection is refused
        elif self.frame.event_type == MESSAGE:
            _management.delete(self.endpoint, self.frame.connection_id)
        self.state = CLOSED

    def response(self) -> Response:
        body = b"".join(self.denial or ())
        if self.denial is not None and 200 <= self.status < 300:
            # API Gateway takes a 2xx from $connect for an accept (websocket-connect-route-subprotocol.html);
            # uvicorn sends the 2xx, and the client's handshake fails without its 101: a refusal either way
            logger().warning("a WebSocket denial response of status %d refuses the connect with a 403", self.status)
            return Response(403, checked_headers(self.headers), body)
        return Response(self.status, checked_headers(self.headers), body)


def _headers_of(message: Message) -> list[tuple[str, str]]:
    """The headers of an accept or a denial: optional in ASGI (an empty list when missing)."""
    return [(bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in message.get("headers", ())]


def to_websocket_scope(request: Environ, state: dict[str, Any], event: Event, context: Any) -> dict[str, Any]:
    """The ``websocket`` scope of the connect request: the HTTP scope's fields, as uvicorn gives them."""
    scope = to_scope(request, state, event, context)
    del scope["method"]
    scope["type"] = "websocket"
    scope["asgi"] = _ASGI
    scope["scheme"] = "wss" if scope["scheme"] == "https" else "ws"
    offered = dict(scope["headers"]).get(b"sec-websocket-protocol", b"").decode("latin-1")
    scope["subprotocols"] = [name.strip() for name in offered.split(",") if name.strip()]
    scope["extensions"] = {"websocket.http.response": {}}
    return scope


class ASGIWebSocket:
    """The handler of WebSocket events: request from the store, the app's session, the result."""

    def __init__(self, runner: ASGIRunner, options: Options, path: str) -> None:
        self.runner = runner
        self.options = options
        self.store = MemoryStore() if options.connection_store is None else options.connection_store
        self.path = path

    def __call__(self, event: Event, context: LambdaContext) -> Result:
        prepared = self._prepare(event, context)
        if isinstance(prepared, dict):
            return prepared
        frame, request, scope, session = prepared
        loop = self.runner.container.enter(seconds_left(context, self.options.deadline_margin))
        error: Exception | None = None
        try:
            scope["state"] = self.runner.container.state().copy()
            loop.run(self.runner.app(scope, session.receive, session.send),
                     seconds_left(context, self.options.deadline_margin))  # fmt: skip
        except Exception as exc:
            error = exc
        finally:
            GUARD.release()
        return self._settled(frame, request, _outcome(error, session, context))

    async def acall(self, event: Event, context: LambdaContext) -> Result:
        """``__call__`` on the caller's running loop (``Handler.ainvoke``)."""
        import asyncio

        # the store's reads and writes and the Management API's requests block: in worker threads, so
        # that the other invocations on the loop go on meanwhile
        prepared = await asyncio.to_thread(self._prepare, event, context, True)
        if isinstance(prepared, dict):
            return prepared
        frame, request, scope, session = prepared
        margin = self.options.deadline_margin
        await self.runner.container.aready(seconds_left(context, margin))
        scope["state"] = self.runner.container.state().copy()
        error: Exception | None = None
        try:
            task = asyncio.ensure_future(self.runner.app(scope, session.receive, session.send))
            await finish(task, seconds_left(context, margin))
            task.result()  # the app's failure, as __call__'s loop.run raises it: finish only waits
        except Exception as exc:
            error = exc
        return await asyncio.to_thread(self._settled, frame, request, _outcome(error, session, context))

    def _prepare(self, event: Event, context: LambdaContext,
                 off_loop: bool = False) -> Result | tuple[Frame, Environ, Message, _Session]:  # fmt: skip
        try:
            frame = Frame(event)
            request = request_for(frame, event, self.store, self.options, self.path)
        except BadRequest as exc:  # a field of the wrong type: the client's 400
            return {"statusCode": bad_request(exc, context).status}
        endpoint = _management.resolve_endpoint(frame.endpoint, self.options.websocket_endpoint)
        scope = to_websocket_scope(request, {}, event, context)
        scope["aws.websocket"] = frame.info(endpoint)
        return frame, request, scope, _Session(frame, endpoint, off_loop)

    def _settled(self, frame: Frame, request: Environ, response: Response) -> Result:
        settle(frame, self.store, request, frame.event_type == CONNECT and response.status == 200)
        exclude = self.options.exclude_headers
        if exclude:
            response.headers = [(name, value) for name, value in response.headers if name.lower() not in exclude]
        return from_response(response, frame)


def _outcome(error: Exception | None, session: _Session, context: Any) -> Response:
    """The session's answer; a failure is a 500 (a refused connect, an error frame)."""
    if isinstance(error, DeadlineExceeded):
        logger().error("cancelled the ASGI app near the Lambda deadline (request %s): %s", request_id(context), error)
        return _FAILED
    # the app's own exception for the disconnect it was given (Starlette's WebSocketDisconnect) is no failure
    if error is not None and not (session.ended and _is_disconnect(error)):
        logger().error("the ASGI app failed on a WebSocket event (request %s)", request_id(context), exc_info=error)
        return _FAILED
    try:
        return session.response()
    except InvalidResponse:
        logger().exception("the ASGI app sent invalid headers (request %s)", request_id(context))
        return _FAILED


def _is_disconnect(error: BaseException) -> bool:
    """A framework's ``WebSocketDisconnect``, alone or as all that an exception group holds (a task
    group's: anyio and ``asyncio.TaskGroup`` wrap what a reader task raised)."""
    group = getattr(error, "exceptions", None) if type(error).__name__.endswith("ExceptionGroup") else None
    if isinstance(group, tuple) and group:
        return all(_is_disconnect(inner) for inner in group)
    return type(error).__name__ == "WebSocketDisconnect"
