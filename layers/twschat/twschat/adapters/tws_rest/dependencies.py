"""What a job waits for and what waits for it, read from the plan REST API's answers (v1 and v2).

v1 (the vendor spec, comparison.md items 34-36): ``JobInPlan.dependencies`` is
``JobDependenciesInPlan``, an object of typed lists — ``internalDependencyInPlan`` /
``externalDependencyInPlan`` (``InternalDependencyInPlan {jobInPlanKey {name, jobStreamInPlanKey},
satisfied, status: Status}``, ``ExternalDependencyInPlan {jobStreamKey, jobKey, jobWorkstationName,
satisfied, status}``), ``promptDependencyInPlan`` (``promptKey``, ``text``, ``promptStatus``,
``promptNumber``), ``resourceDependencyInPlan`` (``resourceKey.name``, ``quantity``, ``available``),
``fileDependencyInPlan`` (``fileInPlan.fileInPlanKey.name``), ``internetworkDependenciesInPlan``
(``dependency``); the AT time is the job's ``timeRestriction.startTime`` (:func:`time_dependency`). Successors:
``JobInPlan.internalSuccessors`` / ``externalSuccessors`` (same item shapes), or
``JobInPlanSuccessorsResult.values[]`` (``JobInPlanOnCriticalNetwork {key: JobInPlanKey, status}``).
Predecessors: ``JobInPlanOnCriticalNetwork {dependencies: DependenciesInPlan, jobPredecessors[]}``
(the strings' format is UNKNOWN: read as job ids ``WS;JSID;JOB``, the name after the last ``;``).

v2 (v2-digest.md, item 61): ``JobInPlanV2.dependencies`` is an array of ``DependencyInPlanV2`` whose
type enum is INTERNAL, EXTERNAL_JOB, EXTERNAL_JOBSTREAM, JOIN, FILE, RESOURCE, INTERNETWORK, PROMPT and
status enum SATISFIED, UNSATISFIED, UNDECIDED, UNBOUND. Its field names were not read (UNKNOWN): read as
HCL's docs name them (``dependencyType``, ``dependencyStatus``, ``satisfied``, ``jobName``,
``jobStreamName``, ``jobStreamWorkstation``; resource/prompt/file names as ``resourceName``,
``promptName``, ``fileName``, with ``quantity``, ``available``, ``promptText``, ``promptStatus``,
``status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twschat.assistant.domain import Dependency, DependencyKind, Job
from twschat.assistant.tws import TwsError

from .shapes import dig, int_or_none, object_name, status_of, text

__all__ = [
    "V2_KINDS",
    "time_dependency",
    "v1_dependencies",
    "v1_predecessors",
    "v1_successors",
    "v1_successors_preview",
    "v2_dependencies",
]

V2_KINDS: Mapping[str, DependencyKind] = {
    "INTERNAL": "job",
    "EXTERNAL_JOB": "job",
    "JOIN": "job",
    "INTERNETWORK": "job",
    "EXTERNAL_JOBSTREAM": "stream",
    "FILE": "file",
    "RESOURCE": "resource",
    "PROMPT": "prompt",
}
_V2_SATISFIED: Mapping[str, bool | None] = {
    "SATISFIED": True,
    "UNSATISFIED": False,
    "UNDECIDED": None,
    "UNBOUND": None,
}


def _items(data: Any, key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _satisfied(item: Mapping[str, Any]) -> bool | None:
    value = item.get("satisfied")
    return value if isinstance(value, bool) else None


def _job_status(item: Mapping[str, Any]) -> str:
    status = item.get("status")
    return status_of({}, dig(status, "internalStatus"), dig(status, "commonStatus"))


def _internal(item: Mapping[str, Any]) -> Dependency:
    key = item.get("jobInPlanKey")
    return Dependency(
        "job",
        text(dig(key, "name")),
        _satisfied(item),
        job_stream=text(dig(key, "jobStreamInPlanKey", "name")),
        workstation=text(dig(key, "jobStreamInPlanKey", "workstationKey", "name")),
        status=_job_status(item),
    )


def _external(item: Mapping[str, Any]) -> Dependency:
    job_name = text(dig(item, "jobKey", "name"))
    stream = text(dig(item, "jobStreamKey", "name"))
    workstation = text(item.get("jobWorkstationName")) or text(
        dig(item, "jobStreamKey", "workstationKey", "name")
    )
    if not job_name:  # a dependency on a whole job stream
        return Dependency(
            "stream", stream, _satisfied(item), workstation=workstation, status=_job_status(item)
        )
    return Dependency(
        "job",
        job_name,
        _satisfied(item),
        job_stream=stream,
        workstation=workstation,
        status=_job_status(item),
    )


def _typed_lists(deps: Any) -> list[Dependency]:
    """``JobDependenciesInPlan`` / ``DependenciesInPlan`` -> dependencies, in the spec's order."""
    out = [_internal(i) for i in _items(deps, "internalDependencyInPlan")]
    out += [_external(i) for i in _items(deps, "externalDependencyInPlan")]
    out += [
        Dependency("job", text(i.get("dependency")), _satisfied(i), status=_job_status(i))
        for i in _items(deps, "internetworkDependenciesInPlan")
    ]
    for i in _items(deps, "promptDependencyInPlan"):
        number = int_or_none(i.get("promptNumber"))
        name = str(number) if number is not None else text(dig(i, "promptKey", "name"))
        status = text(i.get("promptStatus")) or text(i.get("status"))
        out.append(Dependency("prompt", name, _satisfied(i), status=status.upper(), text=text(i.get("text"))))
    out += [
        Dependency(
            "resource",
            text(dig(i, "resourceKey", "name")),
            _satisfied(i),
            quantity=int_or_none(i.get("quantity")),
            available=int_or_none(i.get("available")),
        )
        for i in _items(deps, "resourceDependencyInPlan")
    ]
    out += [
        Dependency("file", text(dig(i, "fileInPlan", "fileInPlanKey", "name")), _satisfied(i))
        for i in _items(deps, "fileDependencyInPlan")
    ]
    return out


