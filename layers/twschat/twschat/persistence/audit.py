"""The audit store: every action attempt, partitioned by UTC day and sorted by time.

An append (a refusal) gets a random key; an executed action's record is keyed by its pending
action — the day and time it was proposed and its id — so the conditional write in ``begin_audit``
is the at-most-once guard for that action and ``finish_audit`` finds the same item again without a
read. The base states those rules and the item layout; each adapter implements the primitives.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Any

from twschat.core.audit import RESULT_REQUESTED, AuditRecord
from twschat.persistence.accounting import AccountedStore
from twschat.persistence.exceptions import AuditRecordAlreadyExists

AUDIT_KEY = ("auditDay", "auditKey")
"""The audit table's (partition, sort) key attributes."""


class AuditStore(AccountedStore, ABC):
    audit_scan_limit = 200
    """Records read per day partition by ``audit_for_job``: the read stays bounded on a busy day."""

    def add_audit(self, record: AuditRecord) -> None:
        """Append one record to the audit trail."""
        self._audit_begin(audit_item(record, record.at[:10], f"{record.at}#{uuid.uuid4().hex}"))

    def begin_audit(self, record: AuditRecord) -> AuditRecord | None:
        """Write ``record`` (result ``requested``) unless its action already has a record.

        ``None`` when written; the stored record when the action id was already requested. Raises
        ``StorageUnavailable`` when the store cannot tell: the caller must not run the action then.
        """
        if not (record.action_id and record.proposed_at):
            raise ValueError("begin_audit needs the pending action's id and proposal time")
        try:
            self._audit_begin(audit_item(record, record.proposed_at[:10], _action_key(record)))
        except AuditRecordAlreadyExists as exc:
            # Should the backend not return the stored record, the key alone proves the action was
            # requested before: report it as requested (outcome unknown), never run it again.
            return exc.existing or replace(record, result=RESULT_REQUESTED)
        return None

    def finish_audit(self, record: AuditRecord) -> None:
        """Set result and detail of the record ``begin_audit`` wrote for ``record.action_id``."""
        day, key = record.proposed_at[:10], _action_key(record)
        if self._audit_finish(day, key, record.result, record.detail):
            return
        # The requested record is gone (deleted by hand?): keep the outcome all the same.
        try:
            self._audit_begin(audit_item(record, day, key))
        except AuditRecordAlreadyExists:  # written again meanwhile: set the outcome on that one
            self._audit_finish(day, key, record.result, record.detail)

    def audit_for_job(self, job_name: str, days: list[str], limit: int = 20) -> list[AuditRecord]:
        """Records about ``job_name`` in the ``days`` partitions (``YYYY-MM-DD``), newest first, at
        most ``limit``; one read of at most ``audit_scan_limit`` records per day."""
        found = [AuditRecord.from_dict(i) for day in days for i in self._audit_for_job(day, job_name)]
        found.sort(key=lambda r: r.at, reverse=True)
        return found[:limit]

    @abstractmethod
    def audit_for_day(self, day: str, limit: int = 100) -> list[dict[str, Any]]:
        """The day's audit records (``YYYY-MM-DD``, UTC), oldest first."""

    # -- primitives ----------------------------------------------------------------------------
    @abstractmethod
    def _audit_begin(self, item: dict[str, Any]) -> None:
        """Write ``item`` unless its key exists; else raise ``AuditRecordAlreadyExists`` (with the
        stored record when the backend returns it)."""

    @abstractmethod
    def _audit_finish(self, day: str, key: str, result: str, detail: str) -> bool:
        """Set ``result`` and ``detail`` ("" removes it) of an existing item; False when there is none."""

    @abstractmethod
    def _audit_for_job(self, day: str, job_name: str) -> list[dict[str, Any]]:
        """The day's items whose ``job_name`` matches, among its newest ``audit_scan_limit``."""


# -- item layout shared by the adapters --------------------------------------------------------
def _action_key(record: AuditRecord) -> str:
    return f"{record.proposed_at}#{record.action_id}"


def audit_item(record: AuditRecord, day: str, key: str) -> dict[str, Any]:
    item: dict[str, Any] = {k: v for k, v in record.to_dict().items() if v != ""}
    item["auditDay"] = day
    item["auditKey"] = key
    return item
