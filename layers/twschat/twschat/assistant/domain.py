"""What the TWS assistant knows about a plan: its objects, the status vocabulary, what a state allows.

The ONE status table (:data:`STATUSES`) says, for every conman status, which category it falls in for a
job and for a job stream (they use different words) and its REST ``commonStatus``; the state filters
operators ask for ("jobs em abend", "job streams em hold"), the summary and the demo plan derive from it.
:func:`blocked` is the domain rule "which actions a job's state allows", as data, returning a reason
code (worded by the message catalogues). Pure: no I/O, no wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "ACTIONS",
    "JOB_FILTERS",
    "STATUSES",
    "STREAM_FILTERS",
    "ActionResult",
    "Blocked",
    "Job",
    "JobAction",
    "JobStream",
    "StatusInfo",
    "Workstation",
    "blocked",
    "is_late",
    "job_category",
    "job_statuses",
]

JobAction = Literal["rerun", "hold", "release", "cancel"]
ACTIONS: tuple[JobAction, ...] = ("rerun", "hold", "release", "cancel")

Category = Literal["failed", "running", "waiting", "ready", "success", "cancelled"]


@dataclass(frozen=True, slots=True)
class Workstation:
    name: str
    status: Literal["ONLINE", "OFFLINE"]
    linked: bool = True
    jobman_running: bool = True
    kind: str = "FTA"
    id: str = ""


@dataclass(frozen=True, slots=True)
class JobStream:
    name: str
    workstation: str
    status: str
    id: str = ""
    start_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    """The plan id; in the REST API it looks like ``WKS;JSINTERNALID;JOBNAME``."""
    name: str
    """The job's name as operators know it (e.g. ``Data Processing``)."""
    job_id: str
    """The short job identifier shown to operators (e.g. ``JOB002``)."""
    status: str
    """conman internal status: ABEND, SUCC, EXEC, HOLD, ..."""
    workstation: str
    job_stream: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    return_code: int | None = None


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: JobAction
    job: Job
    accepted: bool
    detail: str = ""


# ------------------------------------------------------------------------------------------ statuses
@dataclass(frozen=True, slots=True)
class StatusInfo:
    job: Category | None
    """The category of a job in this status (None: jobs are not shown in it)."""
    stream: Category | None
    """The category of a job stream in this status."""
    common: str = "UNDECIDED"
    """The cross-platform ``commonStatus`` the REST API pairs with it."""


STATUSES: Mapping[str, StatusInfo] = {
    "ABEND": StatusInfo("failed", "failed", "ERROR"),
    "ABENP": StatusInfo("failed", None, "ERROR"),
    "FAIL": StatusInfo("failed", None, "ERROR"),
    "ERROR": StatusInfo("failed", "failed", "ERROR"),
    "STUCK": StatusInfo(None, "failed"),
    "EXEC": StatusInfo("running", "running", "RUNNING"),
    "INTRO": StatusInfo("running", None, "RUNNING"),
    "WAIT": StatusInfo("running", None, "RUNNING"),
    "HOLD": StatusInfo("waiting", "waiting", "HELD"),
    "SCHED": StatusInfo("waiting", None, "WAITING"),
    "ADD": StatusInfo("waiting", "waiting", "WAITING"),
    "PEND": StatusInfo("waiting", None, "WAITING"),
    "FENCE": StatusInfo("waiting", None, "BLOCKED"),
    "SUSP": StatusInfo("waiting", None, "HELD"),
    "EXTRN": StatusInfo(None, "waiting"),
    "READY": StatusInfo("ready", "ready", "READY"),
    "SUCC": StatusInfo("success", "success", "SUCCESSFUL"),
    "SUCCP": StatusInfo("success", None, "SUCCESSFUL"),
    "DONE": StatusInfo("success", None),
    "CANCL": StatusInfo("cancelled", None, "CANCELED"),
    "CANCELP": StatusInfo(None, "cancelled"),
    "SUPPR": StatusInfo(None, "cancelled"),
}
_CATEGORIES: tuple[Category, ...] = ("failed", "running", "waiting", "ready", "success", "cancelled")


def job_category(status: str) -> Category | None:
    info = STATUSES.get(status)
    return info.job if info else None


def job_statuses(*categories: Category) -> frozenset[str]:
    return frozenset(s for s, info in STATUSES.items() if info.job in categories)


def _stream_statuses(*categories: Category) -> frozenset[str]:
    return frozenset(s for s, info in STATUSES.items() if info.stream in categories)


# The states operators ask for -> the statuses each covers. Categories, plus the narrower words
# operators use ("abend", "hold", "sched"); "late" is running for too long (see is_late); None: no filter.
JOB_FILTERS: Mapping[str, frozenset[str] | None] = {
    **{c: job_statuses(c) for c in _CATEGORIES},
    "abend": frozenset({"ABEND", "ABENP"}),
    "hold": frozenset({"HOLD"}),
    "sched": frozenset({"SCHED"}),
    "late": job_statuses("running"),
    "all": None,
}
STREAM_FILTERS: Mapping[str, frozenset[str]] = {
    **{c: _stream_statuses(c) for c in _CATEGORIES},
    "abend": _stream_statuses("failed"),
    "hold": frozenset({"HOLD"}),
    # a stream waiting for its start time shows HOLD or ADD
    "sched": frozenset({"HOLD", "ADD"}),
    "late": _stream_statuses("running"),
}


def is_late(job: Job, now: datetime, long_running_minutes: int) -> bool:
    """Running for more than ``long_running_minutes``."""
    if job_category(job.status) != "running" or job.start_time is None:
        return False
    return (now - job.start_time) > timedelta(minutes=long_running_minutes)


# ------------------------------------------------------------------------------ what a state allows
@dataclass(frozen=True, slots=True)
class _Block:
    reason: str
    statuses: frozenset[str]
    outside: bool = False
    """Blocks the statuses NOT in ``statuses`` (unknown ones included)."""

    def applies(self, status: str) -> bool:
        return (status in self.statuses) != self.outside


_NOT_STARTED = job_statuses("waiting", "ready")

# action -> the states that rule it out, checked in order (the first that applies is the reason).
_BLOCKS: Mapping[str, tuple[_Block, ...]] = {
    "rerun": (_Block("running", job_statuses("running")), _Block("not_started", _NOT_STARTED)),
    "hold": (_Block("already_held", frozenset({"HOLD"})), _Block("started", _NOT_STARTED, outside=True)),
    "release": (_Block("not_held", frozenset({"HOLD"}), outside=True),),
    "cancel": (
        _Block("already_cancelled", frozenset({"CANCL"})),
        _Block("finished", job_statuses("success")),
        _Block("running", job_statuses("running")),
    ),
}


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why ``action`` makes no sense for ``job`` now: a reason code the catalogues word per action."""

    action: str
    reason: str
    job: Job


def blocked(action: str, job: Job) -> Blocked | None:
    """The reason ``job``'s state rules ``action`` out, or None when the action makes sense."""
    for block in _BLOCKS.get(action, ()):
        if block.applies(job.status):
            return Blocked(action, block.reason, job)
    return None
