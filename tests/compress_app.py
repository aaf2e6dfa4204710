"""A Flask app behind ``adapt(..., compress=True)`` for the browser test: a page and the JSON it fetches."""

from __future__ import annotations

import json

from flask import Flask, Response

from lambda_adapter import adapt

USERS = [{"id": n, "name": f"user {n}", "email": f"user{n}@example.com"} for n in range(300)]
PAGE = (
    "<!doctype html><html><head><title>compressed</title></head><body><h1>Users</h1><ul>"
    + "".join(f"<li>{user['name']} &lt;{user['email']}&gt;</li>" for user in USERS)
    + "</ul></body></html>"
)

app = Flask(__name__)


@app.get("/")
def page() -> Response:
    return Response(PAGE, mimetype="text/html")


@app.get("/users")
def users() -> Response:
    return Response(json.dumps(USERS), mimetype="application/json")


@app.get("/headers")
def headers() -> Response:  # what the browser asked for, as the app saw it
    from flask import request

    return Response(json.dumps(dict(request.headers)), mimetype="application/json")


handler = adapt(app, compress=True)
