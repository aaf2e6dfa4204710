"""VPC Lattice events of payload format 2.0 (multi-value headers and query, requestContext).

AWS: docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html. Some recorded samples
carry plain strings where the service sends lists: both are read.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .cgi import add_multi_headers
from .encoding import decode_body
from .lattice_v1 import fill, from_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._model import Environ, Event, Options

__all__ = ["from_response", "to_request"]


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a Lattice 2.0 event describes; the IAM principal becomes REMOTE_USER."""
    environ: Environ = {}
    if event.get("headers"):
        add_multi_headers(environ, event["headers"])
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    identity = (event.get("requestContext") or {}).get("identity") or {}
    fill(environ, options, event.get("path"), event.get("queryStringParameters"), event["method"],
         identity.get("principal"), body)  # fmt: skip
    return environ, body
