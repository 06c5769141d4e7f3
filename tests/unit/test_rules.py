from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from twschat.assistant.actions import (
    REASON_NO_ROLE,
    REASON_OK,
    REASON_READ_ONLY,
    REASON_UNKNOWN_ACTION,
    may_act,
)
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import ActionResult, Job, JobAction, JobStream, Workstation
from twschat.assistant.responder import RuleResponder
from twschat.assistant.tws import TwsError
from twschat.core.audit import AuditRecord, InMemoryAuditSink
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import Principal, Reply, Responder, ResponderRequest, Turn

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


def ask(
    responder: RuleResponder,
    text: str,
    history: Sequence[Turn] = (),
    roles=("operator",),
    lang="pt",
    received_at_ms: int = 0,
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
            received_at_ms=received_at_ms,
        )
    )


def ids() -> Callable[[], str]:
    """A deterministic pending-action id factory: act-1, act-2, ..."""
    counter = itertools.count(1)
    return lambda: f"act-{next(counter)}"


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
    return RuleResponder(tws, audit=audit, clock=lambda: NOW, id_factory=ids())


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
    assert "... e mais 12 — refine com" in reply.text  # issue 16: "e mais N"
    assert len(reply.context["jobs"]) == 3
    en = ask(bot, "list all jobs")
    assert "... and 12 more — refine with" in en.text  # issue 16: "and N more"


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
        "id": "act-1",
        "action": "rerun",
        "job": "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002",
        "job_id": "JOB002",
        "name": "Data Processing",
        "workstation": "TWS_AGENT2",
        "lang": "pt",
        "proposed_at": int(NOW.timestamp()),
        "expires_at": int(NOW.timestamp()) + 300,
        # issue 16: the job stream instance, re-checked before the call and named in the question
        "stream": "DATA_PIPELINE",
        "stream_id": "0AAAAAAAAAAAAAB2",
        "stream_time": "2024-04-12T07:50:00+00:00",
    }
    assert ask(bot, "reroda o JOB002").context["pending"]["id"] == "act-2"  # one id per proposal
    assert (
        "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2, stream DATA_PIPELINE (04:50)? "
        "Responda sim ou não" in reply.text
    )


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
            action_id="act-1",
            proposed_at="2024-04-12T12:00:00+00:00",
        )
    ]
    assert audit.records[0].to_dict()["username"] == "joao"


def test_yes_by_a_viewer_is_refused(bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink) -> None:
    asked = ask(bot, "reroda o JOB002")
    history = [Turn("user", "reroda o JOB002"), Turn("agent", asked.text, asked.context)]
    reply = ask(bot, "sim", history, roles=("viewer",))
    assert "somente leitura" in reply.text
    [refused] = audit.records
    assert (refused.action, refused.result, refused.detail) == ("rerun", "refused", REASON_READ_ONLY)
    assert (refused.job_name, refused.username, refused.action_id) == ("Data Processing", "joao", "act-1")
    assert next(j for j in tws.list_jobs() if j.job_id == "JOB002").status == "ABEND"


def test_no_role_is_refused_and_audited(bot: RuleResponder, audit: InMemoryAuditSink) -> None:
    reply = ask(bot, "reroda o JOB002", roles=())
    assert "não tem o papel de operador" in reply.text and "pending" not in reply.context
    [refused] = audit.records
    assert (refused.result, refused.detail, refused.job_id) == (
        "refused",
        REASON_NO_ROLE,
        "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002",
    )


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

    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult:
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
    assert [(r.action, r.result, r.detail) for r in audit.records] == [("rerun", "failed", "timeout: boom")]


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
        (("operator",), "kill", (True, REASON_OK)),
        (("viewer",), "link", (False, REASON_READ_ONLY)),
        (("operator",), "format_disk", (False, REASON_UNKNOWN_ACTION)),
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


# ------------------------------------------------------------- audit trail: at most once, never lost
class CountingTws(DemoTwsClient):
    def __init__(self) -> None:
        super().__init__(clock=lambda: NOW)
        self.acts = 0

    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult:
        self.acts += 1
        return super().act(action, job)


class FlakySink(InMemoryAuditSink):
    """The in-memory sink with its store down at one step: record, begin, finish or for_job."""

    def __init__(self, down_at: str = "") -> None:
        super().__init__()
        self.down_at = down_at

    def _maybe(self, step: str) -> None:
        if step == self.down_at:
            raise StorageUnavailable(f"audit_{step}", "ProvisionedThroughputExceededException")

    def record(self, record: AuditRecord) -> None:
        self._maybe("record")
        super().record(record)

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        self._maybe("begin")
        return super().begin(record)

    def finish(self, record: AuditRecord) -> None:
        self._maybe("finish")
        super().finish(record)

    def for_job(self, job_name: str, since_day: str) -> list[AuditRecord]:
        self._maybe("for_job")
        return super().for_job(job_name, since_day)


