"""How each source reads a function's result: failures, header fields, header values, HEAD."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_adapter.testing._result import to_answer

REST_FAILURE = (502, b'{"message": "Internal server error"}')
HTTP_API_FAILURE = (500, b'{"message":"Internal Server Error"}')
FAILURES = {"rest": REST_FAILURE, "url": REST_FAILURE, "alb": REST_FAILURE, "http": HTTP_API_FAILURE,
            "http1": HTTP_API_FAILURE}  # fmt: skip

MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"statusCode": 200, "body": "!!!", "isBase64Encoded": True}, "body"),
    ({"statusCode": 200, "body": {"a": 1}}, "body"),
    ({"statusCode": "abc", "body": ""}, "statusCode"),
    ({"statusCode": 42, "body": ""}, "statusCode"),
    ({"statusCode": 200, "headers": ["X-A", "1"]}, "headers"),
    ({"statusCode": 200, "headers": {"X-A": {"nested": 1}}}, "header"),
    ({"statusCode": 200, "headers": {"X-A": "a\r\nInjected: yes"}}, "CR or LF"),  # would split the answer
    ({"statusCode": 200, "headers": {"X-A": "a\nb"}}, "CR or LF"),
    ({"statusCode": 200, "headers": {"X-A\r\nInjected": 1}}, "CR or LF"),  # in the name, whatever the value
]
ONE_ZERO, TWO_ZERO = ["rest", "http1", "alb"], ["http", "url"]


@pytest.mark.parametrize(
    ("format", "result", "why"),
    [(format, result, why) for format in ONE_ZERO + TWO_ZERO for result, why in MALFORMED]
    + [(format, {"statusCode": 200, "multiValueHeaders": {"X-A": "abc"}}, "header") for format in ONE_ZERO]
    + [(format, {"statusCode": 200, "cookies": "a=1"}, "cookies") for format in TWO_ZERO],
)
def test_a_malformed_result_is_the_sources_failure_and_says_why(
    format: str, result: dict[str, Any], why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = to_answer(format, result, "GET")
    assert (answer.status, answer.body) == FAILURES[format]
    log = capsys.readouterr().err
    assert "malformed Lambda proxy response" in log and why in log


def test_header_values_that_are_not_strings_arrive_as_their_json() -> None:
    result = {"statusCode": 200, "headers": {"X-Num": 5, "X-Flag": True}, "multiValueHeaders": {"X-F": [1.5]}}
    headers = to_answer("rest", result, "GET").headers
    assert [h for h in headers if h[0].startswith("x-")] == [("x-f", "1.5"), ("x-num", "5"), ("x-flag", "true")]


@pytest.mark.parametrize(
    ("format", "expected"),
    [
        ("rest", [("set-cookie", "m=1"), ("x-a", "1"), ("x-a", "3"), ("x-b", "2")]),  # pairs in both: once
        ("http1", [("set-cookie", "m=1"), ("x-a", "1"), ("x-a", "3"), ("x-b", "2")]),
        ("http", [("x-a", "1"), ("x-b", "2"), ("set-cookie", "c=1")]),  # 2.0 has no multiValueHeaders
        ("url", [("x-a", "1"), ("x-b", "2"), ("set-cookie", "c=1")]),
        ("alb", [("set-cookie", "m=1"), ("x-a", "1"), ("x-a", "3"), ("x-b", "2")]),
    ],
)
def test_each_source_reads_the_header_fields_it_knows(format: str, expected: list[tuple[str, str]]) -> None:
    result = {"statusCode": 200, "headers": {"X-A": "1", "X-B": "2"}, "cookies": ["c=1"],  # cookies[]: 2.0 only
              "multiValueHeaders": {"X-A": ["1", "3"], "Set-Cookie": ["m=1"]}}  # fmt: skip
    headers = to_answer(format, result, "GET").headers
    assert sorted(h for h in headers if h[0] != "Content-Length") == sorted(expected)


def test_head_keeps_the_apps_content_length_other_methods_get_the_bodys() -> None:
    result = {"statusCode": 200, "headers": {"Content-Length": "99", "Connection": "keep-alive"}, "body": "abc"}
    assert to_answer("rest", result, "HEAD").headers == [("Content-Length", "99")]
    assert to_answer("rest", result, "GET").headers == [("Content-Length", "3")]
