"""httpx transports that answer requests by calling a Lambda handler, as an event source would.

Invariants:
- The only module importing httpx (and anyio, which httpx brings); reached through
  ``lambda_adapter.testing.LambdaTransport`` / ``AsyncLambdaTransport``.
- Requests and results go through ``_local.LocalFunction``, the translation ``serve`` uses: a test
  through the transport sees what a client of ``lambda-adapter serve`` sees.
- The async transport calls the handler in a worker thread (the ASGI runner drives its own event loop),
  one invocation at a time.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._local import LocalFunction, Request
from ._result import Answer


class LambdaTransport(httpx.BaseTransport):
    """``httpx.Client(transport=LambdaTransport(handler, format="http"), base_url="https://testserver")``.

    format: rest, http, http1, url or alb. stage: a REST/HTTP API stage expected as the first path
    segment, as on an execute-api URL (``base_url="https://testserver/prod"``). client: the source IP.
    """

    def __init__(self, handler: Any, *, format: str = "http", stage: str | None = None,
                 client: str = "203.0.113.7") -> None:  # fmt: skip
        self.function = LocalFunction(handler, format=format, stage=stage)
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.function.answer(to_request(request, request.read(), self.client))
        return httpx.Response(answer.status, headers=wire_headers(answer), content=answer.body, request=request)


class AsyncLambdaTransport(httpx.AsyncBaseTransport):
    """``LambdaTransport`` for ``httpx.AsyncClient``; the handler runs in a worker thread."""

    def __init__(self, handler: Any, *, format: str = "http", stage: str | None = None,
                 client: str = "203.0.113.7") -> None:  # fmt: skip
        self.function = LocalFunction(handler, format=format, stage=stage)
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio.to_thread

        local = to_request(request, await request.aread(), self.client)
        answer = await anyio.to_thread.run_sync(self.function.answer, local)
        return httpx.Response(answer.status, headers=wire_headers(answer), content=answer.body, request=request)


def wire_headers(answer: Answer) -> list[tuple[bytes, bytes]]:
    """The answer's headers as the bytes on the wire: UTF-8, as the source sends them (httpx would take ASCII only)."""
    return [(name.encode(), value.encode()) for name, value in answer.headers]


def to_request(request: httpx.Request, body: bytes, client: str) -> Request:
    """The request as it would arrive on the wire."""
    url = request.url
    return Request(
        method=request.method,
        target=url.raw_path.decode("ascii"),
        headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
        body=body,
        client=client,
        scheme=url.scheme,
        port=url.port or (443 if url.scheme == "https" else 80),
    )
