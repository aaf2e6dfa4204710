"""The origin for what is not migrated yet: a request no mounted app takes, forwarded over HTTP.

Invariants:
- The standard library's ``http.client``, imported on the first forwarded request; one connection per
  request (Lambda freezes a container between events: a kept-alive socket may be dead when it thaws).
- Method, path below the API's root, query, headers and body go as the client sent them. Hop-by-hop
  headers (RFC 9110 section 7.6.1, and those ``Connection`` names) are removed both ways. ``Host`` is the
  origin's; the client's host, scheme and address go in ``X-Forwarded-Host/-Proto/-For``.
- Redirects are not followed: the client gets them, as from any reverse proxy.
- The path goes raw when the raw target shows it ("%2F" stays "%2F"), else re-encoded. A ``Location``
  that points at the origin is rewritten to the client's host and root, as a reverse proxy does. A path
  whose dot segments climb above the root ("/../admin", decoded "%2E%2E" and "..%2F" too) is a 400 and
  is not sent, as nginx answers it: the origin would resolve it above its base path.
- The origin gets only the client's headers and the forwarding ones: no ``Accept-Encoding: identity`` of
  ``http.client``'s own, no ``X-Forwarded-Prefix`` but the adapter's.
- One deadline for the whole exchange: the smaller of the configured timeout and the Lambda time left
  less the margin (a socket timeout alone is per read: an origin sending a byte at a time, its headers
  included, would pass it; a timer shuts the socket at the deadline).
- The answer is read up to the largest Lambda result; more is refused without reading on. Interim 1xx
  answers are skipped (no Lambda result carries them); an answer cut short of its ``Content-Length`` is
  a 502, never a shorter 200. Header values are checked as an app's (a UTF-8 value reaches the client as
  the text its bytes spell; an obs-fold becomes spaces, RFC 9112 section 5.2); a malformed one, a header
  line http.client cannot parse (it would drop the rest) or differing ``Content-Length`` values is a 502.
- A failing origin is a 502, an origin too slow a 504, each with one log line that names the origin
  and the reason, never the request's content.
"""

from __future__ import annotations

import time

from .._events.encoding import checked_headers
from .._model import RESULT_LIMIT, InvalidResponse, Response
from .._run import gateway_timeout, logger, request_id, seconds_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._typing import Environ, Event, LambdaContext

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]

_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "te", "trailer", "trailers", "transfer-encoding", "upgrade")
)  # fmt: skip
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_CHUNK = 65536
_READ_LIMIT = RESULT_LIMIT  # the largest Lambda result: a bigger answer could never reach the client


def checked_origin(url: object) -> tuple[str, str, int, str]:
    """(scheme, host, port, base path) of the origin URL given to ``adapt()``."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        raise TypeError(f"adapt(): fallback must be an origin URL such as 'https://legacy.example.com', got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"adapt(): fallback must be an http(s) URL with a host and no query, got {url!r}")
    if parts.username is not None:  # it would be ignored, and then logged with every failure
        raise ValueError("adapt(): fallback must not hold credentials; the origin gets the client's own headers")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def make_runner(url: str, timeout: float, margin: float) -> Runner:
    """A runner that forwards the request to the origin at ``url``; ``timeout`` is checked by ``Options``."""
    scheme, host, port, base = checked_origin(url)
    default_port = port == (443 if scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    origin = f"{scheme}://{host_header}{base}"

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        import http.client

        left = seconds_left(context, margin)
        wait = timeout if left is None else min(timeout, left)
        if wait <= 0:
            return _failed(504, f"no time left before the Lambda deadline for {origin}", context)
        if _climbs(environ["PATH_INFO"]):
            return Response(400, [("Content-Type", "text/plain; charset=utf-8")], b"Bad Request")
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=wait)
        deadline = time.monotonic() + wait
        watchdog = None
        try:
            connection.connect()
            watchdog = _Watchdog(connection.sock, deadline)
            _send(connection, environ["REQUEST_METHOD"], base + _target(environ), body, _headers(environ, host_header))
            answer = _checked(_final(connection.getresponse()))
            data = _read(answer, connection, deadline)
            if watchdog.fired:  # the socket was shut mid-answer: what came is not the whole answer
                raise TimeoutError
            headers = _located(_unfolded(_kept(answer.getheaders())), origin, environ)
            return Response(answer.status, checked_headers(headers), data)
        except _TooLarge:
            return _failed(502, f"{origin} answered more than {_READ_LIMIT} bytes, over any Lambda limit", context)
        except InvalidResponse as exc:
            return _failed(502, f"{origin} answered a malformed header: {exc}", context)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError) or (watchdog is not None and watchdog.fired):
                return _failed(504, f"{origin} did not answer within {wait:.1f} s", context)
            return _failed(502, f"{origin} failed: {type(exc).__name__}: {exc}", context)
        finally:
            if watchdog is not None:
                watchdog.timer.cancel()
            connection.close()

    return run


class _TooLarge(Exception):
    """The origin's answer would not fit in any Lambda result."""


class _Watchdog:
    """Shuts the socket at the deadline: a socket timeout is per read, and an origin sending its status
    line and headers a byte at a time would pass it (the body's reads are bounded by ``_read`` too)."""

    def __init__(self, sock: Any, deadline: float) -> None:
        import threading

        self.sock, self.fired = sock, False
        self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        import contextlib
        import socket

        self.fired = True
        with contextlib.suppress(OSError):  # already closed
            # the plain socket's shutdown: an SSLSocket's would unwrap TLS under a read in another thread
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)  # a blocked read returns at once


