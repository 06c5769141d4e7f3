"""The local @connections and Lambda Invoke APIs, driven by boto3 exactly as the handlers drive them."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from twschat_dev.connections_api import ConnectionInfo, LocalApiServer
from twschat_dev.runtime import FunctionRunner
from twschat_dev.template import read_app

FIXTURE = Path(__file__).parent / "fixtures" / "local_app" / "template.yaml"
LIVE = "Bx2kXcPOoAMCJdA="  # '=' travels URL-encoded as %3D
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


class FakeConnections:
    def __init__(self) -> None:
        self.live = {LIVE}
        self.posted: list[tuple[str, bytes]] = []
        self.deleted: list[str] = []
        self.lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        with self.lock:
            if connection_id not in self.live:
                return False
            self.posted.append((connection_id, data))
            return True

    def describe(self, connection_id: str) -> ConnectionInfo | None:
        if connection_id not in self.live:
            return None
        return ConnectionInfo(1795608000.0, 1795608009.5, "127.0.0.1", "pytest")

    def delete(self, connection_id: str) -> bool:
        with self.lock:
            if connection_id not in self.live:
                return False
            self.live.discard(connection_id)
            self.deleted.append(connection_id)
            return True


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def connections() -> FakeConnections:
    return FakeConnections()


@pytest.fixture
def runner() -> FunctionRunner:
    return FunctionRunner(read_app(FIXTURE))


@pytest.fixture
def server(connections: FakeConnections, runner: FunctionRunner) -> Iterator[LocalApiServer]:
    srv = LocalApiServer(connections, runner, stage="local")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        assert runner.wait_async(timeout=10)


def management(server: LocalApiServer, stage: str | None = "local") -> Any:
    url = f"http://127.0.0.1:{server.port}" + (f"/{stage}" if stage else "")
    return boto3.client("apigatewaymanagementapi", endpoint_url=url, config=CONFIG)


def lambda_client(server: LocalApiServer) -> Any:
    return boto3.client("lambda", endpoint_url=server.lambda_endpoint_url, config=CONFIG)


# ------------------------------------------------------------------------------------------ @connections


def test_post_to_live_connection(server: LocalApiServer, connections: FakeConnections) -> None:
    client = management(server)
    response = client.post_to_connection(ConnectionId=LIVE, Data=b'{"type":"message"}')
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    client.post_to_connection(ConnectionId=LIVE, Data="olá".encode())
    assert connections.posted == [(LIVE, b'{"type":"message"}'), (LIVE, "olá".encode())]


def test_post_without_stage_prefix(server: LocalApiServer, connections: FakeConnections) -> None:
    management(server, stage=None).post_to_connection(ConnectionId=LIVE, Data=b"x")
    assert connections.posted == [(LIVE, b"x")]


def test_wrong_stage_is_forbidden(server: LocalApiServer) -> None:
    with pytest.raises(ClientError) as info:
        management(server, stage="prod").post_to_connection(ConnectionId=LIVE, Data=b"x")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_post_to_unknown_connection_is_gone(server: LocalApiServer) -> None:
    client = management(server)
    with pytest.raises(client.exceptions.GoneException) as info:
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert isinstance(info.value, ClientError)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert info.value.response["Error"]["Code"] == "GoneException"
    assert "AAAAAAAAAAAAAAA=" in info.value.response["Error"]["Message"]


def test_post_over_128_kb_is_refused(server: LocalApiServer, connections: FakeConnections) -> None:
    client = management(server)
    client.post_to_connection(ConnectionId=LIVE, Data=b"a" * (128 * 1024))
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        client.post_to_connection(ConnectionId=LIVE, Data=b"a" * (128 * 1024 + 1))
    assert len(connections.posted) == 1


def test_get_connection(server: LocalApiServer) -> None:
    info = management(server).get_connection(ConnectionId=LIVE)
    assert isinstance(info["ConnectedAt"], datetime)
    assert info["ConnectedAt"].timestamp() == 1795608000.0
    assert info["LastActiveAt"].timestamp() == 1795608009.5
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "pytest"}


def test_get_unknown_connection_is_gone(server: LocalApiServer) -> None:
    client = management(server)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId="nope")


def test_delete_connection(server: LocalApiServer, connections: FakeConnections) -> None:
    client = management(server)
    response = client.delete_connection(ConnectionId=LIVE)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert connections.deleted == [LIVE]
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=LIVE)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=LIVE, Data=b"x")


# ------------------------------------------------------------------------------------------ Lambda Invoke


def _echo_module() -> Any:
    return sys.modules["twschat_local_functions.EchoFunction"]


def test_invoke_request_response(server: LocalApiServer) -> None:
    response = lambda_client(server).invoke(
        FunctionName="EchoFunction", InvocationType="RequestResponse", Payload=json.dumps({"hello": 1})
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["statusCode"] == 200
    assert result["function"] == "EchoFunction"
    assert result["event"] == {"hello": 1}
    assert 0 < result["remaining"] <= 29_000  # the fake context counts down from the template's Timeout


def test_invoke_by_arn(server: LocalApiServer) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    response = lambda_client(server).invoke(FunctionName=arn, Payload=b"{}")
    assert json.loads(response["Payload"].read())["function"] == "EchoFunction"


def test_invoke_event_runs_in_background(server: LocalApiServer, runner: FunctionRunner) -> None:
    marker = {"marker": time.time_ns()}
    response = lambda_client(server).invoke(
        FunctionName="EchoFunction", InvocationType="Event", Payload=json.dumps(marker)
    )
    assert response["StatusCode"] == 202
    assert runner.wait_async(timeout=10)
    assert marker in _echo_module().events_seen


def test_invoke_through_standard_endpoint_variable(
    server: LocalApiServer, runner: FunctionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", server.lambda_endpoint_url)
    response = boto3.client("lambda", config=CONFIG).invoke(FunctionName="EchoFunction", Payload=b'{"a":1}')
    assert json.loads(response["Payload"].read())["event"] == {"a": 1}


def test_invoke_handler_error(server: LocalApiServer) -> None:
    response = lambda_client(server).invoke(FunctionName="BoomFunction", Payload=b"{}")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "boom"


def test_invoke_unknown_function(server: LocalApiServer) -> None:
    client = lambda_client(server)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="NoSuchFunction", InvocationType="Event", Payload=b"{}")


def test_async_invocation_posts_back(
    server: LocalApiServer,
    runner: FunctionRunner,
    connections: FakeConnections,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The welcome pattern end to end: async invoke -> handler -> boto3 post -> the connection."""
    monkeypatch.setenv("CONNECTIONS_API_URL", f"http://127.0.0.1:{server.port}/local")
    payload = {"postBack": LIVE, "early": "gone", "query": {}}
    lambda_client(server).invoke(
        FunctionName="EchoFunction", InvocationType="Event", Payload=json.dumps(payload)
    )
    assert runner.wait_async(timeout=10)
    assert [json.loads(data) for _, data in connections.posted] == [
        {"type": "hello", "early": "gone", "query": {}}
    ]
