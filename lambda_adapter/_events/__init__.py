"""One module per payload format, all with the same two functions.

Rules of this package (as in h11's core):
1. Pure: an event dict and the options in, a CGI environ and the body out; a ``Response`` in, a result dict
   out. No I/O, no app calls, no ``os.environ``, no logging, no asyncio.
2. Every module implements ``EventSource``; ``adapt`` reaches them only through ``SOURCES``
   (filled by ``load``).
3. A part of the wrong type raises ``BadRequest`` (a 400), a recognised event without its method
   ``UnsupportedEvent`` (the rules of ``fields``); anything else escaping is a bug of the adapter,
   which the shell answers with a 500 and a traceback in the log, never a 400.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from .._model import Environ, Event, Response, Result
    from .._options import Options

    class EventSource(Protocol):
        """What every payload-format module provides."""

        def to_request(self, event: Event, options: Options) -> tuple[Environ, bytes]: ...

        def from_response(self, response: Response, event: Event, options: Options) -> Result: ...


# source (as _detect names it) -> module; a module is imported on its source's first event,
# so a cold start pays only for the formats the function really receives
_MODULES = {
    "v1": "apigw_v1",
    "v2": "apigw_v2",
    "alb": "alb",
    "edge": "edge",
    "lattice_v1": "lattice_v1",
    "lattice_v2": "lattice_v2",
}
SOURCES: dict[str, EventSource] = {}


def load(source: str) -> EventSource | None:
    """The module of ``source``, imported once; None for a source without one."""
    name = _MODULES.get(source)
    if name is None:
        return None
    module: EventSource = __import__(f"{__name__}.{name}", fromlist=("to_request",))
    SOURCES[source] = module
    return module
