"""Response compression (``adapt(..., compress=True)``): the coding a client accepts, the answers worth
compressing, their headers, and the compressors for whole and streamed bodies.

Invariants:
- Pure: headers and bytes in, headers and bytes out; no I/O, no logging. A compressor that fails raises
  (whatever zlib, brotli or zstd raise): the caller answers uncompressed and logs it.
- Nothing here changes an answer's bytes once decoded: only answers of compressible types over
  ``MIN_SIZE`` are encoded, never one the app encoded (any ``Content-Encoding``), one marked
  ``Cache-Control: no-transform``, a partial one (206, ``Content-Range``) or one without a body.
- ``Accept-Encoding`` is read leniently and safely: a header that does not parse (a bad q-value, a
  coding that is no token) or one over ``MAX_HEADER`` characters means identity, never an error.
- Codings, best first: Brotli (``br``) when the ``brotli`` package imports (the ``[compress]`` extra),
  zstd when the interpreter has ``compression.zstd`` (Python 3.14; untested where it is absent), gzip
  always. A client's higher q-value wins; among equals, this order.
"""

from __future__ import annotations

import zlib

from .._model import Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MIN_SIZE = 1024  # bytes: below this, the header and the CPU cost more than the bytes saved
MAX_HEADER = 1024  # characters of Accept-Encoding read at most; real ones are under 100
GZIP_LEVEL = 6  # zlib's default; Apache's and Go's too
BROTLI_QUALITY = 4  # brotli's default of 11 is for static files; 4 is the usual on-the-fly choice
ZSTD_LEVEL = 3  # zstd's default

_COMPRESSIBLE = frozenset(
    ("application/json", "application/javascript", "application/x-javascript", "application/ecmascript",
     "application/xml", "application/x-ndjson", "application/wasm", "application/x-www-form-urlencoded",
     "application/graphql", "application/yaml", "application/x-yaml", "application/toml", "application/rtf",
     "application/x-sh", "application/sql", "application/vnd.ms-fontobject", "font/ttf", "font/otf")
)  # fmt: skip
_NO_BODY = frozenset((204, 205, 206, 304))  # 206: Content-Range counts bytes of the identity body
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_MEMO: dict[tuple[str, tuple[str, ...]], str | None] = {}  # (Accept-Encoding, codings) -> coding (bounded)
_MEMO_LIMIT = 256
_AVAILABLE: list[tuple[str, ...]] = []


def available_codings() -> tuple[str, ...]:
    """The codings this interpreter can produce, best first (its imports are tried once)."""
    if not _AVAILABLE:
        codings = []
        try:
            import brotli  # noqa: F401

            codings.append("br")
        except ImportError:
            pass
        try:
            __import__("compression.zstd")  # Python 3.14 and later
            codings.append("zstd")
        except ImportError:
            pass
        _AVAILABLE.append((*codings, "gzip"))
    return _AVAILABLE[0]


def negotiate(accept_encoding: str | None, available: tuple[str, ...]) -> str | None:
    """The coding to answer with, from ``available`` (best first); None for identity.

    No header means identity (as nginx and API Gateway read it), and so does ``identity`` alone,
    ``gzip;q=0``, and any header that does not parse.
    """
    if not accept_encoding or len(accept_encoding) > MAX_HEADER:  # a huge header is neither read nor kept
        return None
    key = (accept_encoding, available)
    if key in _MEMO:
        return _MEMO[key]
    weights = _weights(accept_encoding)
    chosen = None
    if weights:
        best = 0.0
        default = weights.get("*", 0.0)
        for coding in available:
            weight = weights.get(coding, default)
            if weight > best:
                chosen, best = coding, weight
    if len(_MEMO) < _MEMO_LIMIT:
        _MEMO[key] = chosen
    return chosen


def _weights(header: str) -> dict[str, float] | None:
    """Coding -> q-value as the client listed them (the first mention counts); None if malformed."""
    weights: dict[str, float] = {}
    for element in header.lower().split(","):
        coding, *params = element.split(";")
        coding = coding.strip(" \t")
        if not coding:
            if params:
                return None
            continue  # an empty list element is allowed (RFC 9110 section 5.6.1)
        weight = 1.0
        for param in params:
            name, equals, value = param.partition("=")
            if name.strip(" \t") != "q" or not equals:
                return None
            parsed = _qvalue(value.strip(" \t"))
            if parsed is None:
                return None
            weight = parsed
        if not _TOKEN_CHARS.issuperset(coding):
            return None
        if coding == "x-gzip":  # RFC 9110 section 8.4.1.3: the same as gzip
            coding = "gzip"
        weights.setdefault(coding, weight)
    return weights


def _qvalue(text: str) -> float | None:
    """RFC 9110 section 12.4.2: ``0``, ``0.5``, ``1``, ``1.000``..., at most three decimals; else None."""
    whole, _, decimals = text.partition(".")
    if whole not in ("0", "1") or len(decimals) > 3 or not _DIGITS.issuperset(decimals):
        return None
    if whole == "1" and decimals.strip("0"):
        return None
    return float(text) if decimals else float(whole)


