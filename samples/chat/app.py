"""A FastAPI chat behind lambda-adapter: join with ``?name=...``, every message reaches everyone.

The same endpoint runs under uvicorn (``uvicorn app:app``: one process, the sockets kept in
memory) and on Lambda behind an API Gateway WebSocket API, where every event runs the endpoint
once: the connections live in the connection store (DynamoDB when ``CONNECTIONS_TABLE`` is
set) and a broadcast goes through the Management API.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from lambda_adapter import adapt, websocket

app = FastAPI()
TABLE = os.environ.get("CONNECTIONS_TABLE")
store: websocket.ConnectionStore = websocket.DynamoDBStore(TABLE) if TABLE else websocket.MemoryStore()
local: dict[int, WebSocket] = {}  # under uvicorn: the open sockets of this process


def on_lambda(ws: WebSocket) -> bool:
    return "aws.websocket" in ws.scope


async def broadcast(ws: WebSocket, text: str) -> None:
    """Send ``text`` to everyone connected but a connection that is leaving."""
    if not on_lambda(ws):
        for peer in list(local.values()):
            await peer.send_text(text)
        return
    leaving = ws.scope["aws.websocket"]["event_type"] == "DISCONNECT"
    me = ws.scope["aws.websocket"]["connection_id"]
    for connection_id in list(store.connections()):
        if leaving and connection_id == me:
            continue
        if not websocket.send(connection_id, text, endpoint=ws.scope):
            store.delete(connection_id)  # gone without a $disconnect reaching us


@app.websocket("/")
async def chat(ws: WebSocket) -> None:
    name = ws.query_params.get("name")
    if not name:
        await ws.close(code=1008)  # refused: on Lambda the client gets a 403
        return
    await ws.accept()
    if ws.scope.get("aws.websocket", {}).get("event_type", "CONNECT") == "CONNECT":
        if not on_lambda(ws):
            local[id(ws)] = ws
        await broadcast(ws, f"{name} joined")
    try:
        while True:
            text = await ws.receive_text()
            await broadcast(ws, f"{name}: {text}")
    except WebSocketDisconnect as exc:
        if exc.code == websocket.INVOCATION_ENDED:
            return  # on Lambda: this event is done, the client is still connected
        local.pop(id(ws), None)
        await broadcast(ws, f"{name} left")


handler = adapt(app, connection_store=store)
