"""A realistic demo TWS plan kept as data, and a :class:`TwsClient` over an in-memory copy of it.

The plan (workstations, job streams, jobs, stdlists) is described once in the tables below; times are
offsets from an injectable clock so "running for 5h" stays true whenever the demo runs. Each
``DemoTwsClient`` owns its copy: actions (rerun, hold, release, cancel) mutate that copy only.

Like a real plan it keeps rerun chains: a rerun adds a new instance of the job (a new id, same job
stream) after the old one, which keeps its ABEND (HCL's rerun sample queries with
``"lastInRerunChain": true`` for this reason). ``list_jobs()`` answers the last instance of each chain;
``instances()`` all of them. A cancelled job keeps its state with the plan's cancelled mark: it is
reported as ``CANCELED`` (commonStatus CANCELED; conman's CANCL is for internetwork dependencies only).
A job may run on another workstation than its job stream's (JOB012 here).

The REST rendering of this plan (what the fake TWS serves) is :mod:`twschat.adapters.tws_rest.render`,
beside the dialects that read it. Workstation types are the spec's (``WorkstationInPlan.type``: MANAGER,
FTA, AGENT, ...).

Over 400 lines because most of it is the plan itself (tables and stdlists): data, not logic.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

from .domain import (
    STATUSES,
    ActionResult,
    Dependency,
    Job,
    JobAction,
    JobStream,
    Prompt,
    Resource,
    ResourceHolder,
    StreamAction,
    Workstation,
    WorkstationAction,
    blocked,
    job_category,
)
from .tws import TwsError

__all__ = [
    "COMMON_STATUS",
    "REST_TIME_FORMAT",
    "SMALL_PLAN",
    "DemoTwsClient",
    "PlanSpec",
    "stream_status",
]

REST_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""UTC timestamps as the plan REST API v1 writes them (``jobStreamInPlan.startTime``)."""

# conman internal status -> cross-platform "commonStatus" (from the one status table).
COMMON_STATUS: dict[str, str] = {status: info.common for status, info in STATUSES.items()}

# Stdlists are printed in the master's local time (Brazil has had no DST since 2019).
_LOG_TZ = timezone(timedelta(hours=-3), "-03")
_V = TypeVar("_V")

