"""The plan as seen during one turn, and the NLU catalogue built from it (reused while the plan holds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .domain import Job, JobStream, Listing, Workstation, is_truncated
from .exceptions import TwsFailure
from .nlu import Catalog
from .tws import TwsClient, TwsError

__all__ = ["CatalogCache", "TurnPlan"]


class TurnPlan:
    """Each list fetched at most once per turn; a failure is tagged with what failed and not retried."""

    def __init__(self, tws: TwsClient) -> None:
        self.tws = tws
        self._jobs: tuple[Job, ...] | None = None
        self._workstations: tuple[Workstation, ...] | None = None
        self._streams: tuple[JobStream, ...] | None = None
        self._failures: dict[str, TwsFailure] = {}

    def _call(self, what: str, fn: Callable[[], Sequence[Any]]) -> tuple[Any, ...]:
        failed = self._failures.get(what)
        if failed is not None:  # do not wait twice for a master that just timed out
            raise failed
        try:
            items = fn()
            # a Listing keeps its ``truncated`` flag: the answer says the list may be incomplete
            return Listing(items, is_truncated(items))
        except TwsError as err:
            failure = self._failures[what] = TwsFailure(err, what)
            raise failure from err

    @property
    def jobs(self) -> tuple[Job, ...]:
        if self._jobs is None:
            self._jobs = self._call("jobs", self.tws.list_jobs)
        return self._jobs

    @property
    def workstations(self) -> tuple[Workstation, ...]:
        if self._workstations is None:
            self._workstations = self._call("workstations", self.tws.list_workstations)
        return self._workstations

    @property
    def streams(self) -> tuple[JobStream, ...]:
        if self._streams is None:
            self._streams = self._call("streams", self.tws.list_job_streams)
        return self._streams

    def job(self, plan_id: str) -> Job | None:
        return next((j for j in self.jobs if j.id == plan_id), None)

    def workstation(self, name: str) -> Workstation | None:
        return next((w for w in self.workstations if w.name == name), None)


class CatalogCache:
    """The NLU catalogue of the last plan seen, rebuilt only when the plan's names change."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._catalog: Catalog | None = None

    def for_plan(self, plan: TurnPlan) -> Catalog | None:
        try:
            jobs = plan.jobs
            workstations = plan.workstations
        except TwsFailure:
            # Recognize without plan names; the skill that needs the plan reports the failure.
            return None
        key = (tuple((j.id, j.name, j.job_id) for j in jobs), tuple(w.name for w in workstations))
        if self._catalog is None or key != self._key:
            self._catalog = Catalog.build(jobs, workstations)
            self._key = key
        return self._catalog
