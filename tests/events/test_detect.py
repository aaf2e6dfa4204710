"""Detection over every recorded event: each lands on its source, look-alikes are refused."""

from __future__ import annotations

import pytest

from lambda_adapter import UnsupportedEvent
from lambda_adapter._events import detect
from tests.conftest import load_event, recorded_events

HTTP = {
    "powertools/albEvent.json": "alb",
    "powertools/albEventPathTrailingSlash.json": "alb",
    "powertools/albMultiValueHeadersEvent.json": "alb",
    "powertools/albMultiValueQueryStringEvent.json": "alb",
    "awsdocs/alb-health-check.json": "alb",
    "sam/alb-request-get.json": "alb",
    "sam/alb-request.json": "alb",
    "powertools/apiGatewayProxyEvent.json": "v1",
    "powertools/apiGatewayProxyEventAnotherPath.json": "v1",
    "powertools/apiGatewayProxyEventNoOrigin.json": "v1",
    "powertools/apiGatewayProxyEventPathTrailingSlash.json": "v1",
    "powertools/apiGatewayProxyEventPrincipalId.json": "v1",
    "powertools/apiGatewayProxyEvent_noVersionAuth.json": "v1",
    "powertools/apiGatewayProxyOtherEvent.json": "v1",
    "powertools/apigatewayeSchemaMiddlwareValidEvent.json": "v1",
    "sam/apigateway-aws-proxy-get-stage-dev.json": "v1",
    "sam/apigateway-aws-proxy.json": "v1",
    "powertools/apiGatewayProxyV2Event.json": "v2",
    "powertools/apiGatewayProxyV2EventPathTrailingSlash.json": "v2",
    "powertools/apiGatewayProxyV2Event_GET.json": "v2",
    "powertools/apiGatewayProxyV2IamEvent.json": "v2",
    "powertools/apiGatewayProxyV2LambdaAuthorizerEvent.json": "v2",
    "powertools/apiGatewayProxyV2OtherGetEvent.json": "v2",
    "powertools/apiGatewayProxyV2SchemaMiddlwareValidEvent.json": "v2",
    "powertools/lambdaFunctionUrlEvent.json": "v2",
    "powertools/lambdaFunctionUrlEventPathTrailingSlash.json": "v2",
    "powertools/lambdaFunctionUrlEventWithHeaders.json": "v2",
    "powertools/lambdaFunctionUrlIAMEvent.json": "v2",
    "sam/apigateway-http-api-proxy-get-stage-dev.json": "v2",
    "sam/apigateway-http-api-proxy.json": "v2",
    "powertools/apiGatewayWebSocketApiConnect.json": "websocket",
    "powertools/apiGatewayWebSocketApiDisconnect.json": "websocket",
    "powertools/apiGatewayWebSocketApiMessage.json": "websocket",
    "powertools/vpcLatticeEvent.json": "lattice_v1",
    "powertools/vpcLatticeEventPathTrailingSlash.json": "lattice_v1",
    "powertools/vpcLatticeEventV2PathTrailingSlash.json": "lattice_v2",
    "powertools/vpcLatticeV2Event.json": "lattice_v2",
    "powertools/vpcLatticeV2EventWithHeaders.json": "lattice_v2",
}
NON_HTTP = {
    "powertools/sqsEvent.json": "sqs",
    "powertools/snsSqsEvent.json": "sqs",
    "powertools/s3SqsEvent.json": "sqs",
    "powertools/sqsDlqTriggerEvent.json": "sqs",
    "powertools/snsEvent.json": "sns",
    "powertools/s3Event.json": "s3",
    "powertools/dynamoStreamEvent.json": "dynamodb",
    "powertools/kinesisStreamEvent.json": "kinesis",
    "powertools/eventBridgeEvent.json": "eventbridge",
    "powertools/eventBridgeSchedulerEvent.json": "schedule",
}
EDGE_PREFIX = ("sam/cloudfront-", "awsdocs/cloudfront-")


def _name(path: object) -> str:
    return "/".join(str(path).split("/")[-2:])


@pytest.mark.parametrize("path", recorded_events(), ids=_name)
def test_every_recorded_event_is_detected_or_refused(path: object) -> None:
    name = _name(path)
    event = load_event(name)
    if name in HTTP:
        assert detect(event) == HTTP[name]
    elif name in NON_HTTP:
        assert detect(event) == NON_HTTP[name]
    elif name.startswith(EDGE_PREFIX):
        assert detect(event) == "edge"
    else:  # authorizers, Bedrock agents, and sources nobody routes (Cognito, Kafka, ...)
        with pytest.raises(UnsupportedEvent) as caught:
            detect(event)
        assert "top-level keys: " in str(caught.value)
        assert sorted(event)[0] in str(caught.value)


@pytest.mark.parametrize("event", [None, [], "GET /", 3, {}], ids=repr)
def test_non_events_are_refused_with_what_was_seen(event: object) -> None:
    with pytest.raises(UnsupportedEvent, match="event"):
        detect(event)


def test_unsupported_event_is_a_value_error() -> None:
    assert issubclass(UnsupportedEvent, ValueError)


@pytest.mark.parametrize(
    ("event", "source"),
    [
        ({"source": "serverless-plugin-warmup"}, "warmup"),
        ({"warmer": True, "concurrency": 3}, "warmup"),
        ({"detail-type": "Scheduled Event", "source": "aws.events", "resources": []}, "schedule"),
        ({"Records": [{"EventSource": "aws:sns", "Sns": {}}]}, "sns"),
    ],
    ids=repr,
)
def test_non_http_sources_and_warm_pings(event: dict[str, object], source: str) -> None:
    assert detect(event) == source


@pytest.mark.parametrize(
    "event",
    [{"warmer": "yes"}, {"source": "aws.events"}, {"Records": [{"eventSource": ["aws:sqs"]}]}, {"Records": [{}]}],
    ids=repr,
)
def test_look_alikes_of_non_http_sources_are_refused(event: dict[str, object]) -> None:
    with pytest.raises(UnsupportedEvent, match="top-level keys"):
        detect(event)
