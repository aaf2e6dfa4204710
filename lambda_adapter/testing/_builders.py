"""The event builders behind ``lambda_adapter.testing``: one keyword-only function per source.

Each builder takes the HTTP request a client sent (method, path and query as on the wire,
headers, body) and returns the event that source delivers, with AWS's quirks: REST decodes
query values, HTTP APIs decode the path and split cookies, ALB keeps the query encoded, and
so on. A tool module: only ``testing`` and the local tools import it. This module: the shared
rules and API Gateway's REST and HTTP APIs and Function URLs; ``_builders_other``: the other sources.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Pairs = list[tuple[str, str]]
FORMATS = ("rest", "http", "http1", "url", "alb", "alb-multi", "edge", "lattice1", "lattice2")


def _pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


# media types AWS passes as text (Function URLs and HTTP APIs base64-encode every other body)
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "application/yaml",
               "application/x-www-form-urlencoded", "application/graphql", "+json", "+xml")  # fmt: skip


def _is_binary_type(pairs: list[tuple[str, str]]) -> bool:
    """Whether the request's Content-Type names a binary body (absent: decided by the bytes)."""
    content_type = next((v for n, v in pairs if n.lower() == "content-type"), "").partition(";")[0].strip().lower()
    return bool(content_type) and not any(content_type.startswith(t) or content_type.endswith(t) for t in _TEXT_TYPES)


def _body(body: bytes | str, binary: bool | None, pairs: list[tuple[str, str]]) -> tuple[str, bool]:
    data = body.encode() if isinstance(body, str) else body
    if binary is None and data and _is_binary_type(pairs):
        binary = True
    if binary is None:
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            binary = True
    if binary:
        return base64.b64encode(data).decode("ascii"), True
    return data.decode("utf-8"), False


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _request_time(text: str, epoch: str) -> dict[str, Any]:
    """The request's time as API Gateway writes it twice: ``09/Apr/2015:12:34:56 +0000`` and epoch milliseconds."""
    now = int(time.time() * 1000)
    return {text: time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now // 1000)), epoch: now}


def _decoded_query(query: str) -> dict[str, list[str]]:
    return _multi(parse_qsl(query, keep_blank_values=True))


def _encoded_query(query: str) -> dict[str, list[str]]:
    return _multi([(part.partition("=")[0], part.partition("=")[2]) for part in query.split("&") if part])


# the caller fields of requestContext.identity, null unless an IAM or Cognito caller signed the request
_NO_CALLER = ("accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType",
              "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user", "userArn")  # fmt: skip


def _rest_context(
    method: str, url_path: str, stage: str, domain: str, request_id: str | None, authorizer: Any, pairs: Pairs, ip: str
) -> dict[str, Any]:
    """A REST (and HTTP API 1.0) event's ``requestContext``: no authorizer key without one, as AWS sends it
    (set-up-lambda-proxy-integrations.html: "no authorization type is specified, so no $context.authorizer.*")."""
    user_agent = next((value for name, value in reversed(pairs) if name.lower() == "user-agent"), None)
    return {
        "accountId": "123456789012",
        "apiId": "abc123",
        **({} if authorizer is None else {"authorizer": authorizer}),
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "extendedRequestId": str(uuid.uuid4()),
        "httpMethod": method,
        "path": url_path,
        "protocol": "HTTP/1.1",
        "requestId": request_id or str(uuid.uuid4()),
        **_request_time("requestTime", "requestTimeEpoch"),
        "resourcePath": "/{proxy+}",
        "stage": stage,
        "identity": {**dict.fromkeys(_NO_CALLER), "sourceIp": ip, "userAgent": user_agent},
    }


def _http_context(
    method: str, raw_path: str, stage: str, domain: str, request_id: str | None, authorizer: Any, joined: Any, ip: str
) -> dict[str, Any]:
    """An HTTP API 2.0 (and Function URL) event's ``requestContext``: no authorizer key without one, as AWS sends it."""
    return {
        "accountId": "123456789012",
        "apiId": "abc123",
        **({} if authorizer is None else {"authorizer": authorizer}),
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": stage,
        **_request_time("time", "timeEpoch"),
    }


def rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    stage: str = "prod",
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.7",
    authorizer: dict[str, Any] | None = None,
    request_id: str | None = None,
    domain_name: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0); ``path`` without the stage.

    ``domain_name`` (default ``host``): the API's domain in ``requestContext``; an ``execute-api``
    name means the client's URL holds the stage, as on AWS.
    """
    pairs = [("Host", host), *_pairs(headers)]
    text, is_b64 = _body(body, binary, pairs)
    multi_query = _decoded_query(query)
    domain_name = domain_name or host
    url_path = path if stage == "$default" or ".execute-api." not in domain_name else f"/{stage}{path}"
    context = _rest_context(method, url_path, stage, domain_name, request_id, authorizer, pairs, source_ip)
    # /{proxy+} needs a segment: the root is the "/" resource's, with no path parameters (the docs' AWS_IAM example)
    resource = "/" if path == "/" else "/{proxy+}"
    context["resourcePath"] = resource
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in _multi(pairs).items()},
        "multiValueHeaders": _multi(pairs),
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": context,
        "body": text or None,
        "isBase64Encoded": is_b64,
    }


def http1_event(**kwargs: Any) -> dict[str, Any]:
    """An HTTP API event of payload format 1.0: REST's shape, with the path decoded."""
    stage = kwargs.setdefault("stage", "$default")
    event = rest_event(**kwargs)
    path = unquote(kwargs.get("path", "/"))
    event["version"] = "1.0"
    in_url = stage != "$default" and ".execute-api." in event["requestContext"]["domainName"]
    event["path"] = f"/{stage}{path}" if in_url else path
    event["requestContext"]["path"] = event["path"]
    # not documented for HTTP API 1.0 (a missing authorizer, the $default route's resource): kept as they were
    event["requestContext"].setdefault("authorizer", None)
    if event["resource"] == "/":
        event["resource"] = event["requestContext"]["resourcePath"] = "/{proxy+}"
        event["pathParameters"] = {"proxy": ""}
    return event