def status_of(tws: DemoTwsClient, job_id: str) -> str:
    return next(j.status for j in tws.list_jobs() if j.job_id == job_id)


def prompt(responder: RuleResponder, text: str = "reroda o JOB002") -> list[Turn]:
    """The history right after the confirmation question for ``text``."""
    asked = ask(responder, text)
    assert "pending" in asked.context, asked.text
    return [Turn("user", text), Turn("agent", asked.text, asked.context)]


def test_no_audit_record_no_action() -> None:
    tws, sink = CountingTws(), FlakySink("begin")
    bot = RuleResponder(tws, audit=sink, clock=lambda: NOW, id_factory=ids())
    history = prompt(bot)
    with pytest.raises(StorageUnavailable) as err:  # the service answers storage_unavailable
        ask(bot, "sim", history)
    assert err.value.operation == "audit_begin"
    assert tws.acts == 0 and status_of(tws, "JOB002") == "ABEND" and sink.records == []


def test_store_down_during_the_tws_call_still_answers_the_result(caplog: pytest.LogCaptureFixture) -> None:
    tws, sink = CountingTws(), FlakySink("finish")
    bot = RuleResponder(tws, audit=sink, clock=lambda: NOW, id_factory=ids())
    with caplog.at_level(logging.ERROR):
        reply = ask(bot, "sim", prompt(bot))
    assert "Rerun de Data Processing (JOB002) em TWS_AGENT2 enviado ao TWS" in reply.text
    assert tws.acts == 1 and status_of(tws, "JOB002") == "INTRO"
    [evidence] = sink.records  # the requested record stays as the evidence that it was sent
    assert (evidence.result, evidence.action_id, evidence.username) == ("requested", "act-1", "joao")
    assert "audit finish failed" in caplog.text and "act-1" in caplog.text
    assert "unlinked" not in caplog.text  # the TWS detail (and anything secret in it) is not logged


@pytest.mark.parametrize(
    ("down_at", "tws_fails", "outcome"),
    [
        ("", False, "O TWS aceitou."),
        ("finish", False, 'O resultado não foi registrado (desconhecido): confira com "status do JOB002"'),
        ("", True, "A chamada ao TWS falhou (timeout: boom): pode ter rodado ou não"),
    ],
)
def test_the_same_confirmation_never_runs_twice(down_at: str, tws_fails: bool, outcome: str) -> None:
    """The reproduction: "reroda", "sim", the store fails while the TWS call is in flight, so the reply is
    lost and the prompt is still the last stored turn; the operator says "sim" again."""
    tws: Any = BrokenTws("timeout", "act") if tws_fails else CountingTws()
    sink = FlakySink(down_at)
    clock = [NOW]
    bot = RuleResponder(tws, audit=sink, clock=lambda: clock[0], id_factory=ids())
    history = prompt(bot)
    ask(bot, "sim", history)  # ran (or failed in flight); its reply never reached the history
    clock[0] = NOW + timedelta(minutes=1)
    again = ask(bot, "sim", history)
    assert again.intent == "confirm_yes" and "pending" not in again.context
    assert (
        "Rerun de Data Processing (JOB002) já foi enviado ao TWS, confirmado por joao às 09:00" in again.text
    )
    assert "não enviei de novo" in again.text and outcome in again.text
    clock[0] = NOW + timedelta(minutes=30)  # expired and the job moved on: still not "nothing was done"
    assert "já foi enviado" in ask(bot, "sim", history).text
    assert len(sink.records) == 1
    if isinstance(tws, CountingTws):
        assert tws.acts == 1


def test_already_sent_in_english(bot: RuleResponder, tws: DemoTwsClient) -> None:
    history = prompt(bot, "please rerun JOB002")
    ask(bot, "yes", history)
    again = ask(bot, "yes", history)
    assert (
        "Rerun of Data Processing (JOB002) was already sent to TWS, confirmed by joao at 09:00" in again.text
    )
    assert "I did not send it again. TWS accepted it." in again.text


