"""Alerts in SQLite: the same items as the DynamoDB table, in an ``alerts`` table keyed (pk, sk), with an
index on the target key (the DynamoDB table's sparse ``byTarget`` index)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from twschat.core.subscriptions import Snapshot, Subscription, SubscriptionLimit, WatchRegistry
from twschat.persistence.accounting import TurnAccounting
from twschat.persistence.alerts import (
    REGISTRY_PK,
    SNAPSHOT_SK,
    TARGET_PREFIX,
    live,
    subscription_from_item,
    subscription_to_item,
    user_pk,
)
from twschat.persistence.sqlite.base import SQLiteDatabase, SQLiteStore, unavailable_on_error

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    target_key TEXT,
    item TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alerts_by_target ON alerts (target_key) WHERE target_key IS NOT NULL;
"""


class SQLiteAlertStore(SQLiteStore):
    def __init__(self, db: SQLiteDatabase, accounting: TurnAccounting | None = None) -> None:
        super().__init__(db, accounting)
        with db.locked() as conn:
            conn.executescript(_SCHEMA)

    # -- subscriptions -------------------------------------------------------------------------
    @unavailable_on_error
    def add_subscription(self, subscription: Subscription, *, cap: int, now: int) -> Subscription:
        item = subscription_to_item(subscription)
        with self.db.locked() as db:
            rows = db.execute(
                "SELECT item FROM alerts WHERE pk = ?", (user_pk(subscription.owner),)
            ).fetchall()
            current = live([subscription_from_item(json.loads(r[0])) for r in rows], now)
            if cap > 0 and len(current) >= cap:
                raise SubscriptionLimit(cap)
            db.execute(
                "INSERT OR REPLACE INTO alerts (pk, sk, target_key, item) VALUES (?, ?, ?, ?)",
                (item["pk"], item["sk"], item["targetKey"], json.dumps(item, ensure_ascii=False)),
            )
            self._count(db, subscription.key, +1)
        self.stats.writes += 2
        return subscription

    @unavailable_on_error
    def list_subscriptions(self, owner: str, *, now: int) -> list[Subscription]:
        items = self._query("SELECT item FROM alerts WHERE pk = ?", (user_pk(owner),))
        return live([subscription_from_item(i) for i in items], now)

    @unavailable_on_error
    def cancel_subscription(self, owner: str, subscription_id: str) -> bool:
        with self.db.locked() as db:
            row = db.execute(
                "SELECT target_key FROM alerts WHERE pk = ? AND sk = ?",
                (user_pk(owner), f"sub#{subscription_id}"),
            ).fetchone()
            if row is None:
                return False
            db.execute(
                "DELETE FROM alerts WHERE pk = ? AND sk = ?", (user_pk(owner), f"sub#{subscription_id}")
            )
            self._count(db, str(row[0]), -1)
        self.stats.writes += 2
        return True

    # -- the watcher's side --------------------------------------------------------------------
    @unavailable_on_error
    def registry(self) -> WatchRegistry:
        rows = self.db.fetchall(
            "SELECT sk, item FROM alerts WHERE pk = ? AND sk LIKE ?", (REGISTRY_PK, TARGET_PREFIX + "%")
        )
        self.stats.queries += 1
        return WatchRegistry({str(sk)[len(TARGET_PREFIX) :]: int(json.loads(item)["n"]) for sk, item in rows})

    @unavailable_on_error
    def subscribers(self, key: str, *, now: int) -> list[Subscription]:
        items = self._query("SELECT item FROM alerts WHERE target_key = ?", (key,))
        return live([subscription_from_item(i) for i in items], now)

    @unavailable_on_error
    def get_snapshot(self) -> Snapshot:
        row = self.db.fetchone("SELECT item FROM alerts WHERE pk = ? AND sk = ?", (REGISTRY_PK, SNAPSHOT_SK))
        if row is None:
            return Snapshot()
        self.stats.items_read += 1
        item = json.loads(row[0])
        return Snapshot({k: (str(v[0]), str(v[1])) for k, v in item["states"].items()}, int(item["version"]))

    @unavailable_on_error
    def put_snapshot(self, states: Mapping[str, tuple[str, str]], *, expected_version: int) -> bool:
        item: dict[str, object] = {
            "pk": REGISTRY_PK,
            "sk": SNAPSHOT_SK,
            "states": {k: list(v) for k, v in states.items()},
            "version": expected_version + 1,
        }
        body = json.dumps(item, ensure_ascii=False)
        with self.db.locked() as db:
            if expected_version == 0:
                cursor = db.execute(
                    "INSERT INTO alerts (pk, sk, item) VALUES (?, ?, ?) ON CONFLICT (pk, sk) DO NOTHING",
                    (REGISTRY_PK, SNAPSHOT_SK, body),
                )
            else:
                cursor = db.execute(
                    "UPDATE alerts SET item = ? WHERE pk = ? AND sk = ? AND json_extract(item, '$.version') = ?",
                    (body, REGISTRY_PK, SNAPSHOT_SK, expected_version),
                )
        self.stats.writes += 1
        return cursor.rowcount == 1

    @unavailable_on_error
    def claim_alert(self, alert_id: str, owner: str, *, expires_at: int) -> bool:
        key = (f"alert#{alert_id}", f"to#{owner}")
        item = {"pk": key[0], "sk": key[1], "expiresAt": expires_at}
        return self._insert_if_absent("alerts", ("pk", "sk"), key, item) is None

    @staticmethod
    def _count(db: sqlite3.Connection, key: str, delta: int) -> None:
        """The registry's count of live subscriptions on ``key``, moved by ``delta`` (gone at 0)."""
        sk = TARGET_PREFIX + key
        row = db.execute("SELECT item FROM alerts WHERE pk = ? AND sk = ?", (REGISTRY_PK, sk)).fetchone()
        n = max(0, (json.loads(row[0])["n"] if row else 0) + delta)
        if n == 0:
            db.execute("DELETE FROM alerts WHERE pk = ? AND sk = ?", (REGISTRY_PK, sk))
            return
        body = json.dumps({"pk": REGISTRY_PK, "sk": sk, "n": n})
        db.execute("INSERT OR REPLACE INTO alerts (pk, sk, item) VALUES (?, ?, ?)", (REGISTRY_PK, sk, body))
