"""Rules for the app's answer, shared by every source: text or base64, header grouping, checks.

Invariant: pure functions of their arguments (``is_text`` keeps a bounded memo, invisible to callers).
"""

from __future__ import annotations

import binascii

from .._model import InvalidResponse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .._typing import Response

_TEXT_TYPES = frozenset(
    ("application/json", "application/javascript", "application/xml", "application/ecmascript",
     "application/x-javascript", "application/x-www-form-urlencoded", "image/svg+xml")
)  # fmt: skip


# RFC 9110 section 5.6.2: a field name is a token
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAMES_SEEN: set[str] = set()  # names already found to be tokens (bounded)
_NAMES_LIMIT = 512
# (content type, the app's text types) -> is_text: a pure function's bounded memo; an app answers
# with a handful of content types, and the rule below costs more than a look-up
_TEXT_MEMO: dict[tuple[str, frozenset[str]], bool] = {}
_TEXT_MEMO_LIMIT = 256


def is_text(content_type: str | None, text_types: frozenset[str]) -> bool:
    """Whether a response of this media type goes out as text (SPEC section 4)."""
    if content_type is None:
        return True
    known = _TEXT_MEMO.get((content_type, text_types))
    if known is not None:
        return known
    mime = content_type.partition(";")[0].strip().lower()
    text = mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml")) or mime in text_types
    if len(_TEXT_MEMO) < _TEXT_MEMO_LIMIT:
        _TEXT_MEMO[content_type, text_types] = text
    return text


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


def _text(native: str) -> str:
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
    if type(headers) is not list:
        raise InvalidResponse(f"response headers must be a list of (name, value), got {headers!r}")
    checked = headers
    try:
        for index, (name, value) in enumerate(headers):
            if name not in _NAMES_SEEN:
                _check_name(name)
            if "\n" in value or "\r" in value:
                raise InvalidResponse(f"the value of response header {name!r} holds CR or LF")
            stripped = value.strip(" \t")
            if not stripped.isascii():  # native strings carry bytes; the result dict carries text
                stripped = _text(stripped)
            if stripped is not value and stripped != value:
                if checked is headers:
                    checked = list(headers)  # the app's own list stays as it was
                checked[index] = (name, stripped)
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
