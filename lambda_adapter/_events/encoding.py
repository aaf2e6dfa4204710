"""The byte and text rules of both directions, shared by every source, each function named after
the rule it applies. In: percent-encoding of paths and queries, request bodies, the root a stage or
base path makes. Out: the app's answer as text or base64, header grouping and checks. One module for
both: every source needs both, and each module on the cold path costs an import (issue 17).

Invariants: pure functions of their arguments (``is_text``, ``checked_headers`` and ``query_from_decoded``
keep bounded memos, invisible to callers; ``_escaped`` its translate tables); nothing here is imported
that costs start-up time (no urllib, base64, re or typing at run time).
"""

from __future__ import annotations

import binascii
import sys

from .._model import BadRequest, InvalidResponse

_STRICT_BASE64 = sys.version_info >= (3, 11)
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .._typing import Response

# Plain literals, no tables built at import: every module's import is paid by every cold start.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_COMPONENT_CHARS = frozenset(_UNRESERVED)
_SAFE_KEYS: set[str] = set()  # query parameter names found to need no escaping (bounded)
_SAFE_KEYS_LIMIT = 512
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


def wsgi_path(raw: str) -> str:
    """PEP 3333 ``PATH_INFO``: the percent-decoded bytes, carried as latin-1 characters."""
    return percent_decode_bytes(raw).decode("latin-1") if "%" in raw else raw


def wsgi_str(text: str) -> str:
    """A native string for WSGI: non-ASCII text becomes its UTF-8 bytes as latin-1."""
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("latin-1")


def encode_path(decoded: str) -> str:
    """Percent-encode a path that arrived decoded, so that decoding it again is exact."""
    return decoded if _PATH_CHARS.issuperset(decoded) else _escaped(decoded, _PATH_CHARS)


def encode_ascii(text: str) -> str:
    """Escape what a raw query string may not hold literally (non-ASCII, spaces, controls)."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return _escaped(text, None)


def query_from_decoded(params: Mapping[str, Iterable[str] | str | None]) -> str:
    """Rebuild a query string from decoded values (API Gateway REST), so `+&= ` survive."""
    pairs = []
    safe = _COMPONENT_CHARS.issuperset  # one loop, one call per value: it runs for every parameter
    for key, values in params.items():
        if key not in _SAFE_KEYS:
            key = _safe_key(key)
        if values.__class__ is not list:
            values = (values,) if values.__class__ is str else _values(values)  # queryStringParameters: strings
        for value in values:
            if value.__class__ is not str:
                _values(values)  # raises the BadRequest that names the type
            if safe(value):
                pairs.append(f"{key}={value}")
            elif safe(value.replace(" ", "")):  # a space alone, the most common: no translate table
                pairs.append(f"{key}={value.replace(' ', '%20')}")
            else:
                pairs.append(f"{key}={_escaped(value, _COMPONENT_CHARS)}")
    return "&".join(pairs)


def _safe_key(key: str) -> str:
    """A query parameter's name escaped; remembered when it needs no escaping (a bounded memo)."""
    if not _COMPONENT_CHARS.issuperset(key):
        return _escaped(key, _COMPONENT_CHARS)
    if len(_SAFE_KEYS) < _SAFE_KEYS_LIMIT:
        _SAFE_KEYS.add(key)
    return key


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


# -- the answer: text or base64, header grouping and checks ----------------------------------------
_TEXT_TYPES = frozenset(
    ("application/json", "application/javascript", "application/xml", "application/ecmascript",
     "application/x-javascript", "application/x-www-form-urlencoded", "image/svg+xml")
)  # fmt: skip


# RFC 9110 section 5.6.2: a field name is a token
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAMES_SEEN: set[str] = set()  # names already found to be tokens (bounded)
_NAMES_LIMIT = 512
_VALUES_SEEN: set[str] = set()  # values already found clean: no CR or LF, no blanks around, ASCII (bounded)
_VALUE_MEMO_MAX = 100  # longer values (tokens, one-off ETags) are checked each time, not kept
_VALUES_LIMIT = 512
# the app's text types -> content type -> is_text: a pure function's bounded memo (by text types
# first: a look-up by the same frozenset, then by a string, costs less than by a tuple of both); an
# app answers with a handful of content types, and the rule below costs more than a look-up
_TEXT_MEMO: dict[frozenset[str], dict[str | None, bool]] = {}
_TEXT_MEMO_LIMIT = 256
_NONE_KNOWN: dict[str | None, bool] = {}  # never written to


