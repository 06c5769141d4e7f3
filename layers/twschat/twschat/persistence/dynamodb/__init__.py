"""The DynamoDB adapters: one table per kind of data, one injectable client for all three stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twschat.persistence.accounting import TurnAccounting
from twschat.persistence.dynamodb.audit import DynamoDBAuditStore
from twschat.persistence.dynamodb.base import DynamoDBStore, DynamoDBTables
from twschat.persistence.dynamodb.connections import DynamoDBConnectionStore
from twschat.persistence.dynamodb.history import DynamoDBHistoryStore
from twschat.persistence.stores import Stores

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "DynamoDBAuditStore",
    "DynamoDBConnectionStore",
    "DynamoDBHistoryStore",
    "DynamoDBStore",
    "DynamoDBTables",
    "dynamodb_stores",
]


def dynamodb_stores(
    connections_table: str,
    history_table: str,
    *,
    audit_table: str = "",
    boto3_session: boto3.session.Session | None = None,
    boto_config: Config | None = None,
    client: DynamoDBClient | None = None,
    endpoint_url: str | None = None,
    create_missing_tables: bool = False,
) -> Stores:
    """The three stores on the deployment's tables, sharing one client (built on first use) and one
    turn accounting."""
    tables = DynamoDBTables(
        connections_table,
        history_table,
        audit_table=audit_table,
        boto3_session=boto3_session,
        boto_config=boto_config,
        client=client,
        endpoint_url=endpoint_url,
        create_missing_tables=create_missing_tables,
    )
    accounting = TurnAccounting()
    return Stores(
        connections=DynamoDBConnectionStore(tables, connections_table, accounting),
        history=DynamoDBHistoryStore(tables, history_table, accounting),
        audit=DynamoDBAuditStore(tables, audit_table, accounting),
    )
