"""The audit trail of action attempts, written through the audit store (DynamoDB or SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from twschat.core.audit import FOR_JOB_LIMIT, AuditRecord
from twschat.persistence.audit import AuditStore

MAX_DAYS = 7
"""``for_job`` reads at most this many day partitions (the newest ones), one bounded Query each."""


class StoreAuditSink:
    def __init__(self, store: AuditStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        # The sink needs "today" to know which day partitions "since" covers; the store never reads a clock.
        self._clock = clock or (lambda: datetime.now(UTC))

    def record(self, record: AuditRecord) -> None:
        self.store.add_audit(record)

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        return self.store.begin_audit(record)

    def finish(self, record: AuditRecord) -> None:
        self.store.finish_audit(record)

    def for_job(self, job_name: str, since_day: str) -> list[AuditRecord]:
        return self.store.audit_for_job(job_name, _days(since_day, self._clock()), FOR_JOB_LIMIT)


def _days(since_day: str, now: datetime) -> list[str]:
    """UTC days from ``since_day`` to today, newest first, at most ``MAX_DAYS``."""
    today = now.astimezone(UTC).date()
    first = max(date.fromisoformat(since_day), today - timedelta(days=MAX_DAYS - 1))
    count = max(1, (today - first).days + 1)
    return [(first + timedelta(days=n)).isoformat() for n in reversed(range(count))]
