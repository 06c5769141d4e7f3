"""The embedded store: SQLite in a file under the working folder, behind the same base as DynamoDB.

It is what ``twschat serve`` uses by default, so a laptop needs no AWS account and a conversation
survives a restart. The history table's primary key is (conversationKey, messageKey), so reading
the last N messages is an index range scan bounded by N, as a DynamoDB Query is — unlike moto,
whose Query walks the whole partition.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from twschat.core.conversation import ConnectionRecord, StaleConnection, StaleReason
from twschat.core.exceptions import StorageUnavailable
from twschat.persistence.base import ChatStore, MessageAlreadyExists

# How long a write waits for another process's lock (twschat invoke beside a running serve, a
# second serve on the same folder) before it is a StorageUnavailable rather than an instant
# "database is locked".
BUSY_TIMEOUT_SECONDS = 10.0

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _unavailable_on_error(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """sqlite3 errors (locked past the busy timeout, disk full, file gone) -> StorageUnavailable."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StorageUnavailable(method.__name__.lstrip("_"), type(exc).__name__) from exc

    return wrapper


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
        # Other processes (twschat invoke, a second serve) may hold the file: WAL lets readers and
        # one writer work together, and the busy timeout makes a writer wait instead of failing.
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- connections -------------------------------------------------------------------------
    @_unavailable_on_error
    def save_connection(self, record: ConnectionRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO connections (connection_id, item, expires_at) VALUES (?, ?, ?)",
                (record.connection_id, json.dumps(self.connection_to_item(record)), record.expires_at),
            )
        self.stats.writes += 1

    @_unavailable_on_error
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT item FROM connections WHERE connection_id = ? AND expires_at > ?",
                (connection_id, now),
            ).fetchone()
        if row is None:
            return None
        self.stats.items_read += 1
        return self.connection_from_item(json.loads(row[0]))

    @_unavailable_on_error
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM connections WHERE json_extract(item, '$.owner') = ? "
                "AND json_extract(item, '$.connectedAt') > ?",
                (owner, connected_after),
            ).fetchone()
        self.stats.queries += 1
        return int(count)

    @_unavailable_on_error
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
            item.update(self.next_rate_window(item, window))
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

    @_unavailable_on_error
    def delete_connection(self, connection_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM connections WHERE connection_id = ?", (connection_id,))
        self.stats.writes += 1

    @_unavailable_on_error
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
    @_unavailable_on_error
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

    @_unavailable_on_error
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

    @_unavailable_on_error
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
    @_unavailable_on_error
    def _put_audit(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (audit_day, audit_key, item) VALUES (?, ?, ?)",
                (item["auditDay"], item["auditKey"], json.dumps(item, ensure_ascii=False)),
            )
        self.stats.writes += 1

    @_unavailable_on_error
    def _audit_begin(self, item: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO audit (audit_day, audit_key, item) VALUES (?, ?, ?) "
                "ON CONFLICT (audit_day, audit_key) DO NOTHING",
                (item["auditDay"], item["auditKey"], json.dumps(item, ensure_ascii=False)),
            )
            if cursor.rowcount == 0:
                row = self._db.execute(
                    "SELECT item FROM audit WHERE audit_day = ? AND audit_key = ?",
                    (item["auditDay"], item["auditKey"]),
                ).fetchone()
                self.stats.items_read += 1
                existing: dict[str, Any] = json.loads(row[0])
                return existing
        self.stats.writes += 1
        return None

    @_unavailable_on_error
    def _audit_finish(self, day: str, key: str, result: str, detail: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT item FROM audit WHERE audit_day = ? AND audit_key = ?", (day, key)
            ).fetchone()
            if row is None:
                return False
            item = json.loads(row[0])
            item["result"] = result
            if detail:
                item["detail"] = detail
            else:
                item.pop("detail", None)
            self._db.execute(
                "UPDATE audit SET item = ? WHERE audit_day = ? AND audit_key = ?",
                (json.dumps(item, ensure_ascii=False), day, key),
            )
        self.stats.writes += 1
        return True

    @_unavailable_on_error
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        # As DynamoDB's Limit + FilterExpression: the newest audit_scan_limit of the day, then the job.
        with self._lock:
            rows = self._db.execute(
                "SELECT item FROM (SELECT item FROM audit WHERE audit_day = ? ORDER BY audit_key DESC "
                "LIMIT ?) WHERE json_extract(item, '$.job_name') = ?",
                (day, self.audit_scan_limit, job_name),
            ).fetchall()
        self.stats.queries += 1
        self.stats.items_read += len(rows)
        return [json.loads(r[0]) for r in rows]

    @_unavailable_on_error
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT item FROM audit WHERE audit_day = ? ORDER BY audit_key LIMIT ?", (day, limit)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
