"""What benchmarks/instructions.py runs under callgrind (one configuration per process)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVENTS = ROOT / "tests" / "events" / "recorded"


def trivial_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]


async def trivial_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Hello, world!"})


def event(name: str) -> dict[str, Any]:
    from lambda_adapter.testing import alb_event, http_event, rest_event

    browser = {
        "Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "gzip, deflate, br",
        "Accept-Language": "en-GB,en;q=0.9", "Cookie": "session=abc123; theme=dark", "User-Agent": "Mozilla/5.0",
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https",
    }  # fmt: skip
    if name == "v1":
        return rest_event(path="/items/42", query="page=2&q=a%20b", headers=browser)
    if name == "v2":
        return http_event(path="/items/42", query="page=2&q=a%20b", headers=browser)
    if name == "alb":
        return alb_event(path="/items/42", query="page=2&q=a%20b", headers=browser)
    recorded = {"v1-recorded": "sam/apigateway-aws-proxy.json", "v2-recorded": "powertools/apiGatewayProxyV2Event.json"}
    loaded: dict[str, Any] = json.loads((EVENTS / recorded[name]).read_text())
    return loaded


def handler(kind: str) -> Any:
    import logging

    logging.getLogger("mangum").setLevel(logging.WARNING)
    if kind == "wsgi":
        from lambda_adapter import adapt

        return adapt(trivial_wsgi)
    if kind.startswith("asgi"):
        from lambda_adapter import adapt

        return adapt(trivial_asgi, lifespan="on" if kind.endswith("lifespan") else "off")
    if kind == "apig":
        from apig_wsgi import make_lambda_handler

        return make_lambda_handler(trivial_wsgi)
    if kind == "serverless":
        import serverless_wsgi

        return lambda event, context: serverless_wsgi.handle_request(trivial_wsgi, event, context)
    from mangum import Mangum

    return Mangum(trivial_asgi, lifespan="on" if kind.endswith("lifespan") else "off")


class Context:
    """A Lambda context, built without importing anything of ours (the floor must not pay for it)."""

    aws_request_id = "cold-start"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def rest_items_event() -> dict[str, Any]:
    """GET /api/items as API Gateway REST sends it, written out by hand for the same reason."""
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "Accept": "application/json",
               "User-Agent": "curl/8.5.0", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Port": "443",
               "X-Forwarded-Proto": "https"}  # fmt: skip
    return {
        "resource": "/{proxy+}", "path": "/api/items", "httpMethod": "GET", "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": {"proxy": "api/items"}, "stageVariables": None,
        "requestContext": {"stage": "prod", "domainName": headers["Host"], "httpMethod": "GET",
                           "path": "/prod/api/items", "identity": {"sourceIp": "203.0.113.7"}, "requestId": "r-1"},
        "body": None, "isBase64Encoded": False,
    }  # fmt: skip


def cold(kind: str) -> None:
    """Import a sample's handler and answer one event, as a Lambda cold start does."""
    framework, _, how = kind.partition("-")
    folder = ROOT / "samples" / f"{framework}_app"
    sys.path.insert(0, str(folder))
    event, context = rest_items_event(), Context()
    if how in ("ours", "bundled"):
        if how == "bundled":
            load_without_importlib(COLD_MODULES[framework])
        import app as sample  # the sample module, as Lambda imports it

        assert sample.handler(event, context)["statusCode"] == 200
        if how == "bundled":  # nothing of ours went through importlib, and the list is not stale
            loaded = {name for name in sys.modules if name.partition(".")[0] == "lambda_adapter"}
            assert loaded == {_dotted(name) for name in COLD_MODULES[framework]}, loaded
        return
    # the samples call adapt() when imported: for the floor and the peers, a stand-in that costs
    # nothing, so that they are not charged for importing lambda-adapter
    import types

    stand_in = types.ModuleType("lambda_adapter")
    stand_in.adapt = lambda app, **options: None  # type: ignore[attr-defined]
    sys.modules["lambda_adapter"] = stand_in
    app = __import__("app").app
    if how == "apig":
        from apig_wsgi import make_lambda_handler

        assert make_lambda_handler(app)(event, context)["statusCode"] == 200
    elif how == "serverless":
        import serverless_wsgi

        assert serverless_wsgi.handle_request(app, event, context)["statusCode"] == 200
    elif how == "mangum":
        from mangum import Mangum

        assert Mangum(app, lifespan="auto")(event, context)["statusCode"] == 200
    else:
        floor(app, framework)


