"""The four handlers end to end on moto's DynamoDB, with a recording poster for exact frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import RecordingPoster
from tests.handlers import FakeContext, event, load_handler
from twschat import runtime
from twschat.persistence.tables import ensure_tables

CONN = "Bx2kXcPOoAMCJdA="


class RecordingWelcome:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def trigger(self, payload: Any) -> None:
        self.payloads.append(dict(payload))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("STORE_BACKEND", "dynamodb")
    monkeypatch.setenv("CONNECTIONS_TABLE", "conn")
    monkeypatch.setenv("HISTORY_TABLE", "hist")
    monkeypatch.setenv("AUDIT_TABLE", "audit")
    with mock_aws():
        ensure_tables(connections_table="conn", history_table="hist", audit_table="audit", region="us-east-1")
        runtime.reset()
        poster = RecordingPoster()
        welcome = RecordingWelcome()
        monkeypatch.setattr(runtime, "poster", lambda domain, stage: poster)
        monkeypatch.setattr(runtime, "welcome_trigger", lambda: welcome)
        yield {"poster": poster, "welcome": welcome, "ddb": boto3.client("dynamodb")}
        runtime.reset()


def _history_items(ddb) -> list[dict[str, Any]]:
    # Messages only: the conversation index items (one per conversation) live in the same table.
    return [i for i in ddb.scan(TableName="hist")["Items"] if "role" in i]


def _connect(query: dict[str, str] | None = None) -> dict[str, Any]:
    ev = event("connect") if query is None else event("connect", queryStringParameters=query)
    return load_handler("connect").lambda_handler(ev, FakeContext())


def _say(body: str | None, message_id: str, t: int, **kw: Any) -> dict[str, Any]:
    ev = event("default_text", body=body, messageId=message_id, requestTimeEpoch=t, **kw)
    return load_handler("default").lambda_handler(ev, FakeContext())


def test_connect_stores_the_connection_and_starts_the_welcome(env):
    assert _connect() == {"statusCode": 200}
    item = env["ddb"].get_item(TableName="conn", Key={"connectionId": {"S": CONN}})["Item"]
    assert item["agent"]["S"] == "tws-general" and item["conversationId"]["S"].startswith("c-")
    assert int(item["expiresAt"]["N"]) > int(item["connectedAt"]["N"])
    assert env["welcome"].payloads == [
        {
            "connectionId": CONN,
            "domainName": event("connect")["requestContext"]["domainName"],
            "stage": "prod",
        }
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"agent": "TWS General!"},
        {"agent": "x" * 80},
        {"conversationId": "short"},
        {"conversationId": "has spaces in it"},
    ],
)
def test_connect_rejects_malformed_query_values_with_400(env, query):
    response = _connect(query)
    assert response["statusCode"] == 400 and response["body"]
    assert env["ddb"].scan(TableName="conn")["Count"] == 0
    assert env["welcome"].payloads == []


def test_connect_without_query_uses_the_default_agent(env):
    assert _connect({})["statusCode"] == 200
    ev = event("connect")
    ev["queryStringParameters"] = None
    assert load_handler("connect").lambda_handler(ev, FakeContext())["statusCode"] == 200


def _conversation_id(env) -> str:
    item = env["ddb"].get_item(TableName="conn", Key={"connectionId": {"S": CONN}})["Item"]
    return item["conversationId"]["S"]


def test_welcome_waits_until_the_connection_exists_then_posts_first(env, monkeypatch):
    _connect({"agent": "tws-general"})
    env["poster"].not_ready_checks = 2  # API Gateway answers 410 until $connect has returned
    monkeypatch.setattr("time.sleep", lambda s: None)
    response = load_handler("welcome").lambda_handler(event("welcome"), FakeContext())
    assert response == {"statusCode": 200}
    [frame] = env["poster"].sent(CONN)
    assert frame["type"] == "welcome" and frame["sender"] == "agent" and frame["agent"] == "tws-general"
    assert frame["conversationId"] == _conversation_id(env) and "ABEND" in frame["message"]
    assert frame["continued"] is False and frame["authMode"] == "none"


def test_a_turn_stores_message_and_reply_and_posts_the_reply(env):
    _connect()
    assert _say("qual job esta em abend?", "m-1", 1_795_608_005_000)["statusCode"] == 200
    [reply] = env["poster"].sent(CONN)
    assert reply["type"] == "message" and reply["sender"] == "agent"
    assert "Data Processing" in reply["message"] and "JOB002" in reply["message"]
    assert "TWS_AGENT2" in reply["message"]
    assert reply["inReplyTo"] == "m-1" and reply["messageId"] and reply["conversationId"].startswith("c-")
    items = sorted(_history_items(env["ddb"]), key=lambda i: i["messageKey"]["S"])
    assert [i["role"]["S"] for i in items] == ["user", "agent"]
    assert items[0]["text"]["S"] == "qual job esta em abend?"
    assert items[1]["messageId"]["S"] == reply["messageId"]


def test_json_frame_and_follow_up_share_the_conversation(env):
    _connect()
    load_handler("default").lambda_handler(event("default_json"), FakeContext())
    _say("obrigado pela ajuda", "m-2", 1_795_608_010_000)
    first, second = env["poster"].sent(CONN)
    assert "TWS_AGENT2" in first["message"] and "OFFLINE" in first["message"]
    assert first["conversationId"] == second["conversationId"]
    assert len(_history_items(env["ddb"])) == 4


def test_the_same_frame_delivered_twice_is_stored_once_and_answered_with_the_same_reply(env):
    _connect()
    _say("qual job esta em abend?", "m-dup", 1_795_608_005_000)
    _say("qual job esta em abend?", "m-dup", 1_795_608_005_000)
    first, second = env["poster"].sent(CONN)
    assert first == second
    assert len(_history_items(env["ddb"])) == 2


@pytest.mark.parametrize(
    ("body", "is_base64", "code"),
    [
        ("", False, "empty_message"),
        ("   ", False, "empty_message"),
        ("x" * 4001, False, "message_too_long"),
        ("AAEC", True, "binary_not_supported"),
        ("[1, 2]", False, "not_an_object"),
        ('{"text": "oi"}', False, "missing_message"),
        ("abend\x1b[31m", False, "control_characters"),
    ],
)
def test_bad_frames_get_an_error_frame_nothing_is_stored_and_the_next_message_is_answered(
    env, body, is_base64, code
):
    _connect()
    _say(body, "bad-1", 1_795_608_005_000, isBase64Encoded=is_base64)
    [error] = env["poster"].sent(CONN)
    assert error["type"] == "error" and error["code"] == code and error["sender"] == "agent"
    assert error["message"] and error["inReplyTo"] == "bad-1"
    assert _history_items(env["ddb"]) == []
    _say("quais são as workstations disponíveis?", "good-1", 1_795_608_006_000)
    assert env["poster"].sent(CONN)[-1]["type"] == "message"


def test_gone_deletes_that_connection_and_keeps_the_history(env):
    _connect()
    env["poster"].gone.add(CONN)
    _say("qual job esta em abend?", "m-1", 1_795_608_005_000)
    assert "Item" not in env["ddb"].get_item(TableName="conn", Key={"connectionId": {"S": CONN}})
    assert len(_history_items(env["ddb"])) == 2  # the reply is stored before it is posted


def test_a_message_on_an_unknown_connection_gets_an_error_and_stores_nothing(env):
    _say("qual job esta em abend?", "m-1", 1_795_608_005_000)
    [error] = env["poster"].sent(CONN)
    assert error["code"] == "unknown_connection"
    assert _history_items(env["ddb"]) == []


def test_disconnect_removes_the_connection_and_keeps_history(env):
    _connect()
    _say("qual job esta em abend?", "m-1", 1_795_608_005_000)
    assert load_handler("disconnect").lambda_handler(event("disconnect"), FakeContext()) == {
        "statusCode": 200
    }
    assert env["ddb"].scan(TableName="conn")["Count"] == 0
    assert len(_history_items(env["ddb"])) == 2


def test_reconnect_with_conversation_id_continues_the_history(env, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    _connect()
    conversation_id = _conversation_id(env)
    _say("qual job esta em abend?", "m-1", 1_795_608_005_000)
    load_handler("disconnect").lambda_handler(event("disconnect"), FakeContext())
    _connect({"agent": "tws-general", "conversationId": conversation_id})
    load_handler("welcome").lambda_handler(event("welcome"), FakeContext())
    welcome = env["poster"].sent(CONN)[-1]
    assert welcome["continued"] is True and welcome["conversationId"] == conversation_id
    _say("obrigado", "m-2", 1_795_608_050_000)
    messages = [i for i in _history_items(env["ddb"]) if "role" in i]
    assert {i["conversationKey"]["S"] for i in messages} == {f"anonymous#{conversation_id}"}
    assert len(messages) == 4


def test_an_unknown_conversation_id_is_refused_at_connect(env):
    response = _connect({"agent": "tws-general", "conversationId": "c-3f6b2a9e1d4c4b7f"})
    assert response["statusCode"] == 403 and "not found" in response["body"]
    assert env["ddb"].scan(TableName="conn")["Count"] == 0


def test_malformed_events_are_refused_not_crashed(env):
    ev = event("default_text")
    del ev["requestContext"]["messageId"]
    assert load_handler("default").lambda_handler(ev, FakeContext())["statusCode"] == 400
    assert load_handler("welcome").lambda_handler({"connectionId": ""}, FakeContext())["statusCode"] == 400


@pytest.mark.usefixtures("clock_at_events")
def test_a_confirmed_rerun_runs_once_and_is_audited_with_who_and_where(env):
    _connect()
    _say("reroda o JOB002", "m-1", 1_795_608_005_000)
    assert "Confirma o rerun de Data Processing (JOB002)" in env["poster"].sent(CONN)[-1]["message"]
    assert env["ddb"].scan(TableName="audit")["Count"] == 0  # nothing runs before the yes
    _say("sim", "m-2", 1_795_608_010_000)
    _say("sim", "m-2", 1_795_608_010_000)  # the confirmation frame redelivered: no second rerun
    [item] = env["ddb"].scan(TableName="audit")["Items"]
    assert item["action"]["S"] == "rerun" and item["job_id"]["S"].endswith(";JOB002")
    assert item["connection_id"]["S"] == CONN and item["conversation_id"]["S"].startswith("c-")
    assert item["user_id"]["S"] == "anonymous" and item["result"]["S"] == "accepted"


def test_an_unreachable_tws_gets_a_clear_answer_and_the_turn_is_still_stored(env, monkeypatch, capsys):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TWS_MODE", "rest")
    monkeypatch.setenv("TWS_BASE_URL", f"http://127.0.0.1:{port}/twsd")
    runtime.reset()
    _connect()
    _say("qual job esta em abend?", "m-1", 1_795_608_005_000)
    [reply] = env["poster"].sent(CONN)
    assert reply["type"] == "message" and "TWS" in reply["message"]
    assert "JOB002" not in reply["message"]  # nothing invented when the plan could not be read
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("TwsErrors") == [1.0] for m in emf)  # counted for the TwsErrorsAlarm
    assert [
        i["role"]["S"] for i in sorted(_history_items(env["ddb"]), key=lambda i: i["messageKey"]["S"])
    ] == [
        "user",
        "agent",
    ]


def _connect_as(
    user_id: str, roles: str, query: dict[str, str] | None = None, cid: str = CONN
) -> dict[str, Any]:
    ev = event("connect", queryStringParameters=query or {"agent": "tws-general"}, connectionId=cid)
    ev["requestContext"]["authorizer"] = {
        "principalId": user_id,
        "userId": user_id,
        "username": user_id,
        "roles": roles,
    }
    return load_handler("connect").lambda_handler(ev, FakeContext())


def test_with_auth_the_authorizer_identity_owns_the_conversation_and_sets_the_roles(env, monkeypatch):
    monkeypatch.setenv("AUTH_MODE", "cognito")
    runtime.reset()
    assert _connect()["statusCode"] == 401  # no authorizer context: refused, never anonymous
    assert _connect_as("u-ana", "operator")["statusCode"] == 200
    conversation_id = _conversation_id(env)
    refused = _connect_as(
        "u-bia", "viewer", {"agent": "tws-general", "conversationId": conversation_id}, "other="
    )
    assert refused["statusCode"] == 403
    assert _connect_as("u-bia", "viewer", cid="bia-conn=")["statusCode"] == 200
    ev = event("default_text", body="reroda o JOB002", messageId="b-1", connectionId="bia-conn=")
    load_handler("default").lambda_handler(ev, FakeContext())
    refusal = env["poster"].sent("bia-conn=")[-1]["message"]
    assert "viewer" in refusal and "Confirma" not in refusal
    _say("reroda o JOB002", "a-1", 1_795_608_005_000)
    assert "Confirma o rerun" in env["poster"].sent(CONN)[-1]["message"]
    keys = {i["conversationKey"]["S"].split("#")[0] for i in _history_items(env["ddb"])}
    assert keys == {"u-ana", "u-bia"}  # history is keyed by the authenticated user
