"""The history store: one item per message, and the owner's conversations, in one table.

A conversation's messages share a partition (``conversationKey``) sorted by ``messageKey``, so the
last N messages are one read bounded by N; an owner's conversations are items of their own
partition (:func:`~twschat.core.conversation.conversations_key`). The base states the "written
once" rule for both kinds of item and the item layout; each adapter implements the primitives.

A conversation may also hold ONE running-summary item (the LLM responder's memory of the messages
older than its window) in its own partition, under the reserved sort key :data:`SUMMARY_KEY`: ``!``
sorts below every message key (they start with 13 digits), so a newest-first window read never meets
it before the conversation's oldest message, and :meth:`HistoryStore.recent_messages` skips it. It is
read by key (one item, a bounded size: :data:`SUMMARY_MAX_CHARS`, under DynamoDB's 4 KB read unit) and
rewritten with a conditional put on its version, so two refreshes never clobber each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from twschat.core.conversation import ConversationRecord, MessageRecord, conversations_key
from twschat.core.exceptions import TwsChatError
from twschat.core.responder import ConversationSummary
from twschat.persistence.accounting import AccountedStore
from twschat.persistence.exceptions import ConversationAlreadyExists, MessageAlreadyExists

SUMMARY_KEY = "!summary"
"""The summary item's sort key in a conversation's partition: never a message key (those start with
digits, and ``!`` sorts below them)."""
SUMMARY_MAX_CHARS = 2000
"""A stored summary's text is cut to this (about 500 tokens at 4 characters each; under 4 KB)."""


class SummaryVersionConflict(TwsChatError):
    """The summary put found a version other than the one it read: another refresh wrote first."""

    def __init__(self, expected: int) -> None:
        super().__init__(f"summary is no longer at version {expected}")
        self.expected = expected


