"""VPC Lattice events of payload format 2.0 (multi-value headers and query, requestContext).

AWS: docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html. Some recorded samples
carry plain strings where the service sends lists: both are read.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import body_at, environ_from_multi_headers, method_of, object_at, query_params, str_at
from .encoding import decode_body
from .lattice_v1 import fill, from_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._options import Options
    from .._typing import Environ, Event

__all__ = ["from_response", "to_request"]


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a Lattice 2.0 event describes; the IAM principal becomes REMOTE_USER."""
    method = method_of(event.get("method"), "lattice_v2", "method")
    headers = event.get("headers")
    environ = environ_from_multi_headers(headers, "headers") if headers is not None else {}
    body, is_base64 = body_at(event, "body", "isBase64Encoded")
    body_bytes = decode_body(body, is_base64)
    identity = object_at(object_at(event, "requestContext", "requestContext"), "identity", "requestContext.identity")
    principal = str_at(identity, "principal", "requestContext.identity.principal")
    fill(environ, options, str_at(event, "path", "path"), query_params(event, "queryStringParameters"), method,
         principal, body_bytes)  # fmt: skip
    return environ, body_bytes