def is_text(content_type: str | None, text_types: frozenset[str]) -> bool:
    """Whether a response of this media type goes out as text (SPEC section 4)."""
    if content_type is None:
        return True
    memo = _TEXT_MEMO.get(text_types)
    if memo is None:
        memo = {}
        if len(_TEXT_MEMO) < 16:  # a set of text types per adapt() call: a few per process
            _TEXT_MEMO[text_types] = memo
    known = memo.get(content_type)
    if known is not None:
        return known
    mime = content_type.partition(";")[0].strip().lower()
    text = mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml")) or mime in text_types
    if len(memo) < _TEXT_MEMO_LIMIT:
        memo[content_type] = text
    return text


def encode_body(
    body: bytes, content_type: str | None, content_encoding: str | None, text_types: frozenset[str]
) -> tuple[str, bool]:
    """The body for the result dict and whether it is base64: text only if it is UTF-8 text."""
    if not body:
        return "", False
    text = _TEXT_MEMO.get(text_types, _NONE_KNOWN).get(content_type)  # is_text's memo read here: a call fewer
    if text is None:
        text = is_text(content_type, text_types)
    if text and (content_encoding is None or content_encoding.strip().lower() == "identity"):
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


# Between the prelude and the body of a streamed answer (a Function URL's, or a REST API's with a STREAM
# integration): 8 NUL bytes (docs.aws.amazon.com/apigateway/latest/developerguide/
# response-transfer-mode-lambda.html#response-transfer-mode-lambda-format)
PRELUDE_END = bytes(8)


def framed_prelude(document: dict[str, object]) -> bytes:
    """A streamed answer's prelude: the JSON document (status, headers), then its 8 NUL bytes."""
    import json

    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode() + PRELUDE_END


def text_from_native(native: str) -> str:
    """A latin-1 native string back to the text its bytes spell in UTF-8 (else as it is)."""
    try:
        return native.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return native


def checked_headers(headers: object) -> list[tuple[str, str]]:
    """The app's response headers, refused when malformed or holding CR or LF (SPEC 7).

    Values lose surrounding blanks, as a server writing them on the wire does (gunicorn): Django
    sends ``Set-Cookie: " sessionid=..."``.
    """
    if headers.__class__ is not list:  # __class__, not type(): no call per answer
        raise InvalidResponse(f"response headers must be a list of (name, value), got {headers!r}")
    checked = headers
    try:
        for name, value in headers:  # the common case: every name and value seen, and found clean, before
            if name not in _NAMES_SEEN or value not in _VALUES_SEEN:
                break
        else:
            return headers
        for index, (name, value) in enumerate(headers):
            if name not in _NAMES_SEEN:
                _check_name(name)
            if value in _VALUES_SEEN:  # most values repeat from answer to answer (Content-Type...)
                continue
            if "\n" in value or "\r" in value:
                raise InvalidResponse(f"the value of response header {name!r} holds CR or LF")
            stripped = value.strip(" \t")
            if not stripped.isascii():  # native strings carry bytes; the result dict carries text
                stripped = text_from_native(stripped)
            if stripped is not value and stripped != value:
                if checked is headers:
                    checked = list(headers)  # the app's own list stays as it was
                checked[index] = (name, stripped)
            elif len(value) <= _VALUE_MEMO_MAX and len(_VALUES_SEEN) < _VALUES_LIMIT and name.lower() != "set-cookie":
                _VALUES_SEEN.add(value)  # short, and no cookie: the memo keeps no session token
    except (TypeError, ValueError, AttributeError):
        raise InvalidResponse(f"response headers must be (str, str) pairs, got {headers!r}") from None
    return checked


def _check_name(name: str) -> None:
    """Refuse a header name that is no HTTP token (empty, blanks, CR/LF, ':', non-ASCII)."""
    if not name or not _TOKEN_CHARS.issuperset(name):
        if not isinstance(name, str):
            raise TypeError(name)
        raise InvalidResponse(f"response header name {name!r} is not an HTTP token")
    if len(_NAMES_SEEN) < _NAMES_LIMIT:
        _NAMES_SEEN.add(name)
