"""What the TWS assistant knows about a plan: its objects, the status vocabulary, what a state allows.

The ONE status table (:data:`STATUSES`) says, for every conman status, which category it falls in for a
job and for a job stream (they use different words) and its REST ``commonStatus``; the state filters
operators ask for ("jobs em abend", "job streams em hold"), the summary and the demo plan derive from it.
:func:`blocked` is the domain rule "which actions a job's state allows", as data, returning a reason
code (worded by the message catalogues). Pure: no I/O, no wording.

Over 400 lines: every object of a plan (jobs, streams, workstations, prompts, resources) and the two
tables the whole assistant follows (statuses, what a state allows) are one vocabulary, kept together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "ACTIONS",
    "ACTION_KINDS",
    "JOB_ACTIONS",
    "JOB_FILTERS",
    "STATUSES",
    "STREAM_FILTERS",
    "ActionResult",
    "Blocked",
    "Job",
    "JobAction",
    "JobStream",
    "Listing",
    "Prompt",
    "PromptAction",
    "Resource",
    "ResourceHolder",
    "StatusInfo",
    "StreamAction",
    "Target",
    "TargetKind",
    "Workstation",
    "WorkstationAction",
    "action_state",
    "blocked",
    "is_late",
    "is_truncated",
    "job_category",
    "job_statuses",
    "repeated_names",
    "same_stream_instance",
]

JobAction = Literal["rerun", "hold", "release", "cancel", "kill", "confirm_succ", "confirm_abend"]
StreamAction = Literal["stream_hold", "stream_release", "stream_cancel"]
WorkstationAction = Literal["link", "unlink"]
PromptAction = Literal["reply_yes", "reply_no"]
TargetKind = Literal["job", "stream", "workstation", "prompt"]

# Every action the assistant can run, and the kind of plan object it acts on (in the order operators
# see them in the help): the ONE table the action path, the NLU intents and the catalogues follow.
ACTION_KINDS: Mapping[str, TargetKind] = {
    "rerun": "job",
    "hold": "job",
    "release": "job",
    "cancel": "job",
    "kill": "job",
    "confirm_succ": "job",
    "confirm_abend": "job",
    "stream_hold": "stream",
    "stream_release": "stream",
    "stream_cancel": "stream",
    "link": "workstation",
    "unlink": "workstation",
    "reply_yes": "prompt",
    "reply_no": "prompt",
}
ACTIONS: tuple[str, ...] = tuple(ACTION_KINDS)
JOB_ACTIONS: tuple[str, ...] = tuple(a for a, kind in ACTION_KINDS.items() if kind == "job")

Category = Literal["failed", "running", "waiting", "ready", "success", "cancelled"]


WorkstationStatus = Literal["ONLINE", "OFFLINE", "UNKNOWN"]


@dataclass(frozen=True, slots=True)
class Workstation:
    name: str
    status: WorkstationStatus
    """ONLINE (linked), OFFLINE (unlinked or jobman down) or UNKNOWN: the source did not say. A REST
    master reports no confirmed link-state field, so UNKNOWN is what it usually gives; never guess."""
    linked: bool | None = None
    """None: not reported."""
    jobman_running: bool | None = None
    """None: not reported."""
    kind: str = ""
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
    run_id: str = ""
    """REST API v2: the id of the job's current run (its rerun chain's last); job logs are per run."""
    at_time: datetime | None = None
    """Its AT time: the job does not start before it (None: none, or not reported)."""
    stream_id: str = ""
    """The plan id of its job stream INSTANCE (v1 ``jobStreamInPlan.id``, v2 ``jobStreamId``): a job
    name is unique only within one stream instance, and a stream can have several instances a day."""
    stream_start: datetime | None = None
    """Its job stream instance's scheduled time (v1 ``jobStreamInPlan.startTime``, v2 ``schedTime``):
    what tells two instances of one stream apart for an operator (None: not reported)."""
    estimated_duration: timedelta | None = None
    """How long TWS expects a run to take (v1 ``estimatedDuration``, v2 ``timeInfo.estimatedDuration``;
    None: not reported): a run well past it is late, whatever the fixed threshold says."""

    @property
    def instance(self) -> tuple[str, str, str, str]:
        """What identifies the job in the plan (workstation, job stream instance, job name), never the
        name alone: the same job name runs in many streams, and one stream in several instances."""
        stream = self.stream_id or (self.stream_start.isoformat() if self.stream_start else "")
        return (self.workstation, self.job_stream, stream, self.job_id)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt in the plan (conman ``showprompts``): what it asks and its state (ASKED, NOT ASKED,
    YES, NO). Operators answer it with ``reply`` (an action, see :data:`ACTION_KINDS`)."""

    id: str
    """What operators call it: the prompt's number (ad hoc prompts) or name (global prompts)."""
    text: str
    status: str
    key: str = ""
    """The id the TWS source addresses it by when that differs from ``id`` (REST API v2: a UUID)."""


