"""The DynamoDB adapters: one table per kind of data, one injectable client for all three stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

from twschat.persistence.accounting import TurnAccounting
from twschat.persistence.dynamodb.audit import DynamoDBAuditStore
from twschat.persistence.dynamodb.base import DynamoDBStore, DynamoDBTables
from twschat.persistence.dynamodb.connections import DynamoDBConnectionStore
from twschat.persistence.dynamodb.history import DynamoDBHistoryStore
from twschat.persistence.stores import Stores

__all__ = [
    "DynamoDBAuditStore",
    "DynamoDBConnectionStore",
    "DynamoDBHistoryStore",
    "DynamoDBStore",
    "DynamoDBTables",
    "dynamodb_stores",
]

_P = ParamSpec("_P")


def _stores_on(tables_of: Callable[_P, DynamoDBTables]) -> Callable[_P, Stores]:
    def build(*args: _P.args, **kwargs: _P.kwargs) -> Stores:
        """The three stores on the deployment's tables (``DynamoDBTables``' arguments), sharing one
        client (built on first use) and one turn accounting."""
        tables = tables_of(*args, **kwargs)
        accounting = TurnAccounting()
        return Stores(
            connections=DynamoDBConnectionStore(tables, tables.connections_table, accounting),
            history=DynamoDBHistoryStore(tables, tables.history_table, accounting),
            audit=DynamoDBAuditStore(tables, tables.audit_table, accounting),
        )

    return build


dynamodb_stores = _stores_on(DynamoDBTables)
