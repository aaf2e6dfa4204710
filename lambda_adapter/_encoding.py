"""Encoding rules shared by the event translators, each named after the rule it applies.

Invariants: pure functions of their arguments (no I/O; the only state is a bounded memo of
header names, invisible to callers); nothing here is imported that costs start-up time (no
urllib, base64, re or typing at run time).
"""

from __future__ import annotations

import binascii
import sys

from ._errors import BadRequest, InvalidResponse

_STRICT_BASE64 = sys.version_info >= (3, 11)
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ._model import Response

_HEX = "0123456789ABCDEF"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# RFC 3986 pchar without "%": what may stand literally in an encoded path segment, plus "/".
_PATH_SAFE = _UNRESERVED | frozenset(b"!$&'()*+,;=:@/")
_COMPONENT_TABLE = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))
_PATH_TABLE = tuple(chr(b) if b in _PATH_SAFE else f"%{b:02X}" for b in range(256))
_PATH_CHARS = frozenset(chr(b) for b in _PATH_SAFE)
_COMPONENT_CHARS = frozenset(chr(b) for b in _UNRESERVED)
_HEX_BYTES = {a + b: bytes((int(a + b, 16),)) for a in _HEX + "abcdef" for b in _HEX + "abcdef"}
# Header names seen on nearly every request, in the spellings AWS sends: no per-event upper().
_COMMON_HEADERS = (
    "accept",
    "accept-encoding",
    "accept-language",
    "authorization",
    "cache-control",
    "cloudfront-forwarded-proto",
    "cloudfront-is-desktop-viewer",
    "cloudfront-is-mobile-viewer",
    "cloudfront-is-smarttv-viewer",
    "cloudfront-is-tablet-viewer",
    "cloudfront-viewer-country",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "host",
    "if-modified-since",
    "if-none-match",
    "origin",
    "pragma",
    "referer",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "upgrade-insecure-requests",
    "user-agent",
    "via",
    "x-amz-cf-id",
    "x-amzn-trace-id",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-proto",
    "x-requested-with",
)
_CGI_KEYS = {
    spelling: ("HTTP_" + name.upper().replace("-", "_")).replace("HTTP_CONTENT_", "CONTENT_")
    for name in _COMMON_HEADERS
    for spelling in (name, name.title(), name.title().replace("Cloudfront", "CloudFront"))
}
_CGI_KEYS_LIMIT = len(_CGI_KEYS) + 512
_TEXT_TYPES = frozenset(
    ("application/json", "application/javascript", "application/xml", "application/ecmascript",
     "application/x-javascript", "application/x-www-form-urlencoded", "image/svg+xml")
)  # fmt: skip


def percent_decode_bytes(text: str) -> bytes:
    """Decode %XX escapes to bytes; other characters count as their UTF-8 bytes (RFC 3986)."""
    parts = text.split("%")
    out = [parts[0].encode()]
    for part in parts[1:]:
        byte = _HEX_BYTES.get(part[:2])
        out.append(byte + part[2:].encode() if byte else b"%" + part.encode())
    return b"".join(out)


def asgi_path(raw: str) -> str:
    """ASGI ``path``: percent-decoded, then read as UTF-8 (as uvicorn does)."""
    return percent_decode_bytes(raw).decode("utf-8", "replace") if "%" in raw else raw


def wsgi_path(raw: str) -> str:
    """PEP 3333 ``PATH_INFO``: the percent-decoded bytes, carried as latin-1 characters."""
    return percent_decode_bytes(raw).decode("latin-1") if "%" in raw else raw


def wsgi_str(text: str) -> str:
    """A native string for WSGI: non-ASCII text becomes its UTF-8 bytes as latin-1."""
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("latin-1")


def encode_path(decoded: str) -> str:
    """Percent-encode a path that arrived decoded, so that decoding it again is exact."""
    if _PATH_CHARS.issuperset(decoded):
        return decoded
    return "".join([_PATH_TABLE[b] for b in decoded.encode("utf-8", "surrogateescape")])


def encode_component(text: str) -> str:
    """Percent-encode a query key or value: only unreserved characters stay literal."""
    if _COMPONENT_CHARS.issuperset(text):
        return text
    return "".join([_COMPONENT_TABLE[b] for b in text.encode("utf-8", "surrogateescape")])