def time_dependency(job: Job) -> list[Dependency]:
    """The job's AT time (v1 ``timeRestriction.startTime``): unsatisfied while the job waits in SCHED
    (conman: "waiting for its AT time"), satisfied once it started, else unknown."""
    if job.at_time is None:
        return []
    satisfied = False if job.status == "SCHED" else True if job.start_time is not None else None
    return [Dependency("time", "AT", satisfied, at=job.at_time)]


def v1_dependencies(data: Any) -> list[Dependency] | None:
    if not isinstance(data, Mapping):
        raise TwsError("bad_response", "expected the job (JobInPlan) as a JSON object")
    deps = data.get("dependencies")
    if deps is None:
        return None
    if not isinstance(deps, Mapping):
        raise TwsError("bad_response", "expected dependencies as an object of typed lists")
    return _typed_lists(deps)


def v1_predecessors(data: Any) -> list[Dependency]:
    if not isinstance(data, Mapping):
        raise TwsError("bad_response", "expected JobInPlanOnCriticalNetwork as a JSON object")
    jobs = [
        Dependency("job", ident.rsplit(";", 1)[-1], None)
        for ident in data.get("jobPredecessors") or ()
        if isinstance(ident, str) and ident
    ]
    return jobs + _typed_lists(data.get("dependencies"))


def v1_successors(data: Any) -> list[Dependency] | None:
    if not isinstance(data, Mapping):
        raise TwsError("bad_response", "expected the job (JobInPlan) as a JSON object")
    if data.get("internalSuccessors") is None and data.get("externalSuccessors") is None:
        return None
    return [_internal(i) for i in _items(data, "internalSuccessors")] + [
        _external(i) for i in _items(data, "externalSuccessors")
    ]


def v1_successors_preview(data: Any) -> list[Dependency]:
    if not isinstance(data, Mapping):
        raise TwsError("bad_response", "expected JobInPlanSuccessorsResult as a JSON object")
    out = []
    for item in _items(data, "values"):
        key = item.get("key")
        out.append(
            Dependency(
                "job",
                text(dig(key, "name")),
                None,
                job_stream=text(dig(key, "jobStreamInPlanKey", "name")),
                workstation=text(dig(key, "jobStreamInPlanKey", "workstationKey", "name")),
                status=_job_status(item),
            )
        )
    return out


def v2_dependencies(data: Any) -> list[Dependency]:
    """``JobInPlanV2.dependencies`` (field names UNKNOWN, see the module docstring)."""
    items = data.get("dependencies") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise TwsError("bad_response", "expected a list of dependencies")
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = V2_KINDS.get(text(item.get("dependencyType")).upper(), "job")
        satisfied = _satisfied(item)
        if satisfied is None:
            satisfied = _V2_SATISFIED.get(text(item.get("dependencyStatus")).upper())
        name = (
            text(item.get("jobName"))
            or text(item.get("resourceName"))
            or text(item.get("promptName"))
            or text(item.get("fileName"))
            or (text(item.get("jobStreamName")) if kind == "stream" else "")
        )
        out.append(
            Dependency(
                kind=kind,
                name=object_name(name),
                satisfied=satisfied,
                job_stream=text(item.get("jobStreamName")) if kind != "stream" else "",
                workstation=object_name(item.get("workstation") or item.get("jobStreamWorkstation")),
                status=text(item.get("status") or item.get("promptStatus")).upper(),
                text=text(item.get("promptText")),
                quantity=int_or_none(item.get("quantity")),
                available=int_or_none(item.get("available")),
            )
        )
    return out