def is_compressible(content_type: str | None, text_types: frozenset[str]) -> bool:
    """Whether a body of this media type shrinks when compressed: text, JSON, XML, JavaScript, SVG...

    Never an image (SVG aside), audio, video, archive or compressed font: those are compressed already.
    """
    if not content_type:
        return False
    mime = content_type.partition(";")[0].strip(" \t").lower()
    return (
        mime.startswith("text/")
        or mime in _COMPRESSIBLE
        or mime.endswith(("+json", "+xml", "+yaml"))  # image/svg+xml, application/problem+json...
        or mime in text_types
    )


def worth_compressing(
    method: str, status: int, headers: list[tuple[str, str]], size: int | None, text_types: frozenset[str]
) -> bool:
    """Whether this answer may be compressed at all (and so varies by ``Accept-Encoding``).

    ``size`` is the body's length, or None when it is not known yet (a streamed answer without
    ``Content-Length``).
    """
    if method == "HEAD" or status < 200 or status in _NO_BODY:
        return False
    content_type = None
    for name, value in headers:
        lower = name.lower()
        if lower == "content-type":
            content_type = value
        elif lower in ("content-encoding", "content-range") or (
            lower == "cache-control" and "no-transform" in value.lower()  # RFC 9111 section 5.2.2.6
        ):
            return False
        elif lower == "content-length" and size is None and value and _DIGITS.issuperset(value):
            size = int(value)
    return (size is None or size >= MIN_SIZE) and is_compressible(content_type, text_types)


def varied(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with ``Accept-Encoding`` in ``Vary`` (merged into the app's last ``Vary``)."""
    last = None
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            tokens = [token.strip(" \t").lower() for token in value.split(",")]
            if "accept-encoding" in tokens or "*" in tokens:
                return headers
            last = index
    if last is None:
        return [*headers, ("Vary", "Accept-Encoding")]
    name, value = headers[last]
    merged = f"{value}, Accept-Encoding" if value.strip(" \t") else "Accept-Encoding"
    return [*headers[:last], (name, merged), *headers[last + 1 :]]


def encoded_headers(headers: list[tuple[str, str]], coding: str, length: int | None) -> list[tuple[str, str]]:
    """The headers of the answer once encoded: ``Content-Encoding``, ``Vary``, ``Content-Length``
    (``length``, or none when streamed), the ``ETag`` weakened as nginx and Apache do, no ``Accept-Ranges``."""
    out: list[tuple[str, str]] = []
    for name, value in varied(headers):
        lower = name.lower()
        if lower == "content-length":
            if length is not None:
                out.append((name, str(length)))
                length = None
        elif lower == "etag":
            out.append((name, value if value.startswith("W/") else f"W/{value}"))
        elif lower != "accept-ranges":  # ranges of the encoded body are not what the app would serve
            out.append((name, value))
    out.append(("Content-Encoding", coding))
    return out


def compress_response(
    response: Response, method: str, accept_encoding: str | None, text_types: frozenset[str]
) -> Response:
    """The answer compressed for this client, or with ``Vary`` added only, or ``response`` itself.

    A compressor's exception goes up (``response`` is left as it was); an encoded body that is not
    smaller is not used.
    """
    if not worth_compressing(method, response.status, response.headers, len(response.body), text_types):
        return response
    coding = negotiate(accept_encoding, available_codings())
    headers = varied(response.headers)
    if coding is not None:
        body = compress_whole(response.body, coding)
        if len(body) < len(response.body):
            return Response(response.status, encoded_headers(response.headers, coding, len(body)), body)
    return Response(response.status, headers, response.body)


def compress_whole(body: bytes, coding: str) -> bytes:
    """``body`` in one ``coding`` stream."""
    if coding == "br":
        import brotli

        return brotli.compress(body, quality=BROTLI_QUALITY)  # type: ignore[no-any-return]
    if coding == "zstd":  # pragma: no cover - Python 3.14
        return _zstd().compress(body, level=ZSTD_LEVEL)  # type: ignore[no-any-return]
    gzip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 16 + 15: a gzip header and trailer
    return gzip.compress(body) + gzip.flush()


class StreamCompressor:
    """One coding stream for a streamed answer: each chunk is flushed, so it reaches the client whole
    (a Server-Sent Event arrives when it is sent); ``finish`` ends the stream."""

    __slots__ = ("_chunk", "_finish")

    def __init__(self, coding: str) -> None:
        self._chunk: Callable[[bytes], bytes]
        self._finish: Callable[[], bytes]
        if coding == "br":
            import brotli

            compressor: Any = brotli.Compressor(quality=BROTLI_QUALITY)
            self._chunk = lambda data: compressor.process(data) + compressor.flush()
            self._finish = compressor.finish
        elif coding == "zstd":  # pragma: no cover - Python 3.14
            zstd = _zstd().ZstdCompressor(level=ZSTD_LEVEL)
            self._chunk = lambda data: zstd.compress(data, zstd.FLUSH_BLOCK)
            self._finish = lambda: zstd.flush(zstd.FLUSH_FRAME)
        else:
            gzip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            self._chunk = lambda data: gzip.compress(data) + gzip.flush(zlib.Z_SYNC_FLUSH)
            self._finish = gzip.flush

    def chunk(self, data: bytes) -> bytes:
        """``data`` compressed and flushed: the client can decode all of it from these bytes."""
        return self._chunk(data)

    def finish(self) -> bytes:
        """The end of the coding stream (gzip's trailer, brotli's last block)."""
        return self._finish()


def _zstd() -> Any:  # pragma: no cover - Python 3.14
    return __import__("compression.zstd", fromlist=("ZstdCompressor",))