def test_a_concurrent_second_confirmation_is_stopped_by_the_conditional_write() -> None:
    """Two turns confirm the same pending action at once: both read the plan before either acted, and
    the audit lookup of the second misses the first. The conditional begin lets only one run."""

    class BlindSink(InMemoryAuditSink):
        def for_job(self, job_name: str, since_day: str) -> list[AuditRecord]:
            return []

    sink = BlindSink()
    first_tws, second_tws = CountingTws(), CountingTws()
    first = RuleResponder(first_tws, audit=sink, clock=lambda: NOW, id_factory=ids())
    second = RuleResponder(second_tws, audit=sink, clock=lambda: NOW)
    history = prompt(first)
    assert "enviado ao TWS" in ask(first, "sim", history).text
    reply = ask(second, "sim", history)
    assert "já foi enviado ao TWS" in reply.text and "O TWS aceitou." in reply.text
    assert (first_tws.acts, second_tws.acts) == (1, 0)


def test_an_unreadable_audit_stops_the_action_not_the_question() -> None:
    tws, sink = CountingTws(), FlakySink("for_job")
    bot = RuleResponder(tws, audit=sink, clock=lambda: NOW, id_factory=ids())
    history = prompt(bot)  # the recent-action note is best effort
    with pytest.raises(StorageUnavailable):
        ask(bot, "sim", history)
    assert tws.acts == 0


def test_a_refusal_is_answered_even_when_its_audit_fails() -> None:
    bot = RuleResponder(DemoTwsClient(clock=lambda: NOW), audit=FlakySink("record"), clock=lambda: NOW)
    assert "somente leitura" in ask(bot, "reroda o JOB002", roles=("viewer",)).text


def test_storage_unavailable_is_never_swallowed() -> None:
    class StoreDown(BrokenTws):
        def list_jobs(self) -> Sequence[Job]:
            raise StorageUnavailable("get_connection")

    bot = RuleResponder(StoreDown("none"), clock=lambda: NOW)
    with pytest.raises(StorageUnavailable):
        bot.respond(ResponderRequest(agent="tws", message="status do JOB002"))


def test_the_prompt_warns_about_a_recent_action_on_the_job(bot: RuleResponder) -> None:
    replies = converse(bot, "coloca o JOB008 em hold", "sim", "libera o JOB008")
    assert "Confirma liberar (release) Log Rotation (JOB008)" in replies[2].text
    assert (
        "Atenção: última ação registrada nele: 09:00 joao: Hold em TWS_MASTER — aceito pelo TWS."
        in replies[2].text
    )


# --------------------------------------------------------------- actions follow what was meant
def test_a_yes_received_before_the_question_runs_nothing(bot: RuleResponder, tws: DemoTwsClient) -> None:
    asked = ask(bot, "reroda o JOB002")
    history = [
        Turn("user", "reroda o JOB002", created_at_ms=1_000),
        Turn("agent", asked.text, asked.context, created_at_ms=2_000),
    ]
    early = ask(bot, "sim", history, received_at_ms=1_500)
    assert early.intent == "confirm_yes" and "chegou antes da pergunta" in early.text
    assert "Confirma o rerun de Data Processing (JOB002)" in early.text  # asked again
    assert early.context["pending"] == asked.context["pending"] and status_of(tws, "JOB002") == "ABEND"
    history += [
        Turn("user", "sim", created_at_ms=1_500),
        Turn("agent", early.text, early.context, created_at_ms=2_600),
    ]
    assert "enviado ao TWS" in ask(bot, "sim", history, received_at_ms=3_000).text


def test_a_yes_received_before_the_question_in_english(bot: RuleResponder) -> None:
    asked = ask(bot, "please rerun JOB002")
    history = [Turn("user", "rerun JOB002"), Turn("agent", asked.text, asked.context, created_at_ms=2_000)]
    early = ask(bot, "yes", history, received_at_ms=1_999)
    assert "arrived before the question" in early.text and "Confirm rerun Data Processing" in early.text


@pytest.mark.parametrize("text", ["reroda o JOB004\nsim", "rerun JOB004\nyes", "sim\nreroda o JOB004"])
def test_a_request_and_a_yes_pasted_in_one_frame_run_nothing(
    bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink, text: str
) -> None:
    fresh = ask(bot, text)
    again = ask(bot, text, prompt(bot, "reroda o JOB004"))  # even with that very action pending
    for reply in (fresh, again):
        assert reply.intent == "action_rerun" and "Payroll Calculation (JOB004)" in reply.text
    assert status_of(tws, "JOB004") == "FAIL" and audit.records == []


