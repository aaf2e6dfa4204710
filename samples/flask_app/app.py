"""A small Flask app behind lambda-adapter: what users hit on a real deployment."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import zlib

from flask import Flask, jsonify, redirect, request, session, url_for

from lambda_adapter import adapt

app = Flask(__name__)
app.secret_key = "sample-only-secret"  # a real app reads it from its configuration

ITEMS = [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}]


def png(width: int = 4, height: int = 4) -> bytes:
    """A real PNG image (red square), built without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@app.get("/api/items")
def items():  # type: ignore[no-untyped-def]
    limit = request.args.get("limit", type=int)
    return jsonify(items=ITEMS[:limit] if limit else ITEMS)


@app.get("/products")
def products():  # type: ignore[no-untyped-def]
    return jsonify(products=ITEMS, url=url_for("products"))


@app.get("/query")
def query():  # type: ignore[no-untyped-def]
    return jsonify(raw=request.query_string.decode(), args=request.args.to_dict(flat=False))


@app.get("/request")
def describe():  # type: ignore[no-untyped-def]
    return jsonify(
        method=request.method, path=request.path, root=request.root_path, url=request.url,
        remote=request.remote_addr, scheme=request.scheme, host=request.host,
        cookies=request.cookies.to_dict(), user=request.environ.get("REMOTE_USER"),
    )  # fmt: skip


@app.post("/form")
def form():  # type: ignore[no-untyped-def]
    return jsonify(form=request.form.to_dict(flat=False))


@app.post("/login")
def login():  # type: ignore[no-untyped-def]
    session["user"] = request.form["username"]
    response = redirect(url_for("me"))
    response.set_cookie("theme", "dark", httponly=True, secure=True)
    return response


@app.get("/me")
def me():  # type: ignore[no-untyped-def]
    return jsonify(user=session.get("user"), theme=request.cookies.get("theme"))


@app.post("/upload")
def upload():  # type: ignore[no-untyped-def]
    data = request.files["file"].read()
    return jsonify(name=request.files["file"].filename, size=len(data), sha256=hashlib.sha256(data).hexdigest())


@app.post("/echo")
def echo():  # type: ignore[no-untyped-def]
    return app.response_class(request.get_data(), mimetype="application/octet-stream")


@app.get("/image.png")
def image():  # type: ignore[no-untyped-def]
    return app.response_class(png(), mimetype="image/png")


@app.get("/gzip")
def compressed():  # type: ignore[no-untyped-def]
    body = gzip.compress(json.dumps({"items": ITEMS * 50}).encode())
    response = app.response_class(body, mimetype="application/json")
    response.headers["Content-Encoding"] = "gzip"
    return response


@app.get("/go")
def go():  # type: ignore[no-untyped-def]
    return redirect(url_for("items"))


@app.get("/links")
def links():  # type: ignore[no-untyped-def]
    return jsonify(items=url_for("items"), external=url_for("items", _external=True))


@app.get("/boom")
def boom():  # type: ignore[no-untyped-def]
    raise RuntimeError("sample failure with a secret: hunter2")


handler = adapt(app)