def http_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | str = b"",
    binary: bool | None = None,
    stage: str = "$default",
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    source_ip: str = "203.0.113.7",
    authorizer: dict[str, Any] | None = None,
    request_id: str | None = None,
    domain_name: str | None = None,
) -> dict[str, Any]:
    """An HTTP API event of payload 2.0: path decoded, stage in it, cookies split out.

    ``domain_name`` (default ``host``) as in ``rest_event``.
    """
    pairs = [(name.lower(), value) for name, value in [("host", host), *_pairs(headers)]]
    cookies = [part.strip() for name, value in pairs if name == "cookie" for part in value.split(";")]
    joined = {name: ",".join(values) for name, values in _multi(pairs).items() if name != "cookie"}
    text, is_b64 = _body(body, binary, pairs)
    domain_name = domain_name or host
    in_url = stage != "$default" and ".execute-api." in domain_name  # custom domains hide the stage
    raw_path = f"/{stage}{unquote(path)}" if in_url else unquote(path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": _http_context(
            method, raw_path, stage, domain_name, request_id, authorizer, joined, source_ip
        ),
        "isBase64Encoded": is_b64,
    }
    # AWS leaves out queryStringParameters without a query and body without one, never null (as REST does)
    params = {k: ",".join(v) for k, v in _decoded_query(query).items()}
    if params:
        event["queryStringParameters"] = params
    if text:
        event["body"] = text
    if cookies:
        event["cookies"] = cookies
    return event


def url_event(
    *, host: str = "abc123.lambda-url.us-east-1.on.aws", domain_name: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A Lambda Function URL event: the 2.0 shape, path kept as sent, no stage.

    ``domainName`` is the function URL's own name even when the Host header is another (behind CloudFront).
    """
    path = kwargs.get("path", "/")
    domain_name = domain_name or (host if ".lambda-url." in host else "abc123.lambda-url.us-east-1.on.aws")
    event = http_event(host=host, stage="$default", domain_name=domain_name, **kwargs)
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    if "authorizer" not in event["requestContext"]:  # auth type NONE: AWS writes no account (a real capture:
        event["requestContext"]["accountId"] = "anonymous"  # Powertools' lambdaFunctionUrlEvent.json)
    return event
