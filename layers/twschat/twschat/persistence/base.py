"""The persistence base every backend implements, modelled on Powertools' idempotency layer.

The base states the semantics once — "add a message unless its key exists, and hand back the stored
one", the item layout (camelCase attributes, the same in DynamoDB and SQLite), the read/write
accounting — and each adapter implements a handful of primitive operations for its backend.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twschat.core.actions import AuditRecord
from twschat.core.conversation import ConnectionRecord, MessageRecord


class MessageAlreadyExists(Exception):
    """The conditional put found a message under that key; ``existing`` is it when the backend said."""

    def __init__(self, existing: MessageRecord | None = None) -> None:
        super().__init__("message already stored")
        self.existing = existing


@dataclass(slots=True)
class StoreStats:
    """What a turn cost the store; the chat service logs it per turn and resets it."""

    items_read: int = 0
    read_capacity: float = 0.0
    writes: int = 0
    write_capacity: float = 0.0
    queries: int = 0

    def reset(self) -> None:
        self.items_read = 0
        self.read_capacity = 0.0
        self.writes = 0
        self.write_capacity = 0.0
        self.queries = 0


class ChatStore(ABC):
    def __init__(self) -> None:
        self.stats = StoreStats()

    # -- connections -------------------------------------------------------------------------
    @abstractmethod
    def save_connection(self, record: ConnectionRecord) -> None: ...

    @abstractmethod
    def get_connection(self, connection_id: str) -> ConnectionRecord | None: ...

    @abstractmethod
    def touch_connection(self, connection_id: str, *, now: int, expires_at: int) -> ConnectionRecord | None:
        """Record activity on a live connection and return it; ``None`` when there is no record."""

    @abstractmethod
    def delete_connection(self, connection_id: str) -> None: ...

    # -- history -----------------------------------------------------------------------------
    def add_message(self, record: MessageRecord) -> tuple[MessageRecord, bool]:
        """Store ``record`` unless a message with its key exists: (the stored message, created?).

        This is the one place the "written once" rule lives; a redelivered frame gets the first
        write back instead of a second item.
        """
        try:
            self._put_message_if_absent(record)
        except MessageAlreadyExists as exc:
            existing = exc.existing or self.get_message(record.conversation_key, record.message_key)
            if existing is None:  # pragma: no cover - a TTL deletion between the two calls
                raise
            return existing, False
        return record, True

    @abstractmethod
    def _put_message_if_absent(self, record: MessageRecord) -> None:
        """Write the item only if no item has its key; else raise ``MessageAlreadyExists``."""

    @abstractmethod
    def get_message(self, conversation_key: str, message_key: str) -> MessageRecord | None: ...

    @abstractmethod
    def recent_messages(self, conversation_key: str, limit: int) -> list[MessageRecord]:
        """The newest ``limit`` messages, returned oldest first. Cost bounded by ``limit``."""

    # -- audit trail ---------------------------------------------------------------------------
    def add_audit(self, record: AuditRecord) -> None:
        """Append one executed action to the audit trail (partitioned by UTC day, sorted by time)."""
        item = {k: v for k, v in record.to_dict().items() if v != ""}
        item["auditDay"] = record.at[:10]
        item["auditKey"] = f"{record.at}#{uuid.uuid4().hex}"
        self._put_audit(item)

    @abstractmethod
    def _put_audit(self, item: dict[str, Any]) -> None: ...

    @abstractmethod
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        """The day's audit records (``YYYY-MM-DD``, UTC), oldest first."""

    # -- item layout shared by the adapters ----------------------------------------------------
    @staticmethod
    def connection_to_item(record: ConnectionRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "connectionId": record.connection_id,
            "agent": record.agent,
            "conversationId": record.conversation_id,
            "owner": record.owner,
            "connectedAt": record.connected_at,
            "lastSeenAt": record.last_seen_at,
            "expiresAt": record.expires_at,
            "domainName": record.domain_name,
            "stage": record.stage,
            "username": record.username,
        }
        if record.roles:
            item["roles"] = list(record.roles)
        return item

    @staticmethod
    def connection_from_item(item: Mapping[str, Any]) -> ConnectionRecord:
        return ConnectionRecord(
            connection_id=str(item["connectionId"]),
            agent=str(item["agent"]),
            conversation_id=str(item["conversationId"]),
            owner=str(item["owner"]),
            connected_at=int(item["connectedAt"]),
            last_seen_at=int(item["lastSeenAt"]),
            expires_at=int(item["expiresAt"]),
            domain_name=str(item.get("domainName", "")),
            stage=str(item.get("stage", "")),
            username=str(item.get("username", "")),
            roles=tuple(str(r) for r in item.get("roles", ())),
        )

    @staticmethod
    def message_to_item(record: MessageRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "conversationKey": record.conversation_key,
            "messageKey": record.message_key,
            "role": record.role,
            "text": record.text,
            "messageId": record.message_id,
            "createdAt": record.created_at,
            "connectionId": record.connection_id,
        }
        if record.context:
            item["context"] = dict(record.context)
        if record.expires_at is not None:
            item["expiresAt"] = record.expires_at
        return item

    @staticmethod
    def message_from_item(item: Mapping[str, Any]) -> MessageRecord:
        role = str(item["role"])
        return MessageRecord(
            conversation_key=str(item["conversationKey"]),
            message_key=str(item["messageKey"]),
            role="agent" if role == "agent" else "user",
            text=str(item["text"]),
            message_id=str(item["messageId"]),
            created_at=int(item["createdAt"]),
            connection_id=str(item.get("connectionId", "")),
            context=dict(item.get("context") or {}),
            expires_at=int(item["expiresAt"]) if item.get("expiresAt") is not None else None,
        )
