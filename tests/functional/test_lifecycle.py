"""Conversations that belong to users, client requests (history, conversations, ping), the rate limit
and the sweeper — on every store backend (SQLite, DynamoDB via moto), with an injectable clock."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.conftest import RecordingPoster
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.responder import Principal

ANA = Principal(user_id="u-ana", username="ana", roles=("operator",))
BIA = Principal(user_id="u-bia", username="bia", roles=("viewer",))


class Clock:
    def __init__(self, now: float = 1_795_608_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store, clock) -> ChatService:
    return ChatService(Settings(auth_mode="local"), store, RuleResponder(DemoTwsClient()), clock=clock)


class Session:
    """One client connection driven through the service, numbering its frames like API Gateway."""

    def __init__(
        self, service: ChatService, poster: RecordingPoster, connection_id: str, clock: Clock
    ) -> None:
        self.service, self.poster, self.connection_id, self.clock = service, poster, connection_id, clock
        self.sent = 0

    def send(self, body: str) -> dict:
        self.sent += 1
        self.service.handle_message(
            connection_id=self.connection_id,
            message_id=f"{self.connection_id}-{self.sent}",
            request_time_ms=int(self.clock() * 1000) + self.sent,
            body=body,
            is_base64=False,
            poster=self.poster,
        )
        return self.poster.sent(self.connection_id)[-1]


def connect(service, poster, clock, connection_id, principal, conversation_id=None):
    query = {"agent": "tws-general", **({"conversationId": conversation_id} if conversation_id else {})}
    outcome = service.connect(
        connection_id=connection_id, query=query, domain_name="localhost", stage="local", principal=principal
    )
    return outcome, Session(service, poster, connection_id, clock)


def test_a_user_continues_only_their_own_conversations(service, poster, clock):
    outcome, ana = connect(service, poster, clock, "conn-ana", ANA)
    conversation_id = outcome.record.conversation_id
    ana.send("qual job esta em abend?")
    refused, _ = connect(service, poster, clock, "conn-bia", BIA, conversation_id)
    unknown, _ = connect(service, poster, clock, "conn-bia", BIA, "c-00000000000deadbeef0")
    assert (
        (refused.status_code, refused.reason)
        == (unknown.status_code, unknown.reason)
        == (403, "conversation not found")
    )
    again, ana2 = connect(service, poster, clock, "conn-ana-2", ANA, conversation_id)
    assert again.status_code == 200
    history = ana2.send(json.dumps({"type": "history", "limit": 10}))
    assert [m["role"] for m in history["messages"]] == ["user", "agent"]
    assert "JOB002" in history["messages"][1]["message"]


def test_history_pages_backwards_with_a_cursor(service, poster, clock):
    _, ana = connect(service, poster, clock, "conn-1", ANA)
    for i in range(5):
        ana.send(f"status do JOB00{i + 1}")
    page = ana.send(json.dumps({"type": "history", "limit": 4}))
    assert page["type"] == "history" and len(page["messages"]) == 4 and page["nextBefore"]
    assert page["messages"][-1]["role"] == "agent" and "JOB005" in page["messages"][-2]["message"]
    older = ana.send(json.dumps({"type": "history", "limit": 4, "before": page["nextBefore"]}))
    assert (
        "JOB002" in older["messages"][0]["message"]
        and older["messages"][-1]["key"] < page["messages"][0]["key"]
    )
    oldest = ana.send(json.dumps({"type": "history", "limit": 4, "before": older["nextBefore"]}))
    assert len(oldest["messages"]) == 2 and oldest["nextBefore"] is None
    assert "JOB001" in oldest["messages"][0]["message"]


def test_conversations_lists_only_mine_newest_first(service, poster, clock):
    ids = []
    for i in range(3):
        clock.now += 60
        outcome, _ = connect(service, poster, clock, f"conn-{i}", ANA)
        ids.append(outcome.record.conversation_id)
    connect(service, poster, clock, "conn-bia", BIA)
    _, ana = connect(service, poster, clock, "conn-x", ANA, ids[0])
    page = ana.send(json.dumps({"type": "conversations", "limit": 2}))
    assert [c["conversationId"] for c in page["conversations"]] == [ids[2], ids[1]]
    rest = ana.send(json.dumps({"type": "conversations", "limit": 2, "before": page["nextBefore"]}))
    assert [c["conversationId"] for c in rest["conversations"]] == [ids[0]] and rest["nextBefore"] is None


def test_ping_answers_pong_and_bad_requests_get_an_error(service, poster, clock):
    _, ana = connect(service, poster, clock, "conn-1", ANA)
    pong = ana.send('{"type": "ping"}')
    assert pong["type"] == "pong" and pong["conversationId"]
    for body in (
        '{"type": "history", "limit": 0}',
        '{"type": "history", "limit": true}',
        '{"type": "history", "limit": 500}',
        '{"type": "history", "before": 5}',
    ):
        error = ana.send(body)
        assert error["type"] == "error" and error["code"] == "invalid_request"


def test_the_rate_limit_answers_rate_limited_with_retry_after_and_stores_nothing(
    service, poster, clock, store
):
    service.settings = dataclasses.replace(service.settings, rate_limit_per_minute=3)
    clock.now = 1_795_608_000.0 + 10  # 50 s left in this minute
    outcome, ana = connect(service, poster, clock, "conn-1", ANA)
    answers = [ana.send("obrigado")["type"] for _ in range(4)]
    assert answers == ["message", "message", "message", "error"]
    limited = poster.sent("conn-1")[-1]
    # 4 counted this minute (the refused one too): one more fits once half of them slid out of the
    # last 60 s, 30 s into the next minute (4 x 0.5 + 1 = 3).
    assert limited["code"] == "rate_limited" and limited["retryAfter"] == 80
    assert len(store.history.recent_messages(outcome.record.conversation_key, 50)) == 6  # 3 turns, not 4
    clock.now += limited["retryAfter"]  # into the next minute, where the burst has half slid out
    assert ana.send("obrigado")["type"] == "message"


def test_the_sliding_window_stops_a_burst_across_the_minute_boundary(service, poster, clock):
    """A fixed window lets 2x the limit through in a few seconds around the minute's turn."""
    clock.now = 1_795_608_000.0 + 58
    _, ana = connect(service, poster, clock, "conn-1", ANA)
    answers = []
    for _ in range(60):  # 60 messages in 4 s across the boundary, at the default 30/min
        answers.append(ana.send("obrigado")["type"])
        clock.now += 4 / 60
    assert answers.count("message") == 30


