"""The contract every store backend keeps (SQLite, DynamoDB via moto; DynamoDB Local in integration)."""

from __future__ import annotations

from twschat.core.conversation import ConnectionRecord, MessageRecord, reply_message_key, user_message_key

# The stores never read the wall clock: every time comes from the caller, here a fixed one.
NOW = 1_795_608_000


def _connection(cid: str = "conn-1", **kw) -> ConnectionRecord:
    now = NOW
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
    store.connections.save_connection(record)
    assert store.connections.get_connection("conn-1", now=NOW) == record
    touched = store.connections.touch_connection(
        "conn-1", now=record.connected_at + 5, expires_at=record.expires_at + 5
    )
    assert touched is not None and touched.last_seen_at == record.connected_at + 5
    assert store.connections.touch_connection("nope", now=1, expires_at=2) is None
    store.connections.delete_connection("conn-1")
    assert store.connections.get_connection("conn-1", now=NOW) is None
    # Deleting twice is harmless ($disconnect after a 410 cleanup).
    store.connections.delete_connection("conn-1")


def test_expired_connection_is_not_returned(store):
    store.connections.save_connection(_connection(expires_at=NOW - 1))
    assert store.connections.get_connection("conn-1", now=NOW) is None


def test_open_connections_are_counted_per_owner_and_leftovers_are_not(store):
    store.connections.save_connection(_connection("conn-1", owner="u-ana"))
    store.connections.save_connection(_connection("conn-2", owner="u-ana"))
    past_2_hours = NOW - 7300
    store.connections.save_connection(_connection("conn-3", owner="u-ana", connected_at=past_2_hours))
    store.connections.save_connection(_connection("conn-4", owner="u-bia"))
    after = NOW - 7200
    assert store.connections.count_open_connections("u-ana", connected_after=after) == 2
    assert store.connections.count_open_connections("u-bia", connected_after=after) == 1
    assert store.connections.count_open_connections("u-cid", connected_after=after) == 0
    store.connections.delete_connection("conn-1")
    assert store.connections.count_open_connections("u-ana", connected_after=after) == 1


