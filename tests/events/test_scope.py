"""The ASGI scope from the CGI environ: the headers in the environ's order, every value's latin-1
bytes, whatever the layout of the environ (and however many layouts the memo has seen)."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_adapter._events import scope
from lambda_adapter._events.scope import to_scope

_FIXED = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/a", "QUERY_STRING": "q=1", "RAW_URI": "/a?q=1",
          "SERVER_NAME": "example.com", "SERVER_PORT": "443", "wsgi.url_scheme": "https"}  # fmt: skip


def _expected_headers(environ: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The rule, written plainly: each header variable in order, its name lower-case with dashes."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].lower().replace("_", "-").encode(), value.encode("latin-1")))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers.append((key.lower().replace("_", "-").encode(), value.encode("latin-1")))
    return headers


CASES = {
    "no headers": {},
    "one header": {"HTTP_HOST": "example.com"},
    "headers between the fixed variables": {"HTTP_ACCEPT": "*/*", "CONTENT_TYPE": "text/plain", "HTTP_X_A": "1"},
    "a value holding a line feed (a hand-made event)": {"HTTP_X_A": "one\ntwo", "HTTP_X_B": "3"},
    "an empty value": {"HTTP_X_EMPTY": "", "HTTP_X_B": "b"},
    "native strings beyond ASCII": {"HTTP_X_NAME": "caf\xc3\xa9", "CONTENT_LENGTH": "4"},
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("headers_first", [True, False], ids=["headers-first", "headers-last"])
def test_headers_and_query_are_the_environs_in_its_order(name: str, headers_first: bool) -> None:
    headers = CASES[name]
    environ = {**headers, **_FIXED} if headers_first else {**_FIXED, **headers}
    for _ in range(2):  # the layout seen first, then remembered
        made = to_scope(environ, {}, {}, None)
        assert made["headers"] == _expected_headers(environ)
        assert made["query_string"] == b"q=1" and made["raw_path"] == b"/a" and made["server"] == ("example.com", 443)


def test_layouts_beyond_the_memo_are_translated_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope, "_LAYOUTS", {})
    for count in range(scope._LAYOUTS_LIMIT + 5):
        environ = {**_FIXED, **{f"HTTP_X_{index}": str(index) for index in range(count % 7)}, f"HTTP_Y_{count}": "y"}
        assert to_scope(environ, {}, {}, None)["headers"] == _expected_headers(environ)
    assert len(scope._LAYOUTS) == scope._LAYOUTS_LIMIT


def test_each_scope_has_its_own_state_and_headers() -> None:
    state = {"db": object()}
    environ = {"HTTP_HOST": "example.com", **_FIXED}
    first, second = to_scope(environ, state, {}, None), to_scope(environ, state, {}, None)
    first["headers"].append((b"x", b"y"))
    first["state"]["added"] = True
    assert second["headers"] == [(b"host", b"example.com")] and second["state"] == state and "added" not in state


def test_the_same_headers_in_another_order_keep_their_order() -> None:
    for headers in ({"HTTP_X_A": "1", "HTTP_X_B": "2"}, {"HTTP_X_B": "2", "HTTP_X_A": "1"}):
        environ = {**headers, **_FIXED}
        assert to_scope(environ, {}, {}, None)["headers"] == _expected_headers(environ)
