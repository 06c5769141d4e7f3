"""What the DynamoDB stores share: the deployment's tables, the one client, the error mapping,
the item conversion, the accounting of consumed capacity and the conditional put.

boto3 is imported lazily and the session/config/client are injectable, as in Powertools'
idempotency DynamoDB layer, so tests hand in a moto- or Stubber-backed client and cold starts of
functions that never touch a table do not pay for the client.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from twschat.core.exceptions import StorageUnavailable
from twschat.persistence.accounting import AccountedStore, TurnAccounting
from twschat.persistence.tables import ensure_tables

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient


logger = logging.getLogger("twschat.store")

_RECREATE_LOCK = threading.Lock()
_P = ParamSpec("_P")
_R = TypeVar("_R")


class DynamoDBTables:
    """The deployment's tables and the one client every store of the deployment reaches them with."""

    def __init__(
        self,
        connections_table: str,
        history_table: str,
        *,
        audit_table: str = "",
        alerts_table: str = "",
        boto3_session: boto3.session.Session | None = None,
        boto_config: Config | None = None,
        client: DynamoDBClient | None = None,
        endpoint_url: str | None = None,
        create_missing_tables: bool = False,
    ) -> None:
        self.connections_table = connections_table
        self.history_table = history_table
        self.audit_table = audit_table
        self.alerts_table = alerts_table
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
                alerts_table=self.alerts_table,
                client=self.client,
            )

    def serialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._serializer.serialize(_to_dynamo(v)) for k, v in item.items()}

    def deserialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _from_dynamo(self._deserializer.deserialize(v)) for k, v in item.items()}


def unavailable_on_error(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """boto3 errors left after its retries -> StorageUnavailable (one vocabulary for the service).

    A missing table (DynamoDB Local restarted in memory under ``twschat serve``) is recreated once
    and the call retried, when the tables were built with ``create_missing_tables``.
    """

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from botocore.exceptions import BotoCoreError, ClientError

        store = args[0]
        assert isinstance(store, DynamoDBStore)
        operation = method.__name__.lstrip("_")
        for attempt in (1, 2):
            try:
                return method(*args, **kwargs)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if (
                    code == "ResourceNotFoundException"
                    and attempt == 1
                    and store.dynamodb.create_missing_tables
                ):
                    logger.warning("table missing during %s: creating the tables again", operation)
                    store.dynamodb.recreate_tables()
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


class DynamoDBStore(AccountedStore):
    """One store kind on one table of ``dynamodb``: the helpers its adapter methods share."""

    def __init__(
        self, dynamodb: DynamoDBTables, table_name: str, accounting: TurnAccounting | None = None
    ) -> None:
        super().__init__(accounting)
        self.dynamodb = dynamodb
        self.table_name = table_name

    @property
    def client(self) -> DynamoDBClient:
        return self.dynamodb.client

    def _table(self) -> str:
        """The table this store's calls name."""
        return self.table_name

    def _count_read(self, response: Mapping[str, Any], items: int) -> None:
        self.stats.items_read += items
        self.stats.read_capacity += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))

    def _count_write(self, response: Mapping[str, Any]) -> None:
        self.stats.writes += 1
        self.stats.write_capacity += float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))

    def _put_if_absent(self, item: Mapping[str, Any], sort_key: str) -> dict[str, Any] | None:
        """The conditional put every "written once" rule rests on: ``None`` when written, else the
        stored item (``{}`` should DynamoDB not return it). A refused put is billed as a write too."""
        try:
            response = self.client.put_item(
                TableName=self._table(),
                Item=self.dynamodb.serialize(item),
                ConditionExpression=f"attribute_not_exists({sort_key})",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            self.stats.writes += 1
            old: Mapping[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            return self.dynamodb.deserialize(old) if old else {}
        self._count_write(response)
        return None

    def _query(self, **params: Any) -> list[dict[str, Any]]:
        """One bounded Query of this store's table, counted; its items deserialized."""
        response = self.client.query(TableName=self._table(), ReturnConsumedCapacity="TOTAL", **params)
        items = response.get("Items", [])
        self.stats.queries += 1
        self._count_read(response, len(items))
        return [self.dynamodb.deserialize(i) for i in items]
