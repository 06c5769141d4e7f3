"""History on DynamoDB: one item per message and per conversation, written once, read by bounded Queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from twschat.persistence.dynamodb.base import DynamoDBStore, unavailable_on_error
from twschat.persistence.exceptions import ConversationAlreadyExists, MessageAlreadyExists
from twschat.persistence.history import (
    HISTORY_KEY,
    HistoryStore,
    SummaryVersionConflict,
    conversation_from_item,
    message_from_item,
)

_SORT_KEY = HISTORY_KEY[1]


class DynamoDBHistoryStore(DynamoDBStore, HistoryStore):
    @unavailable_on_error
    def _put_message_item_if_absent(self, item: dict[str, Any]) -> None:
        existing = self._put_if_absent(item, _SORT_KEY)
        if existing is not None:
            raise MessageAlreadyExists(message_from_item(existing) if "role" in existing else None)

    @unavailable_on_error
    def _put_conversation_item_if_absent(self, item: dict[str, Any]) -> None:
        existing = self._put_if_absent(item, _SORT_KEY)
        if existing is not None:
            raise ConversationAlreadyExists(conversation_from_item(existing) if "owner" in existing else None)

    @unavailable_on_error
    def _set_title_if_absent(self, conversation_key: str, conversation_id: str, title: str) -> bool:
        return self._if_condition(
            self.client.update_item,
            Key={"conversationKey": {"S": conversation_key}, "messageKey": {"S": conversation_id}},
            UpdateExpression="SET #title = :title",
            # an existing conversation item (never a new partial one) without a title yet
            ConditionExpression="attribute_exists(#owner) AND attribute_not_exists(#title)",
            ExpressionAttributeNames={"#owner": "owner", "#title": "title"},
            ExpressionAttributeValues={":title": {"S": title}},
        )

    def _if_condition(self, write: Callable[..., Mapping[str, Any]], **params: Any) -> bool:
        """A conditional write on the table: done? (a refused condition is billed as a write too)"""
        try:
            response = write(TableName=self._table(), ReturnConsumedCapacity="TOTAL", **params)
        except self.client.exceptions.ConditionalCheckFailedException:
            self.stats.writes += 1
            return False
        self._count_write(response)
        return True

    def _put_summary_item_if_version(self, item: dict[str, Any], expected_version: int) -> None:
        # Not under unavailable_on_error as a whole: a refused condition is a conflict, not an outage.
        if self._put_summary(item, expected_version):
            return
        raise SummaryVersionConflict(expected_version)

    @unavailable_on_error
    def _put_summary(self, item: dict[str, Any], expected_version: int) -> bool:
        if expected_version == 0:
            condition = f"attribute_not_exists({_SORT_KEY})"
            values: dict[str, Any] = {}
        else:
            condition = "version = :expected"
            values = {"ExpressionAttributeValues": {":expected": {"N": str(expected_version)}}}
        return self._if_condition(
            self.client.put_item, Item=self.dynamodb.serialize(item), ConditionExpression=condition, **values
        )

    @unavailable_on_error
    def _get_history_item(self, conversation_key: str, message_key: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self._table(),
            Key={"conversationKey": {"S": conversation_key}, "messageKey": {"S": message_key}},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        item = response.get("Item")
        self._count_read(response, 1 if item else 0)
        return self.dynamodb.deserialize(item) if item else None

    @unavailable_on_error
    def _query_history(self, conversation_key: str, limit: int, before: str | None) -> list[dict[str, Any]]:
        # Newest first with Limit: the read is bounded by the window, not the conversation's length.
        condition = "conversationKey = :ck"
        values: dict[str, Any] = {":ck": {"S": conversation_key}}
        if before is not None:
            condition += " AND messageKey < :before"
            values[":before"] = {"S": before}
        return self._query(
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
