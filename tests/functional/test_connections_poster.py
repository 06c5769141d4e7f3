"""The boto3 connections-API adapter: exact bytes posted, 410 Gone, other failures (botocore Stubber)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from twschat.adapters.connections import ApiGatewayPoster, connections_endpoint
from twschat.core.ports import PostOutcome


@pytest.fixture
def stubbed():
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url="https://example.test/prod", region_name="us-east-1"
    )
    with Stubber(client) as stub:
        yield ApiGatewayPoster("https://example.test/prod", client=client), stub


def test_posts_the_frame_as_compact_utf8_json(stubbed):
    poster, stub = stubbed
    frame = {"type": "message", "message": "Olá — ABEND"}
    expected = json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()
    stub.add_response("post_to_connection", {}, {"ConnectionId": "abc=", "Data": expected})
    assert poster.post("abc=", frame) is PostOutcome.SENT


def test_gone_is_reported_as_gone_not_as_a_generic_failure(stubbed):
    poster, stub = stubbed
    stub.add_client_error("post_to_connection", service_error_code="GoneException", http_status_code=410)
    assert poster.post("abc=", {"type": "message"}) is PostOutcome.GONE
    stub.add_client_error("get_connection", service_error_code="GoneException", http_status_code=410)
    assert poster.is_connected("abc=") is False


@pytest.mark.parametrize(
    ("code", "status"),
    [("LimitExceededException", 429), ("ForbiddenException", 403), ("PayloadTooLargeException", 413)],
)
def test_other_errors_are_failures_and_do_not_raise(stubbed, code, status, caplog):
    poster, stub = stubbed
    stub.add_client_error("post_to_connection", service_error_code=code, http_status_code=status)
    assert poster.post("abc=", {"type": "message", "message": "secret text"}) is PostOutcome.FAILED
    assert "secret text" not in caplog.text


def test_endpoint_comes_from_domain_and_stage_unless_overridden():
    assert (
        connections_endpoint("abc.execute-api.us-east-1.amazonaws.com", "prod")
        == "https://abc.execute-api.us-east-1.amazonaws.com/prod"
    )
    assert (
        connections_endpoint("localhost:8030", "local", "http://127.0.0.1:8031/local/")
        == "http://127.0.0.1:8031/local"
    )


def test_against_moto_the_post_and_the_connection_check_succeed():
    endpoint = "https://abc.execute-api.us-east-1.amazonaws.com/prod"  # moto answers AWS hostnames only
    with mock_aws():
        client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1")
        poster = ApiGatewayPoster(endpoint, client=client)
        assert poster.post("abc=", {"type": "message", "message": "oi"}) is PostOutcome.SENT
        assert poster.is_connected("abc=") is True
