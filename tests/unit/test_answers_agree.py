"""Issue 17 section 2, answers that agree with each other: an action while the TWS is failing, one
source of truth for prompt state, "late" in both senses, advice that matches the action rules, the
failure diagnosis, the sticky conversation language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills.diagnosis import cause_of
from twschat.core.audit import InMemoryAuditSink

from .test_rules import NOW, BrokenTws, converse


@pytest.mark.parametrize("text", ["reroda o JOB002", "hold no JOB008", "cancela o JOB009", "rerun JOB002"])
def test_an_action_while_the_tws_is_unreachable_says_so(text: str) -> None:
    bot = RuleResponder(BrokenTws("unreachable"), audit=InMemoryAuditSink(), clock=lambda: NOW)
    (reply,) = converse(bot, text)
    assert reply.context["error"] == "unreachable", reply.text
    assert "Qual job" not in reply.text and "Which job" not in reply.text
    assert "TWS" in reply.text and ("conectar" in reply.text or "reach" in reply.text)


def test_an_action_on_a_tws_answering_500_says_so() -> None:
    bot = RuleResponder(BrokenTws("server"), audit=InMemoryAuditSink(), clock=lambda: NOW)
    (reply,) = converse(bot, "reroda o JOB002")
    assert reply.context["error"] == "server" and "erro interno" in reply.text


def _demo_bot() -> RuleResponder:
    return RuleResponder(DemoTwsClient(clock=lambda: NOW), audit=InMemoryAuditSink(), clock=lambda: NOW)


def test_a_pt_conversation_stays_pt_for_phrases_that_are_not_clearly_english() -> None:
    replies = converse(_demo_bot(), "quais jobs estão rodando?", "hold no JOB008", "sim", "/help")
    assert [r.language for r in replies] == ["pt", "pt", "pt", "pt"], [r.text for r in replies]
    assert "Confirma" in replies[1].text and "Hold de Log Rotation (JOB008)" in replies[2].text
    assert "Posso consultar o plano" in replies[3].text


def test_an_en_conversation_stays_en_and_a_clearly_pt_phrase_switches() -> None:
    replies = converse(_demo_bot(), "which jobs are running?", "ajuda", "quais jobs estão em abend?")
    assert [r.language for r in replies] == ["en", "en", "pt"], [r.text for r in replies]


def test_a_clearly_english_phrase_switches_a_pt_conversation() -> None:
    replies = converse(_demo_bot(), "quais jobs estão rodando?", "which jobs failed?")
    assert [r.language for r in replies] == ["pt", "en"]


def test_why_did_it_fail_is_the_diagnosis_not_the_log_again() -> None:
    replies = converse(_demo_bot(), "qual job esta em abend?", "por que ele falhou?", "e o log dele?")
    why, log = replies[1], replies[2]
    assert why.intent == "job_log" and why.text != log.text
    assert "ORA-01653: unable to extend table ETL.SALES_FACT" in why.text  # the error line
    assert "rc 12" in why.text and "tablespace" in why.text.lower()  # the return code, the cause class
    assert "reroda o JOB002" in why.text  # the next step
    assert "Starting data processing batch" not in why.text and "Starting data processing batch" in log.text
    assert why.quick_replies[0] == "log do JOB002"  # the log one quick reply away


DIAGNOSES = [
    ("por que o JOB004 falhou?", "pt", "workstation TWS_AGENT2 não está linkada", "linka a TWS_AGENT2"),
    ("why did JOB004 fail?", "en", "workstation TWS_AGENT2 is not linked", "link TWS_AGENT2"),
    ("why did JOB002 fail?", "en", "tablespace ETL_DATA is full", "rerun JOB002"),
]
"""What the operator asks, the answer's language, the cause class as worded, the next step."""


@pytest.mark.parametrize(("text", "lang", "cause", "step"), DIAGNOSES)
def test_the_diagnosis_names_the_cause_class_and_the_next_step(
    text: str, lang: str, cause: str, step: str
) -> None:
    (reply,) = converse(_demo_bot(), text)
    assert reply.language == lang and cause in reply.text and step in reply.text, reply.text
    assert "Batchman could not launch job" in reply.text or "ORA-01653" in reply.text


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (
            "ERROR ORA-01653: unable to extend table ETL.SALES_FACT by 8192 in tablespace ETL_DATA",
            "tablespace",
        ),
        ("cat: /data/in/sales_extract.csv: No such file or directory", "file"),
        ("ERROR ORA-01017: invalid username/password; logon denied", "credentials"),
        ("AWSBHT061E Batchman could not launch job: workstation TWS_AGENT2 is not linked", "unlinked"),
        ("ERROR Batch aborted after 1,200,000 rows; rolling back", ""),
    ],
)
def test_the_cause_class_is_what_the_log_says(error: str, cause: str) -> None:
    assert cause_of([error]) == cause


