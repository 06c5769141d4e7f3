"""History in SQLite: the messages table keyed (conversationKey, messageKey), as the DynamoDB table.

Reading the last N messages is an index range scan bounded by N, as a DynamoDB Query is — unlike
moto, whose Query walks the whole partition.
"""

from __future__ import annotations

import json
from typing import Any

from twschat.persistence.exceptions import ConversationAlreadyExists, MessageAlreadyExists
from twschat.persistence.history import (
    HistoryStore,
    SummaryVersionConflict,
    conversation_from_item,
    message_from_item,
)
from twschat.persistence.sqlite.base import SQLiteStore, unavailable_on_error

_KEY_COLUMNS = ("conversation_key", "message_key")


class SQLiteHistoryStore(SQLiteStore, HistoryStore):
    @unavailable_on_error
    def _put_message_item_if_absent(self, item: dict[str, Any]) -> None:
        existing = self._insert_if_absent("messages", _KEY_COLUMNS, _key(item), item)
        if existing is not None:
            raise MessageAlreadyExists(message_from_item(existing) if "role" in existing else None)

    @unavailable_on_error
    def _put_conversation_item_if_absent(self, item: dict[str, Any]) -> None:
        existing = self._insert_if_absent("messages", _KEY_COLUMNS, _key(item), item)
        if existing is not None:
            raise ConversationAlreadyExists(conversation_from_item(existing) if "owner" in existing else None)

    @unavailable_on_error
    def _set_title_if_absent(self, conversation_key: str, conversation_id: str, title: str) -> bool:
        with self.db.locked() as db:
            cursor = db.execute(
                "UPDATE messages SET item = json_set(item, '$.title', ?) WHERE conversation_key = ? "
                "AND message_key = ? AND json_extract(item, '$.owner') IS NOT NULL "
                "AND json_extract(item, '$.title') IS NULL",
                (title, conversation_key, conversation_id),
            )
        self.stats.writes += 1
        return cursor.rowcount == 1

    def _put_summary_item_if_version(self, item: dict[str, Any], expected_version: int) -> None:
        if not self._put_summary(item, expected_version):
            raise SummaryVersionConflict(expected_version)

    @unavailable_on_error
    def _put_summary(self, item: dict[str, Any], expected_version: int) -> bool:
        body = json.dumps(item, ensure_ascii=False)
        with self.db.locked() as db:
            if expected_version == 0:
                cursor = db.execute(
                    "INSERT INTO messages (conversation_key, message_key, item) VALUES (?, ?, ?) "
                    "ON CONFLICT (conversation_key, message_key) DO NOTHING",
                    (*_key(item), body),
                )
            else:
                cursor = db.execute(
                    "UPDATE messages SET item = ? WHERE conversation_key = ? AND message_key = ? "
                    "AND json_extract(item, '$.version') = ?",
                    (body, *_key(item), expected_version),
                )
        self.stats.writes += 1
        return cursor.rowcount == 1

    @unavailable_on_error
    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None:
        row = self.db.fetchone(
            "SELECT item FROM messages WHERE conversation_key = ? AND message_key = ?",
            (conversation_key, message_key),
        )
        if row is None:
            return None
        self.stats.items_read += 1
        item: dict[str, Any] = json.loads(row[0])
        return item

    @unavailable_on_error
    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        return self._query(
            "SELECT item FROM messages WHERE conversation_key = ? AND message_key < ? "
            "ORDER BY message_key DESC LIMIT ?",
            (conversation_key, before if before is not None else "\U0010ffff", limit),
        )


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return str(item["conversationKey"]), str(item["messageKey"])
