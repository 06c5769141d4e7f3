"""Connections on DynamoDB: one item per connection, conditional updates, three sparse indexes."""

from __future__ import annotations

from typing import Any

from twschat.core.conversation import ConnectionRecord
from twschat.persistence.connections import (
    AGE_INDEX,
    IDLE_INDEX,
    OWNER_INDEX,
    SWEEP_KEY,
    ConnectionStore,
    connection_from_item,
    connection_to_item,
)
from twschat.persistence.dynamodb.base import DynamoDBStore, unavailable_on_error

_INDEX_BY_ATTRIBUTE = {"connectedAt": AGE_INDEX, "lastSeenAt": IDLE_INDEX}


class DynamoDBConnectionStore(DynamoDBStore, ConnectionStore):
    @unavailable_on_error
    def save_connection(self, record: ConnectionRecord) -> None:
        response = self.client.put_item(
            TableName=self._table(),
            Item=self.dynamodb.serialize(connection_to_item(record)),
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    @unavailable_on_error
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
        response = self.client.get_item(
            TableName=self._table(),
            Key={"connectionId": {"S": connection_id}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        item = response.get("Item")
        self._count_read(response, 1 if item else 0)
        if not item:
            return None
        record = connection_from_item(self.dynamodb.deserialize(item))
        # TTL deletion lags by hours; an expired record is as good as gone.
        return record if record.expires_at > now else None

    @unavailable_on_error
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        # The owner index holds a handful of items per user (the cap): the Query stays small.
        response = self.client.query(
            TableName=self._table(),
            IndexName=OWNER_INDEX,
            KeyConditionExpression="#owner = :owner AND connectedAt > :after",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}, ":after": {"N": str(connected_after)}},
            Select="COUNT",
            ReturnConsumedCapacity="TOTAL",
        )
        self.stats.queries += 1
        self._count_read(response, int(response.get("ScannedCount", 0)))
        return int(response.get("Count", 0))

    @unavailable_on_error
    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        window = now // 60
        key = {"connectionId": {"S": connection_id}}
        values = {
            ":exp": {"N": str(expires_at)},
            ":w": {"N": str(window)},
            ":one": {"N": "1"},
            ":recent": {"N": str(now - activity_resolution)},
        }
        try:
            # The common case, one write: same minute, activity recorded recently: count one more
            # message. lastSeenAt is the idle index's sort key; moving it on every turn would cost two
            # index writes per turn for a precision the sweeper does not need.
            response = self.client.update_item(
                TableName=self._table(),
                Key=key,
                UpdateExpression="SET expiresAt = :exp ADD rateCount :one",
                ConditionExpression="attribute_exists(connectionId) AND rateWindow = :w AND lastSeenAt > :recent",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            self.stats.writes += 1
            old = exc.response.get("Item")
            if not old:
                return None  # no such connection
            # A new minute or stale activity (at most once per resolution): record activity now, and
            # move the rate window on if the minute changed (the rule is the base's, for both stores).
            rate = self.next_rate_window(self.dynamodb.deserialize(old), window)  # type: ignore[arg-type]
            try:
                response = self.client.update_item(
                    TableName=self._table(),
                    Key=key,
                    UpdateExpression=(
                        "SET lastSeenAt = :now, expiresAt = :exp, rateWindow = :w, "
                        "rateCount = :count, ratePrevCount = :prev"
                    ),
                    ConditionExpression="attribute_exists(connectionId)",
                    ExpressionAttributeValues={
                        ":now": {"N": str(now)},
                        ":exp": values[":exp"],
                        ":w": values[":w"],
                        ":count": {"N": str(rate["rateCount"])},
                        ":prev": {"N": str(rate["ratePrevCount"])},
                    },
                    ReturnValues="ALL_NEW",
                    ReturnConsumedCapacity="TOTAL",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                return None
        self._count_write(response)
        return connection_from_item(self.dynamodb.deserialize(response["Attributes"]))

    @unavailable_on_error
    def delete_connection(self, connection_id: str) -> None:
        response = self.client.delete_item(
            TableName=self._table(),
            Key={"connectionId": {"S": connection_id}},
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    @unavailable_on_error
    def _stale_connections_by(self, attribute: str, cutoff: int, limit: int) -> list[dict[str, Any]]:
        return self._query(
            IndexName=_INDEX_BY_ATTRIBUTE[attribute],
            KeyConditionExpression=f"sweepKey = :k AND {attribute} < :cutoff",
            ExpressionAttributeValues={":k": {"S": SWEEP_KEY}, ":cutoff": {"N": str(cutoff)}},
            Limit=limit,
        )

    @unavailable_on_error
    def open_connections(
        self, *, now: int, connected_after: int, owner: str | None = None
    ) -> list[ConnectionRecord]:
        if owner is not None:
            ids = [
                i["connectionId"]
                for i in self._query(
                    IndexName=OWNER_INDEX,
                    KeyConditionExpression="#owner = :owner AND connectedAt > :after",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={":owner": {"S": owner}, ":after": {"N": str(connected_after)}},
                )
            ]
            items = self._get_many([str(i) for i in ids])
        else:
            items = self._scan_all()
        records = [connection_from_item(i) for i in items]
        return sorted(
            (r for r in records if r.expires_at > now and r.connected_at > connected_after),
            key=lambda r: r.connection_id,
        )

    def _get_many(self, ids: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):  # BatchGetItem's limit
            keys = [{"connectionId": {"S": i}} for i in ids[start : start + 100]]
            request: dict[str, Any] = {self._table(): {"Keys": keys}}
            while request:
                response = self.client.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
                found = response.get("Responses", {}).get(self._table(), [])
                self.stats.items_read += len(found)
                out += [self.dynamodb.deserialize(i) for i in found]
                request = dict(response.get("UnprocessedKeys") or {})
        return out

    def _scan_all(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TableName": self._table(), "ReturnConsumedCapacity": "TOTAL"}
        for _ in range(50):  # bounded: 50 pages of 1 MB are far more open connections than a team has
            response = self.client.scan(**params)
            self.stats.queries += 1
            self._count_read(response, len(response.get("Items", [])))
            out += [self.dynamodb.deserialize(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return out
