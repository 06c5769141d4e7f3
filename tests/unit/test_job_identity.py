"""A job is its plan instance (workstation, job stream instance, job name), never its name alone.

Issue 16's reproduction, over the demo client and the REST client against the fake TWS (v1 and v2), on
the large demo plan: "JOB002 / Data Processing" runs in DATA_PIPELINE (ABEND) and in PAYROLL (SUCC) on
the same workstation, and BILLING has two instances (01:36 and 07:48 in Sao Paulo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import pytest

from twschat.adapters.tws_rest import build_rest_client
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job, JobStream
from twschat.assistant.responder import RuleResponder
from twschat.assistant.tws import TwsClient
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat_dev.fake_tws import FakeTwsServer

from .conversation_cases import NOW

Source = Callable[[Callable[[], datetime]], TwsClient]


@pytest.fixture(scope="module")
def fake_v1() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(plan="large") as server:
        yield server


@pytest.fixture(scope="module")
def fake_v2() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(api="v2", plan="large") as server:
        yield server


@pytest.fixture(params=["demo", "rest", "rest-v2"])
def source(request: pytest.FixtureRequest) -> Source:
    if request.param == "demo":
        return lambda clock: DemoTwsClient(clock=clock, plan="large")
    v2 = request.param == "rest-v2"
    server: FakeTwsServer = request.getfixturevalue("fake_v2" if v2 else "fake_v1")

    def rest(clock: Callable[[], datetime]) -> TwsClient:
        server.reset(clock=clock)
        return build_rest_client(server.url, api_version="v2" if v2 else "v1")

    return rest


class Chat:
    """One conversation as the chat service runs it (the window of stored turns goes back each time)."""

    def __init__(self, source: Source) -> None:
        self.now = NOW
        self.tws = source(lambda: self.now)
        self.audit = InMemoryAuditSink()
        self.responder = RuleResponder(self.tws, audit=self.audit, clock=lambda: self.now)
        self.history: list[Turn] = []

    def say(self, text: str) -> Reply:
        self.now += timedelta(seconds=5)
        principal = Principal(user_id="u-1", username="maria", roles=("operator",))
        reply = self.responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(self.history),
                principal=principal,
                connection_id="conn-1",
                conversation_id="conv-1",
            )
        )
        self.history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
        return reply


def _job(jobs: Sequence[Job], job_id: str, stream: str) -> Job:
    (job,) = [j for j in jobs if j.job_id == job_id and j.job_stream == stream]
    return job


def _streams(tws: TwsClient, name: str) -> list[JobStream]:
    return sorted((s for s in tws.list_job_streams() if s.name == name), key=lambda s: s.start_time or NOW)


def test_the_listed_instance_is_the_one_rerun_and_payroll_is_never_touched(source: Source) -> None:
    chat = Chat(source)
    before = _job(chat.tws.list_jobs(), "JOB002", "PAYROLL")
    listed = chat.say("quais jobs estão em abend?")
    assert "Data Processing (JOB002)" in listed.text and "stream DATA_PIPELINE" in listed.text
    asked = chat.say("reroda o JOB002")
    assert asked.intent == "action_rerun"
    assert "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2, stream DATA_PIPELINE (01:36)?" in (
        asked.text
    ), asked.text
    done = chat.say("sim")
    assert done.intent == "confirm_yes" and "Rerun de Data Processing (JOB002)" in done.text, done.text
    jobs = chat.tws.list_jobs()
    assert _job(jobs, "JOB002", "PAYROLL") == before  # same id, same state: never touched
    assert _job(jobs, "JOB002", "DATA_PIPELINE").status == "INTRO"  # TWS_AGENT2 is unlinked
    (record,) = chat.audit.records
    assert record.result == "accepted"
    assert record.job_id != before.id


def test_a_name_in_two_streams_asks_which_and_the_answer_picks_the_instance(source: Source) -> None:
    chat = Chat(source)
    asked = chat.say("reroda o JOB002")
    assert "JOB002 existe em 2 streams: DATA_PIPELINE (ABEND, 01:36) e PAYROLL (SUCC, 05:10). Qual?" in (
        asked.text
    ), asked.text
    assert "Confirma" not in asked.text
    picked = chat.say("o do PAYROLL")
    assert picked.intent == "action_rerun", picked.text
    assert "Data Processing (JOB002) em TWS_AGENT2, stream PAYROLL (05:10)?" in picked.text, picked.text
    chat.say("não")
    again = chat.say("please rerun JOB002")
    assert (
        "JOB002 exists in 2 streams: DATA_PIPELINE (ABEND, 01:36) and PAYROLL (SUCC, 05:10). Which one?"
        in (again.text)
    ), again.text
    by_time = chat.say("01:36")
    assert "stream DATA_PIPELINE (01:36)" in by_time.text, by_time.text
    assert chat.audit.records == []


def test_an_ordinal_answers_which_instance(source: Source) -> None:
    chat = Chat(source)
    chat.say("status do JOB002")
    first = chat.say("o primeiro")
    assert "Data Processing (JOB002) — ABEND em TWS_AGENT2" in first.text, first.text


def test_two_instances_of_a_stream_ask_which_and_hold_only_the_chosen_one(source: Source) -> None:
    chat = Chat(source)
    early, _late = _streams(chat.tws, "BILLING")
    asked = chat.say("segura o stream BILLING")
    assert asked.intent == "action_stream_hold"
    assert "O job stream BILLING tem 2 instâncias: 01:36 (SUCC) e 07:48 (EXEC). Qual?" in asked.text, (
        asked.text
    )
    picked = chat.say("a das 07:48")
    assert picked.intent == "action_stream_hold", picked.text
    assert "Confirma colocar em HOLD o job stream BILLING em TWS_AGENT1 (07:48)?" in picked.text, picked.text
    done = chat.say("sim")
    assert "Hold do job stream BILLING (07:48) enviado ao TWS" in done.text, done.text
    now_early, now_late = _streams(chat.tws, "BILLING")
    assert (now_early.status, now_late.status) == (early.status, "HOLD")
    assert [r.action for r in chat.audit.records] == ["stream_hold"]


def test_english_stream_instances(source: Source) -> None:
    chat = Chat(source)
    asked = chat.say("hold the stream BILLING")
    assert "Job stream BILLING has 2 instances: 01:36 (SUCC) and 07:48 (EXEC). Which one?" in asked.text, (
        asked.text
    )
    picked = chat.say("the second one")
    assert "Confirm putting on HOLD the job stream BILLING on TWS_AGENT1 (07:48)?" in picked.text, picked.text
