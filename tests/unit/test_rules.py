from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from twschat.core.actions import (
    REASON_NO_ROLE,
    REASON_OK,
    REASON_READ_ONLY,
    REASON_UNKNOWN_ACTION,
    AuditRecord,
    InMemoryAuditSink,
    may_act,
)
from twschat.core.demo_tws import DemoTwsClient
from twschat.core.responder import Principal, Reply, Responder, ResponderRequest, Turn
from twschat.core.rules import RuleResponder
from twschat.core.tws import ActionResult, Job, JobAction, JobStream, TwsError, Workstation

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


def ask(
    responder: RuleResponder, text: str, history: Sequence[Turn] = (), roles=("operator",), lang="pt"
) -> Reply:
    return responder.respond(
        ResponderRequest(
            agent="tws",
            message=text,
            history=tuple(history),
            default_language=lang,
            principal=Principal("u-7", "joao", tuple(roles)),
            connection_id="c-7",
            conversation_id="v-7",
        )
    )


def converse(responder: RuleResponder, *texts: str, roles=("operator",)) -> list[Reply]:
    history: list[Turn] = []
    replies = []
    for text in texts:
        reply = ask(responder, text, history, roles=roles)
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
        replies.append(reply)
    return replies


@pytest.fixture
def tws() -> DemoTwsClient:
    return DemoTwsClient(clock=lambda: NOW)


@pytest.fixture
def audit() -> InMemoryAuditSink:
    return InMemoryAuditSink()


@pytest.fixture
def bot(tws: DemoTwsClient, audit: InMemoryAuditSink) -> RuleResponder:
    return RuleResponder(tws, audit=audit, clock=lambda: NOW)


def test_is_a_responder(bot: RuleResponder) -> None:
    responder: Responder = bot
    assert responder.respond(ResponderRequest(agent="tws", message="oi")).intent == "greeting"


# ------------------------------------------------------------------------------------- acceptance
def test_acceptance_abend(bot: RuleResponder) -> None:
    reply = ask(bot, "qual job esta em abend?")
    assert reply.intent == "jobs_failed" and reply.language == "pt"
    assert "- Data Processing (JOB002) — ABEND em TWS_AGENT2" in reply.text
    assert "log" in reply.text and "dependências" in reply.text


def test_acceptance_workstations(bot: RuleResponder) -> None:
    reply = ask(bot, "quais são as workstations disponíveis?")
    for line in ("- TWS_MASTER — ONLINE", "- TWS_AGENT1 — ONLINE", "- TWS_AGENT2 — OFFLINE"):
        assert line in reply.text


def test_acceptance_thanks(bot: RuleResponder) -> None:
    reply = ask(bot, "obrigado pela ajuda")
    assert reply.intent == "thanks" and reply.text.startswith("Por nada")


def test_acceptance_generic_tws_question(bot: RuleResponder) -> None:
    reply = ask(bot, "me explica o que é o TWS")
    assert reply.intent == "help"
    assert "quais jobs estão em abend?" in reply.text and "reroda o JOB002" in reply.text


def test_unknown_never_echoes(bot: RuleResponder) -> None:
    secret = "xyzzy plugh frobnicate"
    reply = ask(bot, secret)
    assert reply.intent == "unknown"
    assert "xyzzy" not in reply.text and "frobnicate" not in reply.text
    assert "quais jobs estão em abend?" in reply.text


# ------------------------------------------------------------------------------------- formatting
def test_list_is_capped_with_refine_hint(tws: DemoTwsClient) -> None:
    bot = RuleResponder(tws, clock=lambda: NOW, list_cap=3)
    reply = ask(bot, "lista os jobs")
    lines = reply.text.splitlines()
    assert lines[0] == "15 jobs no plano:"
    assert sum(1 for ln in lines if ln.startswith("- ")) == 3
    assert "... mais 12 — refine com" in reply.text
    assert len(reply.context["jobs"]) == 3
    en = ask(bot, "list all jobs")
    assert "... 12 more — refine with" in en.text


def test_lists_are_sorted_by_job_id(bot: RuleResponder) -> None:
    reply = ask(bot, "lista os jobs")
    ids = [ln.split("(")[1].split(")")[0] for ln in reply.text.splitlines() if ln.startswith("- ")]
    assert ids == sorted(ids) and len(ids) == 15


def test_times_in_configured_zone(tws: DemoTwsClient) -> None:
    sp = ask(RuleResponder(tws, clock=lambda: NOW), "status do JOB002")
    utc = ask(RuleResponder(tws, clock=lambda: NOW, tz="UTC"), "status do JOB002")
    assert "fim 04:58" in sp.text  # 07:58 UTC in Sao Paulo
    assert "fim 07:58" in utc.text


