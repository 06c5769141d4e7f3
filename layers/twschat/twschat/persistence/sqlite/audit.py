"""The audit trail in SQLite: rows keyed (auditDay, auditKey), as the DynamoDB table."""

from __future__ import annotations

import json
from typing import Any

from twschat.core.audit import AuditRecord
from twschat.persistence.audit import AuditStore
from twschat.persistence.exceptions import AuditRecordAlreadyExists
from twschat.persistence.sqlite.base import SQLiteStore, unavailable_on_error


class SQLiteAuditStore(SQLiteStore, AuditStore):
    @unavailable_on_error
    def _audit_begin(self, item: dict[str, Any]) -> None:
        key = (str(item["auditDay"]), str(item["auditKey"]))
        existing = self._insert_if_absent("audit", ("audit_day", "audit_key"), key, item)
        if existing is not None:
            raise AuditRecordAlreadyExists(AuditRecord.from_dict(existing))

    @unavailable_on_error
    def _audit_finish(self, day: str, key: str, result: str, detail: str) -> bool:
        with self.db.locked() as db:
            row = db.execute(
                "SELECT item FROM audit WHERE audit_day = ? AND audit_key = ?", (day, key)
            ).fetchone()
            if row is None:
                return False
            item = json.loads(row[0])
            item["result"] = result
            if detail:
                item["detail"] = detail
            else:
                item.pop("detail", None)
            db.execute(
                "UPDATE audit SET item = ? WHERE audit_day = ? AND audit_key = ?",
                (json.dumps(item, ensure_ascii=False), day, key),
            )
        self.stats.writes += 1
        return True

    @unavailable_on_error
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        # As DynamoDB's Limit + FilterExpression: the newest audit_scan_limit of the day, then the job.
        return self._query(
            "SELECT item FROM (SELECT item FROM audit WHERE audit_day = ? ORDER BY audit_key DESC "
            "LIMIT ?) WHERE json_extract(item, '$.job_name') = ?",
            (day, self.audit_scan_limit, job_name),
        )

    @unavailable_on_error
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        return self._query(
            "SELECT item FROM audit WHERE audit_day = ? ORDER BY audit_key LIMIT ?", (day, limit)
        )
