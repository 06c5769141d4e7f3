"""The embedded store: SQLite in a file under the working folder, behind the same base as DynamoDB.

It is what ``twschat serve`` uses by default, so a laptop needs no AWS account and a conversation
survives a restart. The history table's primary key is (conversationKey, messageKey), so reading
the last N messages is an index range scan bounded by N, as a DynamoDB Query is — unlike moto,
whose Query walks the whole partition.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from twschat.core.conversation import ConnectionRecord, StaleConnection, StaleReason
from twschat.persistence.base import ChatStore, MessageAlreadyExists

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    connection_id TEXT PRIMARY KEY,
    item TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_key TEXT NOT NULL,
    message_key TEXT NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (conversation_key, message_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    audit_day TEXT NOT NULL,
    audit_key TEXT NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (audit_day, audit_key)
) WITHOUT ROWID;
"""


class SQLiteChatStore(ChatStore):
    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Handlers run on worker threads of the local gateway: one connection, serialized by a lock.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- connections -------------------------------------------------------------------------
    def save_connection(self, record: ConnectionRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO connections (connection_id, item, expires_at) VALUES (?, ?, ?)",
                (record.connection_id, json.dumps(self.connection_to_item(record)), record.expires_at),
            )
        self.stats.writes += 1

    def get_connection(self, connection_id: str) -> ConnectionRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT item FROM connections WHERE connection_id = ? AND expires_at > ?",
                (connection_id, int(time.time())),
            ).fetchone()
        if row is None:
            return None
        self.stats.items_read += 1
        return self.connection_from_item(json.loads(row[0]))

    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        window = now // 60
        with self._lock:
            row = self._db.execute(
                "SELECT item FROM connections WHERE connection_id = ?", (connection_id,)
            ).fetchone()
            if row is None:
                return None
            item = json.loads(row[0])
            same_window = item.get("rateWindow") == window
            item["rateWindow"] = window
            item["rateCount"] = int(item.get("rateCount", 0)) + 1 if same_window else 1
            item["expiresAt"] = expires_at
            # As in DynamoDB: activity is recorded at most once per resolution (the idle index key).
            if not same_window or int(item.get("lastSeenAt", 0)) <= now - activity_resolution:
                item["lastSeenAt"] = now
            self._db.execute(
                "UPDATE connections SET item = ?, expires_at = ? WHERE connection_id = ?",
                (json.dumps(item), expires_at, connection_id),
            )
        self.stats.writes += 1
        return self.connection_from_item(item)

    def delete_connection(self, connection_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM connections WHERE connection_id = ?", (connection_id,))
        self.stats.writes += 1

    def stale_connections(
        self, *, idle_before: int, connected_before: int, limit: int
    ) -> list[StaleConnection]:
        found: dict[str, StaleConnection] = {}
        conditions: tuple[tuple[StaleReason, str, int], ...] = (
            ("max_duration", "$.connectedAt", connected_before),
            ("idle", "$.lastSeenAt", idle_before),
        )
        with self._lock:
            for reason, field, cutoff in conditions:
                rows = self._db.execute(
                    f"SELECT item FROM connections WHERE json_extract(item, '{field}') < ? LIMIT ?",
                    (cutoff, limit),
                ).fetchall()
                for (raw,) in rows:
                    item = json.loads(raw)
                    found.setdefault(
                        item["connectionId"],
                        StaleConnection(item["connectionId"], item["conversationId"], reason),
                    )
        return list(found.values())[:limit]

    # -- history -----------------------------------------------------------------------------
    def _put_history_item_if_absent(self, item: dict[str, Any]) -> None:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO messages (conversation_key, message_key, item) VALUES (?, ?, ?) "
                "ON CONFLICT (conversation_key, message_key) DO NOTHING",
                (item["conversationKey"], item["messageKey"], json.dumps(item, ensure_ascii=False)),
            )
        if cursor.rowcount == 0:
            raise MessageAlreadyExists()
        self.stats.writes += 1

    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT item FROM messages WHERE conversation_key = ? AND message_key = ?",
                (conversation_key, message_key),
            ).fetchone()
        if row is None:
            return None
        self.stats.items_read += 1
        item: dict[str, Any] = json.loads(row[0])
        return item

    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT item FROM messages WHERE conversation_key = ? AND message_key < ? "
                "ORDER BY message_key DESC LIMIT ?",
                (conversation_key, before if before is not None else "\U0010ffff", limit),
            ).fetchall()
        self.stats.queries += 1
        self.stats.items_read += len(rows)
        return [json.loads(r[0]) for r in rows]

    # -- audit trail ---------------------------------------------------------------------------
    def _put_audit(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (audit_day, audit_key, item) VALUES (?, ?, ?)",
                (item["auditDay"], item["auditKey"], json.dumps(item, ensure_ascii=False)),
            )
        self.stats.writes += 1

    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT item FROM audit WHERE audit_day = ? ORDER BY audit_key LIMIT ?", (day, limit)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