# ---------------------------------------------------------------------------------------------- the plan
# name, status, linked, jobman running, kind, id
_WORKSTATIONS: tuple[tuple[str, Literal["ONLINE", "OFFLINE"], bool, bool, str, str], ...] = (
    ("TWS_MASTER", "ONLINE", True, True, "MANAGER", "0AAAAAAAAAAAAAW0"),
    ("TWS_AGENT1", "ONLINE", True, True, "FTA", "0AAAAAAAAAAAAAW1"),
    ("TWS_AGENT2", "OFFLINE", False, False, "FTA", "0AAAAAAAAAAAAAW2"),
    ("TWS_AGENT3", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAW3"),
)

# name, workstation, internal id, planned start (minutes from now)
_STREAMS: tuple[tuple[str, str, str, int], ...] = (
    ("DAILY_BACKUP", "TWS_AGENT1", "0AAAAAAAAAAAAAB1", -300),
    ("DATA_PIPELINE", "TWS_AGENT2", "0AAAAAAAAAAAAAB2", -250),
    ("REPORTS", "TWS_AGENT1", "0AAAAAAAAAAAAAB3", -180),
    ("PAYROLL", "TWS_AGENT2", "0AAAAAAAAAAAAAB4", -95),
    ("BILLING", "TWS_AGENT1", "0AAAAAAAAAAAAAB5", -12),
    ("DWH_LOAD", "TWS_AGENT3", "0AAAAAAAAAAAAAB6", -340),
    ("FINAL", "TWS_MASTER", "0AAAAAAAAAAAAAB7", -600),  # yesterday 23:00 in Sao Paulo
)

# A job's own workstation when it differs from its job stream's.
_JOB_WORKSTATION = {"JOB012": "TWS_AGENT3"}

# -- reads: what jobs wait for (conman "sj ;deps"), and AT times (minutes from now).
# ("job", JOBID): a predecessor, satisfied once it ends SUCC; ("prompt", ID): satisfied once answered
# yes; ("resource", NAME, units needed, units free): the units free are the resource's in _RESOURCES
# when it is there (the last number is kept for plans without that table).
_DEPENDENCIES: dict[str, tuple[tuple[Any, ...], ...]] = {
    "JOB014": (("job", "JOB002"), ("prompt", "3"), ("resource", "ETL_DB_SLOTS", 2, 0)),
    "JOB007": (("job", "JOB005"),),
    "JOB008": (("job", "JOB012"),),
    "JOB009": (("job", "JOB008"), ("prompt", "1")),
    "JOB015": (("job", "JOB003"), ("job", "JOB013")),
}
_AT: dict[str, int] = {"JOB009": 90, "JOB015": 150}

# Resources (conman "sr"): name, workstation, units defined, holders (job, units). A holder holds its
# units while it runs; the units free are the rest. JOB006 (running for hours, stuck on a lock) holds
# every ETL_DB_SLOTS unit, which is why JOB014 waits.
_RESOURCES: tuple[tuple[str, str, int, tuple[tuple[str, int], ...]], ...] = (
    ("ETL_DB_SLOTS", "TWS_MASTER", 4, (("JOB006", 4),)),
    ("ERP_API_SLOTS", "TWS_AGENT1", 2, (("JOB005", 1),)),
)

# job id, name, stream, status, start (minutes from now, None = not started), duration (minutes, None =
# still running / never ran), return code
_JOBS: tuple[tuple[str, str, str, str, int | None, int | None, int | None], ...] = (
    ("JOB001", "Daily Backup", "DAILY_BACKUP", "SUCC", -300, 42, 0),
    ("JOB002", "Data Processing", "DATA_PIPELINE", "ABEND", -250, 8, 12),
    ("JOB003", "Report Generation", "REPORTS", "SUCC", -180, 15, 0),
    ("JOB004", "Payroll Calculation", "PAYROLL", "FAIL", -95, 0, None),
    ("JOB005", "Invoice Export", "BILLING", "EXEC", -12, None, None),
    ("JOB006", "Data Warehouse Load", "DWH_LOAD", "EXEC", -310, None, None),
    ("JOB007", "Customer Sync", "BILLING", "HOLD", None, None, None),
    ("JOB008", "Log Rotation", "FINAL", "READY", None, None, None),
    ("JOB009", "Month End Close", "FINAL", "SCHED", None, None, None),
    ("JOB010", "Temp Cleanup", "DWH_LOAD", "CANCELED", None, None, None),
    ("JOB011", "SFTP Transfer", "DWH_LOAD", "SUCC", -340, 6, 0),
    ("JOB012", "Database Backup", "FINAL", "SUCC", -600, 35, 0),  # ended yesterday (Sao Paulo)
    ("JOB013", "Email Notifications", "REPORTS", "SUCC", -160, 2, 0),
    ("JOB014", "Stock Reconciliation", "DATA_PIPELINE", "HOLD", None, None, None),
    ("JOB015", "Audit Report", "REPORTS", "SCHED", None, None, None),
)

# What the job wrote between the stdlist header and trailer (time offsets in seconds from its start).
_LOG_BODIES: dict[str, tuple[tuple[int, str], ...]] = {
    "JOB001": (
        (1, "INFO  backup started: /srv/app -> s3://corp-backup/daily"),
        (2510, "INFO  1,204 files, 38.2 GB copied"),
        (2519, "INFO  backup finished OK"),
    ),
    "JOB002": (
        (1, "INFO  Starting data processing batch (input=/data/in/sales_extract.csv)"),
        (36, "INFO  Loaded 1,284,331 rows into staging ETL.SALES_STG"),
        (454, "ERROR ORA-01653: unable to extend table ETL.SALES_FACT by 8192 in tablespace ETL_DATA"),
        (454, "ERROR Batch aborted after 1,200,000 rows; rolling back"),
        (479, "INFO  Rollback complete. Exiting with code 12"),
    ),
    "JOB003": (
        (1, "INFO  generating 14 reports for business date"),
        (898, "INFO  reports published to /srv/reports/daily"),
    ),
    "JOB005": (
        (1, "INFO  exporting invoices to ERP (batch size 500)"),
        (420, "INFO  38,500 of ~90,000 invoices exported"),
    ),
    "JOB006": (
        (2, "INFO  DWH load started: 12 partitions"),
        (2700, "INFO  partition 3/12 loaded (usual total runtime ~45 min)"),
        (9900, "WARN  waiting for lock on DWH.FACT_SALES held by session 8812"),
        (18000, "WARN  still waiting for lock on DWH.FACT_SALES (session 8812)"),
    ),
    "JOB011": (
        (1, "INFO  sftp get partner-in:/outbound/*.csv"),
        (355, "INFO  42 files received, checksums OK"),
    ),
    "JOB012": (
        (1, "INFO  RMAN full backup of TWSDB started"),
        (2095, "INFO  RMAN backup completed"),
    ),
    "JOB013": ((1, "INFO  112 report notifications sent"),),
}

# Prompts (conman showprompts): id, text, status. Answered with "reply" (an action). JOB009 waits on
# prompt 1 and JOB014 on prompt 3 (see _DEPENDENCIES): listings, replies and dependencies read this table.
_PROMPTS: tuple[tuple[str, str, str], ...] = (
    ("1", "Fita TAPE01 montada para o Month End Close (JOB009)?", "ASKED"),
    ("2", "Arquivo do parceiro conferido?", "YES"),
    ("3", "Extrato de vendas do dia conferido para a reconciliação (JOB014)?", "ASKED"),
)

_USERS = {
    "TWS_MASTER": "twsuser",
    "TWS_AGENT1": "appbatch",
    "TWS_AGENT2": "etlbatch",
    "TWS_AGENT3": "dwhbatch",
}


@dataclasses.dataclass(frozen=True)
class PlanSpec:
    """A demo plan as data (the tables above are the small one; :mod:`.demo_large` generates a big one).

    Jobs name their job stream by its instance id or, when the name is unique, by name. The tables keyed
    by job (own workstation, dependencies, AT times, log bodies) take a job name (``JOB002``: every
    instance), or ``STREAM.JOB`` with the stream's name or instance id (one instance). A dependency on
    ``JOB002`` means the one in the same stream instance when there is one (an internal dependency),
    else the first instance of that name; ``STREAM.JOB`` names another stream's job.
    """

    workstations: tuple[tuple[str, Literal["ONLINE", "OFFLINE"], bool, bool, str, str], ...]
    streams: tuple[tuple[str, str, str, int], ...]
    jobs: tuple[tuple[str, str, str, str, int | None, int | None, int | None], ...]
    job_workstation: Mapping[str, str] = dataclasses.field(default_factory=dict)
    dependencies: Mapping[str, tuple[tuple[Any, ...], ...]] = dataclasses.field(default_factory=dict)
    at: Mapping[str, int] = dataclasses.field(default_factory=dict)
    log_bodies: Mapping[str, tuple[tuple[int, str], ...]] = dataclasses.field(default_factory=dict)
    prompts: tuple[tuple[str, str, str], ...] = ()
    resources: tuple[tuple[str, str, int, tuple[tuple[str, int], ...]], ...] = ()
    """Name, workstation, units defined, holders (a job as the tables name it, units held)."""
    users: Mapping[str, str] = dataclasses.field(default_factory=dict)
    reruns: Mapping[str, tuple[str, int, int | None, int | None]] = dataclasses.field(default_factory=dict)
    """Job (``STREAMID.JOB``) -> its rerun already in the plan: status, start (minutes from now),
    duration and return code of the new instance; the job's row is the first run (it keeps its ABEND)."""


SMALL_PLAN = PlanSpec(
    workstations=_WORKSTATIONS,
    streams=_STREAMS,
    jobs=_JOBS,
    job_workstation=_JOB_WORKSTATION,
    dependencies=_DEPENDENCIES,
    at=_AT,
    log_bodies=_LOG_BODIES,
    prompts=_PROMPTS,
    resources=_RESOURCES,
    users=_USERS,
)
"""Today's demo plan (the README's JOB002 story)."""


def _keyed(table: Mapping[str, _V], job: Job, default: _V) -> _V:
    """``table``'s entry for ``job``: by ``STREAMID.JOB``, ``STREAM.JOB``, then the job name."""
    for key in (f"{job.stream_id}.{job.job_id}", f"{job.job_stream}.{job.job_id}", job.job_id):
        if key in table:
            return table[key]
    return default


def _resolve(ref: str, jobs: Sequence[Job], near: Job | None = None) -> Job | None:
    """The job a dependency's ``ref`` names (see :class:`PlanSpec`), preferring ``near``'s stream."""
    stream, _, name = ref.rpartition(".")
    hits = [j for j in jobs if j.job_id == name and (not stream or stream in (j.stream_id, j.job_stream))]
    if near is not None:
        same = [j for j in hits if j.stream_id == near.stream_id]
        hits = same or hits
    return hits[0] if hits else None


def stream_status(jobs: Sequence[Job], *, started: bool = False) -> str:
    """A job stream's state derived from its jobs (the last of each rerun chain) the way conman shows
    it; ``started``: one of its jobs ran before (an instance a rerun replaced)."""
    categories = [job_category(j.status) for j in jobs]
    if not categories:
        return "READY"
    if "running" in categories:
        return "EXEC"
    if "failed" in categories:
        return "ABEND"
    if all(c in ("success", "cancelled") for c in categories):
        return "SUCC"
    if started or any(j.start_time is not None for j in jobs):
        return "EXEC"
    if "ready" in categories:
        return "READY"
    return "HOLD"


# --------------------------------------------------------------------------------------------- building
def _build(
    spec: PlanSpec, now: datetime
) -> tuple[list[Workstation], list[JobStream], list[Job], dict[str, str]]:
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    workstations = [
        Workstation(name=n, status=st, linked=ln, jobman_running=jm, kind=k, id=i)
        for n, st, ln, jm, k, i in spec.workstations
    ]
    by_ref: dict[str, tuple[str, str, str, datetime]] = {}
    for name, ws, sid, planned in spec.streams:
        instance = (name, ws, sid, now + timedelta(minutes=planned))
        by_ref[sid] = instance
        by_ref.setdefault(name, instance)  # by name: the first instance (unique names only)
    jobs: list[Job] = []
    logs: dict[str, str] = {}
    for job_id, name, ref, status, start, duration, rc in spec.jobs:
        stream, ws, sid, stream_start = by_ref[ref]
        start_time = now + timedelta(minutes=start) if start is not None else None
        end_time = start_time + timedelta(minutes=duration) if start_time and duration is not None else None
        job = Job(
            id=f"{ws};{sid};{job_id}",
            name=name,
            job_id=job_id,
            status=status,
            workstation=ws,
            job_stream=stream,
            start_time=start_time,
            end_time=end_time,
            return_code=rc,
            stream_id=sid,
            stream_start=stream_start,
        )
        at_offset: int | None = _keyed(spec.at, job, None)
        job = dataclasses.replace(
            job,
            workstation=_keyed(spec.job_workstation, job, ws),
            at_time=now + timedelta(minutes=at_offset) if at_offset is not None else None,
        )
        jobs.append(job)
        log = _render_log(job, sid, spec)
        if log:
            logs[job.id] = log
    streams = [
        JobStream(
            name=name,
            workstation=ws,
            status=stream_status([j for j in jobs if j.stream_id == sid]),
            id=sid,
            start_time=now + timedelta(minutes=start),
        )
        for name, ws, sid, start in spec.streams
    ]
    return workstations, streams, jobs, logs


def _stamp(value: datetime) -> str:
    return value.astimezone(_LOG_TZ).strftime("%a %m/%d/%Y %H:%M:%S %Z")


def _job_number(job: Job) -> int:
    """The stdlist's job number: from the name's digits (JOB002 -> 41302), else a stable checksum."""
    digits = "".join(ch for ch in job.job_id if ch.isdigit())
    if job.job_id[:3] == "JOB" and digits:
        return 41300 + int(digits)
    return 50000 + zlib.crc32(f"{job.stream_id}.{job.job_id}".encode()) % 40000


def _render_log(job: Job, stream_id: str, spec: PlanSpec = SMALL_PLAN) -> str:
    if job.start_time is None:
        return ""
    start = job.start_time
    if job.status == "FAIL":
        t = start.astimezone(_LOG_TZ).strftime("%H:%M:%S")
        return (
            f"{t} AWSBHT061E Batchman could not launch job {job.workstation}#{job.job_stream}.{job.job_id}: "
            f"workstation {job.workstation} is not linked (netman on {job.workstation} not responding).\n"
            f"{t} AWSBHT071E The job {job.job_id} was not submitted. No stdlist was produced.\n"
        )
    header = (
        "===============================================================\n"
        f"= JOB       : {job.workstation}#{job.job_stream}"
        f"[({start.astimezone(_LOG_TZ).strftime('%H%M %m/%d/%y')}),({stream_id})].{job.job_id}\n"
        f"= USER      : {spec.users.get(job.workstation, 'twsuser')}\n"
        f"= JCLFILE   : /opt/batch/bin/{job.name.lower().replace(' ', '_')}.sh\n"
        f"= Job Number: {_job_number(job)}\n"
        f"= {_stamp(start)}\n"
        "===============================================================\n"
    )
    lines = [
        f"{(start + timedelta(seconds=sec)).astimezone(_LOG_TZ).strftime('%Y-%m-%d %H:%M:%S')} {msg}"
        for sec, msg in _keyed(spec.log_bodies, job, ((1, "INFO  started"),))
    ]
    body = "\n".join(lines) + "\n"
    if job.end_time is None:
        return header + body
    elapsed = int((job.end_time - start).total_seconds())
    trailer = (
        "===============================================================\n"
        f"= Exit Status           : {job.return_code if job.return_code is not None else 0}\n"
        f"= Elapsed Time (hh:mm:ss) : {elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}\n"
        f"= {_stamp(job.end_time)}\n"
        "===============================================================\n"
    )
    return header + body + trailer


def plan_spec(plan: PlanSpec | str) -> PlanSpec:
    """The demo plan called ``plan`` ("small": :data:`SMALL_PLAN`; "large": :mod:`.demo_large`)."""
    if isinstance(plan, PlanSpec):
        return plan
    if plan == "small":
        return SMALL_PLAN
    if plan == "large":
        from .demo_large import large_plan  # generated on demand: the small plan needs none of it

        return large_plan()
    raise ValueError(f"demo plan must be small or large, not {plan!r}")


# ------------------------------------------------------------------------------------------------ client
# What the demo master answers when a job's state rules an action out (see domain.blocked).
_REFUSED: dict[tuple[str, str], str] = {
    ("rerun", "running"): "{id} is {status}: it is still running",
    ("rerun", "not_started"): "{id} is {status}: it has not run yet",
    ("hold", "already_held"): "{id} is {status}: only a job that has not started can be held",
    ("hold", "started"): "{id} is {status}: only a job that has not started can be held",
    ("release", "not_held"): "{id} is {status}, not HOLD",
    ("cancel", "already_cancelled"): "{id} is {status}: it cannot be cancelled",
    ("cancel", "finished"): "{id} is {status}: it cannot be cancelled",
    ("cancel", "running"): "{id} is {status}: it cannot be cancelled",
    ("kill", "not_running"): "{id} is {status}: only a running job can be killed",
    ("confirm_succ", "already"): "{id} is already {status}",
    ("confirm_succ", "cancelled"): "{id} is {status}: it cannot be confirmed",
    ("confirm_succ", "running"): "{id} is {status}: it is still running",
    ("confirm_abend", "already"): "{id} is already {status}",
    ("confirm_abend", "cancelled"): "{id} is {status}: it cannot be confirmed",
    ("confirm_abend", "running"): "{id} is {status}: it is still running",
    ("stream_hold", "already_held"): "{id} is {status}: already held",
    ("stream_hold", "finished"): "{id} is {status}: it has ended",
    ("stream_release", "not_held"): "{id} is {status}, not HOLD",
    ("stream_cancel", "already_cancelled"): "{id} is {status}: already cancelled",
    ("stream_cancel", "finished"): "{id} is {status}: it has ended",
    ("link", "already_linked"): "{id} is already linked",
    ("unlink", "already_unlinked"): "{id} is already unlinked",
    ("reply_yes", "already_answered"): "prompt {id} was already answered ({status})",
    ("reply_no", "already_answered"): "prompt {id} was already answered ({status})",
}
_KILLED = "= Job killed by operator request (conman kill): ABEND\n"
"""The kill marker a killed job's stdlist ends with."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DemoTwsClient:
    """:class:`~twschat.assistant.tws.TwsClient` over an in-memory copy of the demo plan."""

    def __init__(self, clock: Callable[[], datetime] | None = None, plan: PlanSpec | str = "small") -> None:
        self._clock = clock or _utc_now
        self.spec = plan_spec(plan)
        self._workstations, self._streams, self._jobs, self._logs = _build(self.spec, self._clock())
        self._superseded: set[str] = set()
        """Instances a rerun replaced (no longer last in their rerun chain)."""
        self._root: dict[str, str] = {}
        """Instance id -> the id of the first instance of its rerun chain."""
        self._kept_state: dict[str, str] = {j.id: "HOLD" for j in self._jobs if j.status == "CANCELED"}
        """The internal state a cancelled job keeps (reported with commonStatus CANCELED)."""
        self._prompts = [Prompt(id=i, text=text, status=status) for i, text, status in self.spec.prompts]
        self._stream_state: dict[str, str] = {}
        """Job stream instance id -> the state an operator's hold or cancel gave it (over its jobs')."""
        self._seed_reruns()

    # -- reads
    def list_workstations(self) -> Sequence[Workstation]:
        return tuple(self._workstations)

    def list_job_streams(self) -> Sequence[JobStream]:
        return tuple(self._streams)

    def list_prompts(self) -> Sequence[Prompt]:
        return tuple(self._prompts)

    def list_jobs(self) -> Sequence[Job]:
        """The last instance of each rerun chain (what an operator means by "the job")."""
        return tuple(j for j in self._jobs if j.id not in self._superseded)

    def instances(self) -> Sequence[tuple[Job, bool, str]]:
        """Every job instance in the plan with whether it is last in its rerun chain and the id of the
        chain's first instance (rerun instances come right after the one they replaced)."""
        return tuple((j, j.id not in self._superseded, self._root.get(j.id, j.id)) for j in self._jobs)

    # -- reads (dependencies)
    def job_dependencies(self, job: Job) -> Sequence[Dependency]:
        current = self._find(job)
        jobs = self.list_jobs()
        prompts = {p.id: p for p in getattr(self, "_prompts", ())}
        out: list[Dependency] = []
        for kind, name, *extra in _keyed(self.spec.dependencies, current, ()):
            if kind == "job":
                pred = _resolve(name, jobs, current)
                if pred is None:
                    continue
                out.append(
                    Dependency(
                        "job",
                        pred.job_id,
                        job_category(pred.status) == "success",
                        job_stream=pred.job_stream,
                        workstation=pred.workstation,
                        status=pred.status,
                    )
                )
            elif kind == "prompt":
                prompt = prompts.get(name)
                status = prompt.status if prompt is not None else "ASKED"
                text = prompt.text if prompt is not None else ""
                out.append(Dependency("prompt", name, status == "YES", status=status, text=text))
            else:
                free = next((r.available for r in self.list_resources() if r.name == name), None)
                free = extra[1] if free is None else free
                out.append(Dependency("resource", name, free >= extra[0], quantity=extra[0], available=free))
        if current.at_time is not None:
            out.append(Dependency("time", "AT", current.at_time <= self._now(), at=current.at_time))
        return tuple(out)

    def job_successors(self, job: Job) -> Sequence[Dependency]:
        current = self._find(job)
        jobs = self.list_jobs()
        chain = self._root.get(current.id, current.id)
        out: list[Dependency] = []
        for succ in jobs:
            for kind, name, *_extra in _keyed(self.spec.dependencies, succ, ()):
                pred = _resolve(name, jobs, succ) if kind == "job" else None
                if pred is not None and self._root.get(pred.id, pred.id) == chain:
                    out.append(
                        Dependency(
                            "job",
                            succ.job_id,
                            None,
                            job_stream=succ.job_stream,
                            workstation=succ.workstation,
                            status=succ.status,
                        )
                    )
                    break
        return tuple(out)

    # -- reads (resources)
    def list_resources(self) -> Sequence[Resource]:
        """The plan's resources; a holder holds its units while it runs (then they are free again)."""
        running = [j for j in self.list_jobs() if job_category(j.status) == "running"]
        out: list[Resource] = []
        for name, ws, quantity, holders in self.spec.resources:
            held = tuple(
                ResourceHolder(job.job_id, job.job_stream, units, job.stream_id)
                for ref, units in holders
                if (job := _resolve(ref, running)) is not None
            )
            free = max(0, quantity - sum(h.quantity or 0 for h in held))
            out.append(Resource(name, ws, quantity, free, held, id=f"{ws};{name}"))
        return tuple(out)

    def resource_waiters(self, resource: Resource) -> Sequence[Job]:
        """The jobs not started yet whose dependencies name ``resource``."""
        return tuple(
            job
            for job in self.list_jobs()
            if job_category(job.status) in ("waiting", "ready")
            and any(
                kind == "resource" and name == resource.name
                for kind, name, *_ in _keyed(self.spec.dependencies, job, ())
            )
        )

    def job_log(self, job: Job) -> str:
        current = self._find(job)
        log = self._logs.get(current.id, "")
        if not log:
            raise TwsError("not_found", f"no joblog for {current.id}: the job has not run ({current.status})")
        return log

    # -- actions
    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult[Job]:
        current = self._find(job)
        status = current.status
        now = self._now()
        if current.id in self._superseded:
            return ActionResult(action, current, False, f"{current.job_id} was rerun: act on its last run")
        refusal = blocked(action, current)
        if refusal is not None:
            detail = _REFUSED[(action, refusal.reason)].format(id=current.job_id, status=status)
            return ActionResult(action, current, False, detail)
        if action == "rerun":
            return self._rerun(current, now)
        if action == "kill":
            # as a master does: the job ends ABEND, its stdlist says it was killed
            updated = dataclasses.replace(current, status="ABEND", end_time=now)
            self._logs[current.id] = self._logs.get(current.id, "") + _KILLED
            detail = "job killed"
        elif action in ("confirm_succ", "confirm_abend"):
            succ = action == "confirm_succ"
            updated = dataclasses.replace(
                current, status="SUCC" if succ else "ABEND", end_time=current.end_time or now
            )
            detail = f"job confirmed {'SUCC' if succ else 'ABEND'}"
        elif action == "hold":
            updated = dataclasses.replace(current, status="HOLD")
            detail = "job held"
        elif action == "release":
            updated = dataclasses.replace(current, status="READY")
            detail = "job released"
        elif action == "cancel":
            updated = dataclasses.replace(current, status="CANCELED")
            self._kept_state[current.id] = current.status
            detail = "job cancelled"
        else:  # pragma: no cover - JobAction is a closed set
            raise TwsError("bad_response", f"unknown action {action}")
        self._replace(updated)
        return ActionResult(action, updated, True, detail)

    def act_stream(
        self, action: StreamAction, stream: JobStream, *, justification: str = ""
    ) -> ActionResult[JobStream]:
        # by the instance's id: a stream name may have several instances in the plan
        current = next(
            (s for s in self._streams if (s.id == stream.id if stream.id else s.name == stream.name)), None
        )
        if current is None:
            raise TwsError("not_found", f"job stream {stream.name} is not in the plan")
        refusal = blocked(action, current)
        if refusal is not None:
            detail = _REFUSED[(action, refusal.reason)].format(id=current.name, status=current.status)
            return ActionResult(action, current, False, detail)
        if action == "stream_hold":
            self._stream_state[current.id] = "HOLD"
            detail = "job stream held"
        elif action == "stream_release":
            self._stream_state.pop(current.id, None)
            detail = "job stream released"
        else:
            # as conman cancel sched: its jobs that have not started are cancelled; running ones go on
            for job in self.list_jobs():
                if job.stream_id == current.id and job_category(job.status) in ("waiting", "ready"):
                    self._kept_state[job.id] = job.status
                    self._jobs = [
                        dataclasses.replace(j, status="CANCELED") if j.id == job.id else j for j in self._jobs
                    ]
            running = any(
                job_category(j.status) == "running" for j in self.list_jobs() if j.stream_id == current.id
            )
            self._stream_state[current.id] = "CANCELP" if running else "CANCELED"
            detail = "job stream cancelled"
        self._refresh_stream(current.id)
        updated = next(s for s in self._streams if s.id == current.id)
        return ActionResult(action, updated, True, detail)

    def act_workstation(
        self, action: WorkstationAction, workstation: Workstation, *, justification: str = ""
    ) -> ActionResult[Workstation]:
        current = self._workstation(workstation.name)
        if current is None:
            raise TwsError("not_found", f"workstation {workstation.name} is not in the plan")
        refusal = blocked(action, current)
        if refusal is not None:
            detail = _REFUSED[(action, refusal.reason)].format(id=current.name, status=current.status)
            return ActionResult(action, current, False, detail)
        link = action == "link"
        updated = dataclasses.replace(
            current, status="ONLINE" if link else "OFFLINE", linked=link, jobman_running=link
        )
        self._workstations = [updated if w.name == current.name else w for w in self._workstations]
        return ActionResult(action, updated, True, "workstation linked" if link else "workstation unlinked")

    def reply_prompt(self, prompt: Prompt, answer: bool, *, justification: str = "") -> ActionResult[Prompt]:
        action = "reply_yes" if answer else "reply_no"
        current = next((p for p in self._prompts if p.id == prompt.id), None)
        if current is None:
            raise TwsError("not_found", f"prompt {prompt.id} is not in the plan")
        refusal = blocked(action, current)
        if refusal is not None:
            detail = _REFUSED[(action, refusal.reason)].format(id=current.id, status=current.status)
            return ActionResult(action, current, False, detail)
        updated = dataclasses.replace(current, status="YES" if answer else "NO")
        self._prompts = [updated if p.id == current.id else p for p in self._prompts]
        return ActionResult(action, updated, True, f"prompt answered {updated.status}")

    def _rerun(self, current: Job, now: datetime) -> ActionResult[Job]:
        """A new instance of the job in the same job stream, after the old one (which keeps its state)."""
        ws = self._workstation(current.workstation)
        if ws is not None and ws.status == "OFFLINE":
            self._add_rerun(current, status="INTRO", start_time=None)
            detail = f"workstation {ws.name} is unlinked: the job waits in INTRO until it links"
        else:
            self._add_rerun(current, status="EXEC", start_time=now)
            detail = "rerun submitted"
        new = self._jobs[self._jobs.index(current) + 1]
        return ActionResult("rerun", new, True, detail)

    def _add_rerun(
        self,
        current: Job,
        *,
        status: str,
        start_time: datetime | None,
        end_time: datetime | None = None,
        return_code: int | None = None,
    ) -> None:
        """Insert the next instance of ``current``'s rerun chain right after it; ``current`` keeps its
        state and is no longer the chain's last."""
        root = self._root.get(current.id, current.id)
        chain = 1 + sum(1 for r in self._root.values() if r == root)
        # The fake's own id for a rerun instance (the real format is unconfirmed; ids are opaque).
        new = dataclasses.replace(
            current,
            id=f"{root}.R{chain}",
            status=status,
            start_time=start_time,
            end_time=end_time,
            return_code=return_code,
        )
        if start_time is not None:
            self._logs[new.id] = _render_log(new, new.stream_id, self.spec)
        self._superseded.add(current.id)
        self._root[new.id] = root
        self._jobs.insert(self._jobs.index(current) + 1, new)
        self._refresh_stream(new.stream_id)

    def _seed_reruns(self) -> None:
        """The reruns the plan already had (:attr:`PlanSpec.reruns`)."""
        now = self._now()
        for job in list(self._jobs):
            seeded = _keyed(self.spec.reruns, job, None)
            if seeded is None:
                continue
            status, start, duration, rc = seeded
            began = now + timedelta(minutes=start)
            ended = began + timedelta(minutes=duration) if duration is not None else None
            self._add_rerun(job, status=status, start_time=began, end_time=ended, return_code=rc)

    def set_state(self, *, job: str = "", workstation: str = "", status: str, stream: str = "") -> str:
        """Change a job's (its chain's last instance; ``stream`` when the name repeats) or a
        workstation's state at run time (``twschat fake-tws``'s ``POST /__plan``: try alerts by hand).
        Returns the id changed; raises TwsError("not_found") when nothing matches."""
        status = status.strip().upper()
        if workstation:
            ws = self._workstation(workstation.strip().upper())
            if ws is None:
                raise TwsError("not_found", f"workstation {workstation} is not in the plan")
            up = status == "ONLINE"
            changed = dataclasses.replace(ws, status=status, linked=up, jobman_running=up)  # type: ignore[arg-type]
            self._workstations = [changed if w.name == ws.name else w for w in self._workstations]
            return ws.name
        wanted = job.strip().upper()
        hits = [
            j
            for j in self.list_jobs()
            if j.job_id == wanted and (not stream or j.job_stream == stream.upper())
        ]
        if len(hits) != 1:
            raise TwsError("not_found", f"job {job} is not one instance in the plan ({len(hits)} found)")
        now = self._now()
        current = hits[0]
        final = status in ("SUCC", "ABEND", "FAIL", "CANCELED", "CANCL")
        self._replace(
            dataclasses.replace(
                current,
                status=status,
                start_time=current.start_time or now,
                end_time=now if final else None,
                return_code=(0 if status == "SUCC" else 1) if final else None,
            )
        )
        return current.id

    def kept_state(self, job_id: str) -> str:
        """The internal state a cancelled job keeps (reported with commonStatus CANCELED); "" otherwise."""
        return self._kept_state.get(job_id, "")

    # -- helpers
    def _now(self) -> datetime:
        now = self._clock()
        return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)

    def _find(self, job: Job) -> Job:
        for current in self._jobs:
            if current.id == job.id:
                return current
        raise TwsError("not_found", f"job {job.id} is not in the plan")

    def _workstation(self, name: str) -> Workstation | None:
        return next((w for w in self._workstations if w.name == name), None)

    def _replace(self, updated: Job) -> None:
        self._jobs = [updated if j.id == updated.id else j for j in self._jobs]
        self._refresh_stream(updated.stream_id)

    def _refresh_stream(self, stream_id: str) -> None:
        current = self.list_jobs()
        started = any(j.start_time is not None for j in self._jobs if j.stream_id == stream_id)
        self._streams = [
            dataclasses.replace(
                s,
                status=self._stream_state.get(s.id)
                or stream_status([j for j in current if j.stream_id == s.id], started=started),
            )
            if s.id == stream_id
            else s
            for s in self._streams
        ]
