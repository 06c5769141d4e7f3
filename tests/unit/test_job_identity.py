"""A job is its plan instance (workstation, job stream instance, job name), never its name alone.

Issue 16's reproduction, over the demo client and the REST client against the fake TWS (v1 and v2), on
the large demo plan: "JOB002 / Data Processing" runs in DATA_PIPELINE (ABEND) and in PAYROLL (SUCC) on
the same workstation, and BILLING has two instances (01:36 and 07:48 in Sao Paulo).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from twschat.adapters.tws_rest.render import render_plan
from twschat.assistant.actions import Executed, Gone
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.demo_large import large_plan
from twschat.assistant.domain import Job, JobStream
from twschat.assistant.plan import TurnPlan
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills.base import build_services
from twschat.assistant.tws import TwsClient
from twschat.config import Settings
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat.llm.tools import ToolBox, find_job, find_jobs
from twschat.responders import build_tws_client
from twschat_dev.cli import build_parser
from twschat_dev.template import tws_environment

from . import test_conversation_suite as suite
from .conversation_cases import NOW

# the conversation suite's TWS sources over the large plan: the demo client, REST v1 and v2 fakes
fake_tws_large = suite.fake_tws_large
fake_tws_v2_large = suite.fake_tws_v2_large
large_source = suite.large_source

Source = Callable[[Callable[[], datetime]], TwsClient]


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


def test_the_listed_instance_is_the_one_rerun_and_payroll_is_never_touched(large_source: Source) -> None:
    chat = Chat(large_source)
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


def test_a_name_in_two_streams_asks_which_and_the_answer_picks_the_instance(large_source: Source) -> None:
    chat = Chat(large_source)
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


def test_an_ordinal_answers_which_instance(large_source: Source) -> None:
    chat = Chat(large_source)
    chat.say("status do JOB002")
    first = chat.say("o primeiro")
    assert "Data Processing (JOB002) — ABEND em TWS_AGENT2" in first.text, first.text


def test_two_instances_of_a_stream_ask_which_and_hold_only_the_chosen_one(large_source: Source) -> None:
    chat = Chat(large_source)
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


def test_english_stream_instances(large_source: Source) -> None:
    chat = Chat(large_source)
    asked = chat.say("hold the stream BILLING")
    assert "Job stream BILLING has 2 instances: 01:36 (SUCC) and 07:48 (EXEC). Which one?" in asked.text, (
        asked.text
    )
    picked = chat.say("the second one")
    assert "Confirm putting on HOLD the job stream BILLING on TWS_AGENT1 (07:48)?" in picked.text, picked.text


# ------------------------------------------------------------------ the model's tools name instances
def _toolbox() -> tuple[ToolBox, TurnPlan]:
    plan = TurnPlan(DemoTwsClient(clock=lambda: NOW, plan="large"))
    return ToolBox(plan, UTC, lambda: NOW), plan


def test_find_job_never_guesses_between_instances() -> None:
    _box, plan = _toolbox()
    jobs = plan.jobs
    assert find_job(jobs, "JOB002") is None  # two streams: not "the first one"
    assert [j.job_stream for j in find_jobs(jobs, "job002")] == ["DATA_PIPELINE", "PAYROLL"]
    one = find_job(jobs, "DATA_PIPELINE.JOB002")
    assert one is not None and one.status == "ABEND"
    via_ws = find_job(jobs, "TWS_AGENT2#PAYROLL.JOB002")
    assert via_ws is not None and via_ws.status == "SUCC"
    assert find_job(jobs, one.id) == one  # the plan id is one instance
    assert len(find_jobs(jobs, "BILLING.JOB005")) == 2  # one stream name, two instances
    late = find_job(jobs, "0AAAAAAAAAAAAAB8.JOB005")
    assert late is not None and late.status == "EXEC"


def test_a_tool_answers_an_ambiguous_name_with_the_instances_to_choose_from() -> None:
    box, _plan = _toolbox()
    outcome = box.run("get_job", {"job": "JOB005"})
    assert not outcome.ok and outcome.data["error"] == "ambiguous_job"
    targets = [(i["target"], i["status"], i["job_stream_time"][11:16]) for i in outcome.data["instances"]]
    # the stream name repeats: each instance is named by its stream instance id
    assert targets == [
        ("0AAAAAAAAAAAAAB5.JOB005", "SUCC", "04:36"),
        ("0AAAAAAAAAAAAAB8.JOB005", "EXEC", "10:48"),
    ]
    chosen = box.run("get_job", {"job": targets[1][0]})
    assert chosen.ok and chosen.data["status"] == "EXEC"


# ---------------------------------------------------------- the pending action re-checks its instance
def test_a_pending_action_whose_instance_changed_runs_nothing() -> None:
    tws = DemoTwsClient(clock=lambda: NOW, plan="large")
    job = _job(tws.list_jobs(), "JOB002", "DATA_PIPELINE")
    desk = build_services(tws, InMemoryAuditSink(), now=lambda: NOW).desk
    pending = desk.propose("rerun", job, "pt")
    assert (pending.stream, pending.stream_id) == ("DATA_PIPELINE", "0AAAAAAAAAAAAAB2")
    moved = replace(pending, stream_id="0AAAAAAAAAAAAAB4")  # the id now names another instance
    request = ResponderRequest(
        agent="tws", message="sim", principal=Principal("u-1", "maria", ("operator",)), connection_id="c"
    )
    assert isinstance(desk.confirm(request, moved, 0, TurnPlan(tws), "pt"), Gone)
    assert _job(tws.list_jobs(), "JOB002", "DATA_PIPELINE").status == "ABEND"
    assert isinstance(desk.confirm(request, pending, 0, TurnPlan(tws), "pt"), Executed)


# ------------------------------------------------------------------------------ the generated plan
def test_the_large_plan_is_production_shaped_and_deterministic() -> None:
    tws = DemoTwsClient(clock=lambda: NOW, plan="large")
    jobs, streams = tws.list_jobs(), tws.list_job_streams()
    assert len(jobs) >= 200 and len({s.name for s in streams}) >= 24
    names: dict[str, set[str]] = {}
    for j in jobs:
        names.setdefault(j.job_id, set()).add(j.stream_id)
    assert sum(1 for ids in names.values() if len(ids) > 1) >= 10  # job names repeated across streams
    assert len([s for s in streams if s.name == "BILLING"]) == 2
    chains = [j for j, last, root in tws.instances() if not last]
    assert chains and all(j.status == "ABEND" for j in chains)  # rerun chains: the ABEND run kept
    stream_ws = {s.id: s.workstation for s in streams}
    assert any(j.workstation != stream_ws[j.stream_id] for j in jobs)
    deps = [d for j in jobs for d in tws.job_dependencies(j)]
    assert {"job", "resource", "prompt"} <= {d.kind for d in deps}
    again = DemoTwsClient(clock=lambda: NOW, plan="large")
    assert render_plan(again) == render_plan(tws)
    assert large_plan(7) != large_plan()  # the seed is the plan


# ------------------------------------------------------------------------- the commands' new flags
def test_serve_and_fake_tws_take_the_large_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    serve = parser.parse_args(["serve", "--demo-plan", "large"])
    assert tws_environment(serve, {}) == {"TWS_MODE": "demo", "TWS_DEMO_PLAN": "large"}
    assert tws_environment(parser.parse_args(["serve"]), {}) == {"TWS_MODE": "demo"}  # as before
    assert parser.parse_args(["fake-tws", "--plan", "large"]).plan == "large"
    assert parser.parse_args(["fake-tws"]).plan == "small"
    monkeypatch.setenv("TWS_DEMO_PLAN", "large")
    tws = build_tws_client(Settings(tws_mode="demo"))
    assert len(tws.list_jobs()) >= 200
    monkeypatch.delenv("TWS_DEMO_PLAN")
    assert len(build_tws_client(Settings(tws_mode="demo")).list_jobs()) == 15  # the README's plan


def test_another_job_after_which_is_a_new_question_not_an_answer() -> None:
    chat = Chat(lambda clock: DemoTwsClient(clock=clock, plan="large"))
    chat.say("reroda o JOB002")
    other = chat.say("e o JOB014?")
    assert other.intent != "action_rerun" and "Confirma" not in other.text, other.text


def test_a_rerun_in_one_of_two_stream_instances_reports_that_instance(large_source: Source) -> None:
    chat = Chat(large_source)
    asked = chat.say("reroda o JOB005 do BILLING das 01:36")
    assert "Invoice Export (JOB005) em TWS_AGENT1, stream BILLING (01:36)?" in asked.text, asked.text
    done = chat.say("sim")
    assert "Status agora: EXEC" in done.text, done.text  # the new run of the 01:36 instance
    jobs = [j for j in chat.tws.list_jobs() if j.job_id == "JOB005"]
    assert sorted((chat_time(j), j.status) for j in jobs) == [("01:36", "EXEC"), ("07:48", "EXEC")]


def chat_time(job: Job) -> str:
    assert job.stream_start is not None
    return (job.stream_start - timedelta(hours=3)).strftime("%H:%M")  # Sao Paulo (no DST since 2019)
