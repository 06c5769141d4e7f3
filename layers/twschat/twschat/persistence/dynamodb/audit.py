"""The audit trail on DynamoDB: day partitions, a conditional put per record, one update per outcome."""

from __future__ import annotations

from typing import Any

from twschat.core.audit import AuditRecord
from twschat.persistence.audit import AUDIT_KEY, AuditStore
from twschat.persistence.dynamodb.base import DynamoDBStore, unavailable_on_error
from twschat.persistence.exceptions import AuditRecordAlreadyExists


class DynamoDBAuditStore(DynamoDBStore, AuditStore):
    def _table(self) -> str:
        if not self.table_name:
            raise RuntimeError("AUDIT_TABLE is not configured: refusing to act without an audit trail")
        return self.table_name

    @unavailable_on_error
    def _audit_begin(self, item: dict[str, Any]) -> None:
        existing = self._put_if_absent(item, AUDIT_KEY[1])
        if existing is not None:
            raise AuditRecordAlreadyExists(AuditRecord.from_dict(existing) if existing else None)

    @unavailable_on_error
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
                TableName=self._table(),
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

    @unavailable_on_error
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        # Limit bounds what is read (before the filter): the newest audit_scan_limit records of the day.
        return self._query(
            KeyConditionExpression="auditDay = :day",
            FilterExpression="job_name = :job",
            ExpressionAttributeValues={":day": {"S": day}, ":job": {"S": job_name}},
            ScanIndexForward=False,
            Limit=self.audit_scan_limit,
        )

    @unavailable_on_error
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="auditDay = :day",
            ExpressionAttributeValues={":day": {"S": day}},
            Limit=limit,
        )
