"""Plain-data projections of the TWS reads: ONE place decides what a read means, for the rule skills
(which word it through the catalogues) and the model's tools (which serialize it as JSON).

What a read means: which plan job a dependency or a successor names (:func:`plan_job`), whether a
source reports a read at all (:func:`read_links`, :func:`read_resources`: None when it does not), which
resources are exhausted, and who holds and who waits for one (:func:`resource_view`). Pure: the TWS is
reached only through the :class:`~.tws.TwsClient` (or the turn's :class:`~.plan.TurnPlan`) passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from .domain import (
    Dependency,
    Job,
    Resource,
    ResourceHolder,
    Workstation,
    is_late,
    is_truncated,
    job_category,
)
from .exceptions import TwsFailure
from .plan import TurnPlan
from .tws import TwsClient, TwsError

__all__ = [
    "Links",
    "PlanSummary",
    "ResourceView",
    "exhausted",
    "find_resource",
    "plan_job",
    "plan_summary",
    "read_links",
    "read_resources",
    "resource_view",
]

_T = TypeVar("_T")
Links = Literal["dependencies", "successors"]


def _reported(call: Callable[[], _T], what: str) -> _T | None:
    """The read's answer; None when the source does not report it (404 or no such operation); any
    other failure is a :class:`TwsFailure` tagged with ``what``."""
    try:
        return call()
    except TwsError as err:
        if err.kind == "not_found":
            return None
        raise TwsFailure(err, what) from err


# ------------------------------------------------------------------------------------- the summary
@dataclass(frozen=True, slots=True)
class PlanSummary:
    """The plan at a glance ("como está o ambiente?"): its jobs by state category (in plan order;
    ``other`` for a status without one), the late ones, its workstations (in the source's order)."""

    jobs: tuple[Job, ...]
    by_category: Mapping[str, tuple[Job, ...]]
    """Category -> its jobs, the categories in the order the plan first shows them."""
    late: tuple[Job, ...]
    workstations: tuple[Workstation, ...]

    def of(self, category: str) -> tuple[Job, ...]:
        return self.by_category.get(category, ())

    @property
    def offline(self) -> tuple[Workstation, ...]:
        return tuple(w for w in self.workstations if w.status == "OFFLINE")


def plan_summary(plan: TurnPlan, now: datetime, long_minutes: int) -> PlanSummary:
    """The summary of the turn's plan (a job running longer than ``long_minutes`` is late)."""
    jobs = tuple(plan.jobs)
    by_category: dict[str, list[Job]] = {}
    for job in jobs:
        by_category.setdefault(job_category(job.status) or "other", []).append(job)
    late = tuple(j for j in jobs if is_late(j, now, long_minutes))
    groups = {category: tuple(found) for category, found in by_category.items()}
    return PlanSummary(jobs, groups, late, tuple(plan.workstations))


# ----------------------------------------------------------------------- dependencies, successors
def read_links(tws: TwsClient, job: Job, links: Links) -> Sequence[Dependency] | None:
    """What ``job`` waits for, or the jobs that wait for it; None when the source does not say."""
    call = tws.job_dependencies if links == "dependencies" else tws.job_successors
    return _reported(lambda: call(job), "jobs")


def plan_job(jobs: Sequence[Job], dep: Dependency, near: Job | None = None) -> Job | None:
    """The plan's job a job dependency names (same name, and stream when the source says it); of
    several instances, the one in ``near``'s job stream instance (an internal dependency)."""
    hits = [
        j for j in jobs if j.job_id == dep.name and (not dep.job_stream or j.job_stream == dep.job_stream)
    ]
    same = [j for j in hits if near is not None and near.stream_id and j.stream_id == near.stream_id]
    return next(iter(same or hits), None)


# ------------------------------------------------------------------------------------------ resources
@dataclass(frozen=True, slots=True)
class ResourceView:
    """One resource and the jobs around it: each holder with its plan job (None: not in the plan's
    jobs), and the jobs not started that need it (None: not asked, or the source does not say)."""

    resource: Resource
    holders: tuple[tuple[ResourceHolder, Job | None], ...]
    waiting: tuple[Job, ...] | None = None
    waiting_truncated: bool = False

    @property
    def jobs(self) -> tuple[Job, ...]:
        """The plan jobs shown: holders, then the waiting ones (the referents of "e o log dele?")."""
        held = tuple(job for _h, job in self.holders if job is not None)
        return held + tuple(self.waiting or ())


def read_resources(tws: TwsClient) -> Sequence[Resource] | None:
    """The plan's resources; None when the source does not report them (404, or no such operation)."""
    if getattr(tws, "list_resources", None) is None:
        return None
    return _reported(tws.list_resources, "resources")


def find_resource(resources: Sequence[Resource], name: str) -> Resource | None:
    """The resource ``name`` names (case and ``_``/``-``/space insensitive: "etl db slots")."""

    def key(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    wanted = key(name)
    return next((r for r in resources if wanted and key(r.name) == wanted), None)


def exhausted(resources: Sequence[Resource]) -> list[Resource]:
    """The resources with no unit free now."""
    return [r for r in resources if r.exhausted]


def _holder_job(jobs: Sequence[Job], holder: ResourceHolder) -> Job | None:
    hits = [j for j in jobs if j.job_id == holder.job]
    if holder.stream_id and any(j.stream_id for j in hits):
        return next((j for j in hits if j.stream_id == holder.stream_id), None)
    return next((j for j in hits if not holder.job_stream or j.job_stream == holder.job_stream), None)


def resource_view(plan: TurnPlan, resource: Resource, *, with_waiting: bool = True) -> ResourceView:
    """``resource`` with its holders found in the plan and (``with_waiting``) the jobs waiting for it."""
    jobs = plan.jobs
    holders = tuple((h, _holder_job(jobs, h)) for h in resource.holders)
    if not with_waiting:
        return ResourceView(resource, holders)
    waiting = _reported(lambda: plan.tws.resource_waiters(resource), "resources")
    if waiting is None:
        return ResourceView(resource, holders)
    return ResourceView(resource, holders, tuple(waiting), is_truncated(waiting))
