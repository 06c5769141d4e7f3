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
from twschat.core.conversation import (
    ConnectionRecord,
    ConversationRecord,
    MessageRecord,
    StaleConnection,
    conversations_key,
)

# The connections table's sweep indexes share one constant partition key: the sweeper asks
# "who was last seen before T" / "who connected before T" with one bounded Query each.
SWEEP_KEY = "connections"
IDLE_INDEX = "byLastSeen"
AGE_INDEX = "byConnectedAt"


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
    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        """Record activity on a live connection and count it in the current minute's rate window.

        Returns the updated record (``rate_count`` includes this message); ``None`` when there is
        no record. ``lastSeenAt`` (the idle index's key) moves only when it is older than
        ``activity_resolution`` seconds or the minute changed: most turns cost one write, not three.
        """

    @abstractmethod
    def delete_connection(self, connection_id: str) -> None: ...

    @abstractmethod
    def stale_connections(
        self, *, idle_before: int, connected_before: int, limit: int
    ) -> list[StaleConnection]:
        """Up to ``limit`` connections last seen before ``idle_before`` or connected before
        ``connected_before`` (epoch seconds) — one bounded read per condition."""

    # -- history -----------------------------------------------------------------------------
    def add_message(self, record: MessageRecord) -> tuple[MessageRecord, bool]:
        """Store ``record`` unless a message with its key exists: (the stored message, created?).

        This is the one place the "written once" rule lives; a redelivered frame gets the first
        write back instead of a second item.
        """
        try:
            self._put_history_item_if_absent(self.message_to_item(record))
        except MessageAlreadyExists as exc:
            existing = exc.existing or self.get_message(record.conversation_key, record.message_key)
            if existing is None:  # pragma: no cover - a TTL deletion between the two calls
                raise
            return existing, False
        return record, True

    @abstractmethod
    def _put_history_item_if_absent(self, item: dict[str, Any]) -> None:
        """Write a history-table item only if no item has its key; else raise ``MessageAlreadyExists``
        (with the existing item as a ``MessageRecord`` when the backend returns it)."""

    @abstractmethod
    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        """Items of one partition, newest (highest key) first, keys below ``before``; bounded by ``limit``."""

    def get_message(self, conversation_key: str, message_key: str) -> MessageRecord | None:
        item = self._get_history_item(conversation_key, message_key)
        return self.message_from_item(item) if item else None

    def recent_messages(
        self, conversation_key: str, limit: int, before: str | None = None
    ) -> list[MessageRecord]:
        """The newest ``limit`` messages (older than the ``before`` key if given), oldest first.

        Cost bounded by ``limit``, whatever the conversation's length.
        """
        items = self._query_history(conversation_key, limit, before)
        return [self.message_from_item(i) for i in reversed(items)]

    # -- conversations -----------------------------------------------------------------------
    def create_conversation(self, record: ConversationRecord) -> bool:
        try:
            self._put_history_item_if_absent(self.conversation_to_item(record))
        except MessageAlreadyExists:
            return False
        return True

    def get_conversation(self, owner: str, conversation_id: str) -> ConversationRecord | None:
        item = self._get_history_item(conversations_key(owner), conversation_id)
        return self.conversation_from_item(item) if item else None

    def list_conversations(
        self, owner: str, limit: int, before: str | None = None
    ) -> list[ConversationRecord]:
        """The owner's conversations, newest first (ids start with their creation time)."""
        return [
            self.conversation_from_item(i)
            for i in self._query_history(conversations_key(owner), limit, before)
        ]

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
            "sweepKey": SWEEP_KEY,
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
            "rateWindow": record.rate_window,
            "rateCount": record.rate_count,
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
            rate_window=int(item.get("rateWindow", 0)),
            rate_count=int(item.get("rateCount", 0)),
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

    @staticmethod
    def conversation_to_item(record: ConversationRecord) -> dict[str, Any]:
        return {
            "conversationKey": conversations_key(record.owner),
            "messageKey": record.conversation_id,
            "owner": record.owner,
            "agent": record.agent,
            "createdAt": record.created_at,
        }

    @staticmethod
    def conversation_from_item(item: Mapping[str, Any]) -> ConversationRecord:
        return ConversationRecord(
            owner=str(item["owner"]),
            conversation_id=str(item["messageKey"]),
            agent=str(item.get("agent", "")),
            created_at=int(item.get("createdAt", 0)),
        )