def _send(connection: Any, method: str, target: str, body: bytes, headers: dict[str, str]) -> None:
    """The request with the client's headers only: ``request()`` would add ``Accept-Encoding: identity``."""
    connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    if body:
        headers["Content-Length"] = str(len(body))
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders(body or None)


def _final(answer: Any) -> Any:
    """The final answer: interim ones (103 Early Hints) skipped, as http.client skips only 100 Continue."""
    while 100 <= answer.status < 200:
        answer.headers = None  # begin() reads the next status line from the same stream
        answer.begin()
    return answer


def _checked(answer: Any) -> Any:
    """The answer, refused when its header section is malformed (RFC 9112 sections 5 and 6.3)."""
    lengths = {value.strip() for line in answer.msg.get_all("Content-Length", ()) for value in line.split(",")}
    if answer.msg.defects or len(lengths) > 1:
        raise InvalidResponse("a line that is no header field, or differing Content-Length values")
    return answer


def _climbs(path: str) -> bool:
    """Whether the decoded path's dot segments climb above its root (empty segments not counted)."""
    depth = 0
    for segment in path.split("/"):
        if segment == "..":
            depth -= 1
            if depth < 0:
                return True
        elif segment not in ("", "."):
            depth += 1
    return False


def _read(answer: Any, connection: Any, deadline: float) -> bytes:
    """The whole body, within the overall deadline (a timeout is per read) and the size limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(left)
        chunk = answer.read1(_CHUNK)  # read() would block until the whole chunk came, past any timeout
        if not chunk:
            if answer.length:  # closed short of its Content-Length: read1() returns b"" where read() raises
                import http.client

                raise http.client.IncompleteRead(b"".join(chunks), answer.length)
            return b"".join(chunks)
        size += len(chunk)
        if size > _READ_LIMIT:
            raise _TooLarge
        chunks.append(chunk)


def _target(environ: Environ) -> str:
    """The request target below the API's root, raw as the client sent it where it can be told."""
    path = _raw_below_root(environ)
    query = environ["QUERY_STRING"]
    return f"{path}?{query}" if query else path


def _raw_below_root(environ: Environ) -> str:
    from urllib.parse import quote, unquote_to_bytes

    raw = environ.get("RAW_URI", "").partition("?")[0]
    depth = environ["SCRIPT_NAME"].count("/")  # the root is whole segments: drop as many raw ones
    rest = "/" + raw.split("/", depth + 1)[depth + 1] if raw.count("/") > depth else ""
    native = environ["PATH_INFO"]
    if unquote_to_bytes(rest).decode("latin-1") == native:  # "%2F" stays "%2F"
        return rest or "/"
    return quote(native.encode("latin-1"), safe=_PATH_SAFE) or "/"


def _located(headers: list[tuple[str, str]], origin: str, environ: Environ) -> list[tuple[str, str]]:
    """A ``Location`` that points at the origin points at the client's host and root instead."""
    client = f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST') or environ['SERVER_NAME']}"
    located = []
    for name, value in headers:
        rest = value[len(origin) :]
        if name.lower() == "location" and value.startswith(origin) and rest[:1] in ("", "/", "?"):
            value = client + environ["SCRIPT_NAME"] + rest
        located.append((name, value))
    return located


def _headers(environ: Environ, host: str) -> dict[str, str]:
    """The request's end-to-end headers for the origin, with the forwarding headers added."""
    names = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
        elif key in names:
            headers[names[key]] = value
    dropped = _HOP_BY_HOP | {name.strip().lower() for name in headers.get("Connection", "").split(",")}
    headers = {name: value for name, value in headers.items() if name.lower() not in dropped}
    client_host = headers.pop("Host", environ["SERVER_NAME"])
    headers["Host"] = host
    headers["X-Forwarded-Host"] = client_host
    headers["X-Forwarded-Proto"] = environ["wsgi.url_scheme"]
    headers.pop("X-Forwarded-Prefix", None)  # only the adapter's: a client's would steer the origin's URLs
    if environ["SCRIPT_NAME"]:  # the API stage or base path the client's URLs hold
        headers["X-Forwarded-Prefix"] = environ["SCRIPT_NAME"]
    headers.pop("X-Forwarded-For", None)  # a client can write any chain: only the address AWS saw is sent
    if "REMOTE_ADDR" in environ:
        headers["X-Forwarded-For"] = environ["REMOTE_ADDR"]
    return headers


def _kept(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The origin's end-to-end response headers, every Set-Cookie kept."""
    listed = [value for name, value in headers if name.lower() == "connection"]
    dropped = _HOP_BY_HOP | {token.strip().lower() for value in listed for token in value.split(",")}
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _unfolded(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each obs-fold (a line break and blanks inside a value) as spaces, as RFC 9112 section 5.2 asks of
    a proxy: a CR or LF must not reach the Lambda result."""
    return [(name, value.replace("\r", " ").replace("\n", " ")) for name, value in headers]


def _failed(status: int, reason: str, context: LambdaContext) -> Response:
    logger().error("fallback origin %s (request %s): %s", "timed out" if status == 504 else "failed",
                   request_id(context), reason)  # fmt: skip
    if status == 504:
        return gateway_timeout()
    return Response(502, [("Content-Type", "text/plain; charset=utf-8")], b"Bad Gateway")
