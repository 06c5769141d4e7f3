"""The TWS data source seam: what the responder may ask of a TWS plan, and what it gets back.

Two implementations are chosen by configuration (``TWS_MODE``): the demo plan kept as data
(``twschat.core.demo_tws``) and the REST client for a real master domain manager
(``twschat.adapters.tws_rest``). The models carry the fields the plan REST API gives (see
shared/reference/tws-rest.md); everything here is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

JobAction = Literal["rerun", "hold", "release", "cancel"]

# conman `showjobs` internal states grouped the way operators ask about them.
FAILED_STATES = frozenset({"ABEND", "ABENP", "FAIL", "ERROR"})
RUNNING_STATES = frozenset({"EXEC", "INTRO", "WAIT"})
WAITING_STATES = frozenset({"HOLD", "SCHED", "ADD", "PEND", "FENCE", "SUSP"})
READY_STATES = frozenset({"READY"})
SUCCESS_STATES = frozenset({"SUCC", "SUCCP", "DONE"})


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


class TwsError(Exception):
    """The TWS source could not answer. ``kind`` tells the operator what to try."""

    def __init__(
        self,
        kind: Literal["unreachable", "timeout", "unauthorized", "not_found", "server", "bad_response"],
        detail: str = "",
    ) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class TwsClient(Protocol):
    def list_workstations(self) -> Sequence[Workstation]: ...

    def list_job_streams(self) -> Sequence[JobStream]: ...

    def list_jobs(self) -> Sequence[Job]: ...

    def job_log(self, job: Job) -> str: ...

    def act(self, action: JobAction, job: Job) -> ActionResult: ...