def test_other_day_shows_the_date(tws: DemoTwsClient) -> None:
    bot = RuleResponder(tws, clock=lambda: NOW + timedelta(days=1))
    assert "fim 12/04 04:58" in ask(bot, "status do JOB002").text


def test_context_is_dynamodb_safe(bot: RuleResponder) -> None:
    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        assert isinstance(value, (str, int, bool, list, dict)), type(value)
        if isinstance(value, dict):
            for k, v in value.items():
                assert isinstance(k, str)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for text in (
        "qual job esta em abend?",
        "reroda o JOB002",
        "como está o ambiente?",
        "status do backup",
        "sc",
    ):
        reply = ask(bot, text)
        walk(dict(reply.context))
        json.dumps(dict(reply.context))
        assert reply.context["lang"] == "pt" and reply.context["intent"] == reply.intent


def test_language_follows_the_conversation(bot: RuleResponder) -> None:
    first, second = converse(bot, "which jobs are in abend?", "rerun JOB002")
    assert first.language == "en"
    assert second.language == "en" and second.text.startswith("Confirm rerun")


def test_default_language_english(bot: RuleResponder) -> None:
    reply = ask(bot, "JOB002", lang="en")
    assert reply.language == "en" and "ABEND on TWS_AGENT2" in reply.text


# ------------------------------------------------------------------------------------ follow-ups
def test_log_follow_up_needs_a_referent(bot: RuleResponder) -> None:
    reply = ask(bot, "e o log dele?")
    assert reply.intent == "job_log"
    assert "Qual job?" in reply.text


def test_list_then_ambiguous_referent_asks_which(bot: RuleResponder) -> None:
    _, reply = converse(bot, "jobs em hold", "e o log dele?")
    assert "Qual deles?" in reply.text and "JOB007" in reply.text and "JOB014" in reply.text


def test_malformed_context_is_ignored(bot: RuleResponder) -> None:
    history = [Turn("user", "x"), Turn("agent", "y", {"jobs": "oops", "pending": "bad", "lang": 3})]
    reply = ask(bot, "sim", history)
    assert reply.intent == "confirm_yes"
    assert "Não há nenhuma ação pendente" in reply.text


# --------------------------------------------------------------------------------------- actions
def test_pending_action_has_clock_based_expiry(bot: RuleResponder) -> None:
    reply = ask(bot, "reroda o JOB002")
    pending = reply.context["pending"]
    assert pending == {
        "action": "rerun",
        "job": "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002",
        "job_id": "JOB002",
        "name": "Data Processing",
        "workstation": "TWS_AGENT2",
        "expires_at": int(NOW.timestamp()) + 300,
    }
    assert "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2? Responda sim ou não" in reply.text


def test_confirmed_action_is_audited(
    bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink
) -> None:
    replies = converse(bot, "reroda o JOB002", "sim")
    assert "Rerun de Data Processing (JOB002) em TWS_AGENT2 enviado ao TWS" in replies[1].text
    assert audit.records == [
        AuditRecord(
            at="2024-04-12T12:00:00+00:00",
            user_id="u-7",
            username="joao",
            action="rerun",
            job_id="TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002",
            result="accepted",
            connection_id="c-7",
            conversation_id="v-7",
            job_name="Data Processing",
            workstation="TWS_AGENT2",
            detail="workstation TWS_AGENT2 is unlinked: the job waits in INTRO until it links",
        )
    ]
    assert audit.records[0].to_dict()["username"] == "joao"


def test_yes_by_a_viewer_is_refused(bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink) -> None:
    asked = ask(bot, "reroda o JOB002")
    history = [Turn("user", "reroda o JOB002"), Turn("agent", asked.text, asked.context)]
    reply = ask(bot, "sim", history, roles=("viewer",))
    assert "somente leitura" in reply.text
    assert audit.records == []
    assert next(j for j in tws.list_jobs() if j.job_id == "JOB002").status == "ABEND"


def test_no_role_is_refused(bot: RuleResponder) -> None:
    reply = ask(bot, "reroda o JOB002", roles=())
    assert "não tem o papel de operador" in reply.text and "pending" not in reply.context


def test_state_changed_before_yes(bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink) -> None:
    asked = ask(bot, "libera o JOB007")
    tws.act("release", next(j for j in tws.list_jobs() if j.job_id == "JOB007"))
    history = [Turn("user", "libera o JOB007"), Turn("agent", asked.text, asked.context)]
    reply = ask(bot, "sim", history)
    assert "não está em HOLD" in reply.text and "Nada foi feito" in reply.text
    assert audit.records == []


def test_one_action_at_a_time(bot: RuleResponder) -> None:
    reply = ask(bot, "reroda o JOB002 e o JOB004")
    assert "Qual deles?" in reply.text and "pending" not in reply.context


