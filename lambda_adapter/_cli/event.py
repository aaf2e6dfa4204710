"""``lambda-adapter event``: print the event a source sends for one request, to start a test from.

Invariants:
- The event comes from ``lambda_adapter.testing.event_for``, with the X-Forwarded-* headers the
  source adds for a client reaching it over HTTPS on port 443 (``_local.request_kwargs``).
- A header that is not ``Name: value`` is a ``UsageError``.
"""

from __future__ import annotations

import argparse
import json
import sys

from .._load import UsageError
from ..testing import FORMATS, event_for
from ..testing._local import LOCAL_FORMATS, STAGE_FORMATS, Request, request_kwargs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="http", help="the event source (default: http)")
    parser.add_argument("--method", default="GET", help="the HTTP method (default: GET)")
    parser.add_argument("--path", default="/", help="path and query as sent, e.g. '/items?limit=2'")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="a header (repeat)")
    parser.add_argument("--body", default="", help="the request body (text)")
    parser.add_argument("--stage", metavar="NAME", help="the API Gateway stage (rest, http, http1)")
    parser.add_argument("--host-header", metavar="HOST", help="the Host header (default: the source's own domain)")
    # the old name, one release more: "--host" is serve's listen address
    parser.add_argument("--host", dest="old_host", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(build(args), indent=2))
    return 0


def build(args: argparse.Namespace) -> dict[str, object]:
    """The event ``args`` describe."""
    if getattr(args, "old_host", None) is not None:
        print("lambda-adapter event: --host is now --host-header (--host is serve's listen address); "
              "the old name goes in the next release", file=sys.stderr)  # fmt: skip
        if args.host_header is None:
            args.host_header = args.old_host
    if args.stage is not None and args.format not in STAGE_FORMATS:
        raise UsageError(f"--stage goes with --format {'|'.join(STAGE_FORMATS)}, not {args.format}")
    if not args.path.startswith("/"):
        raise UsageError(f"--path must start with '/', got {args.path!r}")
    headers = [_header(text) for text in args.header]
    if args.body and not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("Content-Length", str(len(args.body.encode()))))  # as the client sent it
    if args.format not in LOCAL_FORMATS:  # Lambda@Edge, ALB multi-value, VPC Lattice: the builder's own shape
        path, _, query = args.path.partition("?")
        extra = {"host": args.host_header} if args.host_header else {}
        return event_for(args.format, method=args.method, path=path, query=query, headers=headers,
                         body=args.body.encode(), **extra)  # fmt: skip
    if args.host_header:
        headers.insert(0, ("Host", args.host_header))
    request = Request(method=args.method, target=args.path, headers=headers, body=args.body.encode(),
                      client="203.0.113.7", scheme="https", port=443)  # fmt: skip
    kwargs = request_kwargs(args.format, request, stage=args.stage)
    if not args.host_header:  # the source's own domain, as the builders have it
        del kwargs["host"]
    if "domain_name" in kwargs:
        kwargs["domain_name"] = args.host_header  # None: the builder's domain
    return event_for(args.format, **kwargs)


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or name != name.strip():
        raise UsageError(f"a header is 'Name: value', got {text!r}")
    return name, value.strip()
