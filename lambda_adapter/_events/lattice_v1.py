"""VPC Lattice events of payload format 1.0 (snake_case keys).

AWS: docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html. The answer has the ALB
shape with one value per header name. Query values are taken as decoded, like API Gateway's.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .alb import single_value_result
from .cgi import body_at, environ_from_headers, method_of, query_params, set_path, set_request, set_server, str_at
from .encoding import decode_body, encode_ascii, query_from_decoded, split_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._options import Options
    from .._typing import Environ, Event, Response, Result


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a Lattice 1.0 event describes."""
    method = method_of(event.get("method"), "lattice_v1", "method")
    headers = event.get("headers")
    environ = environ_from_headers(headers) if headers is not None else {}
    body, is_base64 = body_at(event, "body", "is_base64_encoded")
    body_bytes = decode_body(body, is_base64)
    path = str_at(event, "raw_path", "raw_path")
    fill(environ, options, path, query_params(event, "query_string_parameters"), method, None, body_bytes)
    return environ, body_bytes


def fill(
    environ: Environ, options: Options, path: str | None, params: Any, method: str, user: object, body: bytes
) -> None:
    """Server, path, query and request variables, the same for both Lattice payloads."""
    set_server(environ, "", "https")
    path, _, query = (path or "/").partition("?")
    set_path(
        environ,
        *split_root(encode_ascii(path), options.base_path),
        query_from_decoded(params) if params else encode_ascii(query),
    )
    set_request(environ, method, _client(environ), user, body)


def _client(environ: Environ) -> str | None:
    # Lattice appends the peer it saw to X-Forwarded-For, as ALB does: the last entry
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    return forwarded.rpartition(",")[2].strip() or None if forwarded else None


def from_response(response: Response, event: Event, options: Options) -> Result:
    """The result Lattice expects: ALB's single-value shape."""
    return single_value_result(response, options)