@pytest.mark.parametrize(
    ("request_text", "answer", "expect"),
    [
        (
            "reroda o JOB002",
            "talvez",
            "Não entendi se confirma. Confirma o rerun de Data Processing (JOB002)",
        ),
        ("reroda o JOB002", "hmm", "Não entendi se confirma. Confirma o rerun"),
        ("reroda o JOB002", "sei lá", "Não entendi se confirma. Confirma o rerun"),
        ("reroda o JOB002", "maybe", "Não entendi se confirma. Confirma o rerun"),
        ("please rerun JOB002", "maybe", "I need a yes or a no. Confirm rerun Data Processing (JOB002)"),
        ("please rerun JOB002", "not sure", "I need a yes or a no. Confirm rerun"),
    ],
)
def test_neither_yes_nor_no_asks_again_and_keeps_the_action(
    bot: RuleResponder, tws: DemoTwsClient, request_text: str, answer: str, expect: str
) -> None:
    history = prompt(bot, request_text)
    reply = ask(bot, answer, history)
    assert reply.intent == "confirm_unclear" and expect in reply.text
    assert reply.context["pending"] == history[-1].context["pending"]
    history += [Turn("user", answer), Turn("agent", reply.text, reply.context)]
    assert "Data Processing (JOB002)" in ask(bot, "sim", history).text and status_of(tws, "JOB002") == "INTRO"


def test_an_unclear_answer_after_expiry_says_it_expired(tws: DemoTwsClient) -> None:
    clock = [NOW]
    bot = RuleResponder(tws, clock=lambda: clock[0], id_factory=ids())
    history = prompt(bot)
    clock[0] = NOW + timedelta(minutes=6)
    reply = ask(bot, "talvez", history)
    assert "expirou" in reply.text and "pending" not in reply.context


@pytest.mark.parametrize(
    ("request_text", "answer", "expect", "lang"),
    [
        ("reroda o JOB002", "yes", "Rerun de Data Processing (JOB002) em TWS_AGENT2 enviado ao TWS", "pt"),
        ("please rerun JOB002", "sim", "Rerun of Data Processing (JOB002) on TWS_AGENT2 sent to TWS", "en"),
        ("reroda o JOB002", "no", "Ok, cancelei o pedido para o rerun de Data Processing (JOB002)", "pt"),
    ],
)
def test_the_outcome_is_in_the_language_of_the_question(
    bot: RuleResponder, request_text: str, answer: str, expect: str, lang: str
) -> None:
    reply = ask(bot, answer, prompt(bot, request_text))
    assert expect in reply.text and reply.language == lang and reply.context["lang"] == lang


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("não reroda o JOB002", "Ok, não vou rerodar Data Processing (JOB002). Cancelei o pedido pendente."),
        (
            "don't rerun JOB002",
            "OK, I will not rerun Data Processing (JOB002). I dropped the pending request.",
        ),
        (
            "nunca cancele o JOB009",
            "O pedido pendente para o rerun de Data Processing (JOB002) também foi descartado",
        ),
    ],
)
def test_a_negation_never_acts_and_drops_the_pending_action(
    bot: RuleResponder, tws: DemoTwsClient, audit: InMemoryAuditSink, text: str, expect: str
) -> None:
    history = prompt(bot)
    reply = ask(bot, text, history)
    assert reply.intent == "action_negated" and expect in reply.text and "pending" not in reply.context
    history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    # "sim" keeps the conversation's language (issue 17): English after "don't rerun JOB002"
    after = ask(bot, "sim", history).text
    assert "Não há nenhuma ação pendente" in after or "There is no action waiting for confirmation" in after
    assert status_of(tws, "JOB002") == "ABEND" and status_of(tws, "JOB009") == "SCHED" and audit.records == []


def test_who_reran_is_answered_from_the_audit(bot: RuleResponder) -> None:
    replies = converse(
        bot,
        "quem reexecutou o JOB002?",
        "reroda o JOB002",
        "sim",
        "quem reexecutou o JOB002?",
        "who reran JOB002?",
    )
    assert "Nenhum registro de Rerun em Data Processing (JOB002) hoje nem ontem." in replies[0].text
    assert "- 09:00 joao: Rerun em TWS_AGENT2 — aceito pelo TWS" in replies[3].text
    assert "- 09:00 joao: Rerun on TWS_AGENT2 — accepted by TWS" in replies[4].text
    assert all("pending" not in replies[i].context for i in (0, 3, 4))


def test_should_i_rerun_gives_the_facts_and_proposes_nothing(bot: RuleResponder) -> None:
    pt = ask(bot, "devo rerodar o JOB002?")
    assert pt.intent == "action_advice" and "pending" not in pt.context
    for fact in (
        "ABEND em TWS_AGENT2",
        "ORA-01653",
        "a causa foi corrigida",
        'peça explicitamente: "reroda o JOB002"',
    ):
        assert fact in pt.text
    en = ask(bot, "should I rerun JOB005?")  # running: no rerun now, and no command suggested
    assert en.intent == "action_advice" and "is running" in en.text and '"rerun JOB005"' not in en.text
