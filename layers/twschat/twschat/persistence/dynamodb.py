"""The DynamoDB adapter: two tables, one item per message, conditional writes, bounded Queries.

boto3 is imported lazily and the session/config/client are injectable, as in Powertools'
idempotency DynamoDB layer, so tests hand in a moto- or Stubber-backed client and cold starts of
functions that never touch a table do not pay for the client.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from twschat.core.conversation import ConnectionRecord, StaleConnection, StaleReason
from twschat.persistence.base import AGE_INDEX, IDLE_INDEX, SWEEP_KEY, ChatStore, MessageAlreadyExists

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient


def _to_dynamo(value: Any) -> Any:
    """Python values -> what TypeSerializer accepts (floats become Decimals)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    """Decimals back to int/float, so records look the same whichever backend produced them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


class DynamoDBChatStore(ChatStore):
    def __init__(
        self,
        connections_table: str,
        history_table: str,
        *,
        audit_table: str = "",
        boto3_session: boto3.session.Session | None = None,
        boto_config: Config | None = None,
        client: DynamoDBClient | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        super().__init__()
        self.connections_table = connections_table
        self.history_table = history_table
        self.audit_table = audit_table
        self._session = boto3_session
        self._config = boto_config
        self._endpoint_url = endpoint_url
        self._client = client
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            import boto3
            from botocore.config import Config

            session = self._session or boto3.session.Session()
            config = self._config or Config(
                retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
            )
            self._client = session.client("dynamodb", config=config, endpoint_url=self._endpoint_url)
        return self._client

    # -- item conversion ---------------------------------------------------------------------
    def _serialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._serializer.serialize(_to_dynamo(v)) for k, v in item.items()}

    def _deserialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _from_dynamo(self._deserializer.deserialize(v)) for k, v in item.items()}

    def _count_read(self, response: Mapping[str, Any], items: int) -> None:
        self.stats.items_read += items
        self.stats.read_capacity += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))

    def _count_write(self, response: Mapping[str, Any]) -> None:
        self.stats.writes += 1
        self.stats.write_capacity += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))

    # -- connections -------------------------------------------------------------------------
    def save_connection(self, record: ConnectionRecord) -> None:
        response = self.client.put_item(
            TableName=self.connections_table,
            Item=self._serialize(self.connection_to_item(record)),
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    def get_connection(self, connection_id: str) -> ConnectionRecord | None:
        response = self.client.get_item(
            TableName=self.connections_table,
            Key={"connectionId": {"S": connection_id}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        item = response.get("Item")
        self._count_read(response, 1 if item else 0)
        if not item:
            return None
        record = self.connection_from_item(self._deserialize(item))
        # TTL deletion lags by hours; an expired record is as good as gone.
        return record if record.expires_at > time.time() else None

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
                TableName=self.connections_table,
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
            # start the rate window over if the minute changed.
            same_window = self._deserialize(old).get("rateWindow") == window  # type: ignore[arg-type]
            update = (
                "SET lastSeenAt = :now, expiresAt = :exp ADD rateCount :one"
                if same_window
                else "SET lastSeenAt = :now, expiresAt = :exp, rateWindow = :w, rateCount = :one"
            )
            try:
                response = self.client.update_item(
                    TableName=self.connections_table,
                    Key=key,
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(connectionId)",
                    ExpressionAttributeValues={
                        ":now": {"N": str(now)},
                        ":exp": values[":exp"],
                        ":one": values[":one"],
                        **({} if same_window else {":w": values[":w"]}),
                    },
                    ReturnValues="ALL_NEW",
                    ReturnConsumedCapacity="TOTAL",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                return None
        self._count_write(response)
        return self.connection_from_item(self._deserialize(response["Attributes"]))

    def delete_connection(self, connection_id: str) -> None:
        response = self.client.delete_item(
            TableName=self.connections_table,
            Key={"connectionId": {"S": connection_id}},
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    def stale_connections(
        self, *, idle_before: int, connected_before: int, limit: int
    ) -> list[StaleConnection]:
        found: dict[str, StaleConnection] = {}
        conditions: tuple[tuple[StaleReason, str, str, int], ...] = (
            ("max_duration", AGE_INDEX, "connectedAt", connected_before),
            ("idle", IDLE_INDEX, "lastSeenAt", idle_before),
        )
        for reason, index, attribute, cutoff in conditions:
            response = self.client.query(
                TableName=self.connections_table,
                IndexName=index,
                KeyConditionExpression=f"sweepKey = :k AND {attribute} < :cutoff",
                ExpressionAttributeValues={":k": {"S": SWEEP_KEY}, ":cutoff": {"N": str(cutoff)}},
                Limit=limit,
                ReturnConsumedCapacity="TOTAL",
            )
            self._count_read(response, len(response.get("Items", [])))
            for raw in response.get("Items", []):
                item = self._deserialize(raw)
                found.setdefault(
                    str(item["connectionId"]),
                    StaleConnection(str(item["connectionId"]), str(item.get("conversationId", "")), reason),
                )
        return list(found.values())[:limit]

    # -- history -----------------------------------------------------------------------------
    def _put_history_item_if_absent(self, item: dict[str, Any]) -> None:
        try:
            response = self.client.put_item(
                TableName=self.history_table,
                Item=self._serialize(item),
                ConditionExpression="attribute_not_exists(messageKey)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            old: Mapping[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            existing = self._deserialize(old) if old else None
            raise MessageAlreadyExists(
                self.message_from_item(existing) if existing and "role" in existing else None
            ) from exc
        self._count_write(response)

    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.history_table,
            Key={"conversationKey": {"S": conversation_key}, "messageKey": {"S": message_key}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        item = response.get("Item")
        self._count_read(response, 1 if item else 0)
        return self._deserialize(item) if item else None

    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        # Newest first with Limit: the read is bounded by the window, not the conversation's length.
        condition = "conversationKey = :ck"
        values: dict[str, Any] = {":ck": {"S": conversation_key}}
        if before is not None:
            condition += " AND messageKey < :before"
            values[":before"] = {"S": before}
        response = self.client.query(
            TableName=self.history_table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        items = response.get("Items", [])
        self.stats.queries += 1
        self._count_read(response, len(items))
        return [self._deserialize(i) for i in items]

    # -- audit trail ---------------------------------------------------------------------------
    def _put_audit(self, item: dict[str, Any]) -> None:
        if not self.audit_table:
            raise RuntimeError("AUDIT_TABLE is not configured: refusing to act without an audit trail")
        response = self.client.put_item(
            TableName=self.audit_table,
            Item=self._serialize(item),
            ConditionExpression="attribute_not_exists(auditKey)",
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.audit_table,
            KeyConditionExpression="auditDay = :day",
            ExpressionAttributeValues={":day": {"S": day}},
            Limit=limit,
        )
        return [self._deserialize(i) for i in response.get("Items", [])]


def _string_keyed_table(name: str, partition: str, sort: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": sort, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": partition, "AttributeType": "S"},
            {"AttributeName": sort, "AttributeType": "S"},
        ],
    }


def ensure_tables(
    *,
    connections_table: str,
    history_table: str,
    audit_table: str = "",
    endpoint_url: str | None = None,
    region: str | None = None,
    client: DynamoDBClient | None = None,
) -> None:
    """Create the two tables as template.yaml declares them, if missing (DynamoDB Local, tests)."""
    if client is None:
        import boto3

        client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    existing = set(client.list_tables().get("TableNames", []))
    specs: list[dict[str, Any]] = [
        {
            "TableName": connections_table,
            "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "connectionId", "AttributeType": "S"},
                {"AttributeName": "sweepKey", "AttributeType": "S"},
                {"AttributeName": "lastSeenAt", "AttributeType": "N"},
                {"AttributeName": "connectedAt", "AttributeType": "N"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": "sweepKey", "KeyType": "HASH"},
                        {"AttributeName": attribute, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["conversationId"]},
                }
                for index, attribute in ((IDLE_INDEX, "lastSeenAt"), (AGE_INDEX, "connectedAt"))
            ],
        },
        _string_keyed_table(history_table, "conversationKey", "messageKey"),
    ]
    if audit_table:
        specs.append(_string_keyed_table(audit_table, "auditDay", "auditKey"))
    for spec in specs:
        if spec["TableName"] in existing:
            continue
        client.create_table(BillingMode="PAY_PER_REQUEST", **spec)
        client.get_waiter("table_exists").wait(
            TableName=spec["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
