"""Connections in SQLite: one row per connection, the item as JSON beside its expiry."""

from __future__ import annotations

import json
from typing import Any

from twschat.core.conversation import ConnectionRecord
from twschat.persistence.connections import ConnectionStore, connection_from_item, connection_to_item
from twschat.persistence.sqlite.base import SQLiteStore, unavailable_on_error


class SQLiteConnectionStore(SQLiteStore, ConnectionStore):
    @unavailable_on_error
    def save_connection(self, record: ConnectionRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO connections (connection_id, item, expires_at) VALUES (?, ?, ?)",
            (record.connection_id, json.dumps(connection_to_item(record)), record.expires_at),
        )
        self.stats.writes += 1

    @unavailable_on_error
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
        row = self.db.fetchone(
            "SELECT item FROM connections WHERE connection_id = ? AND expires_at > ?", (connection_id, now)
        )
        if row is None:
            return None
        self.stats.items_read += 1
        return connection_from_item(json.loads(row[0]))

    @unavailable_on_error
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        (count,) = self.db.fetchone(
            "SELECT COUNT(*) FROM connections WHERE json_extract(item, '$.owner') = ? "
            "AND json_extract(item, '$.connectedAt') > ?",
            (owner, connected_after),
        )
        self.stats.queries += 1
        return int(count)

    @unavailable_on_error
    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        window = now // 60
        with self.db.locked() as db:
            row = db.execute(
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
            db.execute(
                "UPDATE connections SET item = ?, expires_at = ? WHERE connection_id = ?",
                (json.dumps(item), expires_at, connection_id),
            )
        self.stats.writes += 1
        return connection_from_item(item)

    @unavailable_on_error
    def delete_connection(self, connection_id: str) -> None:
        self.db.execute("DELETE FROM connections WHERE connection_id = ?", (connection_id,))
        self.stats.writes += 1

    @unavailable_on_error
    def _stale_connections_by(self, attribute: str, cutoff: int, limit: int) -> list[dict[str, Any]]:
        return self._query(
            f"SELECT item FROM connections WHERE json_extract(item, '$.{attribute}') < ? LIMIT ?",
            (cutoff, limit),
        )

    @unavailable_on_error
    def open_connections(
        self, *, now: int, connected_after: int, owner: str | None = None
    ) -> list[ConnectionRecord]:
        sql = "SELECT item FROM connections WHERE expires_at > ? AND json_extract(item, '$.connectedAt') > ?"
        params: tuple[Any, ...] = (now, connected_after)
        if owner is not None:
            sql += " AND json_extract(item, '$.owner') = ?"
            params += (owner,)
        return [connection_from_item(i) for i in self._query(sql + " ORDER BY connection_id", params)]
