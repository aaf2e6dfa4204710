"""``lambda-adapter serve MODULE:HANDLER``: a local HTTP server that calls the handler as an event source would.

Invariants:
- Built on werkzeug's development server and reloader (the ``local`` extra); werkzeug is imported only
  when this command runs.
- Every request goes through ``_local.LocalFunction`` (the translation the httpx transport shares): the
  headers exactly as received (repeats and spelling kept), the target as sent (bytes beyond ASCII
  percent-encoded, as browsers send them); the answer's header values go out as UTF-8 bytes.
- A wrong ``MODULE:HANDLER``, a port in use, a stage with a format that has none: a ``UsageError``,
  found before the server starts. With ``--reload``, a module that stops importing after an edit fails
  every request (502) until it is fixed; the server stays up.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .._events.encoding import wsgi_str
from .._load import UsageError, load_handler
from ..testing._local import LOCAL_FORMATS, STAGE_FORMATS, LocalFunction, Request

if TYPE_CHECKING:
    from werkzeug.serving import WSGIRequestHandler

RAW_HEADERS = "lambda_adapter.raw_headers"
RAW_TARGET = "lambda_adapter.raw_target"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", metavar="MODULE:HANDLER", help="the Lambda handler, e.g. app:handler")
    parser.add_argument("--format", choices=LOCAL_FORMATS, default="http", help="the event source (default: http)")
    parser.add_argument("--stage", metavar="NAME", help="REST/HTTP API stage: the server answers under /NAME/")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="the port to listen on (default: 3000)")
    parser.add_argument("--reload", action="store_true", help="restart when a loaded Python file changes")


def run(args: argparse.Namespace) -> int:
    serving = _werkzeug_serving()
    if args.stage is not None and args.format not in STAGE_FORMATS:
        raise UsageError(f"--stage goes with --format {'|'.join(STAGE_FORMATS)}, not {args.format}")
    if args.stage is not None and (not args.stage or "/" in args.stage):
        raise UsageError(f"--stage must be one path segment, got {args.stage!r}")
    if args.stage == "$default":
        raise UsageError("--stage $default is the stage without a segment: leave --stage out")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {args.port}")
    handler = reloaded_handler(args.handler) if serving.is_running_from_reloader() else load_handler(args.handler)
    function = LocalFunction(handler, format=args.format, stage=args.stage)
    if not serving.is_running_from_reloader():
        _check_port(args.host, args.port, serving.select_address_family(args.host, args.port))
        root = f"/{args.stage}/" if args.stage else "/"
        print(f"lambda-adapter: {args.handler} as {args.format} events on http://{args.host}:{args.port}{root}",
              file=sys.stderr, flush=True)  # fmt: skip
    # the stat reloader, even where watchdog is installed (mkdocs brings it): watchdog watches every
    # sys.path folder recursively, a virtualenv included, and loses edits when inotify's queue overflows
    serving.run_simple(args.host, args.port, to_wsgi(function), use_reloader=args.reload, threaded=True,
                       reloader_type="stat", request_handler=_request_handler())  # fmt: skip
    return 0


def reloaded_handler(spec: str) -> Callable[..., Any]:
    """The handler after an edit; if its module no longer imports, one that fails as Lambda's init then would.

    So a typo answers 502 until it is fixed instead of ending the server: the reloader keeps watching."""
    try:
        return load_handler(spec)
    except Exception as exc:
        if not isinstance(exc, UsageError):
            traceback.print_exc()
        reason = f"cannot load {spec}: {type(exc).__name__}: {exc}"
        print(f"lambda-adapter: {reason}; every request fails until the module is fixed", file=sys.stderr, flush=True)

        def failing(event: Any, context: Any) -> Any:
            raise RuntimeError(reason)

        return failing


def _werkzeug_serving() -> Any:
    try:
        import werkzeug.serving
    except ModuleNotFoundError:
        raise UsageError("serve needs werkzeug: pip install 'lambda-adapter[local]'") from None
    return werkzeug.serving


def _check_port(host: str, port: int, family: socket.AddressFamily) -> None:
    """``UsageError`` unless werkzeug can listen there (``family``: the one werkzeug picks, IPv6 for ``::1``)."""
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use; choose another with --port") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def to_wsgi(function: LocalFunction) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """The WSGI app werkzeug's server runs: each request through ``function``."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wsgi import get_input_stream

        request = Request(
            method=environ["REQUEST_METHOD"],
            target=environ[RAW_TARGET],
            headers=environ[RAW_HEADERS],
            body=get_input_stream(environ).read(),
            client=environ.get("REMOTE_ADDR") or "127.0.0.1",
            port=int(environ["SERVER_PORT"]),
        )
        answer = function.answer(request)
        # header values on the wire as the UTF-8 bytes of the result's text (werkzeug writes latin-1)
        start_response(f"{answer.status} {_phrase(answer.status)}", [(n, wsgi_str(v)) for n, v in answer.headers])
        return [answer.body]

    return app


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_handler() -> type[WSGIRequestHandler]:
    from werkzeug.serving import WSGIRequestHandler

    class RawRequestHandler(WSGIRequestHandler):
        """Werkzeug's handler, also handing over the headers and the target as received."""

        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            environ[RAW_HEADERS] = [(name, value.replace("\r\n", "")) for name, value in self.headers.items()]
            target = self.path
            if "://" in target.partition("?")[0]:  # absolute form: keep the path and query
                target = "/" + target.partition("://")[2].partition("/")[2]
            environ[RAW_TARGET] = percent_encoded(target)
            return environ

    return RawRequestHandler


def percent_encoded(target: str) -> str:
    """The target with bytes beyond ASCII percent-encoded, as a browser or httpx sends them.

    ``http.server`` reads the request line as latin-1, so a client that sends raw UTF-8 (curl does) would
    otherwise hand the handler mojibake."""
    return "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in target.encode("latin-1"))
