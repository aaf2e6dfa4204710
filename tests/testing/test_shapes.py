"""The builders' events have the shape AWS sends: which keys are there, absent or null when a part of the
request is missing, compared with real captures (tests/events/recorded/README.md) and the AWS pages the
builders' comments cite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambda_adapter import adapt
from lambda_adapter.testing import LambdaContext, alb_event, json_of, rest_event, url_event, websocket_event
from tests.apps import wsgi_echo
from tests.conftest import load_event

ABSENT = "<absent>"
IAM = {"iam": {"accountId": "111122223333", "userArn": "arn:aws:iam::111122223333:user/example-user"}}


def _at(event: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if key not in event:
            return ABSENT
        event = event[key]
    return event


@pytest.mark.parametrize(
    ("build", "path", "expected"),
    [
        # REST without an authorizer: no key (set-up-lambda-proxy-integrations.html; a real capture's requestContext)
        (lambda: rest_event(), "requestContext.authorizer", ABSENT),
        (lambda: rest_event(authorizer={"principalId": "ada"}), "requestContext.authorizer", {"principalId": "ada"}),
        (lambda: rest_event(), "queryStringParameters", None),
        (lambda: rest_event(), "multiValueQueryStringParameters", None),
        (lambda: rest_event(), "body", None),
        (lambda: rest_event(), "stageVariables", None),
        # the root is the "/" resource's: /{proxy+} needs a segment (the docs' AWS_IAM example: resourcePath "/")
        (lambda: rest_event(), "resource", "/"),
        (lambda: rest_event(), "requestContext.resourcePath", "/"),
        (lambda: rest_event(), "pathParameters", None),
        (lambda: rest_event(path="/a/b"), "resource", "/{proxy+}"),
        (lambda: rest_event(path="/a/b"), "pathParameters", {"proxy": "a/b"}),
        # identity: the User-Agent header whatever its spelling; the caller fields null, not absent
        (lambda: rest_event(headers={"user-agent": "curl/8.5.0"}), "requestContext.identity.userAgent", "curl/8.5.0"),
        (lambda: rest_event(), "requestContext.identity.userAgent", None),
        (lambda: rest_event(), "requestContext.identity.userArn", None),
        (lambda: rest_event(), "requestContext.identity.cognitoIdentityId", None),
        (lambda: rest_event(), "requestContext.domainPrefix", "abc123"),
        # Function URL with auth type NONE: accountId "anonymous"; with IAM auth, the owner's account
        (lambda: url_event(), "requestContext.accountId", "anonymous"),
        (lambda: url_event(authorizer=IAM), "requestContext.accountId", "123456789012"),
        (lambda: url_event(), "requestContext.authorizer", ABSENT),
        # WebSocket: no query on CONNECT means no query keys; no headers on MESSAGE
        (lambda: websocket_event(event_type="CONNECT"), "queryStringParameters", ABSENT),
        (lambda: websocket_event(event_type="MESSAGE"), "headers", ABSENT),
        (lambda: websocket_event(event_type="CONNECT"), "requestContext.authorizer", ABSENT),
    ],
)
def test_a_missing_part_is_absent_or_null_as_aws_sends_it(
    build: Callable[[], dict[str, Any]], path: str, expected: Any
) -> None:
    assert _at(build(), path) == expected


def _keys(event: Any, prefix: str = "") -> set[str]:
    """Every key path of an event's objects, down to (not into) the header and query maps."""
    if not isinstance(event, dict):
        return set()
    found = set()
    for key, value in event.items():
        found.add(prefix + key)
        if key not in ("headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters"):
            found |= _keys(value, f"{prefix}{key}.")
    return found


@pytest.mark.parametrize(
    ("recorded", "build"),
    [  # captures the README documents as real (no TRAP): the same keys, no more, no fewer
        ("powertools/lambdaFunctionUrlEvent.json", lambda: url_event(headers={"User-Agent": "agent"})),
        ("powertools/apiGatewayWebSocketApiConnect.json", lambda: websocket_event(event_type="CONNECT")),
        ("powertools/apiGatewayWebSocketApiMessage.json", lambda: websocket_event(event_type="MESSAGE", body="hi")),
        ("powertools/apiGatewayWebSocketApiDisconnect.json", lambda: websocket_event(event_type="DISCONNECT")),
        ("powertools/albMultiValueHeadersEvent.json", lambda: alb_event(multi_value=True)),
        ("awsdocs/alb-health-check.json", lambda: alb_event()),
    ],
)
def test_the_keys_of_a_real_capture(recorded: str, build: Callable[[], dict[str, Any]]) -> None:
    assert _keys(build()) == _keys(load_event(recorded))


@pytest.mark.parametrize("path", ["/", "/a/b"])
@pytest.mark.parametrize("authorizer", [None, {"principalId": "ada"}])
def test_the_new_shapes_reach_the_app_as_before(path: str, authorizer: dict[str, Any] | None) -> None:
    seen = json_of(adapt(wsgi_echo)(rest_event(path=path, authorizer=authorizer), LambdaContext()))
    assert (seen["path_info"], seen.get("remote_user")) == (path, authorizer and authorizer["principalId"])
