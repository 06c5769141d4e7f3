"""The embedded adapters: SQLite in a file under the working folder, behind the same bases as DynamoDB.

It is what ``twschat serve`` uses by default, so a laptop needs no AWS account and a conversation
survives a restart. The three stores share the file's one connection and lock.
"""

from __future__ import annotations

from pathlib import Path

from twschat.persistence.accounting import TurnAccounting
from twschat.persistence.sqlite.audit import SQLiteAuditStore
from twschat.persistence.sqlite.base import BUSY_TIMEOUT_SECONDS, SQLiteDatabase, SQLiteStore
from twschat.persistence.sqlite.connections import SQLiteConnectionStore
from twschat.persistence.sqlite.history import SQLiteHistoryStore
from twschat.persistence.stores import Stores

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "SQLiteAuditStore",
    "SQLiteConnectionStore",
    "SQLiteDatabase",
    "SQLiteHistoryStore",
    "SQLiteStore",
    "sqlite_stores",
]


def sqlite_stores(path: str | Path) -> Stores:
    """The three stores on the file at ``path`` (created with its tables if missing), sharing its
    connection and one turn accounting."""
    db = SQLiteDatabase(path)
    accounting = TurnAccounting()
    return Stores(
        connections=SQLiteConnectionStore(db, accounting),
        history=SQLiteHistoryStore(db, accounting),
        audit=SQLiteAuditStore(db, accounting),
    )
