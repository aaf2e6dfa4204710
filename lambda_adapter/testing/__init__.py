"""Event builders and a Lambda context for testing handlers, as AWS would call them.

Each builder takes the HTTP request a client sent (method, path and query as on the wire,
headers, body) and returns the event that source delivers, with AWS's quirks: REST decodes
query values, HTTP APIs decode the path and split cookies, ALB keeps the query encoded, and
so on. All arguments are keyword-only.
"""

from __future__ import annotations

from typing import Any

from ._builders import FORMATS, http1_event, http_event, rest_event, url_event
from ._builders_other import alb_event, edge_event, event_for, lattice_event, websocket_event
from ._readers import LambdaContext, body_of, headers_of, json_of, set_cookies_of, status_of

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported on first use by __getattr__ (they need httpx)
    from ._transport import AsyncLambdaTransport, LambdaTransport

__all__ = [
    "FORMATS", "LambdaContext", "alb_event", "body_of", "edge_event", "event_for", "headers_of", "http1_event",
    "http_event", "json_of", "lattice_event", "rest_event", "set_cookies_of", "status_of", "url_event",
    "LambdaTransport", "AsyncLambdaTransport",
    "websocket_event",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    """``LambdaTransport`` and ``AsyncLambdaTransport``, imported on first use (they need httpx)."""
    if name in ("LambdaTransport", "AsyncLambdaTransport"):
        from . import _transport

        return getattr(_transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