def encode_ascii(text: str) -> str:
    """Escape what a raw query string may not hold literally (non-ASCII, spaces, controls)."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return "".join([chr(b) if 0x20 < b < 0x7F else f"%{b:02X}" for b in text.encode("utf-8", "surrogateescape")])


def query_from_decoded(params: Mapping[str, Iterable[str] | str | None]) -> str:
    """Rebuild a query string from decoded values (API Gateway REST), so `+&= ` survive."""
    pairs = []
    for key, values in params.items():
        key = encode_component(key)
        if values is None or isinstance(values, str):
            values = [values or ""]
        pairs.extend([f"{key}={encode_component(value)}" for value in values])
    return "&".join(pairs)


def query_from_encoded(params: Mapping[str, Iterable[str] | str | None]) -> str:
    """Rebuild a query string from values still encoded as sent (ALB): no second encoding."""
    pairs = []
    for key, values in params.items():
        if values is None or isinstance(values, str):
            values = [values or ""]
        pairs.extend([f"{key}={value}" for value in values])
    return encode_ascii("&".join(pairs))


def split_root(raw_path: str, prefix: str) -> tuple[str, str]:
    """Move ``prefix`` from the path to the root when it is whole segments: /prod, not /products."""
    if prefix and raw_path.startswith(prefix):
        rest = raw_path[len(prefix) :]
        if not rest or rest[0] == "/":
            return prefix, rest
    return "", raw_path


def cgi_key(name: str) -> str | None:
    """The CGI variable for a header name (PEP 3333); None for a name holding ``_``.

    Names not in the table are remembered (a pure function's memo, bounded), so a header name
    costs its ``upper()`` once per process, not once per event.
    """
    if "_" in name:  # X_Forwarded_For would pose as X-Forwarded-For: dropped, as gunicorn does
        return None
    if not name.isascii() or not name.isprintable() or " " in name or not name:
        raise BadRequest("a header name is no HTTP token")  # the name itself is request data: not logged
    key = "HTTP_" + name.upper().replace("-", "_")
    if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
        key = key[5:]
    if len(_CGI_KEYS) < _CGI_KEYS_LIMIT:
        _CGI_KEYS[name] = key
    return key


def add_headers(environ: dict[str, Any], headers: Mapping[str, str]) -> None:
    """Add one-value-per-name headers as CGI variables; two spellings of a name are joined."""
    for name, value in headers.items():
        key = _CGI_KEYS.get(name)
        if key is None:
            key = cgi_key(name)
            if key is None:
                continue
        if not value.isascii():
            value = wsgi_str(value)
        if key in environ:
            value = _merged(environ[key], key, value)
        environ[key] = value


def add_multi_headers(environ: dict[str, Any], headers: Mapping[str, list[str] | str | None]) -> None:
    """Add multi-value headers as CGI variables: ``, `` joins values, ``; `` for Cookie."""
    for name, values in headers.items():
        key = _CGI_KEYS.get(name)
        if key is None:
            key = cgi_key(name)
            if key is None:
                continue
        if type(values) is list and len(values) == 1:
            value = values[0]
        elif values is None or isinstance(values, str):
            value = values or ""
        else:
            value = ("; " if key == "HTTP_COOKIE" else ", ").join(values)
        if not value.isascii():
            value = wsgi_str(value)
        if key in environ:
            value = _merged(environ[key], key, value)
        environ[key] = value


def _merged(old: str, key: str, value: str) -> str:
    return f"{old}{'; ' if key == 'HTTP_COOKIE' else ', '}{value}"


def set_server(environ: dict[str, Any], fallback_host: str, default_scheme: str) -> None:
    """``wsgi.url_scheme``, ``SERVER_NAME``, ``SERVER_PORT`` from Host and X-Forwarded-*."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or default_scheme
    host = environ.get("HTTP_HOST") or fallback_host or "localhost"
    port = environ.get("HTTP_X_FORWARDED_PORT")
    if host[-1].isdigit() and ":" in host and "]" not in host.rpartition(":")[2]:
        host, _, host_port = host.rpartition(":")
        port = port or host_port
    environ["wsgi.url_scheme"] = scheme
    environ["SERVER_NAME"] = host
    environ["SERVER_PORT"] = port if port and port.isdigit() else ("443" if scheme == "https" else "80")


def set_path(environ: dict[str, Any], raw_root: str, raw_path: str, query: str) -> None:
    """``SCRIPT_NAME``, ``PATH_INFO`` (decoded, PEP 3333), ``QUERY_STRING`` and ``RAW_URI``."""
    environ["SCRIPT_NAME"] = wsgi_path(raw_root) if raw_root else ""
    environ["PATH_INFO"] = wsgi_path(raw_path)
    environ["QUERY_STRING"] = query
    # RAW_URI as gunicorn sets it: the request target as sent, for ASGI's raw_path
    environ["RAW_URI"] = f"{raw_root}{raw_path}?{query}" if query else raw_root + raw_path


def set_request(environ: dict[str, Any], method: str, client: object, user: object, body: bytes) -> None:
    """``REQUEST_METHOD``, ``REMOTE_ADDR``, ``REMOTE_USER`` and the decoded ``CONTENT_LENGTH``."""
    environ["REQUEST_METHOD"] = method
    if client and isinstance(client, str):  # some test events carry a CIDR suffix: 1.2.3.4/32
        environ["REMOTE_ADDR"] = client.partition("/")[0] if "/" in client else client
    if user and isinstance(user, str):
        environ["REMOTE_USER"] = wsgi_str(user)
    if body or "CONTENT_LENGTH" in environ:  # the decoded length, not what the event said
        environ["CONTENT_LENGTH"] = str(len(body))


def decode_body(body: str | None, is_base64: object) -> bytes:
    """The request body as bytes; base64 whenever the event says so, whatever the method."""
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogateescape")
    try:
        data = body.encode("ascii")
        if _STRICT_BASE64:
            return binascii.a2b_base64(data, strict_mode=True)
        if data.translate(None, _BASE64_CHARS) or len(data) % 4:  # pragma: no cover (3.10)
            raise binascii.Error("not base64")
        return binascii.a2b_base64(data)  # pragma: no cover (3.10)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadRequest("the event's body is marked isBase64Encoded but is not valid base64") from None


def is_text(content_type: str | None, text_types: frozenset[str]) -> bool:
    """Whether a response of this media type goes out as text (SPEC section 4)."""
    if content_type is None:
        return True
    mime = content_type.partition(";")[0].strip().lower()
    return mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml")) or mime in text_types


def encode_body(
    body: bytes, content_type: str | None, content_encoding: str | None, text_types: frozenset[str]
) -> tuple[str, bool]:
    """The body for the result dict and whether it is base64: text only if it is UTF-8 text."""
    if not body:
        return "", False
    if (content_encoding is None or content_encoding.strip().lower() == "identity") and is_text(
        content_type, text_types
    ):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # claims text but is not UTF-8: base64 keeps every byte
    return binascii.b2a_base64(body, newline=False).decode("ascii"), True


def encode_multi_value(response: Response, text_types: frozenset[str]) -> tuple[dict[str, list[str]], str, bool]:
    """Headers grouped by lower-case name, every value kept; the body as text or base64."""
    grouped = group_headers(response.headers)
    content_type = grouped.get("content-type")
    content_encoding = grouped.get("content-encoding")
    body, is_base64 = encode_body(
        response.body,
        content_type[-1] if content_type else None,
        content_encoding[-1] if content_encoding else None,
        text_types,
    )
    return grouped, body, is_base64


def stage_prefix(stage: object, domain: str, stage_in_url: bool | None) -> str:
    """``/stage`` when the client's URL holds the stage: on execute-api hosts, unless told."""
    if not stage or stage == "$default" or not isinstance(stage, str):
        return ""
    if stage_in_url is None:
        stage_in_url = ".execute-api." in domain  # custom domains and local emulators: no stage
    return "/" + stage if stage_in_url else ""


def group_headers(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Response headers as a multi-value map: every value kept, in order, names lower-case.

    Lower-case, as HTTP/2 carries them and as ASGI hands them over: a WSGI app and the same
    app behind an ASGI bridge answer with the same result.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        name = name.lower()
        values = grouped.get(name)
        if values is None:
            grouped[name] = [value]
        else:
            values.append(value)
    return grouped


def checked_headers(headers: object) -> list[tuple[str, str]]:
    """The app's response headers, refused when malformed or holding CR or LF (SPEC 7).

    Values lose surrounding blanks, as a server writing them on the wire does (gunicorn): Django
    sends ``Set-Cookie: " sessionid=..."``.
    """
    if type(headers) is not list:
        raise InvalidResponse(f"response headers must be a list of (name, value), got {headers!r}")
    checked = headers
    try:
        for index, (name, value) in enumerate(headers):
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name or not name:
                raise InvalidResponse(f"response header {name!r} holds CR or LF, or has no name")
            stripped = value.strip(" \t")
            if stripped is not value and stripped != value:
                if checked is headers:
                    checked = list(headers)  # the app's own list stays as it was
                checked[index] = (name, stripped)
    except (TypeError, ValueError, AttributeError):
        raise InvalidResponse(f"response headers must be (str, str) pairs, got {headers!r}") from None
    return checked
