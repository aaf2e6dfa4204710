"""Encoding rules shared by the event translators, each named after the rule it applies:
percent-encoding of paths and queries, bodies, the root a stage or base path makes.

Invariants: pure functions of their arguments (no I/O, no state); nothing here is imported
that costs start-up time (no urllib, base64, re or typing at run time).
"""

from __future__ import annotations

import binascii
import sys

from .._model import BadRequest

_STRICT_BASE64 = sys.version_info >= (3, 11)
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# Plain literals, no tables built at import: every module's import is paid by every cold start.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_COMPONENT_CHARS = frozenset(_UNRESERVED)
# RFC 3986 pchar without "%": what may stand literally in an encoded path segment, plus "/".
_PATH_CHARS = frozenset(_UNRESERVED + "!$&'()*+,;=:@/")
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")
_TABLES: dict[frozenset[str] | None, list[str]] = {}  # safe characters -> _escaped's translate table


def _escaped(text: str, safe: frozenset[str] | None) -> str:
    """Every character outside ``safe`` (None: the printable ASCII characters but the space) as %XX
    of its UTF-8 bytes (the slow path, rarely taken)."""
    table = _TABLES.get(safe)
    if table is None:  # built on first use: for each latin-1 character (a UTF-8 byte), itself or %XX
        table = _TABLES[safe] = [
            chr(b) if (chr(b) in safe if safe is not None else 0x20 < b < 0x7F) else f"%{b:02X}" for b in range(256)
        ]
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("latin-1")
    return text.translate(table)


def percent_decode_bytes(text: str) -> bytes:
    """Decode %XX escapes to bytes; other characters count as their UTF-8 bytes (RFC 3986)."""
    parts = text.split("%")
    out = [parts[0].encode()]
    for part in parts[1:]:
        if len(part) > 1 and part[0] in _HEX_DIGITS and part[1] in _HEX_DIGITS:
            out.append(bytes.fromhex(part[:2]) + part[2:].encode())
        else:
            out.append(b"%" + part.encode())
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
    return decoded if _PATH_CHARS.issuperset(decoded) else _escaped(decoded, _PATH_CHARS)


def encode_component(text: str) -> str:
    """Percent-encode a query key or value: only unreserved characters stay literal."""
    return text if _COMPONENT_CHARS.issuperset(text) else _escaped(text, _COMPONENT_CHARS)


def encode_ascii(text: str) -> str:
    """Escape what a raw query string may not hold literally (non-ASCII, spaces, controls)."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return _escaped(text, None)


def query_from_decoded(params: Mapping[str, Iterable[str] | str | None]) -> str:
    """Rebuild a query string from decoded values (API Gateway REST), so `+&= ` survive."""
    pairs = []
    safe = _COMPONENT_CHARS.issuperset  # one loop, no call per value: it runs for every parameter
    for key, values in params.items():
        if not safe(key):
            key = _escaped(key, _COMPONENT_CHARS)
        if type(values) is not list:
            values = _values(values)
        for value in values:
            if type(value) is not str:
                _values(values)  # raises the BadRequest that names the type
            pairs.append(f"{key}={value}" if safe(value) else f"{key}={_escaped(value, _COMPONENT_CHARS)}")
    return "&".join(pairs)


def query_from_encoded(params: Mapping[str, Iterable[str] | str | None]) -> str:
    """Rebuild a query string from values still encoded as sent (ALB): no second encoding."""
    pairs = []
    for key, values in params.items():
        pairs.extend([f"{key}={value}" for value in _values(values)])
    return encode_ascii("&".join(pairs))


def _values(values: object) -> list[str]:
    """A query parameter's values: a string, a list of strings, or null (one empty value)."""
    if values is None or type(values) is str:
        return [values or ""]
    if type(values) is list:
        for value in values:
            if type(value) is not str:
                break
        else:
            return values
    raise BadRequest(f"the event's query parameter values are {type(values).__name__}, not strings")


def split_root(raw_path: str, prefix: str) -> tuple[str, str]:
    """Move ``prefix`` from the path to the root when it is whole segments: /prod, not /products."""
    if prefix and raw_path.startswith(prefix):
        rest = raw_path[len(prefix) :]
        if not rest or rest[0] == "/":
            return prefix, rest
    return "", raw_path


def decode_body(body: str | None, is_base64: object) -> bytes:
    """The request body as bytes; base64 whenever the event says so, whatever the method."""
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogateescape")
    try:
        if _STRICT_BASE64:  # an ASCII str decodes as it is: no copy of a body that may be megabytes
            return binascii.a2b_base64(body, strict_mode=True)
        data = body.encode("ascii")  # pragma: no cover (3.10)
        if data.translate(None, _BASE64_CHARS) or len(data) % 4:  # pragma: no cover (3.10)
            raise binascii.Error("not base64")
        return binascii.a2b_base64(data)  # pragma: no cover (3.10)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadRequest("the event's body is marked isBase64Encoded but is not valid base64") from None


def stage_prefix(stage: object, domain: str, stage_in_url: bool | None) -> str:
    """``/stage`` when the client's URL holds the stage: on execute-api hosts, unless told."""
    if not stage or stage == "$default" or not isinstance(stage, str):
        return ""
    if stage_in_url is None:
        stage_in_url = ".execute-api." in domain  # custom domains and local emulators: no stage
    return "/" + encode_path(stage) if stage_in_url else ""  # the URL carries it encoded
