"""The samples driven through events of every format, as each AWS source would send them."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, body_of, event_for, headers_of, json_of, set_cookies_of, status_of

SAMPLES = ["flask_sample", "django_sample", "django_asgi_sample", "fastapi_sample"]
WSGI_SAMPLES = ["flask_sample", "django_sample", "django_asgi_sample"]
FORMATS = ["rest", "http", "http1", "url", "alb", "alb-multi", "edge", "lattice1", "lattice2"]
MULTI_COOKIE_FORMATS = ["rest", "http", "http1", "url", "alb-multi", "edge"]
SINGLE_VALUE_FORMATS = ["alb", "lattice1", "lattice2"]  # one value per header name in the answer
SMALL_ANSWER_FORMATS = ("alb", "alb-multi", "edge")  # ALB: 1 MB; Lambda@Edge origin request: 1 MB
QUERY = "a=1&a=2&b=x%20y&c=%2B&d=%26"


def call(sample: Any, format: str, **request: Any) -> dict[str, Any]:
    result: dict[str, Any] = sample.handler(event_for(format, **request), LambdaContext())
    return result


def multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "lambdaadapterboundary7MA4YWxkTrZu0gW"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(params=SAMPLES)
def sample(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("format", FORMATS)
def test_json_api(sample: Any, format: str) -> None:
    result = call(sample, format, path="/api/items", query="limit=1")
    assert status_of(result) == 200
    assert not result.get("isBase64Encoded") and result.get("bodyEncoding", "text") == "text"
    assert len(json_of(result)["items"]) == 1


@pytest.mark.parametrize("format", FORMATS)
def test_query_reaches_the_app_unchanged(sample: Any, format: str) -> None:
    seen = json_of(call(sample, format, path="/query", query=QUERY))
    if format in ("alb", "lattice1"):  # one value per query key: the last of a repeated key
        assert seen["raw"] == QUERY.replace("a=1&", "")
        assert seen["args"] == {"a": ["2"], "b": ["x y"], "c": ["+"], "d": ["&"]}
        return
    assert seen["raw"] == QUERY
    assert seen["args"] == {"a": ["1", "2"], "b": ["x y"], "c": ["+"], "d": ["&"]}


@pytest.mark.parametrize("format", MULTI_COOKIE_FORMATS)
def test_two_set_cookies_arrive(sample: Any, format: str) -> None:
    body, _ = b"username=ada", None
    result = call(sample, format, method="POST", path="/login", body=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    cookies = set_cookies_of(result)
    assert len(cookies) == 2, cookies
    assert {c.split("=")[0] for c in cookies} >= {"theme"}


@pytest.mark.parametrize("format", SINGLE_VALUE_FORMATS)
def test_single_value_answers_keep_every_cookie_under_case_variants_without_a_warning(
    sample: Any, format: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = call(sample, format, method="POST", path="/login", body=b"username=ada",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert len(set_cookies_of(result)) == 2
    assert sorted(name for name in result["headers"] if name.lower() == "set-cookie") == ["Set-cookie", "set-cookie"]
    assert "dropped" not in caplog.text


@pytest.mark.parametrize("sample_name", WSGI_SAMPLES)
@pytest.mark.parametrize("format", MULTI_COOKIE_FORMATS)
def test_session_login_round_trip(sample_name: str, format: str, request: pytest.FixtureRequest) -> None:
    sample = request.getfixturevalue(sample_name)
    result = call(sample, format, method="POST", path="/login", body=b"username=ada",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status_of(result) == 302
    cookie = "; ".join(c.split(";")[0] for c in set_cookies_of(result))
    seen = json_of(call(sample, format, path="/me", headers={"Cookie": cookie}))
    assert seen == {"user": "ada", "theme": "dark"}


@pytest.mark.parametrize("format", ["rest", "http", "http1"])
def test_stage_urls_are_ones_the_client_can_follow(sample: Any, format: str) -> None:
    links = json_of(call(sample, format, path="/links" if "fastapi" not in str(sample) else "/products", stage="prod"))
    assert (links.get("items") or links["url"]).endswith(("/prod/api/items", "/prod/products"))
    followed = (links.get("items") or links["url"]).split("/prod", 1)[1]
    assert call(sample, format, path=followed, stage="prod")["statusCode"] == 200


@pytest.mark.parametrize("format", ["rest", "http", "http1"])
def test_prod_stage_does_not_eat_products(sample: Any, format: str) -> None:
    result = call(sample, format, path="/products", stage="prod")
    assert result["statusCode"] == 200
    assert json_of(result)["url"].endswith("/prod/products")


@pytest.mark.parametrize("format", ["http", "url", "alb", "rest"])
def test_base_path_of_a_custom_domain(sample: Any, format: str) -> None:
    app = getattr(sample, "app", None) or sample.application
    handler = adapt(app, base_path="/v1")
    kwargs: dict[str, Any] = {"path": "/v1/products", "host": "api.example.com"}
    if format in ("rest", "http"):
        kwargs["stage"] = "live"  # a named stage on a custom domain is not in the URL
    result = handler(event_for(format, **kwargs), LambdaContext())
    assert result["statusCode"] == 200
    assert json_of(result)["url"].endswith("/v1/products")
    assert "/live" not in json_of(result)["url"]


@pytest.mark.parametrize("format", FORMATS)
def test_one_megabyte_binary_upload_and_download_are_byte_exact(sample: Any, format: str) -> None:
    data = os.urandom(700_000 if format in SMALL_ANSWER_FORMATS else 1_000_000)
    body, content_type = multipart("file", "random.bin", data)
    seen = json_of(call(sample, format, method="POST", path="/upload", body=body,
                        headers={"Content-Type": content_type}))  # fmt: skip
    assert seen["size"] == len(data)
    assert seen["sha256"] == hashlib.sha256(data).hexdigest()
    result = call(sample, format, method="POST", path="/echo", body=data,
                  headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64"
    assert body_of(result) == data


@pytest.mark.parametrize("format", FORMATS)
def test_gzip_response_goes_out_base64(sample: Any, format: str) -> None:
    result = call(sample, format, path="/gzip", headers={"Accept-Encoding": "gzip"})
    assert status_of(result) == 200
    assert result.get("isBase64Encoded") or result.get("bodyEncoding") == "base64"
    assert json.loads(gzip.decompress(body_of(result)))


@pytest.mark.parametrize("format", FORMATS)
def test_exception_is_a_500_without_traceback_and_the_next_event_works(
    sample: Any, format: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = call(sample, format, path="/boom")
    assert status_of(result) == 500
    text = body_of(result).decode()
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert status_of(call(sample, format, path="/api/items")) == 200


@pytest.mark.parametrize("format", FORMATS)
def test_unknown_route_is_a_404(sample: Any, format: str) -> None:
    assert status_of(call(sample, format, path="/no/such/page")) == 404


@pytest.mark.parametrize("format", FORMATS)
def test_redirect_points_inside_the_app(sample: Any, format: str) -> None:
    result = (
        call(sample, format, path="/go", stage="prod")
        if format in ("rest", "http", "http1")
        else call(sample, format, path="/go")
    )
    assert status_of(result) in (302, 303, 307)
    location = headers_of(result)["location"][0]
    prefix = "/prod" if format in ("rest", "http", "http1") else ""
    assert location.endswith(f"{prefix}/api/items")


@pytest.mark.parametrize("format", FORMATS)
def test_head_has_headers_and_no_body(flask_sample: Any, format: str) -> None:
    get = call(flask_sample, format, path="/api/items")
    result = call(flask_sample, format, method="HEAD", path="/api/items")  # Flask answers HEAD for GET routes
    assert status_of(result) == 200
    assert result["body"] == ""
    if format == "edge":  # CloudFront sets Content-Length itself: it is read-only there
        assert "content-length" not in headers_of(result)
        return
    assert headers_of(result)["content-length"] == headers_of(get)["content-length"] == [str(len(body_of(get)))]


def test_the_main_job_runs_every_sample_and_reports_no_problem() -> None:
    """``bash tasks.sh samples`` runs samples/run.py: it must finish and find nothing wrong."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "samples/run.py"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.rstrip().endswith("all requests answered as expected")
    assert "edge" in done.stdout and "migration sample" in done.stdout