def test_the_rate_window_carries_the_previous_minute_only_when_it_is_the_last_one(store):
    start = (NOW // 60) * 60
    store.connections.save_connection(_connection(connected_at=start, last_seen_at=start))
    for second in (1, 2, 3):
        touched = store.connections.touch_connection("conn-1", now=start + second, expires_at=NOW + 7200)
    assert (touched.rate_count, touched.rate_prev_count) == (3, 0)
    touched = store.connections.touch_connection("conn-1", now=start + 61, expires_at=NOW + 7200)
    assert (touched.rate_window, touched.rate_count, touched.rate_prev_count) == (start // 60 + 1, 1, 3)
    touched = store.connections.touch_connection("conn-1", now=start + 62, expires_at=NOW + 7200)
    assert (touched.rate_count, touched.rate_prev_count) == (2, 3)
    touched = store.connections.touch_connection("conn-1", now=start + 300, expires_at=NOW + 7200)
    assert (touched.rate_count, touched.rate_prev_count) == (1, 0)  # minutes passed in silence


def test_add_message_is_written_once(store):
    first = _message(1, context={"jobs": ["JOB002"], "n": 3, "ratio": 0.5, "nested": {"ok": True}})
    stored, created = store.history.add_message(first)
    assert created and stored == first
    again, created_again = store.history.add_message(_message(1, text="a different text for the same key"))
    assert not created_again
    assert again == first  # the first write wins and is handed back
    assert store.history.recent_messages("anonymous#c-1", 10) == [first]


def test_recent_messages_are_the_newest_window_oldest_first(store):
    for i in range(30):
        store.history.add_message(_message(i))
        store.history.add_message(_message(i, role="agent", message_id=f"r{i}"))
    store.begin_turn()
    window = store.history.recent_messages("anonymous#c-1", 20)
    assert len(window) == 20
    assert [m.text for m in window][:2] == ["texto 20 ção", "texto 20 ção"]
    assert window[-1].role == "agent" and window[-1].message_id == "r29"
    assert [m.message_key for m in window] == sorted(m.message_key for m in window)
    assert store.stats.items_read == 20 and store.stats.queries == 1
    assert store.history.recent_messages("anonymous#other", 20) == []


def test_get_message(store):
    msg = _message(7)
    store.history.add_message(msg)
    assert store.history.get_message(msg.conversation_key, msg.message_key) == msg
    assert store.history.get_message(msg.conversation_key, reply_message_key(msg.message_key)) is None


def test_audit_records_are_appended_and_read_back_by_day(store):
    from twschat.core.audit import AuditRecord

    for i, action in enumerate(["rerun", "hold"]):
        store.audit.add_audit(
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
    records = store.audit.audit_for_day("2026-11-25")
    assert [r["action"] for r in records] == ["rerun", "hold"]
    assert records[0]["username"] == "ana" and records[0]["result"] == "accepted"
    assert records[0]["conversation_id"] == "c-1"
    assert store.audit.audit_for_day("2026-11-24") == []


def test_the_running_summary_is_one_versioned_bounded_item_beside_the_messages(store):
    import pytest

    from twschat.core.responder import ConversationSummary
    from twschat.persistence.history import SUMMARY_KEY, SUMMARY_MAX_CHARS, SummaryVersionConflict

    conv = "anonymous#c-1"
    for i in range(3):
        store.history.add_message(_message(i))
    none = store.history.get_summary(conv)
    assert none == ConversationSummary(conv, "") and none.version == 0
    first = store.history.put_summary(
        ConversationSummary(
            conv, "Resumo: JOB099 é crítico.", covered_key="k1", covered_until_ms=5, messages=2
        )
    )
    assert first.version == 1
    assert store.history.get_summary(conv) == first
    # a second writer that read version 0 loses; so does one replaying version 0 after version 1
    with pytest.raises(SummaryVersionConflict):
        store.history.put_summary(ConversationSummary(conv, "outro"))
    second = store.history.put_summary(
        ConversationSummary(conv, "x " * SUMMARY_MAX_CHARS, version=1, covered_key="k2", messages=4)
    )
    assert second.version == 2 and len(second.text) <= SUMMARY_MAX_CHARS
    with pytest.raises(SummaryVersionConflict):
        store.history.put_summary(ConversationSummary(conv, "stale", version=1))
    stored = store.history.get_summary(conv)
    assert stored == second and stored.covered_key == "k2" and stored.messages == 4
    # the reserved key never shows up as a message, even when a window reaches the oldest end
    window = store.history.recent_messages(conv, 50)
    assert [m.message_key for m in window] == sorted(_message(i).message_key for i in range(3))
    assert all(m.message_key != SUMMARY_KEY for m in window)
    assert store.history.recent_messages(conv, 2)[-1].message_key == _message(2).message_key
    assert store.history.get_summary("anonymous#other").version == 0


def test_open_connections_of_an_owner_and_of_everybody(store):
    store.connections.save_connection(_connection("conn-1", owner="u-ana", roles=("operator",)))
    store.connections.save_connection(_connection("conn-2", owner="u-ana", conversation_id="c-two-000000"))
    store.connections.save_connection(_connection("conn-3", owner="u-bia", roles=("viewer",)))
    store.connections.save_connection(_connection("conn-4", owner="u-ana", connected_at=NOW - 7300))
    store.connections.save_connection(_connection("conn-5", owner="u-cid", expires_at=NOW - 1))
    after = NOW - 7200
    mine = store.connections.open_connections(now=NOW, connected_after=after, owner="u-ana")
    assert [(c.connection_id, c.conversation_id) for c in mine] == [
        ("conn-1", "c-0123456789abcdef"),
        ("conn-2", "c-two-000000"),
    ]
    everybody = store.connections.open_connections(now=NOW, connected_after=after)
    assert [(c.connection_id, c.roles) for c in everybody] == [
        ("conn-1", ("operator",)),
        ("conn-2", ()),
        ("conn-3", ("viewer",)),
    ]


def test_a_conversation_is_titled_once_by_its_first_message(store):
    from twschat.core.conversation import ConversationRecord, conversation_title

    history = store.history
    assert history.create_conversation(ConversationRecord("ana", "c-1", "tws-general", 1_795_608_000_000))
    assert history.create_conversation(ConversationRecord("ana", "c-2", "tws-general", 1_795_608_001_000))
    first = conversation_title("  qual job   está em\nABEND agora? " + "x" * 80)
    assert first == "qual job está em ABEND agora? " + "x" * 29 + "…" and len(first) == 60
    assert history.set_conversation_title("ana", "c-1", first) is True
    assert history.set_conversation_title("ana", "c-1", "a later message") is False  # kept: the first
    assert history.set_conversation_title("ana", "c-404", "no such conversation") is False
    assert history.get_conversation("ana", "c-404") is None  # nothing created by a title
    titles = {c.conversation_id: c.title for c in history.list_conversations("ana", 10)}
    assert titles == {"c-1": first, "c-2": ""}
    assert history.get_conversation("ana", "c-1").title == first