# ------------------------------------------------------------------------------------- TWS errors
class BrokenTws:
    def __init__(self, kind: str, where: str = "list_jobs") -> None:
        self.kind = kind
        self.where = where
        self.demo = DemoTwsClient(clock=lambda: NOW)

    def _maybe(self, name: str) -> None:
        if name == self.where:
            raise TwsError(self.kind, "boom")  # type: ignore[arg-type]

    def list_workstations(self) -> Sequence[Workstation]:
        self._maybe("list_workstations")
        return self.demo.list_workstations()

    def list_job_streams(self) -> Sequence[JobStream]:
        self._maybe("list_job_streams")
        return self.demo.list_job_streams()

    def list_jobs(self) -> Sequence[Job]:
        self._maybe("list_jobs")
        return self.demo.list_jobs()

    def job_log(self, job: Job) -> str:
        self._maybe("job_log")
        return self.demo.job_log(job)

    def act(self, action: JobAction, job: Job) -> ActionResult:
        self._maybe("act")
        return self.demo.act(action, job)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("unreachable", "Não consegui conectar ao TWS ao listar os jobs"),
        ("timeout", "demorou demais"),
        ("unauthorized", "credenciais"),
        ("not_found", "não encontrou"),
        ("server", "erro interno"),
        ("bad_response", "formato inesperado"),
    ],
)
def test_tws_errors_become_answers(kind: str, words: str) -> None:
    bot = RuleResponder(BrokenTws(kind), clock=lambda: NOW)
    reply = bot.respond(ResponderRequest(agent="tws", message="qual job esta em abend?"))
    assert words in reply.text
    assert reply.context["error"] == kind and reply.intent == "jobs_failed"


def test_error_in_english_names_the_step() -> None:
    bot = RuleResponder(BrokenTws("timeout", "list_workstations"), clock=lambda: NOW)
    reply = bot.respond(ResponderRequest(agent="tws", message="which workstations are offline?"))
    assert "TWS took too long to answer while listing the workstations" in reply.text


def test_log_errors(tws: DemoTwsClient) -> None:
    bot = RuleResponder(BrokenTws("unreachable", "job_log"), clock=lambda: NOW)
    reply = bot.respond(ResponderRequest(agent="tws", message="log do JOB002"))
    assert "ao buscar o log" in reply.text


def test_action_error_is_audited() -> None:
    audit = InMemoryAuditSink()
    bot = RuleResponder(BrokenTws("timeout", "act"), audit=audit, clock=lambda: NOW)
    replies = converse(bot, "reroda o JOB002", "sim")
    assert "ao executar a ação" in replies[1].text
    assert [(r.action, r.result) for r in audit.records] == [("rerun", "error:timeout")]


def test_unexpected_exception_never_escapes() -> None:
    class Exploding(BrokenTws):
        def list_jobs(self) -> Sequence[Job]:
            raise RuntimeError("bug")

    bot = RuleResponder(Exploding("server", "none"), clock=lambda: NOW)
    reply = bot.respond(ResponderRequest(agent="tws", message="qual job esta em abend?"))
    assert "erro interno" in reply.text and reply.context["error"] == "internal"


def test_small_talk_does_not_call_tws() -> None:
    bot = RuleResponder(BrokenTws("unreachable", "list_jobs"), clock=lambda: NOW)
    for text in ("oi", "obrigado pela ajuda", "ajuda", "sim", "não", "tchau"):
        reply = bot.respond(ResponderRequest(agent="tws", message=text))
        assert "error" not in reply.context, text


# ------------------------------------------------------------------------------------- permission
@pytest.mark.parametrize(
    ("roles", "action", "expected"),
    [
        (("operator",), "rerun", (True, REASON_OK)),
        (("admin",), "cancel", (True, REASON_OK)),
        (("viewer", "operator"), "hold", (True, REASON_OK)),
        (("viewer",), "rerun", (False, REASON_READ_ONLY)),
        ((), "release", (False, REASON_NO_ROLE)),
        (("operator",), "kill", (False, REASON_UNKNOWN_ACTION)),
    ],
)
def test_may_act(roles: tuple[str, ...], action: str, expected: tuple[bool, str]) -> None:
    assert may_act(Principal(roles=roles), action) == expected


def test_unreachable_tws_still_understands_small_talk_and_asks_once() -> None:
    class Counting(BrokenTws):
        calls = 0

        def list_jobs(self) -> Sequence[Job]:
            Counting.calls += 1
            raise TwsError("timeout", "slow")

    bot = RuleResponder(Counting("none"), clock=lambda: NOW)
    gibberish = bot.respond(ResponderRequest(agent="tws", message="blargh frobnitz"))
    assert gibberish.intent == "unknown" and "Não entendi" in gibberish.text
    Counting.calls = 0
    status = bot.respond(ResponderRequest(agent="tws", message="status do JOB002"))
    assert "demorou demais" in status.text
    assert Counting.calls == 1
