"""The persistence base every backend implements, modelled on Powertools' idempotency layer.

The base states the semantics once — "add a message unless its key exists, and hand back the stored
one", the item layout (camelCase attributes, the same in DynamoDB and SQLite), the read/write
accounting — and each adapter implements a handful of primitive operations for its backend.
"""

from __future__ import annotations

import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twschat.core.audit import AuditRecord
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
# Connections by owner: counts a user's open connections for the per-user cap at $connect.
OWNER_INDEX = "byOwner"


class MessageAlreadyExists(Exception):
    """The conditional put found a message under that key; ``existing`` is it when the backend said."""

    def __init__(self, existing: MessageRecord | None = None) -> None:
        super().__init__("message already stored")
        self.existing = existing


@dataclass(slots=True)
class StoreStats:
    """What one turn cost the store; the chat service logs it per turn."""

    items_read: int = 0
    read_capacity: float = 0.0
    writes: int = 0
    write_capacity: float = 0.0
    queries: int = 0


class ChatStore(ABC):
    def __init__(self) -> None:
        # One store serves every concurrent turn of a process (the local gateway runs handlers on
        # worker threads): each thread counts into its own turn's figures, so logs never mix turns.
        self._turn = threading.local()

    @property
    def stats(self) -> StoreStats:
        """The figures of the turn running on this thread (since its ``begin_turn``)."""
        stats: StoreStats | None = getattr(self._turn, "stats", None)
        if stats is None:
            stats = self._turn.stats = StoreStats()
        return stats

    def begin_turn(self) -> StoreStats:
        """Start counting a new turn on this thread and return its figures."""
        stats = self._turn.stats = StoreStats()
        return stats

    # -- connections -------------------------------------------------------------------------
    @abstractmethod
    def save_connection(self, record: ConnectionRecord) -> None: ...

    @abstractmethod
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
        """The live record, or ``None`` (none, or expired at ``now``: TTL deletion lags by hours).

        ``now`` comes from the caller's clock: a store never reads the wall clock, so a test that
        moves the service's clock moves the store's too.
        """

    @abstractmethod
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        """How many connection records ``owner`` has that connected after ``connected_after``.

        By connection time, not expiry: API Gateway closes every connection after 2 hours, so older
        records are leftovers; and the owner index then needs only keys, which a turn's update of
        the record never writes (a projected ``expiresAt`` would add an index write to every turn).
        """

    @abstractmethod
    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        """Record activity on a live connection and count it in the current minute's rate window.

        Returns the updated record (``rate_count`` includes this message); ``None`` when there is
        no record. When the minute changes, the finished minute's count moves to ``rate_prev_count``
        (zero if that minute was not the previous one): the sliding-window estimate
        (:func:`~twschat.core.conversation.messages_in_last_minute`) needs both, at no extra write.
        ``lastSeenAt`` (the idle index's key) moves only when it is older than ``activity_resolution``
        seconds or the minute changed: most turns cost one write, not three.
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
    # Partitioned by UTC day (auditDay), sorted by time (auditKey). An append (a refusal) gets a random
    # key; an executed action's record is keyed by its pending action — the day and time it was
    # proposed and its id — so the conditional write in ``begin_audit`` is the at-most-once guard for
    # that action and ``finish_audit`` finds the same item again without a read.
    audit_scan_limit = 200
    """Records read per day partition by ``audit_for_job``: the read stays bounded on a busy day."""

    def add_audit(self, record: AuditRecord) -> None:
        """Append one record to the audit trail."""
        self._put_audit(self._audit_item(record, record.at[:10], f"{record.at}#{uuid.uuid4().hex}"))

    def begin_audit(self, record: AuditRecord) -> AuditRecord | None:
        """Write ``record`` (result ``requested``) unless its action already has a record.

        ``None`` when written; the stored record when the action id was already requested. Raises
        ``StorageUnavailable`` when the store cannot tell: the caller must not run the action then.
        """
        if not (record.action_id and record.proposed_at):
            raise ValueError("begin_audit needs the pending action's id and proposal time")
        item = self._audit_item(record, record.proposed_at[:10], self._audit_action_key(record))
        existing = self._audit_begin(item)
        return AuditRecord.from_dict(existing) if existing is not None else None

    def finish_audit(self, record: AuditRecord) -> None:
        """Set result and detail of the record ``begin_audit`` wrote for ``record.action_id``."""
        day, key = record.proposed_at[:10], self._audit_action_key(record)
        if not self._audit_finish(day, key, record.result, record.detail):
            # The requested record is gone (deleted by hand?): keep the outcome all the same.
            self._put_audit(self._audit_item(record, day, key))

    def audit_for_job(self, job_name: str, days: list[str], limit: int = 20) -> list[AuditRecord]:
        """Records about ``job_name`` in the ``days`` partitions (``YYYY-MM-DD``), newest first, at
        most ``limit``; one read of at most ``audit_scan_limit`` records per day."""
        found = [AuditRecord.from_dict(i) for day in days for i in self._audit_for_job(day, job_name)]
        found.sort(key=lambda r: r.at, reverse=True)
        return found[:limit]

    @staticmethod
    def _audit_action_key(record: AuditRecord) -> str:
        return f"{record.proposed_at}#{record.action_id}"

    @staticmethod
    def _audit_item(record: AuditRecord, day: str, key: str) -> dict[str, Any]:
        item: dict[str, Any] = {k: v for k, v in record.to_dict().items() if v != ""}
        item["auditDay"] = day
        item["auditKey"] = key
        return item

    @abstractmethod
    def _put_audit(self, item: dict[str, Any]) -> None: ...

    @abstractmethod
    def _audit_begin(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Write ``item`` unless its key exists: ``None`` when written, else the stored item."""

    @abstractmethod
    def _audit_finish(self, day: str, key: str, result: str, detail: str) -> bool:
        """Set ``result`` and ``detail`` ("" removes it) of an existing item; False when there is none."""

    @abstractmethod
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        """The day's items whose ``job_name`` matches, among its newest ``audit_scan_limit``."""

    @abstractmethod
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        """The day's audit records (``YYYY-MM-DD``, UTC), oldest first."""

    @staticmethod
    def next_rate_window(old: Mapping[str, Any], window: int) -> dict[str, int]:
        """The rate attributes after a message in minute ``window``, from the stored item ``old``.

        Written once for both backends: same minute counts one more; the next minute carries the
        finished minute's count as the previous one; a later minute starts from nothing.
        """
        old_window = int(old.get("rateWindow", 0))
        old_count = int(old.get("rateCount", 0))
        if old_window == window:
            return {
                "rateWindow": window,
                "rateCount": old_count + 1,
                "ratePrevCount": int(old.get("ratePrevCount", 0)),
            }
        return {
            "rateWindow": window,
            "rateCount": 1,
            "ratePrevCount": old_count if old_window == window - 1 else 0,
        }

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
            "ratePrevCount": record.rate_prev_count,
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
            rate_prev_count=int(item.get("ratePrevCount", 0)),
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
