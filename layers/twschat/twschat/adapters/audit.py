"""The audit trail of executed actions, written through the chat store (DynamoDB or SQLite)."""

from __future__ import annotations

from twschat.core.actions import AuditRecord
from twschat.persistence.base import ChatStore


class StoreAuditSink:
    def __init__(self, store: ChatStore) -> None:
        self.store = store

    def record(self, record: AuditRecord) -> None:
        self.store.add_audit(record)
