"""API Gateway REST API events, and HTTP API events of payload format 1.0.

AWS: docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
and http-api-develop-integrations-lambda.html (payload 1.0).
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import add_event_headers, set_path, set_request, set_server
from .encoding import decode_body, encode_ascii, encode_path, query_from_decoded, split_root, stage_prefix
from .response import encode_multi_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._model import Environ, Event, Options, Response, Result


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a REST API (or HTTP API 1.0) event describes, as CGI variables and body."""
    context = event.get("requestContext") or {}
    environ: Environ = {}
    add_event_headers(environ, event)
    set_server(environ, context.get("domainName") or "", "https")
    params = event.get("multiValueQueryStringParameters") or event.get("queryStringParameters")
    set_path(
        environ,
        *_split_path(event, context, environ["SERVER_NAME"], options),
        query_from_decoded(params) if params else "",  # values arrive decoded
    )
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    identity = context.get("identity") or {}
    set_request(environ, event["httpMethod"], identity.get("sourceIp"), _user(context), body)
    return environ, body


def _split_path(event: Event, context: Any, host: str, options: Options) -> tuple[str, str]:
    path = event.get("path") or "/"
    prefix = stage_prefix(context.get("stage"), context.get("domainName") or host, options.stage_in_url)
    if event.get("version") == "1.0":  # HTTP API: path decoded, a named stage still in it
        return split_root(encode_path(path), prefix or options.base_path)
    if prefix:  # REST: path as sent, without the stage the client's URL had
        return prefix, encode_ascii(path)
    return split_root(encode_ascii(path), options.base_path)


def _user(context: Any) -> object:
    authorizer = context.get("authorizer")
    if not authorizer:
        return None
    return authorizer.get("principalId") or (authorizer.get("claims") or {}).get("sub")


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result dict API Gateway expects: every header value kept in multiValueHeaders."""
    headers, body, is_base64 = encode_multi_value(response, options.text_mime_types)
    return {"statusCode": response.status, "multiValueHeaders": headers, "body": body, "isBase64Encoded": is_base64}