def test_the_connection_cap_refuses_the_next_connect_with_a_reason(service, poster, clock):
    service.settings = dataclasses.replace(service.settings, max_connections_per_user=2)
    assert connect(service, poster, clock, "conn-1", ANA)[0].status_code == 200
    assert connect(service, poster, clock, "conn-2", ANA)[0].status_code == 200
    refused = service.connect(connection_id="conn-3", query={}, domain_name="d", stage="s", principal=ANA)
    assert refused.status_code == 429 and "at most 2" in refused.reason
    assert connect(service, poster, clock, "conn-bia", BIA)[0].status_code == 200  # per user
    service.disconnect(connection_id="conn-1")
    assert connect(service, poster, clock, "conn-3", ANA)[0].status_code == 200


def test_agents_are_configured_case_insensitive_and_kept_by_the_conversation(service, poster, clock):
    service.settings = dataclasses.replace(service.settings, agents=("tws-general", "tws-batch"))
    unknown = service.connect(
        connection_id="c0", query={"agent": "nonexistent-agent"}, domain_name="d", stage="s", principal=ANA
    )
    assert unknown.status_code == 400 and "tws-general, tws-batch" in unknown.reason
    first = service.connect(
        connection_id="c1", query={"agent": "TWS-Batch"}, domain_name="d", stage="s", principal=ANA
    )
    assert first.status_code == 200 and first.record.agent == "tws-batch"
    conversation_id = first.record.conversation_id
    other = service.connect(
        connection_id="c2",
        query={"agent": "tws-general", "conversationId": conversation_id},
        domain_name="d",
        stage="s",
        principal=ANA,
    )
    assert other.status_code == 400 and "tws-batch" in other.reason
    resumed = service.connect(
        connection_id="c3",
        query={"conversationId": conversation_id},
        domain_name="d",
        stage="s",
        principal=ANA,
    )
    assert resumed.status_code == 200 and resumed.record.agent == "tws-batch"


