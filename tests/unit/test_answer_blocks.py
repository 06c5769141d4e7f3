"""Structured answers (issue 17, docs/blocks.md): each rule answer carries the blocks the table at the end
of docs/blocks.md names, and what they say is the plan's data: the demo plan's objects, compared with the
page's reference frames (tests/browser/block_frames.py) and with the TWS objects field by field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser import block_frames as bf
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import JOB_FILTERS, blocked, is_late, job_category
from twschat.assistant.responder import RuleResponder
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 06:00 in Sao Paulo
TIME_FIELDS = ("streamTime", "start", "end", "at", "expiresAt")


def _conversation(texts: Sequence[str], tws: DemoTwsClient) -> list[Reply]:
    responder = RuleResponder(tws, clock=lambda: NOW)
    history: list[Turn] = []
    replies: list[Reply] = []
    for text in texts:
        reply = responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                principal=Principal(user_id="u-1", username="maria", roles=("operator",)),
                conversation_id="conv-1",
            )
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
        replies.append(reply)
    return replies


def _ask(*texts: str, tws: DemoTwsClient | None = None) -> Reply:
    return _conversation(texts, tws or DemoTwsClient(clock=lambda: NOW))[-1]


@pytest.fixture
def tws() -> DemoTwsClient:
    return DemoTwsClient(clock=lambda: NOW)


def _instant(value: Any) -> Any:
    return datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else value


def _comparable(item: dict[str, Any], *, drop: Sequence[str] = ("actions",)) -> dict[str, Any]:
    """An item with its times as instants (a block may write them in any offset) and without the
    fields the reference frames do not carry."""
    return {k: _instant(v) if k in TIME_FIELDS else v for k, v in item.items() if k not in drop}


def _kinds(reply: Reply) -> list[str]:
    return [b["kind"] for b in reply.blocks]


# ---------------------------------------------------------------------------------------- jobs
def test_an_abend_listing_carries_the_abend_jobs_as_the_plan_shows_them(tws: DemoTwsClient) -> None:
    reply = _ask("quais jobs estão em abend?", tws=tws)
    abend = sorted((j for j in tws.list_jobs() if j.status in JOB_FILTERS["abend"]), key=lambda j: j.job_id)
    jobs, also = reply.blocks[0], reply.blocks[1]
    assert jobs["kind"] == "jobs" and jobs["title"] == reply.text.splitlines()[0].rstrip(":")
    reference = bf.jobs_block(tws, abend)["items"]
    assert [_comparable(i) for i in jobs["items"]] == [_comparable(i) for i in reference]
    # the other failed jobs the text lists under "Também com falha", as their own table
    failed = sorted(
        (j for j in tws.list_jobs() if job_category(j.status) == "failed" and j not in abend),
        key=lambda j: j.job_id,
    )
    assert also["kind"] == "jobs" and [i["id"] for i in also["items"]] == [j.job_id for j in failed]
    assert {i["category"] for i in jobs["items"] + also["items"]} == {"failed"}


def test_a_job_row_offers_the_next_steps_its_state_allows(tws: DemoTwsClient) -> None:
    items = {i["id"]: i for i in _ask("lista os jobs", tws=tws).blocks[0]["items"]}
    for job in tws.list_jobs():
        actions = items[job.job_id]["actions"]
        assert ("rerun" in actions) == (blocked("rerun", job) is None), job.status
        assert ("why" in actions) == (job_category(job.status) == "failed"), job.status
        ran = job.start_time is not None or job.end_time is not None
        assert ("log" in actions) == (ran or job_category(job.status) in ("failed", "success")), job.status


def test_a_long_list_is_the_shown_rows_and_says_it_is_cut(tws: DemoTwsClient) -> None:
    responder = RuleResponder(tws, clock=lambda: NOW, list_cap=3)
    reply = responder.respond(ResponderRequest(agent="tws", message="lista os jobs"))
    [block] = reply.blocks
    assert len(block["items"]) == 3 and block["truncated"] is True


def test_the_title_follows_the_conversations_language(tws: DemoTwsClient) -> None:
    reply = _ask("what jobs are in abend?", tws=tws)
    assert reply.language == "en" and reply.blocks[0]["title"] == "1 job in ABEND"


# ------------------------------------------------------------------------------------- one job
def test_a_waiting_jobs_status_is_the_job_and_what_it_waits_for(tws: DemoTwsClient) -> None:
    job = bf.job_named(tws, "JOB014")
    reply = _ask("status do JOB014", tws=tws)
    assert _kinds(reply) == ["job", "dependencies"]
    assert _comparable(reply.blocks[0]["item"]) == _comparable(bf.job_block(tws, job)["item"])
    deps = reply.blocks[1]
    assert deps["job"]["id"] == "JOB014"
    reference = bf.dependencies_block(tws, job)["items"]
    assert [d["name"] for d in deps["items"]] == [d["name"] for d in reference]
    # a predecessor is met by its status in the plan now: JOB002 is in ABEND
    pred = next(d for d in deps["items"] if d["kind"] == "job")
    assert pred["status"] == bf.job_named(tws, pred["name"]).status and pred["satisfied"] is False


def test_a_running_jobs_status_is_one_job_block(tws: DemoTwsClient) -> None:
    running = next(j for j in tws.list_jobs() if j.status == "EXEC")
    reply = _ask(f"status do {running.job_id}", tws=tws)
    assert _kinds(reply) == ["job"]
    item = reply.blocks[0]["item"]
    assert _comparable(item) == _comparable(bf.job_block(tws, running)["item"])
    assert item["returnCode"] is None and item["end"] is None and item["actions"] == ["log"]


# ------------------------------------------------------------------------------------------ log
def test_a_log_is_the_tws_log_line_by_line_with_the_error_line(tws: DemoTwsClient) -> None:
    job = bf.job_named(tws, "JOB002")
    reply = _ask("quais jobs estão em abend?", "e o log dele?", tws=tws)
    [block] = reply.blocks
    assert block["kind"] == "log" and block["job"]["planId"] == job.id
    assert block["lines"] == tws.job_log(job).rstrip("\n").split("\n")
    assert "truncated" not in block
    # the error line the text names is the first one the block highlights
    named = next(ln for ln in reply.text.splitlines() if ln.startswith("Erro encontrado: "))
    first = block["errorLines"][0]
    assert block["lines"][first - 1].strip() == named.removeprefix("Erro encontrado: ")
    assert set(block["errorLines"]) >= set(bf.log_block(tws, job)["errorLines"])


def test_a_long_log_keeps_its_last_lines_and_says_so(tws: DemoTwsClient) -> None:
    class LongLog(DemoTwsClient):
        def job_log(self, job: Any) -> str:
            return "".join(f"line {n} INFO ok\n" for n in range(5000)) + "ERROR ORA-01653 unable to extend\n"

    reply = _ask("log do JOB002", tws=LongLog(clock=lambda: NOW))
    [block] = reply.blocks
    assert block["truncated"] is True and block["lines"][-1] == "ERROR ORA-01653 unable to extend"
    assert block["errorLines"] == [len(block["lines"])] and len(block["lines"]) < 5001


# ------------------------------------------------------------------- workstations, streams, prompts
def test_workstations_are_the_plans_with_their_link_state(tws: DemoTwsClient) -> None:
    [block] = _ask("quais são as workstations?", tws=tws).blocks
    reference = sorted(bf.workstations_block(tws)["items"], key=lambda w: w["name"])
    assert block["kind"] == "workstations" and block["items"] == reference


def test_one_workstation_with_its_failed_jobs(tws: DemoTwsClient) -> None:
    reply = _ask("status da TWS_AGENT2", tws=tws)
    assert _kinds(reply) == ["workstations", "jobs"]
    assert reply.blocks[0]["items"] == [
        bf.workstation_item(w) for w in tws.list_workstations() if w.name == "TWS_AGENT2"
    ]
    failed = {
        j.job_id
        for j in tws.list_jobs()
        if j.workstation == "TWS_AGENT2" and job_category(j.status) == "failed"
    }
    assert {i["id"] for i in reply.blocks[1]["items"]} == failed


def test_job_streams_are_the_plans_with_the_stream_category(tws: DemoTwsClient) -> None:
    [block] = _ask("quais job streams?", tws=tws).blocks
    mine = sorted((_comparable(i, drop=()) for i in block["items"]), key=lambda s: s["id"])
    reference = sorted(
        (_comparable(i, drop=()) for i in bf.streams_block(tws)["items"]), key=lambda s: s["id"]
    )
    assert block["kind"] == "streams" and mine == reference


def test_prompts_waiting_first_each_with_its_state(tws: DemoTwsClient) -> None:
    reply = _ask("quais prompts estão esperando resposta?", tws=tws)
    [block] = reply.blocks
    assert block["kind"] == "prompts"
    assert sorted(block["items"], key=lambda p: p["id"]) == sorted(
        bf.prompts_block(tws)["items"], key=lambda p: p["id"]
    )
    statuses = [p["status"] for p in block["items"]]
    assert statuses == sorted(statuses, key=lambda s: s != "ASKED")


# --------------------------------------------------------------------------------------- summary
def test_the_summary_counts_the_plan_by_category_and_lists_the_failed(tws: DemoTwsClient) -> None:
    reply = _ask("como está o ambiente?", tws=tws)
    assert _kinds(reply) == ["summary", "jobs"]
    summary = reply.blocks[0]
    assert summary["counts"] == bf.summary_block(tws)["counts"]
    assert summary["late"] == sum(1 for j in tws.list_jobs() if is_late(j, NOW, 60))
    failed = sorted(j.job_id for j in tws.list_jobs() if job_category(j.status) == "failed")
    assert [i["id"] for i in reply.blocks[1]["items"]] == failed


# ---------------------------------------------------------------------------------- confirmation
def test_a_proposed_action_carries_its_confirmation_from_the_pending_action(tws: DemoTwsClient) -> None:
    job = bf.job_named(tws, "JOB002")
    reply = _ask("reroda o JOB002 porque o banco voltou", tws=tws)
    [block] = reply.blocks
    pending = reply.context["pending"]
    assert block["kind"] == "confirmation" and block["action"] == pending["action"] == "rerun"
    assert block["actionLabel"] == "Rerun" and block["reason"] == pending["justification"]
    target = block["target"]
    assert target["kind"] == "job" and target["planId"] == pending["job"] == job.id
    assert (target["stream"], _instant(target["streamTime"])) == (job.job_stream, job.stream_start)
    assert _instant(block["expiresAt"]) == datetime.fromtimestamp(pending["expires_at"], UTC)
    assert reply.quick_replies == ("sim", "não")


@pytest.mark.parametrize(
    ("text", "kind", "ident"),
    [
        ("segura o stream BILLING", "stream", "BILLING"),
        ("linka a TWS_AGENT2", "workstation", "TWS_AGENT2"),
        ("responde sim ao prompt 1", "prompt", "1"),
    ],
)
def test_every_kind_of_target_is_named_in_its_confirmation(
    tws: DemoTwsClient, text: str, kind: str, ident: str
) -> None:
    [block] = _ask(text, tws=tws).blocks
    assert block["kind"] == "confirmation" and block["target"]["kind"] == kind
    assert ident in (block["target"]["name"], block["target"]["id"])


def test_the_confirmation_is_gone_once_answered_and_back_when_asked_again(tws: DemoTwsClient) -> None:
    asked, unclear, done = _conversation(["reroda o JOB002", "talvez", "sim"], tws)
    assert _kinds(asked) == _kinds(unclear) == ["confirmation"]
    assert done.blocks == ()


def test_blocks_are_json_data_without_floats(tws: DemoTwsClient) -> None:
    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        else:
            assert value is None or isinstance(value, str | int | bool)

    for text in ("lista os jobs", "log do JOB002", "como está o ambiente?", "reroda o JOB002"):
        walk(list(_ask(text, tws=tws).blocks))
