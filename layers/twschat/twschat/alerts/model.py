"""What an alert is about: subscriptions, what the watcher observed, the changes between two cycles.

Targets are named as operators name them (a job's short id, a job stream's or a workstation's name) and
keyed case-insensitively (:func:`target_key`); a job subscription may also name the job stream (the same
job name can run in several streams). A job subscription follows its rerun chain's last instance: the
watcher reads the plan's current instance of each job (the TWS lists the chain's last), so a rerun is a
new state of the same target, and the alert id tells the instances apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twschat.assistant.domain import Job, JobStream, Workstation, job_statuses
from twschat.core.subscriptions import Subscription, WatchKind, target_key

__all__ = [
    "FINAL_JOB_STATES",
    "TEAM_JOB_STATES",
    "Change",
    "Observation",
    "alert_id",
    "observe_job",
    "observe_stream",
    "observe_workstation",
    "wants",
]


FINAL_JOB_STATES = job_statuses("success", "failed", "cancelled")
"""A job that reached one of these has finished (SUCC, ABEND, FAIL, CANCELED...)."""
TEAM_JOB_STATES = job_statuses("failed")
"""Team alerts: every job that enters one of these (ABEND, FAIL...)."""
FINAL_STREAM_STATES = frozenset({"SUCC", "ABEND", "CANCELED", "CANCL", "CANCELLED", "ERROR", "SUPPR"})


@dataclass(frozen=True, slots=True)
class Observation:
    """One target as the watcher read it this cycle."""

    kind: WatchKind
    name: str
    state: str
    instance: str = ""
    """The TWS's id of what was read (a job's plan instance: a rerun is another instance)."""
    stream: str = ""
    workstation: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """What the alert shows: return code, start/end times, the job's descriptive name."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys subscriptions on it may use: by name, and (a job) by name in its stream."""
        if self.kind == "job" and self.stream:
            return (target_key("job", self.name), target_key("job", self.name, self.stream))
        return (target_key(self.kind, self.name),)

    @property
    def snapshot_key(self) -> str:
        return target_key(self.kind, self.name, self.stream)


@dataclass(frozen=True, slots=True)
class Change:
    current: Observation
    previous: str
    """The state in the last snapshot ("" when the target was not seen before)."""
    previous_instance: str = ""

    @property
    def alert_id(self) -> str:
        return alert_id(self)


def alert_id(change: Change) -> str:
    """Deterministic (the target's instance and the transition, with the time the state was reached):
    a retried or overlapping cycle computes the same id, so the same alert is never delivered twice;
    the same transition again later (a rerun that abends again) is another instance or time, another id."""
    c = change.current
    when = str(c.detail.get("end") or c.detail.get("start") or "")
    raw = "|".join((c.snapshot_key, c.instance, change.previous, c.state, when))
    return "a-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def _times(start: datetime | None, end: datetime | None = None) -> dict[str, Any]:
    return {
        **({"start": start.isoformat()} if start is not None else {}),
        **({"end": end.isoformat()} if end is not None else {}),
    }


def observe_job(job: Job) -> Observation:
    detail: dict[str, Any] = {"name": job.name, **_times(job.start_time, job.end_time)}
    if job.return_code is not None:
        detail["returnCode"] = job.return_code
    return Observation(
        "job",
        job.job_id,
        job.status,
        instance=job.id,
        stream=job.job_stream,
        workstation=job.workstation,
        detail=detail,
    )


def observe_stream(stream: JobStream) -> Observation:
    return Observation(
        "stream",
        stream.name,
        stream.status,
        instance=stream.id,
        workstation=stream.workstation,
        detail=_times(stream.start_time),
    )


def observe_workstation(ws: Workstation) -> Observation:
    return Observation("workstation", ws.name, ws.status, instance=ws.id or ws.name)


def wants(subscription: Subscription, change: Change) -> bool:
    """Whether ``change`` is one ``subscription`` alerts on."""
    current = change.current.state
    if subscription.condition == "final":
        if subscription.kind == "workstation":
            return False
        return current in (FINAL_JOB_STATES if subscription.kind == "job" else FINAL_STREAM_STATES)
    if subscription.condition == "state":
        return current in subscription.states
    return True
