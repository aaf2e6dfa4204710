"""A large CSV export (Flask), streamed row batch by row batch: no 6 MB limit, no whole file in memory."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, Response, request

from lambda_adapter import adapt

app = Flask(__name__)
BATCH = 1000  # rows per chunk: fewer, larger writes to the Runtime API


@app.get("/export.csv")
def export() -> Response:
    rows = request.args.get("rows", 100_000, type=int)

    def generate() -> Iterator[str]:
        yield "id,name,value\n"
        batch: list[str] = []
        for number in range(rows):
            batch.append(f"{number},item-{number},{number * 7919 % 100_000}\n")
            if len(batch) == BATCH:
                yield "".join(batch)
                batch.clear()
        if batch:
            yield "".join(batch)

    disposition = {"Content-Disposition": "attachment; filename=export.csv"}
    return Response(generate(), mimetype="text/csv", headers=disposition)


handler = adapt(app)
