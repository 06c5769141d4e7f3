"""The contract every ChatStore backend keeps (SQLite, DynamoDB via moto; DynamoDB Local in integration)."""

from __future__ import annotations

import time

from twschat.core.conversation import ConnectionRecord, MessageRecord, reply_message_key, user_message_key


def _connection(cid: str = "conn-1", **kw) -> ConnectionRecord:
    now = int(time.time())
    fields = {
        "connection_id": cid,
        "agent": "tws-general",
        "conversation_id": "c-0123456789abcdef",
        "owner": "anonymous",
        "connected_at": now,
        "last_seen_at": now,
        "expires_at": now + 3600,
    }
    fields.update(kw)
    return ConnectionRecord(**fields)


def _message(i: int, role: str = "user", **kw) -> MessageRecord:
    key = user_message_key(1_795_608_000_000 + i * 1000, f"m{i}")
    fields = {
        "conversation_key": "anonymous#c-1",
        "message_key": key if role == "user" else reply_message_key(key),
        "role": role,
        "text": f"texto {i} ção",
        "message_id": f"m{i}",
        "created_at": 1_795_608_000_000 + i,
    }
    fields.update(kw)
    return MessageRecord(**fields)


def test_connection_round_trip_touch_and_delete(store):
    record = _connection(roles=("operator",), username="ana")
    store.save_connection(record)
    assert store.get_connection("conn-1") == record
    touched = store.touch_connection("conn-1", now=record.connected_at + 5, expires_at=record.expires_at + 5)
    assert touched is not None and touched.last_seen_at == record.connected_at + 5
    assert store.touch_connection("nope", now=1, expires_at=2) is None
    store.delete_connection("conn-1")
    assert store.get_connection("conn-1") is None
    store.delete_connection("conn-1")  # deleting twice is harmless ($disconnect after a 410 cleanup)


def test_expired_connection_is_not_returned(store):
    store.save_connection(_connection(expires_at=int(time.time()) - 1))
    assert store.get_connection("conn-1") is None


def test_add_message_is_written_once(store):
    first = _message(1, context={"jobs": ["JOB002"], "n": 3, "ratio": 0.5, "nested": {"ok": True}})
    stored, created = store.add_message(first)
    assert created and stored == first
    again, created_again = store.add_message(_message(1, text="a different text for the same key"))
    assert not created_again
    assert again == first  # the first write wins and is handed back
    assert store.recent_messages("anonymous#c-1", 10) == [first]


def test_recent_messages_are_the_newest_window_oldest_first(store):
    for i in range(30):
        store.add_message(_message(i))
        store.add_message(_message(i, role="agent", message_id=f"r{i}"))
    store.stats.reset()
    window = store.recent_messages("anonymous#c-1", 20)
    assert len(window) == 20
    assert [m.text for m in window][:2] == ["texto 20 ção", "texto 20 ção"]
    assert window[-1].role == "agent" and window[-1].message_id == "r29"
    assert [m.message_key for m in window] == sorted(m.message_key for m in window)
    assert store.stats.items_read == 20 and store.stats.queries == 1
    assert store.recent_messages("anonymous#other", 20) == []


def test_get_message(store):
    msg = _message(7)
    store.add_message(msg)
    assert store.get_message(msg.conversation_key, msg.message_key) == msg
    assert store.get_message(msg.conversation_key, reply_message_key(msg.message_key)) is None


def test_audit_records_are_appended_and_read_back_by_day(store):
    from twschat.core.actions import AuditRecord

    for i, action in enumerate(["rerun", "hold"]):
        store.add_audit(
            AuditRecord(
                at=f"2026-11-25T12:00:0{i}.000000+00:00",
                user_id="u-1",
                username="ana",
                action=action,
                job_id="TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002",
                result="accepted",
                connection_id="conn-1",
                conversation_id="c-1",
            )
        )
    records = store.audit_for_day("2026-11-25")
    assert [r["action"] for r in records] == ["rerun", "hold"]
    assert records[0]["username"] == "ana" and records[0]["result"] == "accepted"
    assert records[0]["conversation_id"] == "c-1"
    assert store.audit_for_day("2026-11-24") == []
