"""The audit trail's contract on every backend (SQLite, DynamoDB via moto): the conditional ``requested``
record keyed by the pending action, its outcome written over it, a job's recent records, errors as
StorageUnavailable — and the responder over the real store, where a confirmation runs at most once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from twschat.adapters.audit import MAX_DAYS, StoreAuditSink, _days
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.core.audit import AuditRecord
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat.persistence.sqlite import SQLiteStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
JOB002 = "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002"


def _requested(action_id: str = "a1", **kw: str) -> AuditRecord:
    fields = {
        "at": "2026-11-25T12:00:30+00:00",
        "user_id": "u-1",
        "username": "ana",
        "action": "rerun",
        "job_id": JOB002,
        "result": "requested",
        "connection_id": "conn-1",
        "conversation_id": "c-1",
        "job_name": "Data Processing",
        "workstation": "TWS_AGENT2",
        "action_id": action_id,
        "proposed_at": "2026-11-25T12:00:00+00:00",
    }
    fields.update(kw)
    return AuditRecord(**fields)


def test_begin_writes_once_per_action_id(store):
    first = _requested()
    assert store.audit.begin_audit(first) is None
    # A second confirmation of the same pending action, a minute later: the key comes from the pending
    # action (proposal time and id), not from the confirmation time, so it finds the first record.
    existing = store.audit.begin_audit(replace(first, at="2026-11-25T12:01:30+00:00", username="bruno"))
    assert existing == first
    assert store.audit.begin_audit(_requested("a2")) is None  # another pending action is another key
    assert [r["action_id"] for r in store.audit.audit_for_day("2026-11-25")] == ["a1", "a2"]


def test_finish_overwrites_the_result_of_that_record_only(store):
    store.audit.begin_audit(_requested("a1"))
    store.audit.begin_audit(_requested("a2"))
    store.audit.finish_audit(replace(_requested("a1"), result="failed", detail="timeout: slow"))
    records = {r["action_id"]: r for r in store.audit.audit_for_day("2026-11-25")}
    assert len(records) == 2
    assert (records["a1"]["result"], records["a1"]["detail"]) == ("failed", "timeout: slow")
    assert records["a1"]["username"] == "ana" and records["a1"]["at"] == "2026-11-25T12:00:30+00:00"
    assert records["a2"]["result"] == "requested"
    store.audit.finish_audit(replace(_requested("a1"), result="accepted"))  # no detail: none kept
    [again] = [r for r in store.audit.audit_for_day("2026-11-25") if r["action_id"] == "a1"]
    assert again["result"] == "accepted" and "detail" not in again
    assert store.audit.begin_audit(_requested("a1")) == replace(_requested("a1"), result="accepted")


def test_finish_without_its_requested_record_still_keeps_the_outcome(store):
    store.audit.finish_audit(replace(_requested("lost"), result="accepted"))
    [record] = store.audit.audit_for_day("2026-11-25")
    assert (record["action_id"], record["result"]) == ("lost", "accepted")


def test_begin_needs_the_pending_action(store):
    with pytest.raises(ValueError):
        store.audit.begin_audit(replace(_requested(), action_id=""))
    with pytest.raises(ValueError):
        store.audit.begin_audit(replace(_requested(), proposed_at=""))


def test_audit_for_job_is_newest_first_across_days_and_bounded(store):
    store.audit.begin_audit(
        _requested("y1", at="2026-11-24T23:00:00+00:00", proposed_at="2026-11-24T22:59:00+00:00")
    )
    store.audit.begin_audit(_requested("t1"))
    store.audit.add_audit(
        replace(_requested(""), at="2026-11-25T13:00:00+00:00", result="refused", detail="read_only")
    )
    store.audit.begin_audit(_requested("other", job_name="Daily Backup", job_id="TWS_MASTER;X;JOB001"))
    store.audit.begin_audit(
        _requested("old", at="2026-11-20T10:00:00+00:00", proposed_at="2026-11-20T10:00:00+00:00")
    )
    found = store.audit.audit_for_job("Data Processing", ["2026-11-25", "2026-11-24"])
    assert [(r.action_id, r.result) for r in found] == [
        ("", "refused"),
        ("t1", "requested"),
        ("y1", "requested"),
    ]
    assert (
        store.audit.audit_for_job("Data Processing", ["2026-11-25", "2026-11-24"], limit=1)[0].result
        == "refused"
    )
    assert store.audit.audit_for_job("Nope", ["2026-11-25"]) == []


def test_the_day_partitions_read_come_from_the_sink_clock():
    assert _days("2026-11-24", NOW) == ["2026-11-25", "2026-11-24"]
    assert _days("2026-11-26", NOW) == ["2026-11-26"]  # a clock behind the caller's: one partition
    assert len(_days("2020-01-01", NOW)) == MAX_DAYS and _days("2020-01-01", NOW)[0] == "2026-11-25"


def test_store_errors_are_storage_unavailable(store):
    if isinstance(store.audit, SQLiteStore):
        store.close()  # any sqlite3.Error: here a closed database
    else:
        store.audit.table_name = "missing"  # any ClientError: here ResourceNotFoundException
    with pytest.raises(StorageUnavailable) as err:  # not a ConditionalCheckFailed: the store cannot tell
        store.audit.begin_audit(_requested())
    assert err.value.operation == "audit_begin"
    with pytest.raises(StorageUnavailable) as err:
        store.audit.finish_audit(replace(_requested(), result="accepted"))
    assert err.value.operation == "audit_finish"
    with pytest.raises(StorageUnavailable) as err:
        store.audit.audit_for_job("Data Processing", ["2026-11-25"])
    assert err.value.operation == "audit_for_job"


# ---------------------------------------------------------------- the responder over the real store
def _ask(bot: RuleResponder, text: str, history: list[Turn]) -> Reply:
    return bot.respond(
        ResponderRequest(
            agent="tws",
            message=text,
            history=tuple(history),
            principal=Principal("u-1", "ana", ("operator",)),
            connection_id="conn-1",
            conversation_id="c-1",
        )
    )


def test_a_confirmation_runs_at_most_once_through_the_store(store):
    tws = DemoTwsClient(clock=lambda: NOW)
    sink = StoreAuditSink(store.audit, clock=lambda: NOW)
    bot = RuleResponder(tws, audit=sink, clock=lambda: NOW, id_factory=lambda: "p-1")
    asked = _ask(bot, "reroda o JOB002", [])
    history = [Turn("user", "reroda o JOB002"), Turn("agent", asked.text, asked.context)]
    assert "enviado ao TWS" in _ask(bot, "sim", history).text
    again = _ask(bot, "sim", history)  # the first reply was lost: the prompt is still the last turn
    assert "já foi enviado ao TWS, confirmado por ana" in again.text and "O TWS aceitou." in again.text
    [record] = store.audit.audit_for_day("2026-11-25")
    assert (record["action_id"], record["result"], record["auditKey"]) == (
        "p-1",
        "accepted",
        "2026-11-25T12:00:00+00:00#p-1",
    )
    who = _ask(bot, "quem reexecutou o JOB002?", [])
    assert "ana: Rerun em TWS_AGENT2 — aceito pelo TWS" in who.text
