"""VPC Lattice events of payload format 2.0 (multi-value headers and query, requestContext).

AWS: docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html. Some recorded samples
carry plain strings where the service sends lists: both are read.
Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .._cgi import add_multi_headers, set_path, set_request, set_server
from .._encoding import decode_body, encode_ascii, query_from_decoded, split_root
from .lattice_v1 import _client, from_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._model import Environ, Event
    from .._options import Options

__all__ = ["from_response", "to_request"]


def to_request(event: Event, options: Options) -> tuple[Environ, bytes]:
    """The request a Lattice 2.0 event describes; the IAM principal becomes REMOTE_USER."""
    environ: Environ = {}
    if event.get("headers"):
        add_multi_headers(environ, event["headers"])
    set_server(environ, "", "https")
    path, _, query = (event.get("path") or "/").partition("?")
    params = event.get("queryStringParameters")
    set_path(
        environ,
        *split_root(encode_ascii(path), options.base_path),
        query_from_decoded(params) if params else encode_ascii(query),
    )
    body = decode_body(event.get("body"), event.get("isBase64Encoded"))
    identity = (event.get("requestContext") or {}).get("identity") or {}
    set_request(environ, event["method"], _client(environ), identity.get("principal"), body)
    return environ, body
