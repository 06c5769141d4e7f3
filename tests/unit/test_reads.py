"""Issue 9, part B (reads): jobs of one stream, why a job waits and what depends on it, pending prompts,
jobs due in the next hours, counts for "today", and lists that may be incomplete."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job, JobStream, Listing, Prompt, Workstation
from twschat.assistant.responder import RuleResponder
from twschat.assistant.tws import TwsError
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)  # 09:00 in Sao Paulo


class _Truncated(DemoTwsClient):
    """The demo plan as a master answering full pages: every list may be incomplete."""

    def list_jobs(self) -> Sequence[Job]:
        return Listing(super().list_jobs(), truncated=True)

    def list_job_streams(self) -> Sequence[JobStream]:
        return Listing(super().list_job_streams(), truncated=True)

    def list_workstations(self) -> Sequence[Workstation]:
        return Listing(super().list_workstations(), truncated=True)


def _ask(texts: Sequence[str], tws: DemoTwsClient | None = None, *, tz: str = "America/Sao_Paulo") -> Reply:
    responder = RuleResponder(tws or DemoTwsClient(clock=lambda: NOW), clock=lambda: NOW, tz=tz)
    history: list[Turn] = []
    reply: Reply | None = None
    for text in texts:
        reply = responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                principal=Principal(user_id="u-1", username="maria", roles=("operator",)),
                connection_id="conn-1",
                conversation_id="conv-1",
            )
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    assert reply is not None
    return reply


# ------------------------------------------------------------------------------ incomplete lists
@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("lista os jobs", "pode estar incompleta"),
        ("jobs em abend", "pode estar incompleta"),
        ("como está o ambiente?", "pode estar incompleta"),
        ("list the jobs", "may be incomplete"),
        ("how is the environment?", "may be incomplete"),
    ],
)
def test_a_list_from_a_full_page_says_it_may_be_incomplete(text: str, expect: str) -> None:
    reply = _ask([text], _Truncated(clock=lambda: NOW))
    assert expect in reply.text
    assert ("workstation" in reply.text) and ("stream" in reply.text)


def test_a_complete_list_does_not_say_so() -> None:
    assert "incompleta" not in _ask(["lista os jobs"]).text


# ---------------------------------------------------------------------------- jobs of one stream
@pytest.mark.parametrize("text", ["mostra os jobs do stream BILLING", "jobs do job stream billing"])
def test_jobs_of_one_stream_pt(text: str) -> None:
    reply = _ask([text])
    assert reply.intent == "jobs_list"
    assert "2 jobs no stream BILLING" in reply.text
    assert "JOB005" in reply.text and "JOB007" in reply.text
    assert "JOB001" not in reply.text and "job streams" not in reply.text


def test_jobs_of_one_stream_en() -> None:
    reply = _ask(["jobs of stream BILLING"])
    assert reply.intent == "jobs_list" and reply.language == "en"
    assert "JOB005" in reply.text and "JOB007" in reply.text and "DAILY_BACKUP" not in reply.text


def test_the_streams_themselves_are_still_listed() -> None:
    assert _ask(["mostra os job streams"]).intent == "job_streams"
    assert _ask(["status do stream BILLING"]).intent == "job_streams"


# ------------------------------------------------------------------------------------- today
def test_succeeded_today_counts_only_today_by_the_zone() -> None:
    # JOB012 ended at 23:35 yesterday in Sao Paulo (02:35 UTC today)
    reply = _ask(["quantos jobs rodaram com sucesso hoje?"])
    assert reply.intent == "jobs_success"
    assert "4 jobs concluídos com sucesso hoje" in reply.text
    assert "JOB012" not in reply.text and "JOB001" in reply.text


def test_without_today_every_success_in_the_plan_counts() -> None:
    assert "5 jobs concluídos com sucesso" in _ask(["quantos jobs terminaram com sucesso?"]).text


def test_today_follows_the_configured_zone() -> None:
    # in UTC, JOB012 (02:35 UTC) ran today
    assert "5 jobs" in _ask(["quantos jobs rodaram com sucesso hoje?"], tz="UTC").text


def test_today_en() -> None:
    reply = _ask(["how many jobs succeeded today?"])
    assert reply.intent == "jobs_success" and "4 jobs" in reply.text and "today" in reply.text
    assert "JOB012" not in reply.text


def test_ran_today() -> None:
    reply = _ask(["quais jobs rodaram hoje?"])
    assert "hoje" in reply.text and "JOB012" not in reply.text and "JOB009" not in reply.text
    assert "JOB002" in reply.text


# ---------------------------------------------------------------- dependencies, successors, due
def test_why_waiting_then_follow_ups() -> None:
    reply = _ask(["por que o JOB014 está esperando?"])
    assert reply.intent == "job_dependencies" and "log do JOB002" in reply.quick_replies
    assert _ask(["por que o JOB014 está esperando?", "e o JOB009?"]).intent == "job_dependencies"
    follow = _ask(["why is JOB014 waiting?", "and JOB009?"])
    assert "AT 10:30 (in 1h30m)" in follow.text and "prompt 1" in follow.text
    assert _ask(["o que depende do JOB002?", "e dele?"]).intent == "job_successors"
    log = _ask(["why is JOB014 waiting?", "and its log?"])
    assert log.intent == "job_log" and "JOB014" in log.text


def test_a_job_without_dependencies_and_without_successors() -> None:
    assert "não tem dependências" in _ask(["o JOB002 depende de quem?"]).text
    assert "Nenhum job do plano depende de" in _ask(["o que depende do JOB014?"]).text


def test_a_predecessor_that_succeeded_is_satisfied() -> None:
    reply = _ask(["dependências do JOB015"])
    assert "aguarda 1 dependência:" in reply.text and "AT 11:30" in reply.text
    assert "Já satisfeitas: JOB003, JOB013." in reply.text


def test_jobs_due_is_bounded_by_the_window() -> None:
    reply = _ask(["jobs due in the next 3 hours"])
    assert "JOB009" in reply.text and "JOB015" in reply.text and "JOB001" not in reply.text
    assert "Nenhum job previsto para as próximas 1 h" in _ask(["jobs previstos na próxima hora"]).text


# ------------------------------------------------------------------- prompts waiting for an answer
def test_pending_prompts_with_their_text_id_and_how_to_answer() -> None:
    reply = _ask(["quais prompts estão esperando resposta?"])
    assert reply.intent == "prompts" and reply.language == "pt"
    assert (
        'prompt 3: "Extrato de vendas do dia conferido para a reconciliação (JOB014)?" — ASKED' in reply.text
    )
    assert '"responde sim ao prompt 1" ou "responde não ao prompt 1"' in reply.text
    assert "Já respondido: 2 (YES)." in reply.text  # issue 17: agreement (was "respondidos")
    assert reply.quick_replies == ("responde sim ao prompt 1", "responde sim ao prompt 3")


@pytest.mark.parametrize(
    ("texts", "lang"),
    [
        (["sp"], "pt"),
        (["prompts"], "pt"),
        (["show pending prompts"], "en"),
        (["show the jobs", "sp"], "en"),  # "sp" and "prompt" do not decide the language
        (["status do JOB002", "prompts"], "pt"),
    ],
)
def test_the_words_prompt_and_sp_do_not_decide_the_language(texts: list[str], lang: str) -> None:
    reply = _ask(texts)
    assert reply.intent == "prompts" and reply.language == lang


def test_one_prompt_waiting_offers_yes_and_no() -> None:
    reply = _ask(["prompt 3"])
    assert reply.quick_replies == ("responde sim ao prompt 3", "responde não ao prompt 3")


def test_no_prompt_waiting() -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    for p in tws.list_prompts():
        if p.status == "ASKED":
            tws.reply_prompt(p, True)
    reply = _ask(["show pending prompts"], tws)
    assert "No prompt is waiting for an answer." in reply.text and reply.quick_replies == ()


class _NoPrompts(DemoTwsClient):
    def __init__(self, kind: str) -> None:
        super().__init__(clock=lambda: NOW)
        self.kind = kind

    def list_prompts(self) -> Sequence[Prompt]:
        raise TwsError(self.kind, "prompt query")  # type: ignore[arg-type]


def test_a_source_that_does_not_report_prompts_says_so() -> None:
    assert 'confira no conman ("sp")' in _ask(["sp"], _NoPrompts("not_found")).text


@pytest.mark.parametrize(
    ("lang_text", "expect"), [("sp", "ao listar os prompts"), ("show prompts", "listing the prompts")]
)
def test_a_tws_failure_while_listing_prompts_names_what_failed(lang_text: str, expect: str) -> None:
    reply = _ask([lang_text], _NoPrompts("server"))
    assert expect in reply.text and reply.context.get("error") == "server"
