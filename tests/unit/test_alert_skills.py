"""Alert subscriptions through the rule responder (issue 18): what operators say, what the user's store
keeps, on the demo plan at a fixed clock with a real (SQLite, in memory) alert store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills.base import zone_named
from twschat.assistant.subscriptions import SubscriptionDesk, expiry
from twschat.core.responder import Principal, Reply, Responder, ResponderRequest, Turn
from twschat.llm.model import ModelRequest, ModelTurn, Usage
from twschat.persistence.sqlite.alerts import SQLiteAlertStore
from twschat.persistence.sqlite.base import SQLiteDatabase

from .conversation_cases import NOW


class Chat:
    def __init__(self, responder: Responder, user: str, roles: tuple[str, ...] = ("viewer",)) -> None:
        self.responder, self.user, self.roles = responder, user, roles
        self.history: list[Turn] = []

    def say(self, text: str) -> Reply:
        request = ResponderRequest(
            "tws-general",
            text,
            tuple(self.history),
            principal=Principal(self.user, self.user, self.roles),
            conversation_id="conv-1",
        )
        reply = self.responder.respond(request)
        self.history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
        return reply


@pytest.fixture
def store() -> SQLiteAlertStore:
    return SQLiteAlertStore(SQLiteDatabase(":memory:"))


def _responder(store: SQLiteAlertStore, cap: int = 20, ttl: int = 0) -> RuleResponder:
    ids = iter(f"s{n}" for n in range(1000))
    desk = SubscriptionDesk(store, cap=cap, ttl_seconds=ttl, new_id=lambda: next(ids))
    return RuleResponder(DemoTwsClient(clock=lambda: NOW), clock=lambda: NOW, alerts=desk)


def _now() -> int:
    return int(NOW.timestamp())


def test_one_shot_on_a_job_belongs_to_the_user_and_ends_at_the_plan_day(store: SQLiteAlertStore) -> None:
    chat = Chat(_responder(store), "ana")  # a viewer may subscribe: an alert is a read
    reply = chat.say("me avisa quando o JOB014 terminar")
    assert reply.intent == "alert_subscribe"
    assert "Stock Reconciliation (JOB014)" in reply.text
    [sub] = store.list_subscriptions("ana", now=_now())
    assert (sub.kind, sub.target, sub.condition, sub.one_shot) == ("job", "JOB014", "final", True)
    assert sub.conversation_id == "conv-1" and sub.lang == "pt"
    # NOW is 09:00 in Sao Paulo: the plan day ends at the next midnight there
    assert sub.expires_at == int(datetime(2024, 4, 13, 3, 0, tzinfo=UTC).timestamp())
    assert store.list_subscriptions("bob", now=_now()) == []


def test_follow_ups_subscribe_with_the_same_watch(store: SQLiteAlertStore) -> None:
    chat = Chat(_responder(store), "ana")
    chat.say("status do JOB009")
    chat.say("me avisa quando o JOB014 terminar")
    chat.say("esse também")  # the job the conversation was about
    targets = {s.target: s.condition for s in store.list_subscriptions("ana", now=_now())}
    assert targets == {"JOB014": "final", "JOB009": "final"}


def test_a_finished_job_is_said_so_instead_of_subscribed(store: SQLiteAlertStore) -> None:
    chat = Chat(_responder(store), "ana")
    reply = chat.say("me avisa quando o JOB001 terminar")
    assert "já terminou" in reply.text and "SUCC" in reply.text
    assert store.list_subscriptions("ana", now=_now()) == []


def test_standing_subscriptions_on_a_job_a_stream_and_a_workstation(store: SQLiteAlertStore) -> None:
    chat = Chat(_responder(store), "ana")
    chat.say("me avisa se o JOB002 abendar de novo")
    chat.say("avise qualquer ABEND no stream BILLING")
    chat.say("avise quando a TWS_AGENT2 voltar")
    subs = {(s.kind, s.target): s for s in store.list_subscriptions("ana", now=_now())}
    assert "ABEND" in subs[("job", "JOB002")].states and not subs[("job", "JOB002")].one_shot
    assert subs[("stream", "BILLING")].states == ("ABEND",)
    assert subs[("workstation", "TWS_AGENT2")].states == ("ONLINE",)


def test_the_cap_refusal_names_it(store: SQLiteAlertStore) -> None:
    chat = Chat(_responder(store, cap=1), "ana")
    chat.say("me avisa quando o JOB014 terminar")
    reply = chat.say("avise quando a TWS_AGENT2 voltar")
    assert "1 avisos ativos" in reply.text and "MaxSubscriptionsPerUser" in reply.text
    assert len(store.list_subscriptions("ana", now=_now())) == 1


def test_list_cancel_one_and_cancel_all_only_touch_the_users_own(store: SQLiteAlertStore) -> None:
    responder = _responder(store)
    ana, bob = Chat(responder, "ana"), Chat(responder, "bob")
    ana.say("me avisa quando o JOB014 terminar")
    ana.say("avise quando a TWS_AGENT2 voltar")
    bob.say("notify me when JOB014 finishes")
    listed = ana.say("quais avisos eu tenho?")
    assert "Seus avisos (2)" in listed.text and "TWS_AGENT2" in listed.text
    assert "JOB014" in ana.say("para de me avisar do JOB014").text
    assert [s.target for s in store.list_subscriptions("ana", now=_now())] == ["TWS_AGENT2"]
    assert "(1)" in ana.say("cancela todos os avisos").text
    assert store.list_subscriptions("ana", now=_now()) == []
    assert [s.target for s in store.list_subscriptions("bob", now=_now())] == ["JOB014"]


def test_cancel_all_is_not_a_job_cancel_even_while_nothing_is_pending(store: SQLiteAlertStore) -> None:
    reply = Chat(_responder(store), "ana").say("cancela todos os avisos")
    assert reply.intent == "alert_cancel_all" and "pending" not in reply.context


def test_ttl_instead_of_the_plan_day() -> None:
    at = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)
    assert expiry(at, zone_named("America/Sao_Paulo"), 3600) == int(at.timestamp()) + 3600


class NoModel:
    """A model the alert turns must never reach (ModelResponder's provider)."""

    calls = 0

    def stream_turn(self, request: ModelRequest, on_delta: Callable[[str], None] | None = None) -> ModelTurn:
        NoModel.calls += 1
        raise AssertionError("an alert subscription reached the model")

    def cost_micro_usd(self, model_id: str, usage: Usage) -> int:
        return 0


def test_with_the_model_responder_the_rules_answer_the_alert_turns(store: SQLiteAlertStore) -> None:
    from twschat.llm.responder import ModelResponder

    rules = _responder(store)
    model = ModelResponder(DemoTwsClient(clock=lambda: NOW), NoModel(), fallback=rules, clock=lambda: NOW)
    chat = Chat(model, "ana")
    chat.say("status do JOB009")  # reaches NoModel, which fails: the rules answer (a fallback)
    before = NoModel.calls
    assert chat.say("notify me when JOB014 finishes").intent == "alert_subscribe"
    assert chat.say("e o JOB009 também").intent == "alert_subscribe"
    assert chat.say("what alerts do I have?").intent == "alert_list"
    assert chat.say("cancel all my alerts").intent == "alert_cancel_all"
    assert NoModel.calls == before
    assert store.list_subscriptions("ana", now=_now()) == []


def test_a_name_in_two_streams_asks_which_and_the_answer_subscribes_that_one(store: SQLiteAlertStore) -> None:
    desk = SubscriptionDesk(store, new_id=lambda: "s-large")
    responder = RuleResponder(DemoTwsClient(clock=lambda: NOW, plan="large"), clock=lambda: NOW, alerts=desk)
    chat = Chat(responder, "ana")
    asked = chat.say("me avisa se o JOB002 abendar de novo")
    assert "JOB002 existe em 2 streams" in asked.text and store.list_subscriptions("ana", now=_now()) == []
    chat.say("o do PAYROLL")
    [sub] = store.list_subscriptions("ana", now=_now())
    assert (sub.target, sub.stream, sub.condition) == ("JOB002", "PAYROLL", "state") and "ABEND" in sub.states


class CountingTws(DemoTwsClient):
    reads = 0

    def list_jobs(self) -> Sequence[Job]:
        CountingTws.reads += 1
        return super().list_jobs()


def test_telling_an_alert_turn_apart_reads_the_tws_only_after_a_subscription(store: SQLiteAlertStore) -> None:
    from twschat.assistant.state import DialogueState

    rules = RuleResponder(CountingTws(clock=lambda: NOW), clock=lambda: NOW, alerts=SubscriptionDesk(store))

    def asks(text: str, prev: DialogueState) -> bool:
        return rules.answers_alerts(ResponderRequest("tws-general", text), prev)

    assert not asks("por que o JOB002 falhou?", DialogueState(lang="pt", intent="job_status"))
    assert asks("me avisa quando o JOB014 terminar", DialogueState(lang="pt"))
    assert CountingTws.reads == 0  # a model turn costs no extra TWS call
    assert asks("e o JOB009 também", DialogueState(lang="pt", intent="alert_subscribe", state="job|final|"))
