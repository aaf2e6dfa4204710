"""The neutral request and response forms every translator and runner share.

The request is a CGI environ (``Environ``), the form PEP 3333, gunicorn and Werkzeug's server
build, with the request body beside it. Every translator fills:
- ``REQUEST_METHOD``, ``SCRIPT_NAME`` and ``PATH_INFO`` (percent-decoded bytes as latin-1),
  ``QUERY_STRING`` (encoded, ASCII), ``RAW_URI`` (the request target as sent, as gunicorn has it),
  ``SERVER_NAME``, ``SERVER_PORT`` (a str), ``wsgi.url_scheme``;
- one ``HTTP_*`` (or ``CONTENT_TYPE`` / ``CONTENT_LENGTH``) per header, in the event's order,
  repeated values joined, values as latin-1 native strings;
- ``REMOTE_ADDR`` and ``REMOTE_USER`` when the event knows them.
The WSGI runner adds the ``wsgi.*`` keys; the ASGI runner derives its scope from these keys.

The response is a ``Response``: headers as latin-1 ``str`` pairs in the order the app sent them.

Beside them: the protocols the layers above implement (sinks, the connection store, the context),
the limits every part shares, and the deadline arithmetic every runner needs. ``Options`` (what
``adapt()`` was told) lives in ``_options``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, Protocol

    Environ = dict[str, Any]
    Event = dict[str, Any]
    Result = dict[str, Any]

    class ConnectionStore(Protocol):
        """What the WebSocket runners need of a connection store (``lambda_adapter.websocket``'s stores)."""

        def save(self, connection_id: str, request: Mapping[str, str]) -> None: ...

        def load(self, connection_id: str) -> dict[str, str] | None: ...

        def delete(self, connection_id: str) -> None: ...

        def connections(self) -> Iterator[str]: ...

    class LambdaContext(Protocol):
        """The Lambda context object, as far as the adapter reads it."""

        aws_request_id: str

        def get_remaining_time_in_millis(self) -> int: ...

    class ResponseSink(Protocol):
        """Where a runner sends the app's HTTP answer (``_run.answers``): ``start`` once, ``body`` per
        part, ``end`` after the last part: before the app's remaining work (ASGI code after its last
        send, background tasks, WSGI ``close()``) runs."""

        @property
        def committed(self) -> bool:
            """Part of the answer went out: a failure can only cut it short (read-only for runners)."""

        @property
        def ended(self) -> bool:
            """The answer is complete."""

        def start(self, status: int, headers: list[tuple[str, str]]) -> None: ...

        def body(self, chunk: bytes) -> None: ...

        def end(self) -> None: ...

        def whole(self, response: Response) -> None: ...

    class Sink(Protocol):
        """Where ``Handler.invoke`` delivers one invocation's answer (the runtime loop's side)."""

        streams: bool  # whether a Function URL's or REST API's HTTP answer may go out through ``write``

        def result(self, result: Any) -> None:
            """The whole result, as soon as it is known (the app may still be finishing)."""

        def write(self, data: bytes) -> None:
            """A streamed answer's next bytes: the prelude first, then the body as the app sends it."""

        def end(self) -> None:
            """The streamed answer is complete (the app may still be finishing)."""


class Response:
    """The app's answer: status, headers in order, the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers!r}, {len(self.body)} bytes)"


def seconds_left(context: Any, margin: float) -> float | None:
    """Seconds until the deadline less ``margin``; None when the context does not tell.

    A context of any shape is taken (None, a dict, a test double): one without the method, or
    whose method raises or answers no finite number, means "no deadline", never a failed request.
    """
    try:
        remaining = float(context.get_remaining_time_in_millis())
    except Exception:  # absent, NotImplementedError (Mangum's test context), not a number...
        return None
    if remaining != remaining or remaining in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return remaining / 1000 - margin


# The limits and defaults every part shares, written once.
RESULT_LIMIT = 6_291_556  # the largest synchronous Lambda result, as Lambda's own error states it
LAMBDA_MAX_SECONDS = 900  # the longest a Lambda invocation runs: no time option may exceed it
NO_BODY = frozenset((204, 304))  # with HEAD and 1xx: answers that carry no body (RFC 9110 section 6.4.1)
