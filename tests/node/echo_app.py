"""A WSGI app behind lambda-adapter that answers with what it saw, for the emulator conformance tests.

serverless-offline keeps the REST stage in the URL (as execute-api does) but its domainName is
localhost, so ``adapt()`` is told with ``stage_in_url=True``; ``serve --stage`` needs nothing.
``compressed`` is the same app with ``compress=True``.
"""

import base64
import json

from lambda_adapter import adapt

SHOWN = ("HTTP_ACCEPT_LANGUAGE", "HTTP_COOKIE", "HTTP_X_CUSTOM", "CONTENT_TYPE", "CONTENT_LENGTH")


def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    seen = {
        "method": environ["REQUEST_METHOD"],
        "root": environ["SCRIPT_NAME"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "headers": {key: environ[key] for key in SHOWN if key in environ},
        "body": base64.b64encode(body).decode(),
        "client": environ.get("REMOTE_ADDR"),
        "scheme": environ["wsgi.url_scheme"],
    }
    if environ["QUERY_STRING"].startswith("pad="):  # an answer large enough to be compressed
        seen["pad"] = "x" * int(environ["QUERY_STRING"][4:])
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


handler = adapt(app, stage_in_url=True)
compressed = adapt(app, stage_in_url=True, compress=True)
