"""Issue 9, part B (actions): kill, confirm SUCC/ABEND, job stream hold/release/cancel, workstation
link/unlink, prompt replies and the operator's justification, all through the one action path
(ActionDesk): confirmation, role check, audit (who, what, target, justification, result)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.config import Settings
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


def _talk(
    texts: Sequence[str], *, require: bool = False, roles: tuple[str, ...] = ("operator",)
) -> tuple[list[Reply], InMemoryAuditSink, DemoTwsClient]:
    tws = DemoTwsClient(clock=lambda: NOW)
    audit = InMemoryAuditSink()
    responder = RuleResponder(tws, audit=audit, clock=lambda: NOW, require_justification=require)
    history: list[Turn] = []
    replies = []
    for text in texts:
        reply = responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                principal=Principal(user_id="u-1", username="maria", roles=roles),
                connection_id="conn-1",
                conversation_id="conv-1",
            )
        )
        replies.append(reply)
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    return replies, audit, tws


def _audit(audit: InMemoryAuditSink) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (r.username, r.action, r.target_kind, r.job_name, r.justification, r.result) for r in audit.records
    ]


def test_a_reason_goes_to_the_confirmation_and_the_audit() -> None:
    replies, audit, _ = _talk(["reroda o JOB002 porque o banco voltou", "sim"])
    assert "Motivo: o banco voltou" in replies[0].text
    assert _audit(audit) == [("maria", "rerun", "", "Data Processing", "o banco voltou", "accepted")]


def test_english_reason() -> None:
    replies, audit, _ = _talk(["rerun JOB002 because the DB is back", "yes"])
    assert "Reason: the DB is back" in replies[0].text
    assert audit.records[0].justification == "the DB is back"


def test_required_justification_is_asked_for_and_keeps_the_pending_action() -> None:
    replies, audit, tws = _talk(["mata o JOB006", "sim", "o lock na FACT_SALES não sai", "sim"], require=True)
    assert "qual o motivo?" in replies[0].text
    assert replies[0].context["pending"]["awaiting"] == "reason"
    # a bare "sim" is not a reason: asked again, nothing ran
    assert "qual o motivo?" in replies[1].text and replies[1].context.get("pending")
    assert replies[2].intent == "action_reason"
    assert "Motivo: o lock na FACT_SALES não sai" in replies[2].text
    assert "Kill de Data Warehouse Load (JOB006)" in replies[3].text
    assert _audit(audit) == [
        ("maria", "kill", "", "Data Warehouse Load", "o lock na FACT_SALES não sai", "accepted")
    ]
    assert {j.job_id: j.status for j in tws.list_jobs()}["JOB006"] == "ABEND"
    assert "killed" in tws.job_log(next(j for j in tws.list_jobs() if j.job_id == "JOB006"))


def test_required_justification_given_up_front_asks_only_yes_or_no() -> None:
    replies, audit, _ = _talk(["segura o stream BILLING porque a fatura atrasou", "sim"], require=True)
    assert "Motivo: a fatura atrasou" in replies[0].text
    assert _audit(audit) == [("maria", "stream_hold", "stream", "BILLING", "a fatura atrasou", "accepted")]


def test_a_no_drops_an_action_waiting_for_its_reason() -> None:
    replies, audit, _ = _talk(["linka a TWS_AGENT2", "não"], require=True)
    assert replies[1].intent == "confirm_no" and audit.records == []


def test_prompt_reply_through_the_desk() -> None:
    replies, audit, tws = _talk(["responde sim ao prompt 1", "sim", "responde não ao prompt 1"])
    assert "Resposta SIM ao prompt 1" in replies[1].text and "YES" in replies[1].text
    assert "já foi respondido (YES)" in replies[2].text
    assert _audit(audit) == [
        (
            "maria",
            "reply_yes",
            "prompt",
            "Fita TAPE01 montada para o Month End Close (JOB009)?",
            "",
            "accepted",
        )
    ]
    assert {p.id: p.status for p in tws.list_prompts()}["1"] == "YES"


def test_the_only_asked_prompt_is_the_one_meant() -> None:
    # the demo asks prompts 1 and 3: "the prompt" is ambiguous until prompt 3 is answered
    replies, _, _ = _talk(
        ["reply yes to the prompt", "reply no to prompt 3", "yes", "reply yes to the prompt"]
    )
    assert (
        "Which prompt?" in replies[0].text and "Prompts: 1 (" in replies[0].text and "3 (" in replies[0].text
    )
    assert "Confirm replying YES to prompt 1" in replies[3].text


def test_link_and_unlink_change_the_demo_workstation() -> None:
    _, audit, tws = _talk(["linka a TWS_AGENT2", "sim", "unlink TWS_AGENT1", "sim"])
    ws = {w.name: w for w in tws.list_workstations()}
    assert ws["TWS_AGENT2"].linked is True and ws["TWS_AGENT2"].status == "ONLINE"
    assert ws["TWS_AGENT1"].linked is False and ws["TWS_AGENT1"].status == "OFFLINE"
    assert [(r.action, r.target_kind, r.job_name, r.result) for r in audit.records] == [
        ("link", "workstation", "TWS_AGENT2", "accepted"),
        ("unlink", "workstation", "TWS_AGENT1", "accepted"),
    ]


def test_a_viewer_refusal_is_audited_with_its_reason() -> None:
    replies, audit, _ = _talk(["cancela o stream DWH_LOAD porque foi pedido"], roles=("viewer",))
    assert "somente leitura" in replies[0].text
    assert _audit(audit) == [("maria", "stream_cancel", "stream", "DWH_LOAD", "foi pedido", "refused")]


def test_require_justification_setting() -> None:
    assert Settings.from_env({"REQUIRE_JUSTIFICATION": "true"}).require_justification is True
    assert Settings.from_env({}).require_justification is False


# ------------------------------------------- history, advice and negation for streams and workstations
def test_who_held_a_stream_reads_its_audit_records() -> None:
    replies, _, _ = _talk(["segura o stream BILLING", "sim", "quem segurou o stream BILLING?"])
    assert replies[2].intent == "action_history"
    assert "Ações registradas em job stream BILLING" in replies[2].text
    assert "maria: Hold do job stream em TWS_AGENT1 — aceito pelo TWS" in replies[2].text


def test_who_held_a_stream_en_and_none_yet() -> None:
    replies, _, _ = _talk(
        ["who held stream BILLING?", "hold the stream BILLING", "yes", "who held stream BILLING?"]
    )
    assert replies[0].intent == "action_history" and "job stream BILLING" in replies[0].text
    assert "maria: Hold of job stream on TWS_AGENT1" in replies[3].text


def test_who_linked_a_workstation() -> None:
    replies, _, _ = _talk(["linka a TWS_AGENT2", "sim", "quem linkou a TWS_AGENT2?"])
    assert replies[2].intent == "action_history"
    assert "workstation TWS_AGENT2" in replies[2].text and "maria: Link da workstation" in replies[2].text


def test_stream_history_is_not_a_job_history() -> None:
    # a job named like nothing: the stream's records only, not its jobs'
    replies, _, _ = _talk(["segura o JOB007", "sim", "quem segurou o stream BILLING?"])
    assert "Nenhum registro de Hold do job stream em job stream BILLING" in replies[2].text


def test_should_i_hold_a_stream() -> None:
    replies, audit, _ = _talk(["devo segurar o stream BILLING?"])
    text = replies[0].text
    assert replies[0].intent == "action_advice" and "BILLING (TWS_AGENT1) — EXEC" in text
    assert '"segura o stream BILLING"' in text and "Confirma" not in text and "Qual deles" not in text
    assert replies[0].context.get("pending") is None and audit.records == []


def test_should_i_release_a_stream_that_is_not_held() -> None:
    replies, _, _ = _talk(["devo liberar o stream BILLING?"])
    assert "não está em HOLD" in replies[0].text and "libera o stream" not in replies[0].text


def test_should_i_link_a_workstation_en() -> None:
    replies, _, _ = _talk(["should I link TWS_AGENT2?"])
    text = replies[0].text
    assert replies[0].intent == "action_advice" and "TWS_AGENT2 — OFFLINE" in text
    assert '"link TWS_AGENT2"' in text and "Confirm" not in text


def test_a_negated_stream_or_workstation_action_names_its_target() -> None:
    replies, audit, _ = _talk(
        ["não segura o stream BILLING", "não linka a TWS_AGENT2", "don't unlink TWS_AGENT1"]
    )
    assert "não vou colocar o job stream em HOLD BILLING" in replies[0].text
    assert "não vou linkar a workstation TWS_AGENT2" in replies[1].text
    assert "TWS_AGENT1" in replies[2].text
    assert all("nada." not in r.text.split("Nada foi feito")[0] for r in replies) and audit.records == []


def test_negating_the_pending_stream_action_drops_it() -> None:
    replies, audit, _ = _talk(["segura o stream BILLING", "não segura o stream BILLING", "sim"])
    assert "Cancelei o pedido pendente" in replies[1].text
    assert replies[2].intent == "confirm_yes" and "Não há nenhuma ação pendente" in replies[2].text
    assert audit.records == []
