"""The DynamoDB adapter: two tables, one item per message, conditional writes, bounded Queries.

boto3 is imported lazily and the session/config/client are injectable, as in Powertools'
idempotency DynamoDB layer, so tests hand in a moto- or Stubber-backed client and cold starts of
functions that never touch a table do not pay for the client.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from twschat.core.conversation import ConnectionRecord, StaleConnection, StaleReason
from twschat.core.exceptions import StorageUnavailable
from twschat.persistence.base import (
    AGE_INDEX,
    IDLE_INDEX,
    OWNER_INDEX,
    SWEEP_KEY,
    ChatStore,
    MessageAlreadyExists,
)

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient


logger = logging.getLogger("twschat.store")

_RECREATE_LOCK = threading.Lock()
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _unavailable_on_error(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """boto3 errors left after its retries -> StorageUnavailable (one vocabulary for the service).

    A missing table (DynamoDB Local restarted in memory under ``twschat serve``) is recreated once
    and the call retried, when the store was built with ``create_missing_tables``.
    """

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from botocore.exceptions import BotoCoreError, ClientError

        store = args[0]
        assert isinstance(store, DynamoDBChatStore)
        operation = method.__name__.lstrip("_")
        for attempt in (1, 2):
            try:
                return method(*args, **kwargs)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ResourceNotFoundException" and attempt == 1 and store.create_missing_tables:
                    logger.warning("table missing during %s: creating the tables again", operation)
                    store.recreate_tables()
                    continue
                raise StorageUnavailable(operation, code or "ClientError") from exc
            except BotoCoreError as exc:
                raise StorageUnavailable(operation, type(exc).__name__) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


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
        create_missing_tables: bool = False,
    ) -> None:
        super().__init__()
        self.connections_table = connections_table
        self.history_table = history_table
        self.audit_table = audit_table
        self.create_missing_tables = create_missing_tables
        """Local development only (DynamoDB Local in memory): recreate tables that vanished."""
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

            from twschat.adapters.aws import client_config

            session = self._session or boto3.session.Session()
            # The retry budget every client shares (adapters/aws.py): a store outage ends in a
            # StorageUnavailable well within the function's timeout.
            config = self._config or client_config()
            self._client = session.client("dynamodb", config=config, endpoint_url=self._endpoint_url)
        return self._client

    def recreate_tables(self) -> None:
        with _RECREATE_LOCK:  # concurrent turns that all found the table missing create it once
            ensure_tables(
                connections_table=self.connections_table,
                history_table=self.history_table,
                audit_table=self.audit_table,
                client=self.client,
            )

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
    @_unavailable_on_error
    def save_connection(self, record: ConnectionRecord) -> None:
        response = self.client.put_item(
            TableName=self.connections_table,
            Item=self._serialize(self.connection_to_item(record)),
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    @_unavailable_on_error
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
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
        return record if record.expires_at > now else None

    @_unavailable_on_error
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        # The owner index holds a handful of items per user (the cap): the Query stays small.
        response = self.client.query(
            TableName=self.connections_table,
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

    @_unavailable_on_error
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
            # move the rate window on if the minute changed (the rule is the base's, for both stores).
            rate = self.next_rate_window(self._deserialize(old), window)  # type: ignore[arg-type]
            try:
                response = self.client.update_item(
                    TableName=self.connections_table,
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
        return self.connection_from_item(self._deserialize(response["Attributes"]))

    @_unavailable_on_error
    def delete_connection(self, connection_id: str) -> None:
        response = self.client.delete_item(
            TableName=self.connections_table,
            Key={"connectionId": {"S": connection_id}},
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    @_unavailable_on_error
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
    @_unavailable_on_error
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

    @_unavailable_on_error
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

    @_unavailable_on_error
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
    def _audit_table_name(self) -> str:
        if not self.audit_table:
            raise RuntimeError("AUDIT_TABLE is not configured: refusing to act without an audit trail")
        return self.audit_table

    @_unavailable_on_error
    def _put_audit(self, item: dict[str, Any]) -> None:
        response = self.client.put_item(
            TableName=self._audit_table_name(),
            Item=self._serialize(item),
            ConditionExpression="attribute_not_exists(auditKey)",
            ReturnConsumedCapacity="TOTAL",
        )
        self._count_write(response)

    @_unavailable_on_error
    def _audit_begin(self, item: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self.client.put_item(
                TableName=self._audit_table_name(),
                Item=self._serialize(item),
                ConditionExpression="attribute_not_exists(auditKey)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            self.stats.writes += 1
            old: Mapping[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            # DynamoDB returns the stored item (ALL_OLD); should it not, the key alone proves the
            # action was requested before: report it as requested (outcome unknown), never run it again.
            return self._deserialize(old) if old else {**item, "result": "requested"}
        self._count_write(response)
        return None

    @_unavailable_on_error
    def _audit_finish(self, day: str, key: str, result: str, detail: str) -> bool:
        values: dict[str, Any] = {":r": {"S": result}}
        update = "SET #result = :r"
        if detail:
            update += ", #detail = :d"
            values[":d"] = {"S": detail}
        else:
            update += " REMOVE #detail"
        try:
            response = self.client.update_item(
                TableName=self._audit_table_name(),
                Key={"auditDay": {"S": day}, "auditKey": {"S": key}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(auditKey)",
                ExpressionAttributeNames={"#result": "result", "#detail": "detail"},
                ExpressionAttributeValues=values,
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            self.stats.writes += 1
            return False
        self._count_write(response)
        return True

    @_unavailable_on_error
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        # Limit bounds what is read (before the filter): the newest audit_scan_limit records of the day.
        response = self.client.query(
            TableName=self._audit_table_name(),
            KeyConditionExpression="auditDay = :day",
            FilterExpression="job_name = :job",
            ExpressionAttributeValues={":day": {"S": day}, ":job": {"S": job_name}},
            ScanIndexForward=False,
            Limit=self.audit_scan_limit,
            ReturnConsumedCapacity="TOTAL",
        )
        items = response.get("Items", [])
        self.stats.queries += 1
        self._count_read(response, len(items))
        return [self._deserialize(i) for i in items]

    @_unavailable_on_error
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self._audit_table_name(),
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
                {"AttributeName": "owner", "AttributeType": "S"},
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
            ]
            + [
                {
                    "IndexName": OWNER_INDEX,
                    "KeySchema": [
                        {"AttributeName": "owner", "KeyType": "HASH"},
                        {"AttributeName": "connectedAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
        },
        _string_keyed_table(history_table, "conversationKey", "messageKey"),
    ]
    if audit_table:
        specs.append(_string_keyed_table(audit_table, "auditDay", "auditKey"))
    for spec in specs:
        if spec["TableName"] in existing:
            continue
        # Another thread or process may be creating it (ResourceInUse): wait for it below.
        with contextlib.suppress(client.exceptions.ResourceInUseException):
            client.create_table(BillingMode="PAY_PER_REQUEST", **spec)
        client.get_waiter("table_exists").wait(
            TableName=spec["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
