"""VPC Lattice payloads 1.0 and 2.0: recorded events and the single-value answer."""

from __future__ import annotations

import json

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, body_of, lattice_event
from tests.apps import asgi_echo, wsgi_echo
from tests.conftest import load_event

# event: (path, query, client, body)
V1_BODY, V2_BODY = '{"test": "event"}', '{"message": "Hello from Lambda!"}'
CASES = {
    "powertools/vpcLatticeEvent.json": ("/testpath", "order-id=1", "10.213.229.10", V1_BODY),
    "powertools/vpcLatticeEventPathTrailingSlash.json": ("/testpath/", "order-id=1", "10.213.229.10", V1_BODY),
    "powertools/vpcLatticeV2Event.json": ("/newpath", "order-id=1", "10.213.229.10", V2_BODY),
    # synthetic: a 2.0 event with 1.0's query_string_parameters key, which 2.0 does not read
    "powertools/vpcLatticeEventV2PathTrailingSlash.json": (
        "/newpath/", "", "10.213.229.10", V2_BODY),
    "powertools/vpcLatticeV2EventWithHeaders.json": (
        "/newpath", "parameter1=value1&parameter1=value2&parameter2=value", "172.31.40.143",
        V2_BODY),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_events_reach_the_app(name: str) -> None:
    path, query, client, body = CASES[name]
    event = load_event(name)
    result = adapt(wsgi_echo)(event, LambdaContext())
    assert (result["statusCode"], result["statusDescription"]) == (200, "200 OK")
    seen = json.loads(body_of(result))
    assert (seen["path_info"], seen["query"], seen["remote_addr"], seen["body"]) == (path, query, client, body)
    asgi = json.loads(body_of(adapt(asgi_echo, lifespan="off")(event, LambdaContext())))
    assert (asgi["path"], asgi["query"], asgi["client"]) == (path, query, [client, 0])


def test_v2_repeated_headers_join_and_the_principal_is_remote_user() -> None:
    event = load_event("powertools/vpcLatticeV2EventWithHeaders.json")
    seen = json.loads(body_of(adapt(wsgi_echo)(event, LambdaContext())))
    assert seen["headers"]["HTTP_HEADER2"] == "value1, value2"
    assert seen["remote_user"] == event["requestContext"]["identity"]["principal"]


@pytest.mark.parametrize("version", [1, 2])
def test_binary_round_trip(version: int) -> None:
    data = bytes(range(256))

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])  # type: ignore[operator]
        return [environ["wsgi.input"].read()]  # type: ignore[attr-defined]

    result = adapt(app)(lattice_event(version=version, method="POST", body=data), LambdaContext())
    assert result["isBase64Encoded"] is True and body_of(result) == data


# payload 1.0 carries one string per header name: a repeated header's values joined with "," (the
# recorded event's "header2": "value1,value2"), as werkzeug and uvicorn's WSGI bridge join them
V1_HEADERS = [
    ([("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2")], "header2", "value1,value2"),
    ([("X-Forwarded-For", "192.0.2.1")], "x-forwarded-for", "192.0.2.1,10.0.0.7"),
    ([("Accept", "*/*")], "accept", "*/*"),
]


@pytest.mark.parametrize(("headers", "name", "value"), V1_HEADERS)
def test_v1_builder_joins_repeated_headers_as_lattice_does(headers: list[tuple[str, str]], name: str,
                                                            value: str) -> None:  # fmt: skip
    assert load_event("powertools/vpcLatticeEvent.json")["headers"]["header2"] == "value1,value2"  # AWS's shape
    event = lattice_event(version=1, headers=headers, source_ip="10.0.0.7")
    assert event["headers"][name] == value
    seen = json.loads(body_of(adapt(wsgi_echo)(event, LambdaContext())))
    assert seen["headers"]["HTTP_" + name.upper().replace("-", "_")] == value
    assert seen["remote_addr"] == "10.0.0.7"  # the entry Lattice appended, not the client's
