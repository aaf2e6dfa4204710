"""The encoding rules, one by one."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_adapter._events.encoding import (
    decode_body,
    encode_ascii,
    encode_path,
    percent_decode_bytes,
    query_from_decoded,
    query_from_encoded,
    split_root,
    stage_prefix,
)
from lambda_adapter._model import BadRequest


@pytest.mark.parametrize(
    "path, prefix, expected",
    [
        ("/prod/items", "/prod", ("/prod", "/items")),
        ("/prod", "/prod", ("/prod", "")),
        ("/products", "/prod", ("", "/products")),
        ("/prod-x/a", "/prod", ("", "/prod-x/a")),
        ("/items", "", ("", "/items")),
    ],
)
def test_split_root_matches_whole_segments(path: str, prefix: str, expected: tuple[str, str]) -> None:
    assert split_root(path, prefix) == expected


@pytest.mark.parametrize(
    "stage, domain, told, expected",
    [
        ("prod", "abc.execute-api.eu-west-1.amazonaws.com", None, "/prod"),
        ("$default", "abc.execute-api.eu-west-1.amazonaws.com", None, ""),
        ("prod", "api.example.com", None, ""),
        ("prod", "localhost:3000", True, "/prod"),
        ("prod", "abc.execute-api.eu-west-1.amazonaws.com", False, ""),
        (None, "x", True, ""),
    ],
)
def test_stage_prefix(stage: object, domain: str, told: bool | None, expected: str) -> None:
    assert stage_prefix(stage, domain, told) == expected


def test_decoded_query_values_survive_the_round_trip() -> None:
    params = {"a": ["1", "2"], "b": ["x y"], "c": ["+"], "d": ["&"], "e": ["="], "f": ["\u2713"], "g": None}
    assert query_from_decoded(params) == "a=1&a=2&b=x%20y&c=%2B&d=%26&e=%3D&f=%E2%9C%93&g="


@pytest.mark.parametrize(
    "params",
    [
        {"page": ["2"], "q": ["a b"]}, {"q": ["  "], "r": [" a+b "], "s": ["a b&c"], "t": ["caf\u00e9 au lait"]},
        {"a b": ["1"], "c=d": "2", "e&f": None, "\u00e9": ["%"]}, {"k": "v w", "l": "x", "m": ["~-._"]},
        {"a": []}, {"page": ["1", "two words", "3"]},
    ],
)  # fmt: skip
def test_decoded_query_parts_are_escaped_as_urllib_does(params: dict[str, Any]) -> None:
    """Each key and value percent-encoded as ``urllib.parse.quote`` does (the unreserved characters
    kept), both when a parameter name is first seen and once it is remembered."""
    from urllib.parse import quote

    def values(value: Any) -> list[str]:
        return value if isinstance(value, list) else [value or ""]

    expected = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, vs in params.items() for v in values(vs))
    assert query_from_decoded(params) == expected
    assert query_from_decoded(params) == expected


def test_encoded_query_values_are_not_encoded_twice() -> None:
    assert query_from_encoded({"b": ["x%20y"], "c": "%2B", "d": None}) == "b=x%20y&c=%2B&d="


def test_paths_and_queries_become_ascii() -> None:
    assert encode_path("/a b/caf\u00e9/%/?#") == "/a%20b/caf%C3%A9/%25/%3F%23"
    assert encode_path("/plain/a:b@c") == "/plain/a:b@c"
    assert encode_ascii("x=caf\u00e9 y") == "x=caf%C3%A9%20y"
    assert encode_ascii("x=%2B&y=1") == "x=%2B&y=1"


def test_percent_decoding_keeps_invalid_escapes() -> None:
    assert percent_decode_bytes("/a%2Fb%zz%4") == b"/a/b%zz%4"
    assert percent_decode_bytes("/caf%c3%a9") == "/caf\u00e9".encode()


def test_bodies() -> None:
    assert decode_body(None, True) == b""
    assert decode_body("aGk=", True) == b"hi"
    assert decode_body("h\u00e9", False) == "h\u00e9".encode()
    for bad in ("Hello from Lambda!", "aGk", "a\u00e9Gk="):
        with pytest.raises(BadRequest, match="not valid base64"):
            decode_body(bad, True)


def test_the_clean_header_memo_keeps_no_cookie_and_no_long_value() -> None:
    """Response header values found clean are remembered (bounded) to skip the check next time; a
    Set-Cookie value (a session token) or a long one is checked every time and never kept."""
    from lambda_adapter._events import encoding

    secret, long_value = "session=s3cr3t-token-for-memo-test", "x" * 101
    headers = [("Content-Type", "text/plain; memo-test"), ("Set-Cookie", secret), ("X-Long", long_value)]
    assert encoding.checked_headers(headers) == headers
    assert "text/plain; memo-test" in encoding._VALUES_SEEN
    assert secret not in encoding._VALUES_SEEN and long_value not in encoding._VALUES_SEEN
    assert encoding.checked_headers([("Set-Cookie", " " + secret)]) == [("Set-Cookie", secret)]  # still checked


# (headers, body): a REST answer's every header rule and body rule
REST_ANSWERS = [
    ([("Content-Type", "text/plain")], b"Hello"),
    ([("Content-Type", "application/json; charset=utf-8"), ("X-A", "1"), ("x-a", "2")], b'{"a": "\xc3\xa9"}'),
    ([("Content-Type", "text/plain"), ("Content-Type", "image/png")], b"PNG"),  # the last one counts
    ([("Content-Type", "text/plain")], b"\xff\xfe not UTF-8"),
    ([("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], b"UTF-8 bytes, encoded"),
    ([("Content-Type", "text/html"), ("content-encoding", " Identity ")], b"<p>"),
    ([("Set-Cookie", "a=1"), ("set-cookie", "a=1"), ("SET-COOKIE", "b=2")], b"no type"),
    ([("Content-Type", "application/x-custom")], b"custom text"),
    ([("Content-Type", "text/plain")], b""),
    ([], b""),
]


@pytest.mark.parametrize("headers, body", REST_ANSWERS)
def test_rest_answers_keep_the_rules_of_encode_multi_value(headers: list[tuple[str, str]], body: bytes) -> None:
    """``apigw_v1.from_response`` writes ``encode_multi_value`` in: the same result for every answer,
    whether ``is_text``'s memo knows the content type yet or not."""
    from lambda_adapter._events import apigw_v1
    from lambda_adapter._events.encoding import encode_multi_value
    from lambda_adapter._model import Response
    from lambda_adapter._options import Options

    for options in (Options.from_keywords({}), Options.from_keywords({"text_mime_types": ["application/x-custom"]})):
        for _ in range(2):  # the first answer of a content type and a later one
            response = Response(200, headers, body)
            grouped, text, is_base64 = encode_multi_value(response, options.text_mime_types)
            expected = {"statusCode": 200, "multiValueHeaders": grouped, "body": text, "isBase64Encoded": is_base64}
            assert apigw_v1.from_response(response, {}, options) == expected
