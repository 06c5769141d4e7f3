"""Alerts on DynamoDB: the items of :mod:`twschat.persistence.alerts` in the alerts table, the sparse
``byTarget`` index for the subscribers of one target, atomic counters for the watch registry, a
versioned put for the snapshot and a conditional put per delivery claim."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from twschat.core.subscriptions import Snapshot, Subscription, SubscriptionLimit, WatchRegistry
from twschat.persistence.alerts import (
    REGISTRY_PK,
    SNAPSHOT_SK,
    TARGET_INDEX,
    TARGET_PREFIX,
    live,
    subscription_from_item,
    subscription_to_item,
    user_pk,
)
from twschat.persistence.dynamodb.base import DynamoDBStore, unavailable_on_error


class DynamoDBAlertStore(DynamoDBStore):
    # -- subscriptions -------------------------------------------------------------------------
    @unavailable_on_error
    def add_subscription(self, subscription: Subscription, *, cap: int, now: int) -> Subscription:
        # Counted before the put: two racing subscribes may pass at cap - 1 (a guard, not a quota).
        if cap > 0 and len(self.list_subscriptions(subscription.owner, now=now)) >= cap:
            raise SubscriptionLimit(cap)
        response = self.client.put_item(
            TableName=self._table(),
            Item=self.dynamodb.serialize(subscription_to_item(subscription)),
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)
        self._move_count(subscription.key, +1)
        return subscription

    @unavailable_on_error
    def list_subscriptions(self, owner: str, *, now: int) -> list[Subscription]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sub)",
            ExpressionAttributeValues={":pk": {"S": user_pk(owner)}, ":sub": {"S": "sub#"}},
        )
        return live([subscription_from_item(i) for i in items], now)

    @unavailable_on_error
    def cancel_subscription(self, owner: str, subscription_id: str) -> bool:
        try:
            response = self.client.delete_item(
                TableName=self._table(),
                Key={"pk": {"S": user_pk(owner)}, "sk": {"S": f"sub#{subscription_id}"}},
                ConditionExpression="attribute_exists(sk)",
                ReturnValues="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            self.stats.writes += 1
            return False
        self._count_write(response)
        old = self.dynamodb.deserialize(response.get("Attributes", {}))
        if old.get("targetKey"):
            self._move_count(str(old["targetKey"]), -1)
        return True

    # -- the watcher's side --------------------------------------------------------------------
    @unavailable_on_error
    def registry(self) -> WatchRegistry:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
            ExpressionAttributeValues={":pk": {"S": REGISTRY_PK}, ":t": {"S": TARGET_PREFIX}},
        )
        return WatchRegistry({str(i["sk"])[len(TARGET_PREFIX) :]: int(i.get("n", 0)) for i in items})

    @unavailable_on_error
    def subscribers(self, key: str, *, now: int) -> list[Subscription]:
        items = self._query(
            IndexName=TARGET_INDEX,
            KeyConditionExpression="targetKey = :k",
            ExpressionAttributeValues={":k": {"S": key}},
        )
        return live([subscription_from_item(i) for i in items], now)

    @unavailable_on_error
    def get_snapshot(self) -> Snapshot:
        response = self.client.get_item(
            TableName=self._table(),
            Key={"pk": {"S": REGISTRY_PK}, "sk": {"S": SNAPSHOT_SK}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        raw = response.get("Item")
        self._count_read(response, 1 if raw else 0)
        if not raw:
            return Snapshot()
        item = self.dynamodb.deserialize(raw)
        states = {k: (str(v[0]), str(v[1])) for k, v in dict(item.get("states") or {}).items()}
        return Snapshot(states, int(item.get("version", 0)))

    @unavailable_on_error
    def put_snapshot(self, states: Mapping[str, tuple[str, str]], *, expected_version: int) -> bool:
        item = {
            "pk": REGISTRY_PK,
            "sk": SNAPSHOT_SK,
            "states": {k: list(v) for k, v in states.items()},
            "version": expected_version + 1,
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(sk)"}
            if expected_version == 0
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
        )
        try:
            response = self.client.put_item(
                TableName=self._table(),
                Item=self.dynamodb.serialize(item),
                ReturnConsumedCapacity="TOTAL",
                **condition,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            self.stats.writes += 1
            return False
        self._count_write(response)
        return True

    @unavailable_on_error
    def claim_alert(self, alert_id: str, owner: str, *, expires_at: int) -> bool:
        item = {"pk": f"alert#{alert_id}", "sk": f"to#{owner}", "expiresAt": expires_at}
        return self._put_if_absent(item, "sk") is None

    def _move_count(self, key: str, delta: int) -> None:
        response = self.client.update_item(
            TableName=self._table(),
            Key={"pk": {"S": REGISTRY_PK}, "sk": {"S": TARGET_PREFIX + key}},
            UpdateExpression="ADD n :d",
            ExpressionAttributeValues={":d": {"N": str(delta)}},
            ReturnValues="UPDATED_NEW",
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)
        if int(self.dynamodb.deserialize(response.get("Attributes", {})).get("n", 0)) <= 0:
            # Nobody watches it any more: the watcher stops reading it (a racing subscribe re-adds it).
            with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
                self.client.delete_item(
                    TableName=self._table(),
                    Key={"pk": {"S": REGISTRY_PK}, "sk": {"S": TARGET_PREFIX + key}},
                    ConditionExpression="n <= :zero",
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                )
