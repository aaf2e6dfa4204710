"""Several apps behind one handler: the longest whole-segment path prefix chooses the app.

Invariants:
- Prefixes are checked and normalised once, at ``adapt()`` time ("/api/" -> "/api", "/" -> "").
  A prefix takes a path equal to it or continuing with "/": "/api" takes "/api" and "/api/x",
  never "/apix". The longest prefix wins, so the order of the mapping does not matter.
- The chosen app sees its prefix moved from the front of ``PATH_INFO`` to the end of
  ``SCRIPT_NAME`` (ASGI ``root_path``), as werkzeug's DispatcherMiddleware and Starlette's Mount do.
- A path that no prefix takes goes to the fallback origin when there is one, else gets a 404.
"""

from __future__ import annotations

from .._model import Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .._run.wsgi import WSGIRunner
    from .._typing import Environ, Event, LambdaContext, ResponseSink

    Runner = WSGIRunner | Any  # a runner of _run: WSGIRunner, ASGIRunner
    Origin = Callable[[Environ, bytes, Event, LambdaContext], Response]


def checked_prefixes(mounts: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    """The mounts as (prefix as a PEP 3333 native string, app), longest prefix first."""
    if not mounts:
        raise ValueError("adapt(): the mapping of path prefixes to apps is empty")
    seen: dict[str, Any] = {}
    for prefix, app in mounts.items():
        if not isinstance(prefix, str) or not prefix.startswith("/") or set("?#%") & set(prefix):
            raise ValueError(
                f"adapt(): a mount prefix must be a plain path such as '/api' (not encoded), got {prefix!r}"
            )
        if not callable(app):
            raise TypeError(f"adapt(): the app mounted at {prefix!r} is a {type(app).__name__}, not an app")
        native = prefix.rstrip("/").encode("utf-8").decode("latin-1")  # PATH_INFO's form
        if native in seen:
            raise ValueError(f"adapt(): two apps are mounted at the same prefix {prefix!r}")
        seen[native] = app
    return sorted(seen.items(), key=lambda item: len(item[0]), reverse=True)


def resolve(prefixes: list[str], path: str) -> int | None:
    """The index of the longest prefix (``prefixes`` longest first) that takes ``path``, if any."""
    for index, prefix in enumerate(prefixes):
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
            return index
    return None


class MountRunner:
    """One runner for all mounted apps: resolve the prefix, move it to the root, run that app; a path
    no prefix takes goes to the fallback origin (``origin(...) -> Response``), else is a 404."""

    interface = "mounted"

    def __init__(self, mounts: list[tuple[str, Runner]], origin: Origin | None) -> None:
        self.prefixes = [prefix for prefix, _ in mounts]
        self.runners = [runner for _, runner in mounts]
        self.origin = origin

    def _chosen(self, environ: Environ) -> Runner | None:
        path = environ["PATH_INFO"]
        index = resolve(self.prefixes, path)
        if index is None:
            return None
        prefix = self.prefixes[index]
        if prefix:
            environ["SCRIPT_NAME"] += prefix
            environ["PATH_INFO"] = path[len(prefix) :]
        return self.runners[index]

    def run(self, environ: Environ, body: bytes, event: Event, context: LambdaContext, answer: ResponseSink) -> None:
        runner = self._chosen(environ)
        if runner is not None:
            runner.run(environ, body, event, context, answer)
        else:
            answer.whole(self.origin(environ, body, event, context) if self.origin else not_found())

    async def arun(self, environ: Environ, body: bytes, event: Event, context: LambdaContext,
                   answer: ResponseSink) -> None:  # fmt: skip
        runner = self._chosen(environ)
        if runner is not None:
            await runner.arun(environ, body, event, context, answer)
        elif self.origin:  # the exchange with the origin blocks: in a worker thread, the loop is every slot's
            import asyncio

            answer.whole(await asyncio.to_thread(self.origin, environ, body, event, context))
        else:
            answer.whole(not_found())


def not_found() -> Response:
    """The 404 for a path no mounted app takes."""
    return Response(404, [("Content-Type", "text/plain; charset=utf-8")], b"Not Found")