def test_the_sweeper_closes_idle_and_old_connections_only_and_says_why(service, poster, clock, store):
    _, old = connect(service, poster, clock, "conn-old", ANA)
    clock.now += 1800
    connect(service, poster, clock, "conn-idle", ANA)
    _, busy = connect(service, poster, clock, "conn-busy", BIA)
    clock.now += 5200  # conn-old is 7000 s old: inside the 5-minute margin before the 2-hour cap
    busy.send("obrigado")
    old.send("obrigado")  # active, but about to hit the cap
    clock.now += 240
    busy.send("obrigado")
    clock.now += 100  # conn-idle silent for 5540 s, conn-busy for 100 s
    counts = service.sweep(poster=poster)
    assert counts == {"idle": 1, "max_duration": 1, "gone": 0}
    assert sorted(poster.closed) == ["conn-idle", "conn-old"]
    assert poster.sent("conn-idle")[-1]["reason"] == "idle"
    closing = poster.sent("conn-old")[-1]
    assert closing["type"] == "closing" and closing["reason"] == "max_duration"
    assert closing["conversationId"] in closing["message"]
    now = int(clock.now)
    assert store.connections.get_connection("conn-busy", now=now) is not None
    assert store.connections.get_connection("conn-idle", now=now) is None
    assert store.connections.get_connection("conn-old", now=now) is None
    assert service.sweep(poster=poster) == {"idle": 0, "max_duration": 0, "gone": 0}


def test_the_sweeper_work_per_run_is_bounded(service, poster, clock, store):
    for i in range(7):
        connect(service, poster, clock, f"conn-{i}", ANA)
    clock.now += 3600
    assert service.sweep(poster=poster, batch=2, max_batches=2)["idle"] == 4
    assert service.sweep(poster=poster, batch=2, max_batches=2)["idle"] == 3


def test_a_viewer_may_ask_but_not_rerun(service, poster, clock):
    _, bia = connect(service, poster, clock, "conn-bia", BIA)
    assert "JOB002" in bia.send("qual job esta em abend?")["message"]
    refusal = bia.send("reroda o JOB002")["message"]
    assert "viewer" in refusal.lower() or "permiss" in refusal.lower()
    assert "Confirma" not in refusal


def test_conversations_carry_their_first_question_as_title(service, poster, clock):
    outcome, ana = connect(service, poster, clock, "conn-1", ANA)
    ana.send("  qual job   esta em abend?\n")
    ana.send("e o log dele?")
    clock.now += 60
    connect(service, poster, clock, "conn-2", ANA)  # a second conversation, no message yet
    page = ana.send(json.dumps({"type": "conversations", "limit": 5}))
    titles = {c["conversationId"]: c["title"] for c in page["conversations"]}
    assert titles[outcome.record.conversation_id] == "qual job esta em abend?"
    assert sorted(titles.values()) == ["", "qual job esta em abend?"]


def test_the_welcome_back_does_not_show_the_raw_conversation_id(service, poster, clock):
    outcome, ana = connect(service, poster, clock, "conn-1", ANA)
    ana.send("qual job esta em abend?")
    conversation_id = outcome.record.conversation_id
    connect(service, poster, clock, "conn-2", ANA, conversation_id)
    assert service.send_welcome(connection_id="conn-2", poster=poster, sleep=lambda _: None)
    welcome = [f for f in poster.sent("conn-2") if f.get("type") == "welcome"][-1]
    assert welcome["continued"] is True and welcome["conversationId"] == conversation_id
    assert conversation_id not in welcome["message"] and "Bem-vindo de volta" in welcome["message"]