@dataclass(frozen=True, slots=True)
class ResourceHolder:
    """A job holding units of a resource (``ResourceHolderInPlan``: job, job stream, quantity)."""

    job: str
    """The job's name as TWS knows it (``JOB006``)."""
    job_stream: str = ""
    quantity: int | None = None
    """Units it holds (None: not reported)."""
    stream_id: str = ""
    """Its job stream INSTANCE's id when the source says it (a job name is unique only in one)."""


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource in the plan (conman ``sr``): units defined on a workstation, held by running jobs; a
    job that needs more units than are available waits (a ``resource`` :class:`Dependency`)."""

    name: str
    workstation: str = ""
    quantity: int | None = None
    """Units defined (``quantityDefined`` / v2 ``quantity``; None: not reported)."""
    available: int | None = None
    """Units free now (``quantityAvailable``; None: not reported)."""
    holders: tuple[ResourceHolder, ...] = ()
    id: str = ""
    """The id the TWS source addresses it by (REST v1 ``id``, v2 a UUID); "" when none."""

    @property
    def exhausted(self) -> bool:
        """No unit free now (an operator's "esgotado")."""
        return self.available is not None and self.available <= 0


_T = TypeVar("_T")


class Listing(tuple[_T, ...]):
    """A list read from the plan that knows whether it may be incomplete: ``truncated`` is True when the
    source answered a full page and did not say whether more remain (narrow the question to see all)."""

    truncated: bool

    def __new__(cls, items: Iterable[_T] = (), truncated: bool = False) -> Listing[_T]:
        obj = super().__new__(cls, items)
        obj.truncated = truncated
        return obj


def is_truncated(items: Any) -> bool:
    """Whether a list from a TWS source may be incomplete (see :class:`Listing`)."""
    return bool(getattr(items, "truncated", False))


Target = Job | JobStream | Workstation | Prompt
"""What an action acts on (see :data:`ACTION_KINDS`)."""
_A = TypeVar("_A", Job, JobStream, Workstation, Prompt)


@dataclass(frozen=True, slots=True)
class ActionResult(Generic[_A]):
    action: str
    job: _A
    """The target as the plan shows it after the action (a job, job stream, workstation or prompt)."""
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


# conman ``showjobs`` states (distributed), the web-service statuses, and CANCELED. Sources:
# shared/reference/tws-rest.md "Job states".
STATUSES: Mapping[str, StatusInfo] = {
    "ABEND": StatusInfo("failed", "failed", "ERROR"),
    # abend confirmation received, not yet complete
    "ABENP": StatusInfo("failed", None, "ERROR"),
    "FAIL": StatusInfo("failed", None, "ERROR"),  # could not be launched
    # internetwork dependencies only (for jobs); a stream in ERROR failed
    "ERROR": StatusInfo("failed", "failed", "ERROR"),
    "STUCK": StatusInfo(None, "failed"),
    "EXEC": StatusInfo("running", "running", "RUNNING"),
    # introduced for launching by batchman: NOT yet running
    "INTRO": StatusInfo("waiting", None, "WAITING"),
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
    # internetwork dependencies only: a job cancelled in the plan keeps its state with the ``canceled``
    # flag / commonStatus CANCELED, which the TWS sources report as CANCELED below
    "CANCL": StatusInfo("cancelled", None, "CANCELED"),
    # not a conman state: a job the plan marks cancelled (commonStatus CANCELED or the canceled flag)
    "CANCELED": StatusInfo("cancelled", "cancelled", "CANCELED"),
    "CANCELP": StatusInfo(None, "cancelled"),
    "SUPPR": StatusInfo(None, "cancelled"),
    # the web-service status list (jobs)
    "ABENDP": StatusInfo("failed", None, "ERROR"),  # abend pending
    "CANCP": StatusInfo("cancelled", None, "CANCELED"),  # cancel pending
    "BOUND": StatusInfo("waiting", None, "WAITING"),  # bound to a remote (shadow) job
    "RJOB": StatusInfo("running", None, "RUNNING"),  # running as a remote job
    "WAITD": StatusInfo("waiting", None, "WAITING"),  # waiting, deferred
    "USER": StatusInfo(None, None),  # a user status: no category
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
    "abend": frozenset({"ABEND", "ABENP", "ABENDP"}),
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


# -- reads (dependencies)
DependencyKind = Literal["job", "stream", "resource", "prompt", "file", "time"]


@dataclass(frozen=True, slots=True)
class Dependency:
    """What a job waits for (a predecessor job or stream, a resource, a prompt, a file, a time), or, in a
    list of successors, a job that waits for it. ``satisfied`` None: the source did not say."""

    kind: DependencyKind
    name: str
    """A job's name as TWS knows it (``JOB002``), a stream, resource or file name, a prompt's id."""
    satisfied: bool | None = None
    job_stream: str = ""
    workstation: str = ""
    status: str = ""
    """A job's or prompt's state, as the source reported it."""
    text: str = ""
    """A prompt's question."""
    quantity: int | None = None
    """Resource units the job needs."""
    available: int | None = None
    """Resource units free now."""
    at: datetime | None = None
    """A time dependency's moment."""


def repeated_names(jobs: Iterable[Job]) -> frozenset[str]:
    """The job names (``JOB002``) that more than one of ``jobs`` carries: a listing shows their stream."""
    seen: set[str] = set()
    twice: set[str] = set()
    for job in jobs:
        (twice if job.job_id in seen else seen).add(job.job_id)
    return frozenset(twice)


def same_stream_instance(job: Job, other: Job) -> bool:
    """Whether two jobs belong to one job stream instance (by its id when both report one)."""
    if job.stream_id and other.stream_id:
        return job.stream_id == other.stream_id
    return (job.job_stream, job.stream_start) == (other.job_stream, other.stream_start)


LATE_FACTOR = 1.5
"""A run is late once it takes half again its estimated duration."""


def is_late(job: Job, now: datetime, long_running_minutes: int) -> bool:
    """Running well past its estimated duration (:data:`LATE_FACTOR`), or, with no estimate, for more
    than ``long_running_minutes``."""
    if job_category(job.status) != "running" or job.start_time is None:
        return False
    if job.estimated_duration is not None and job.estimated_duration > timedelta(0):
        return (now - job.start_time) > job.estimated_duration * LATE_FACTOR
    return (now - job.start_time) > timedelta(minutes=long_running_minutes)


def is_overdue(job: Job, due: datetime | None, now: datetime) -> bool:
    """Not started by ``due`` (its AT time, else its job stream's start): waiting or ready past it."""
    return (
        job.start_time is None
        and due is not None
        and due < now
        and job_category(job.status) in ("waiting", "ready")
    )


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
        _Block("already_cancelled", job_statuses("cancelled")),
        _Block("finished", job_statuses("success")),
        _Block("running", job_statuses("running")),
    ),
    # conman kill: only a job that is running
    "kill": (_Block("not_running", job_statuses("running"), outside=True),),
    # conman confirm ;succ / ;abend: a job that ended (or has not started) gets the other outcome
    "confirm_succ": (
        _Block("already", job_statuses("success")),
        _Block("cancelled", job_statuses("cancelled")),
        _Block("running", job_statuses("running")),
    ),
    "confirm_abend": (
        _Block("already", job_statuses("failed")),
        _Block("cancelled", job_statuses("cancelled")),
        _Block("running", job_statuses("running")),
    ),
    # job streams (hs / rs / cs), by the stream column of STATUSES
    "stream_hold": (
        _Block("already_held", frozenset({"HOLD"})),
        _Block("finished", _stream_statuses("success", "cancelled")),
    ),
    "stream_release": (_Block("not_held", frozenset({"HOLD"}), outside=True),),
    "stream_cancel": (
        _Block("already_cancelled", _stream_statuses("cancelled")),
        _Block("finished", _stream_statuses("success")),
    ),
    # workstations: the link state (UNKNOWN when the source does not report it: allowed)
    "link": (_Block("already_linked", frozenset({"LINKED"})),),
    "unlink": (_Block("already_unlinked", frozenset({"UNLINKED"})),),
    # prompts (conman showprompts: ASKED, NOT ASKED, YES, NO)
    "reply_yes": (_Block("already_answered", frozenset({"YES", "NO"})),),
    "reply_no": (_Block("already_answered", frozenset({"YES", "NO"})),),
}


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why ``action`` makes no sense for ``job`` (its target) now: a reason code the catalogues word
    per action."""

    action: str
    reason: str
    job: Target


def action_state(target: Target) -> str:
    """The state an action's rules look at: a workstation's link state, else the status."""
    if isinstance(target, Workstation):
        if target.linked is None:
            return "UNKNOWN"
        return "LINKED" if target.linked else "UNLINKED"
    return target.status


def blocked(action: str, job: Target) -> Blocked | None:
    """The reason the target's state rules ``action`` out, or None when the action makes sense."""
    state = action_state(job)
    for block in _BLOCKS.get(action, ()):
        if block.applies(state):
            return Blocked(action, block.reason, job)
    return None
