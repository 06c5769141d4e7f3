"""What the SQLite stores share: one file, one connection and lock for the three stores on it,
the error mapping, and the insert-if-absent every "written once" rule rests on."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from twschat.core.exceptions import StorageUnavailable
from twschat.persistence.accounting import AccountedStore, TurnAccounting

# How long a write waits for another process's lock (twschat invoke beside a running serve, a
# second serve on the same folder) before it is a StorageUnavailable rather than an instant
# "database is locked".
BUSY_TIMEOUT_SECONDS = 10.0

_P = ParamSpec("_P")
_R = TypeVar("_R")


def unavailable_on_error(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """sqlite3 errors (locked past the busy timeout, disk full, file gone) -> StorageUnavailable."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StorageUnavailable(method.__name__.lstrip("_"), type(exc).__name__) from exc

    return wrapper


# Every table keeps the item as JSON (the same camelCase layout as DynamoDB) under its key columns.
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


class SQLiteDatabase:
    """One SQLite file and the one connection the stores on it share."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Handlers run on worker threads of the local gateway: one connection, serialized by a lock.
        # Other processes (twschat invoke, a second serve) may hold the file: WAL lets readers and
        # one writer work together, and the busy timeout makes a writer wait instead of failing.
        self._connection = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._lock = threading.Lock()
        with self.locked() as db:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, for statements no other thread may interleave with (a read-modify-write)."""
        with self._lock:
            yield self._connection

    def fetchone(self, sql: str, params: Sequence[Any]) -> Any:
        with self.locked() as db:
            return db.execute(sql, params).fetchone()

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.locked() as db:
            return db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        with self.locked() as db:
            db.execute(sql, params)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class SQLiteStore(AccountedStore):
    """One store kind on one table of ``db``: the helpers its adapter methods share."""

    def __init__(self, db: SQLiteDatabase, accounting: TurnAccounting | None = None) -> None:
        super().__init__(accounting)
        self.db = db

    def close(self) -> None:
        self.db.close()  # closing the shared file again is harmless: the bundle closes each store

    def _insert_if_absent(
        self, table: str, key_columns: tuple[str, str], key: tuple[str, str], item: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Insert ``item`` under ``key`` unless that key is taken: ``None`` when written, else the stored item."""
        partition, sort = key_columns
        with self.db.locked() as db:
            cursor = db.execute(
                f"INSERT INTO {table} ({partition}, {sort}, item) VALUES (?, ?, ?) "
                f"ON CONFLICT ({partition}, {sort}) DO NOTHING",
                (*key, json.dumps(item, ensure_ascii=False)),
            )
            if cursor.rowcount == 0:
                row = db.execute(
                    f"SELECT item FROM {table} WHERE {partition} = ? AND {sort} = ?", key
                ).fetchone()
                self.stats.items_read += 1
                existing: dict[str, Any] = json.loads(row[0])
                return existing
        self.stats.writes += 1
        return None

    def _query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """One bounded read of items, counted."""
        rows = self.db.fetchall(sql, params)
        self.stats.queries += 1
        self.stats.items_read += len(rows)
        return [json.loads(r[0]) for r in rows]
