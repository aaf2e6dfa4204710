"""A Server-Sent Events clock (FastAPI), streamed through a Function URL in RESPONSE_STREAM mode."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator

from fastapi import FastAPI, Query
from fastapi.responses import StreamingResponse

from lambda_adapter import adapt

app = FastAPI()


@app.get("/clock")
async def clock(
    ticks: int = Query(10, ge=1, le=100_000), interval: float = Query(1.0, ge=0, le=60)
) -> StreamingResponse:
    """One ``tick`` event per interval: the time, as the client sees each one arrive."""

    async def events() -> AsyncIterator[str]:
        for number in range(ticks):
            now = datetime.datetime.now(datetime.timezone.utc).isoformat()
            yield f"id: {number}\nevent: tick\ndata: {now}\n\n"
            if number + 1 < ticks:
                await asyncio.sleep(interval)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# streamed when the runtime loop runs with LAMBDA_ADAPTER_STREAMING=1 (see template.yaml)
handler = adapt(app)