# What the first REST event of each sample loads of ours, each module after those its body imports.
# "bundled" runs this code without importlib: the bound for any layout of the same code, even one module.
COLD_MODULES = {
    "flask": ("_model", "_options", "_events/__init__", "_events/encoding", "_events/cgi", "_events/apigw_v1",
              "_run/__init__", "_run/wsgi", "_adapt", "__init__"),
    "fastapi": ("_model", "_options", "_events/__init__", "_events/encoding", "_events/cgi", "_events/apigw_v1",
                "_events/scope", "_run/__init__", "_run/container", "_run/asgi", "_adapt", "__init__"),
}  # fmt: skip


def _dotted(name: str) -> str:
    return ".".join(("lambda_adapter", *name.removesuffix("__init__").strip("/").split("/"))).rstrip(".")


def load_without_importlib(names: tuple[str, ...]) -> None:
    """Our modules made from their byte-compiled code, as one module holding it all would be: no finder,
    no stat, no module lock, no spec; only the read of each .pyc, its unmarshalling and its body."""
    import marshal
    import types

    package = str(ROOT / "lambda_adapter")  # str paths from here: pathlib would cost more than it measures
    modules = []
    for name in names:  # every module registered first: a body's relative imports find their modules
        module = types.ModuleType(_dotted(name))
        folder, _, stem = f"{package}/{name}".rpartition("/")
        module.__file__ = f"{folder}/{stem}.py"
        if stem == "__init__":
            module.__path__ = [folder]
            module.__package__ = module.__name__
        else:
            module.__package__ = module.__name__.rpartition(".")[0]
        sys.modules[module.__name__] = module
        modules.append((module, f"{folder}/__pycache__/{stem}.{sys.implementation.cache_tag}.pyc"))
    for module, compiled in modules:
        with open(compiled, "rb") as file:
            exec(marshal.loads(file.read()[16:]), module.__dict__)  # 16: the .pyc header
        parent, _, leaf = module.__name__.rpartition(".")
        if parent:
            setattr(sys.modules[parent], leaf, module)


def floor(app: Any, framework: str) -> None:
    """The app called directly with a hand-built environ or scope: no adapter at all."""
    if framework == "flask":
        floor_wsgi(app)
    else:
        floor_asgi(app)


def floor_wsgi(app: Any) -> None:
    """The WSGI app, one GET /api/items with a hand-built environ."""
    import io

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/items", "SCRIPT_NAME": "", "QUERY_STRING": "",
               "SERVER_NAME": "x", "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "https",
               "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
               "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False}  # fmt: skip
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200") and body


def floor_asgi(app: Any) -> None:
    """The ASGI app: its lifespan startup (which the adapters also run), then one GET /api/items."""
    import asyncio

    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    state: dict[str, Any] = {}
    startup: list[dict[str, Any]] = [{"type": "lifespan.startup"}]

    async def lifespan_receive() -> dict[str, Any]:
        if startup:
            return startup.pop()
        await asyncio.Event().wait()  # shutdown never comes in a cold start
        raise AssertionError

    async def lifespan_send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:  # the app's lifespan startup, which the adapters also run, then one request
        lifespan = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": state},
                                             lifespan_receive, lifespan_send))  # fmt: skip
        while not sent:
            await asyncio.sleep(0)
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "https", "path": "/api/items", "raw_path": b"/api/items", "root_path": "",
                 "query_string": b"", "headers": [], "client": ("1.2.3.4", 0), "server": ("x", 443),
                 "state": dict(state)}  # fmt: skip
        await app(scope, receive, send)
        assert not lifespan.done()

    asyncio.new_event_loop().run_until_complete(main())
    assert sent[0]["type"] == "lifespan.startup.complete" and sent[1]["status"] == 200


def main() -> None:
    if sys.argv[1] == "cold":
        cold(sys.argv[2])
        # peak RSS in KiB for the wall-clock runs: VmHWM starts anew at exec, ru_maxrss may keep the parent's
        with open("/proc/self/status") as status:
            print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
        # The count ends with the answer: a Lambda environment is frozen after it and later killed, never
        # running interpreter exit (atexit handlers, finalizers of pending tasks: the floor's lifespan task
        # formats a traceback there, ours is cancelled by atexit). Those differ per adapter and per floor, and
        # are no part of a cold start (until 2026-12-01 they were counted; see benchmarks/RESULTS.md).
        sys.stdout.flush()
        os._exit(0)
    from lambda_adapter.testing import LambdaContext

    run, the_event, context = handler(sys.argv[2]), event(sys.argv[3]), LambdaContext()
    for _ in range(20):
        run(the_event, context)
    for _ in range(int(sys.argv[4])):
        run(the_event, context)


if __name__ == "__main__":
    main()
