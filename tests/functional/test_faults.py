"""Fault injection: what the operator sees when storage, the connections API or the TWS fail mid-turn.

For each fault: the frame the operator gets (a specific code, in their language), that nothing is
lost or stored twice, that no action runs twice or goes unrecorded, and the metric that counts it.
Storage faults are injected into the real DynamoDB adapter at its boto3 client (moto behind it),
so the adapter's own error mapping is what is under test; post faults use botocore's Stubber on
the real connections-API poster; TWS faults use the fake TWS server through the REST client.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto import mock_aws

from tests.conftest import RecordingPoster
from twschat.adapters.audit import StoreAuditSink
from twschat.adapters.aws import MAX_ATTEMPTS
from twschat.adapters.connections import ApiGatewayPoster
from twschat.adapters.tws_rest import RetryPolicy, Timeouts, build_rest_client
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.chat import ChatService, TurnOutcome
from twschat.config import Settings
from twschat.core.exceptions import StorageUnavailable
from twschat.core.frames import Frame
from twschat.core.ports import FramePoster
from twschat.core.responder import Principal
from twschat.persistence.dynamodb import dynamodb_stores
from twschat.persistence.sqlite import sqlite_stores
from twschat.persistence.tables import ensure_tables
from twschat_dev.fake_tws import FakeTwsServer

NOW = 1_795_608_000.0
OPERATOR = Principal(user_id="u-ana", username="ana", roles=("operator",))


class Metrics:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.counts[name] += int(value) if unit == "Count" else 1


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class StoreFaults:
    """Makes chosen DynamoDB calls of one client fail as DynamoDB would say it, after boto3's retries."""

    def __init__(self, client: Any) -> None:
        self.rules: list[tuple[str, Callable[[dict[str, Any]], bool], str]] = []
        client.meta.events.register("before-call.dynamodb.*", self._before_call)

    def fail(
        self,
        operation: str,
        when: Callable[[dict[str, Any]], bool] = lambda params: True,
        code: str = "ProvisionedThroughputExceededException",
    ) -> None:
        self.rules.append((operation, when, code))

    def heal(self) -> None:
        self.rules.clear()

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        # before-call sees the serialized request: DynamoDB's parameters are its JSON body.
        api_params = json.loads(params.get("body") or b"{}")
        for operation, when, code in self.rules:
            if model.name == operation and when(api_params):
                status = 500 if code == "InternalServerError" else 400
                return AWSResponse("https://dynamodb.local", status, {}, None), {
                    "Error": {"Code": code, "Message": f"injected {code}"},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                }
        return None


def _writes_role(role: str) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params.get("Item", {}).get("role", {}).get("S") == role


def _on_table(table: str) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params.get("TableName") == table


