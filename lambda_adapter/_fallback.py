"""The origin for what is not migrated yet: a request no mounted app takes, forwarded over HTTP.

Invariants:
- The standard library's ``http.client``, imported on the first forwarded request; one connection per
  request (Lambda freezes a container between events: a kept-alive socket may be dead when it thaws).
- Method, path below the API's root, query, headers and body go as the client sent them. Hop-by-hop
  headers (RFC 9110 section 7.6.1, and those ``Connection`` names) are removed both ways. ``Host`` is the
  origin's; the client's host, scheme and address go in ``X-Forwarded-Host/-Proto/-For``.
- Redirects are not followed: the client gets them, as from any reverse proxy.
- The timeout is the smaller of the configured one and the Lambda time left less the margin.
- A failing origin is a 502, an origin too slow a 504, each with one log line that names the origin
  and the reason, never the request's content.
"""

from __future__ import annotations

from ._faults import gateway_timeout, logger, request_id
from ._model import Response, seconds_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ._model import Environ, Event, LambdaContext

    Runner = Callable[[Environ, bytes, Event, LambdaContext], Response]

_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "te", "trailer", "trailers", "transfer-encoding", "upgrade")
)  # fmt: skip
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def checked_origin(url: object) -> tuple[str, str, int, str]:
    """(scheme, host, port, base path) of the origin URL given to ``adapt()``."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        raise TypeError(f"adapt(): fallback must be an origin URL such as 'https://legacy.example.com', got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"adapt(): fallback must be an http(s) URL with a host and no query, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def make_runner(url: str, timeout: float, margin: float) -> Runner:
    """A runner that forwards the request to the origin at ``url``."""
    scheme, host, port, base = checked_origin(url)
    if not 0 < timeout <= 900:
        raise ValueError(f"adapt(): fallback_timeout must be seconds above 0 and up to 900, got {timeout!r}")
    default_port = port == (443 if scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"

    def run(environ: Environ, body: bytes, event: Event, context: LambdaContext) -> Response:
        import http.client

        left = seconds_left(context, margin)
        wait = timeout if left is None else min(timeout, left)
        if wait <= 0:
            return _failed(504, f"no time left before the Lambda deadline for {url}", context)
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=wait)
        try:
            method, target = environ["REQUEST_METHOD"], base + _target(environ)
            connection.request(method, target, body or None, _headers(environ, host_header))
            answer = connection.getresponse()
            headers = _kept(answer.getheaders())
            return Response(answer.status, headers, answer.read())
        except TimeoutError:
            return _failed(504, f"{url} did not answer within {wait:.1f} s", context)
        except (OSError, http.client.HTTPException) as exc:
            return _failed(502, f"{url} failed: {type(exc).__name__}: {exc}", context)
        finally:
            connection.close()

    return run


def _target(environ: Environ) -> str:
    from urllib.parse import quote

    path = quote(environ["PATH_INFO"].encode("latin-1"), safe=_PATH_SAFE) or "/"
    query = environ["QUERY_STRING"]
    return f"{path}?{query}" if query else path


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
    headers.pop("X-Forwarded-For", None)  # a client can write any chain: only the address AWS saw is sent
    if "REMOTE_ADDR" in environ:
        headers["X-Forwarded-For"] = environ["REMOTE_ADDR"]
    return headers


def _kept(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The origin's end-to-end response headers, every Set-Cookie kept."""
    listed = [value for name, value in headers if name.lower() == "connection"]
    dropped = _HOP_BY_HOP | {token.strip().lower() for value in listed for token in value.split(",")}
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _failed(status: int, reason: str, context: LambdaContext) -> Response:
    logger().error("fallback origin %s (request %s): %s", "timed out" if status == 504 else "failed",
                   request_id(context), reason)  # fmt: skip
    if status == 504:
        return gateway_timeout()
    return Response(502, [("Content-Type", "text/plain; charset=utf-8")], b"Bad Gateway")