def test_advice_on_an_intro_job_matches_what_the_actions_allow() -> None:
    bot = _demo_bot()
    replies = converse(bot, "reroda o JOB002", "sim", "devo rerodar o JOB002?", "libera o JOB002")
    advice, release = replies[2], replies[3]
    assert "INTRO" in advice.text and "libera o JOB002" not in advice.text and "libere" not in advice.text
    assert "linka a TWS_AGENT2" in advice.text, advice.text  # what the plan says it waits for
    assert "não está em HOLD" in release.text  # the action rules: release is for HOLD only


def test_reroda_a_held_job_says_release_it() -> None:
    (reply,) = converse(_demo_bot(), "reroda o JOB007")
    assert "HOLD" in reply.text and "libera o JOB007" in reply.text


def test_the_status_of_an_intro_job_says_why_it_is_there() -> None:
    texts = (
        "reroda o JOB002",
        "sim",
        "como está o JOB002?",
        "linka a TWS_AGENT2",
        "sim",
        "como está o JOB002?",
    )
    replies = converse(_demo_bot(), *texts)
    offline, linked = replies[2], replies[5]
    assert "TWS_AGENT2 (OFFLINE)" in offline.text and "linka a TWS_AGENT2" in offline.text
    assert "INTRO" in linked.text and "status da TWS_AGENT2" in linked.text, linked.text


@pytest.mark.parametrize(
    ("text", "running", "due"),
    [("jobs atrasados", "60 min", "Sem iniciar"), ("late jobs", "60 min", "Not started")],
)
def test_late_means_not_started_in_time_and_running_too_long(text: str, running: str, due: str) -> None:
    bot = _demo_bot()
    (late,) = converse(bot, text)
    (soon,) = converse(bot, "quais jobs vão rodar nas próximas 2 horas?")
    overdue = soon.text.split("Já passaram do horário e ainda aguardam: ")[1].split(" (")[0].split(", ")
    assert overdue == ["JOB007", "JOB008", "JOB014"]  # the due-jobs answer's list
    for job_id in [*overdue, "JOB006"]:
        assert job_id in late.text, late.text
    assert running in late.text and due in late.text
    assert "JOB005" not in late.text  # running 12 min: not late


def test_a_running_job_is_late_past_its_estimated_duration() -> None:
    from datetime import timedelta

    from twschat.assistant.domain import Job, is_late

    started = NOW - timedelta(minutes=30)
    job = Job(
        "p", "Load", "JOB100", "EXEC", "WS", start_time=started, estimated_duration=timedelta(minutes=10)
    )
    assert is_late(job, NOW, 60)  # three times its estimate, though under the 60 min fallback
    assert not is_late(Job("p", "Load", "JOB100", "EXEC", "WS", start_time=started), NOW, 60)
    quick = Job(
        "p", "Load", "JOB100", "EXEC", "WS", start_time=started, estimated_duration=timedelta(minutes=25)
    )
    assert not is_late(quick, NOW, 60)  # within half again its estimate


AFTER_MIDNIGHT = datetime(2024, 4, 13, 3, 30, tzinfo=UTC)  # 00:30 in Sao Paulo; the plan ran yesterday


def _bot_at(now: datetime, **settings: str) -> RuleResponder:
    tws = DemoTwsClient(clock=lambda: now)
    return RuleResponder(tws, audit=InMemoryAuditSink(), clock=lambda: now, **settings)  # type: ignore[arg-type]


def test_today_is_the_current_production_plan_and_the_answer_says_its_period() -> None:
    (failed,) = converse(_bot_at(AFTER_MIDNIGHT, plan_start_of_day="06:00"), "quais jobs falharam hoje?")
    assert "JOB002" in failed.text and "JOB004" in failed.text, failed.text
    assert "plano desde 12/04 06:00" in failed.text
    (done,) = converse(_bot_at(AFTER_MIDNIGHT, plan_start_of_day="06:00"), "which jobs succeeded today?")
    assert "plan since 2024-04-12 06:00" in done.text and "JOB001" in done.text, done.text


def test_the_plan_day_starts_at_midnight_by_default() -> None:
    (failed,) = converse(_bot_at(AFTER_MIDNIGHT), "quais jobs falharam hoje?")
    assert "Nenhum job com falha (ABEND/FAIL/ERROR) hoje (plano desde 00:00)." in failed.text
    (noon,) = converse(_bot_at(NOW, plan_start_of_day="06:00"), "quais jobs falharam hoje?")
    assert "plano desde 06:00" in noon.text and "JOB004" in noon.text
