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
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    Environ = dict[str, Any]
    Event = dict[str, Any]
    Result = dict[str, Any]

    class LambdaContext(Protocol):
        """The Lambda context object, as far as the adapter reads it."""

        aws_request_id: str

        def get_remaining_time_in_millis(self) -> int: ...


class Response:
    """The app's answer: status, headers in order, the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers!r}, {len(self.body)} bytes)"
