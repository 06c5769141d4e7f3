"""The audit trail: every action attempt, who, when, from where, on what, and how it went.

A platform record, not the assistant's: the stores keep it and every responder's action path
writes it. It is written before the TWS is called, not after: a ``requested`` record keyed by the
pending action's id is the conditional write that lets one confirmation run the action at most
once, and the evidence that it was sent even when the store fails while the TWS call is in flight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Protocol

__all__ = [
    "FOR_JOB_LIMIT",
    "RESULT_ACCEPTED",
    "RESULT_FAILED",
    "RESULT_REFUSED",
    "RESULT_REJECTED",
    "RESULT_REQUESTED",
    "AuditRecord",
    "AuditSink",
    "InMemoryAuditSink",
]

# Audit results.
RESULT_REQUESTED = "requested"
"""Written before the TWS call; left as is when the outcome could not be recorded (outcome unknown)."""
RESULT_ACCEPTED = "accepted"
RESULT_REJECTED = "rejected"
"""The TWS answered and refused the action."""
RESULT_FAILED = "failed"
"""The TWS call failed (``detail`` starts with the ``TwsError`` kind); it may or may not have run."""
RESULT_REFUSED = "refused"
"""The principal may not act (``detail`` is the reason: ``read_only`` / ``no_role``); nothing ran."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One action attempt: who, when, from where, what, on which job (or job stream, workstation,
    prompt: ``target_kind``), why (``justification``), and how it went."""

    at: str
    """UTC ISO-8601 timestamp of the attempt (the confirmation, for executed actions)."""
    user_id: str
    username: str
    action: str
    job_id: str
    """The plan id (``WKS;JSINTERNALID;JOBNAME``)."""
    result: str
    """``requested`` | ``accepted`` | ``rejected`` | ``failed`` | ``refused`` (see ``RESULT_*``)."""
    connection_id: str = ""
    conversation_id: str = ""
    job_name: str = ""
    workstation: str = ""
    detail: str = ""
    action_id: str = ""
    """The pending action's id: the key of the at-most-once ``begin``/``finish`` pair ("" for appends)."""
    proposed_at: str = ""
    """UTC ISO-8601 time the action was proposed (the pending action's ``proposed_at``). With
    ``action_id`` it makes the record's key deterministic, so a second confirmation finds the first."""
    justification: str = ""
    """Why the operator asked for the action, in their words ("porque o banco voltou")."""
    target_kind: str = ""
    """What ``job_id``/``job_name`` name: ``stream``, ``workstation``, ``prompt``; "" for a job."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> AuditRecord:
        """The record in a stored item (absent fields are ""; the store's own keys are ignored)."""
        return cls(**{f.name: str(item.get(f.name, "")) for f in fields(cls)})


class AuditSink(Protocol):
    """Where action attempts are recorded. Implementations raise
    :class:`~twschat.core.exceptions.StorageUnavailable` when the store cannot be written or read."""

    def record(self, record: AuditRecord) -> None:
        """Append ``record`` (a refusal: nothing to run, nothing to guard)."""

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        """Write the ``requested`` record keyed by ``record.action_id`` unless that id has one.

        ``None`` when written (the caller may now run the action); the existing record when the
        action id was already requested (the caller must not run it again).
        """

    def finish(self, record: AuditRecord) -> None:
        """Overwrite result and detail of the record with ``record.action_id`` (after the TWS call)."""

    def for_job(self, job_name: str, since_day: str) -> list[AuditRecord]:
        """Recent records about ``job_name`` from UTC day ``since_day`` (``YYYY-MM-DD``) on, newest
        first, bounded."""


FOR_JOB_LIMIT = 20
"""At most this many records answer ``for_job``."""


class InMemoryAuditSink:
    """Keeps records in a list, in the order they were first written (tests, local mode)."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self._begun: dict[str, int] = {}  # action id -> index in records

    def record(self, record: AuditRecord) -> None:
        self.records.append(record)

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        if not record.action_id:
            raise ValueError("begin needs the pending action's id")
        index = self._begun.get(record.action_id)
        if index is not None:
            return self.records[index]
        self._begun[record.action_id] = len(self.records)
        self.records.append(record)
        return None

    def finish(self, record: AuditRecord) -> None:
        index = self._begun.get(record.action_id)
        if index is None:  # as the stores do: keep the outcome even without its requested record
            self.begin(record)
            return
        self.records[index] = replace(self.records[index], result=record.result, detail=record.detail)

    def for_job(self, job_name: str, since_day: str) -> list[AuditRecord]:
        found = [r for r in self.records if r.job_name == job_name and r.at[:10] >= since_day]
        return sorted(found, key=lambda r: r.at, reverse=True)[:FOR_JOB_LIMIT]