class World:
    """A chat service on DynamoDB (moto) with a demo TWS, one operator connected."""

    def __init__(self, tws: Any = None) -> None:
        ensure_tables(connections_table="conn", history_table="hist", audit_table="audit", region="us-east-1")
        self.client = boto3.client("dynamodb", region_name="us-east-1")
        self.faults = StoreFaults(self.client)
        self.store = dynamodb_stores("conn", "hist", audit_table="audit", client=self.client)
        self.tws = tws if tws is not None else DemoTwsClient()
        self.metrics = Metrics()
        self.clock = Clock()
        self.service = ChatService(
            Settings(auth_mode="local"),
            self.store,
            RuleResponder(self.tws, audit=StoreAuditSink(self.store.audit)),
            metrics=self.metrics,
            clock=self.clock,
        )
        self.poster = RecordingPoster()
        outcome = self.service.connect(
            connection_id="conn-1", query={}, domain_name="d", stage="s", principal=OPERATOR
        )
        assert outcome.record is not None
        self.conversation_key = outcome.record.conversation_key
        self.sent = 0
        self.received: dict[str, int] = {}

    def say(self, text: str, *, message_id: str = "", poster: FramePoster | None = None) -> TurnOutcome:
        """A new frame, or (``message_id`` of an earlier one) API Gateway redelivering that frame."""
        self.clock.now += 2
        if not message_id:
            self.sent += 1
            message_id = f"m-{self.sent}"
        received = self.received.setdefault(message_id, int(self.clock.now * 1000))
        return self.service.handle_message(
            connection_id="conn-1",
            message_id=message_id,
            request_time_ms=received,
            body=text,
            is_base64=False,
            poster=poster or self.poster,
        )

    def frames(self) -> list[Frame]:
        return self.poster.sent("conn-1")

    def history_roles(self) -> list[str]:
        return [m.role for m in self.store.history.recent_messages(self.conversation_key, 50)]

    def audit(self) -> list[dict[str, Any]]:
        items = self.client.scan(TableName="audit")["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield World()


# -------------------------------------------------------------------------------------- storage
@pytest.mark.parametrize(
    ("text", "language_word"), [("qual job esta em abend?", "histórico"), ("which jobs failed?", "history")]
)
@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_a_throttled_store_gets_storage_unavailable_in_the_operators_language(
    world: World, text: str, language_word: str, code: str
) -> None:
    world.faults.fail("UpdateItem", code=code)  # the turn's first call: the connection touch
    outcome = world.say(text)
    [frame] = world.frames()
    assert outcome.status == "storage_unavailable"
    assert frame["type"] == "error" and frame["code"] == "storage_unavailable"
    assert language_word in frame["message"] and frame["inReplyTo"] == "m-1"
    assert world.history_roles() == []  # nothing half-stored
    assert world.metrics.counts["StorageErrors"] == 1
    world.faults.heal()
    assert world.say(text).status == "answered"  # the connection is still usable
    assert world.history_roles() == ["user", "agent"]


def test_the_store_failing_between_message_and_reply_still_answers_and_says_it_was_not_saved(
    world: World,
) -> None:
    world.faults.fail("PutItem", _writes_role("agent"))
    outcome = world.say("qual job esta em abend?")
    reply, notice = world.frames()
    assert outcome.status == "answered_unsaved"
    assert reply["type"] == "message" and "JOB002" in reply["message"]
    assert notice["type"] == "error" and notice["code"] == "storage_unavailable"
    assert "não foi salva" in notice["message"]
    assert world.history_roles() == ["user"]  # what the operator said is kept
    assert world.metrics.counts["StorageErrors"] == 1
    # API Gateway redelivers the frame: now the reply is stored, and the user's message is not doubled.
    world.faults.heal()
    again = world.say("qual job esta em abend?", message_id="m-1")
    assert again.status == "answered" and world.history_roles() == ["user", "agent"]
    assert world.frames()[-1]["messageId"] == reply["messageId"]  # the same reply id both times


def test_the_store_failing_while_loading_the_window_keeps_the_message(world: World) -> None:
    world.faults.fail("Query", _on_table("hist"))
    assert world.say("qual job esta em abend?").status == "storage_unavailable"
    assert world.frames()[-1]["code"] == "storage_unavailable"
    world.faults.heal()
    assert world.history_roles() == ["user"]


def test_an_action_that_ran_is_recorded_and_shown_even_when_the_reply_cannot_be_stored(
    world: World,
) -> None:
    assert "Confirma" in (world.say("reroda o JOB004"), world.frames()[-1]["message"])[1]
    world.faults.fail("PutItem", _writes_role("agent"))  # DynamoDB "stops" during the rerun's turn
    outcome = world.say("sim")
    result, notice = world.frames()[-2:]
    assert outcome.status == "answered_unsaved"
    assert result["type"] == "message" and "JOB004" in result["message"]
    assert notice["code"] == "storage_unavailable"
    [record] = world.audit()
    assert record["action"] == "rerun" and record["result"] == "accepted"
    runs = [j for j in world.tws.list_jobs() if j.job_id == "JOB004"]
    world.faults.heal()
    # The history lacks the result: the prompt is still the last reply. A new "sim" must not run it again.
    world.say("sim")
    assert [j for j in world.tws.list_jobs() if j.job_id == "JOB004"] == runs
    assert len(world.audit()) == 1
    answer = world.frames()[-1]["message"]
    assert "JOB004" in answer and "nada pendente" not in answer.lower()


def test_an_audit_outage_before_the_tws_call_runs_nothing(world: World) -> None:
    world.say("reroda o JOB004")
    before = [(j.id, j.status) for j in world.tws.list_jobs()]
    world.faults.fail("PutItem", _on_table("audit"))
    world.faults.fail("UpdateItem", _on_table("audit"))
    outcome = world.say("sim")
    assert outcome.status == "storage_unavailable"
    assert world.frames()[-1]["code"] == "storage_unavailable"
    assert [(j.id, j.status) for j in world.tws.list_jobs()] == before  # no intent recorded, no action


def test_the_sqlite_store_reports_a_locked_file_as_storage_unavailable(tmp_path: Path) -> None:
    store = sqlite_stores(tmp_path / "chat.db")
    store.close()  # what a vanished or unusable file looks like to every later call
    with pytest.raises(StorageUnavailable) as raised:
        store.connections.get_connection("conn-1", now=int(NOW))
    assert raised.value.operation == "get_connection"
    assert isinstance(raised.value.__cause__, sqlite3.Error)


def test_boto3_retries_throttling_a_bounded_number_of_times(tmp_path: Path) -> None:
    """The retry budget is boto3's own standard mode, configured once (adapters/aws.py)."""
    attempts: list[str] = []

    class Throttling(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            attempts.append(self.headers.get("X-Amz-Target", ""))
            body = json.dumps(
                {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"}
            ).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = dynamodb_stores("conn", "hist", endpoint_url=f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(StorageUnavailable) as raised:
            store.connections.touch_connection("conn-1", now=int(NOW), expires_at=int(NOW) + 60)
    finally:
        server.shutdown()
    assert raised.value.detail == "ThrottlingException"
    assert len(attempts) == MAX_ATTEMPTS


def test_a_table_that_vanished_is_created_again_when_the_store_may_do_so() -> None:
    """DynamoDB Local restarted in memory under `twschat serve --dynamodb-endpoint`."""
    with mock_aws():
        ensure_tables(connections_table="conn", history_table="hist", audit_table="audit", region="us-east-1")
        client = boto3.client("dynamodb", region_name="us-east-1")
        for table in ("conn", "hist", "audit"):
            client.delete_table(TableName=table)
        strict = dynamodb_stores("conn", "hist", audit_table="audit", client=client)
        with pytest.raises(StorageUnavailable):
            strict.connections.get_connection("conn-1", now=int(NOW))
        local = dynamodb_stores(
            "conn", "hist", audit_table="audit", client=client, create_missing_tables=True
        )
        assert local.connections.get_connection("conn-1", now=int(NOW)) is None
        assert sorted(client.list_tables()["TableNames"]) == ["audit", "conn", "hist"]


# -------------------------------------------------------------------------------------- posting
def _stubbed_poster(error_code: str, status: int) -> tuple[ApiGatewayPoster, Stubber]:
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url="https://example.execute-api.us-east-1.amazonaws.com/prod"
    )
    stubber = Stubber(client)
    stubber.add_client_error("post_to_connection", service_error_code=error_code, http_status_code=status)
    stubber.activate()
    return ApiGatewayPoster("https://example", client=client), stubber


@pytest.mark.parametrize(
    ("error_code", "status", "metric", "connection_kept"),
    [
        ("GoneException", 410, "StaleConnections", False),
        ("InternalServerErrorException", 500, "PostFailures", True),
        ("PayloadTooLargeException", 413, "PostFailures", True),
    ],
)
def test_a_failed_post_loses_nothing_and_is_counted(
    world: World, error_code: str, status: int, metric: str, connection_kept: bool
) -> None:
    poster, stubber = _stubbed_poster(error_code, status)
    outcome = world.say("qual job esta em abend?", poster=poster)
    stubber.assert_no_pending_responses()
    assert outcome.frames_posted == 0 and outcome.gone is (not connection_kept)
    assert world.history_roles() == ["user", "agent"]  # stored before posting: history has it
    assert world.metrics.counts[metric] == 1
    alive = world.store.connections.get_connection("conn-1", now=int(world.clock.now)) is not None
    assert alive is connection_kept


# -------------------------------------------------------------------------------------- the TWS
@pytest.mark.parametrize(
    ("fault", "words"),
    [("slow", "demorou"), ("500", "erro interno"), ("401", "credenciais")],
)
def test_tws_faults_get_a_clear_answer_the_turn_is_stored_and_counted(fault: str, words: str) -> None:
    with FakeTwsServer(username="u", password="p", fault=fault, delay=2.0) as fake, mock_aws():
        tws = build_rest_client(
            fake.url,
            username="u",
            password="p",
            timeout=Timeouts(connect=0.5, read=0.3),
            retry=RetryPolicy(attempts=2, base=0.01, max_backoff=0.02, budget=1.5),
        )
        world = World(tws)
        outcome = world.say("qual job esta em abend?")
        [reply] = world.frames()
        assert outcome.status == "answered" and reply["type"] == "message"
        assert words in reply["message"] and "JOB002" not in reply["message"]
        assert world.history_roles() == ["user", "agent"]
        assert world.metrics.counts["TwsErrors"] == 1
