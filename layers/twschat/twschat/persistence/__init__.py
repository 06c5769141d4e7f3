"""Chat persistence: one store interface per kind of data, each with a DynamoDB and a SQLite adapter.

``connections`` (open WebSockets and their rate windows), ``history`` (messages and conversations)
and ``audit`` (action attempts) each hold an abstract base with the shared rules and item layout;
``dynamodb/`` and ``sqlite/`` hold the adapters and build a :class:`Stores` bundle that counts a
turn's reads and writes across all three (``accounting``).
"""

from twschat.persistence.accounting import StoreStats, TurnAccounting
from twschat.persistence.audit import AuditStore
from twschat.persistence.connections import ConnectionStore
from twschat.persistence.exceptions import (
    AlreadyExists,
    AuditRecordAlreadyExists,
    ConversationAlreadyExists,
    MessageAlreadyExists,
)
from twschat.persistence.history import HistoryStore
from twschat.persistence.stores import Stores

__all__ = [
    "AlreadyExists",
    "AuditRecordAlreadyExists",
    "AuditStore",
    "ConnectionStore",
    "ConversationAlreadyExists",
    "HistoryStore",
    "MessageAlreadyExists",
    "StoreStats",
    "Stores",
    "TurnAccounting",
]
