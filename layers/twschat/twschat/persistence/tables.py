"""The DynamoDB tables as template.yaml declares them, and ``ensure_tables`` to create missing ones
(DynamoDB Local, moto, the local gateway's ``create_missing_tables``)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from twschat.persistence.alerts import ALERTS_KEY, TARGET_INDEX
from twschat.persistence.audit import AUDIT_KEY
from twschat.persistence.connections import AGE_INDEX, IDLE_INDEX, OWNER_INDEX
from twschat.persistence.history import HISTORY_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _string_keyed_table(name: str, key: tuple[str, str]) -> dict[str, Any]:
    partition, sort = key
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


def connections_table_spec(name: str) -> dict[str, Any]:
    return {
        "TableName": name,
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
    }


def history_table_spec(name: str) -> dict[str, Any]:
    return _string_keyed_table(name, HISTORY_KEY)


def audit_table_spec(name: str) -> dict[str, Any]:
    return _string_keyed_table(name, AUDIT_KEY)


def alerts_table_spec(name: str) -> dict[str, Any]:
    """Subscriptions, the watch registry, the snapshot and the delivery claims (persistence/alerts.py);
    the sparse ``byTarget`` index holds the subscriptions only (the items with a ``targetKey``)."""
    spec = _string_keyed_table(name, ALERTS_KEY)
    spec["AttributeDefinitions"].append({"AttributeName": "targetKey", "AttributeType": "S"})
    spec["GlobalSecondaryIndexes"] = [
        {
            "IndexName": TARGET_INDEX,
            "KeySchema": [
                {"AttributeName": "targetKey", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    return spec


def ensure_tables(
    *,
    connections_table: str,
    history_table: str,
    audit_table: str = "",
    alerts_table: str = "",
    endpoint_url: str | None = None,
    region: str | None = None,
    client: DynamoDBClient | None = None,
) -> None:
    """Create the tables as template.yaml declares them, if missing (DynamoDB Local, tests)."""
    if client is None:
        import boto3

        client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    existing = set(client.list_tables().get("TableNames", []))
    specs = [connections_table_spec(connections_table), history_table_spec(history_table)]
    if audit_table:
        specs.append(audit_table_spec(audit_table))
    if alerts_table:
        specs.append(alerts_table_spec(alerts_table))
    for spec in specs:
        if spec["TableName"] in existing:
            continue
        # Another thread or process may be creating it (ResourceInUse): wait for it below.
        with contextlib.suppress(client.exceptions.ResourceInUseException):
            client.create_table(BillingMode="PAY_PER_REQUEST", **spec)
        client.get_waiter("table_exists").wait(
            TableName=spec["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