class HistoryStore(AccountedStore, ABC):
    # -- messages ----------------------------------------------------------------------------
    def add_message(self, record: MessageRecord) -> tuple[MessageRecord, bool]:
        """Store ``record`` unless a message with its key exists: (the stored message, created?).

        This is the one place the "written once" rule for messages lives; a redelivered frame gets
        the first write back instead of a second item.
        """
        try:
            self._put_message_item_if_absent(message_to_item(record))
        except MessageAlreadyExists as exc:
            existing = exc.existing or self.get_message(record.conversation_key, record.message_key)
            if existing is None:  # pragma: no cover - a TTL deletion between the two calls
                raise
            return existing, False
        return record, True

    def get_message(self, conversation_key: str, message_key: str) -> MessageRecord | None:
        item = self._get_history_item(conversation_key, message_key)
        return message_from_item(item) if item else None

    def recent_messages(
        self, conversation_key: str, limit: int, before: str | None = None
    ) -> list[MessageRecord]:
        """The newest ``limit`` messages (older than the ``before`` key if given), oldest first.

        Cost bounded by ``limit``, whatever the conversation's length.
        """
        items = self._query_history(conversation_key, limit, before)
        return [message_from_item(i) for i in reversed(items) if i.get("messageKey") != SUMMARY_KEY]

    # -- the running summary -------------------------------------------------------------------
    def get_summary(self, conversation_key: str) -> ConversationSummary:
        """The conversation's summary; ``version`` 0 and no text when none was stored."""
        item = self._get_history_item(conversation_key, SUMMARY_KEY)
        if not item:
            return ConversationSummary(conversation_key, "")
        return ConversationSummary(
            conversation_key=conversation_key,
            text=str(item.get("text", "")),
            version=int(item.get("version", 0)),
            covered_key=str(item.get("coveredKey", "")),
            covered_until_ms=int(item.get("coveredUntil", 0)),
            messages=int(item.get("messages", 0)),
            updated_at_ms=int(item.get("updatedAt", 0)),
        )

    def put_summary(
        self, summary: ConversationSummary, *, expires_at: int | None = None
    ) -> ConversationSummary:
        """Store ``summary`` as version ``summary.version + 1`` only if the stored item is still at
        ``summary.version`` (absent for 0); else raise :class:`SummaryVersionConflict`. The text is cut
        to :data:`SUMMARY_MAX_CHARS`. Returns what was stored."""
        stored = ConversationSummary(
            conversation_key=summary.conversation_key,
            text=bound_summary(summary.text),
            version=summary.version + 1,
            covered_key=summary.covered_key,
            covered_until_ms=summary.covered_until_ms,
            messages=summary.messages,
            updated_at_ms=summary.updated_at_ms,
        )
        item: dict[str, Any] = {
            "conversationKey": stored.conversation_key,
            "messageKey": SUMMARY_KEY,
            "text": stored.text,
            "version": stored.version,
            "coveredKey": stored.covered_key,
            "coveredUntil": stored.covered_until_ms,
            "messages": stored.messages,
            "updatedAt": stored.updated_at_ms,
        }
        if expires_at is not None:
            item["expiresAt"] = expires_at
        self._put_summary_item_if_version(item, summary.version)
        return stored

    # -- conversations -----------------------------------------------------------------------
    def create_conversation(self, record: ConversationRecord) -> bool:
        """Store ``record`` unless the owner has a conversation with its id: created?"""
        try:
            self._put_conversation_item_if_absent(conversation_to_item(record))
        except ConversationAlreadyExists:
            return False
        return True

    def set_conversation_title(self, owner: str, conversation_id: str, title: str) -> bool:
        """Title the owner's conversation unless it has a title already (the first message wins) or
        does not exist (a title never creates one): titled now?"""
        return self._set_title_if_absent(conversations_key(owner), conversation_id, title)

    def get_conversation(self, owner: str, conversation_id: str) -> ConversationRecord | None:
        item = self._get_history_item(conversations_key(owner), conversation_id)
        return conversation_from_item(item) if item else None

    def list_conversations(
        self, owner: str, limit: int, before: str | None = None
    ) -> list[ConversationRecord]:
        """The owner's conversations, newest first (ids start with their creation time)."""
        return [
            conversation_from_item(i) for i in self._query_history(conversations_key(owner), limit, before)
        ]

    # -- primitives ----------------------------------------------------------------------------
    @abstractmethod
    def _put_message_item_if_absent(self, item: dict[str, Any]) -> None:
        """Write a message item only if no item has its key; else raise ``MessageAlreadyExists``
        (with the stored message when the backend returns it)."""

    @abstractmethod
    def _put_conversation_item_if_absent(self, item: dict[str, Any]) -> None:
        """Write a conversation item only if no item has its key; else raise ``ConversationAlreadyExists``."""

    @abstractmethod
    def _set_title_if_absent(self, conversation_key: str, conversation_id: str, title: str) -> bool:
        """Set ``title`` on an existing conversation item that has none: set?"""
        raise NotImplementedError

    def _put_summary_item_if_version(self, item: dict[str, Any], expected_version: int) -> None:
        """Write the summary item only if none exists (``expected_version`` 0) or the stored one's
        ``version`` equals ``expected_version``; else raise ``SummaryVersionConflict``."""

    @abstractmethod
    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        """Items of one partition, newest (highest key) first, keys below ``before``; bounded by ``limit``."""


def bound_summary(text: str) -> str:
    """``text`` within :data:`SUMMARY_MAX_CHARS`, cut at a word boundary with an ellipsis."""
    text = text.strip()
    if len(text) <= SUMMARY_MAX_CHARS:
        return text
    cut = text[: SUMMARY_MAX_CHARS - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > SUMMARY_MAX_CHARS // 2 else cut).rstrip() + "…"


# -- item layout shared by the adapters --------------------------------------------------------
HISTORY_KEY = ("conversationKey", "messageKey")
"""The history table's (partition, sort) key attributes."""


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


def conversation_to_item(record: ConversationRecord) -> dict[str, Any]:
    return {
        "conversationKey": conversations_key(record.owner),
        "messageKey": record.conversation_id,
        "owner": record.owner,
        "agent": record.agent,
        "createdAt": record.created_at,
        **({"title": record.title} if record.title else {}),
    }


def conversation_from_item(item: Mapping[str, Any]) -> ConversationRecord:
    return ConversationRecord(
        owner=str(item["owner"]),
        conversation_id=str(item["messageKey"]),
        agent=str(item.get("agent", "")),
        created_at=int(item.get("createdAt", 0)),
        title=str(item.get("title") or ""),
    )
