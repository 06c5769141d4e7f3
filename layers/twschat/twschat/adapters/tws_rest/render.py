"""The demo plan rendered in the plan REST API's shapes — what the fake TWS serves and the dialects read.

Beside the dialects so that one module holds both directions: every field written here is one the
vendor's spec declares (v1: shared/reference/tws-openapi/v1-plan-openapi.json, held to it by
tests/contract/; v2: the parts v2-digest.md read, or the field names the v2 dialect names UNKNOWN).
Absent values are left out, not sent as ``null`` (the spec declares no nullable field).

Used by ``twschat fake-tws`` and the tests only; shipped beside the dialect (it imports nothing the
Lambda does not already load).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Dependency, Job, JobStream, Prompt, Workstation

from .shapes import CONMAN_TO_SPEC, common_status, rest_time

__all__ = [
    "dependencies_to_rest",
    "dependency_to_v2",
    "job_detail_to_rest",
    "job_stream_to_rest",
    "job_stream_to_v2",
    "job_to_rest",
    "prompt_to_rest",
    "prompt_to_v2",
    "render_plan",
    "successor_to_rest",
    "uuid_of",
    "workstation_to_rest",
    "workstation_to_v2",
]


def uuid_of(key: str) -> str:
    """A stable UUID for a plan object (v2 addresses objects by UUID)."""
    return str(uuid5(NAMESPACE_URL, "fake-tws:" + key))


def _clean(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item without ``None`` values, recursively (a master leaves absent fields out)."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, Mapping):
            value = _clean(value)
        if value is not None:
            out[key] = value
    return out


def _stream_key(stream: JobStream | None, job: Job) -> dict[str, Any]:
    """``JobStreamInPlanKey`` (name and startTime required)."""
    return {
        "id": stream.id if stream else None,
        "name": job.job_stream,
        "startTime": rest_time(stream.start_time if stream else None) or "1970-01-01T00:00:00.000000Z",
        "workstationKey": {"name": stream.workstation if stream else job.workstation},
    }


# ----------------------------------------------------------------------------------------------- v1
def job_to_rest(
    job: Job, stream: JobStream | None = None, *, internal_status: str = "", last: bool = True
) -> dict[str, Any]:
    """``JobInPlan`` as a query answers it. ``internal_status``: the state a cancelled job keeps (its
    commonStatus says CANCELED and ``canceled`` is set)."""
    cancelled = job.status == "CANCELED"
    internal = internal_status or ("HOLD" if cancelled else job.status)
    return _clean(
        {
            "id": job.id,
            "name": job.job_id,
            "status": {
                "internalStatus": CONMAN_TO_SPEC.get(internal, internal),
                "commonStatus": common_status(job.status),
                "canceled": cancelled,
            },
            "jobStreamInPlan": _stream_key(stream, job),
            "jobStreamId": stream.id if stream else None,
            "workstationInPlan": {"name": job.workstation},
            "jobDefinition": {
                "jobDefinitionInPlanKey": {
                    "name": job.job_id,
                    "workstationInPlanKey": {"name": job.workstation},
                },
                "description": job.name,
                "returnCode": job.return_code,
            },
            "timeInfo": {
                "actualStartTime": rest_time(job.start_time),
                "actualEndTime": rest_time(job.end_time),
            },
            "timeRestriction": {
                "startTime": rest_time(job.at_time),
                "timeDependent": job.at_time is not None,
            },
            "lastInRerunChain": last,
        }
    )


def _job_key(dep: Dependency, streams: Mapping[str, JobStream]) -> dict[str, Any]:
    stream = streams.get(dep.job_stream)
    return {
        "name": dep.name,
        "jobStreamInPlanKey": {
            "name": dep.job_stream,
            "startTime": rest_time(stream.start_time if stream else None) or "1970-01-01T00:00:00.000000Z",
            "workstationKey": {"name": stream.workstation if stream else dep.workstation},
        },
    }


def _job_dependency(
    dep: Dependency, job: Job, streams: Mapping[str, JobStream]
) -> tuple[str, dict[str, Any]]:
    """A job dependency: ``InternalDependencyInPlan`` in the same stream, else ``ExternalDependencyInPlan``."""
    status = {
        "internalStatus": CONMAN_TO_SPEC.get(dep.status, dep.status),
        "commonStatus": common_status(dep.status),
    }
    key = _job_key(dep, streams)
    if dep.job_stream in ("", job.job_stream):
        return "internalDependencyInPlan", _clean(
            {"jobInPlanKey": key, "satisfied": dep.satisfied, "status": status}
        )
    item = {
        "jobKey": {"name": dep.name},
        "jobStreamKey": key["jobStreamInPlanKey"],
        "jobWorkstationName": dep.workstation,
        "satisfied": dep.satisfied,
        "status": status,
    }
    return "externalDependencyInPlan", _clean(item)


def dependencies_to_rest(
    job: Job, deps: Sequence[Dependency], streams: Mapping[str, JobStream]
) -> dict[str, Any]:
    """``JobDependenciesInPlan``: typed lists (the AT time is the job's ``timeRestriction``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for dep in deps:
        if dep.kind == "job":
            key, item = _job_dependency(dep, job, streams)
        elif dep.kind == "prompt":
            number = int(dep.name) if dep.name.isdigit() else None
            key, item = (
                "promptDependencyInPlan",
                {
                    "promptKey": {"name": dep.name},
                    "promptNumber": number,
                    "text": dep.text,
                    "promptStatus": dep.status,
                    "satisfied": dep.satisfied,
                },
            )
        elif dep.kind == "resource":
            key, item = (
                "resourceDependencyInPlan",
                {
                    "resourceKey": {"name": dep.name},
                    "quantity": dep.quantity,
                    "available": dep.available,
                    "satisfied": dep.satisfied,
                },
            )
        elif dep.kind == "file":
            key, item = (
                "fileDependencyInPlan",
                {
                    "fileInPlan": {"fileInPlanKey": {"name": dep.name}},
                    "satisfied": dep.satisfied,
                },
            )
        else:
            continue  # time: the job's timeRestriction.startTime
        out.setdefault(key, []).append(_clean(item))
    return out


def successor_to_rest(
    dep: Dependency, job: Job, streams: Mapping[str, JobStream]
) -> tuple[str, dict[str, Any]]:
    """A successor as ``internalSuccessors`` / ``externalSuccessors`` hold it (the same item shapes)."""
    key, item = _job_dependency(dep, job, streams)
    return ("internalSuccessors" if key == "internalDependencyInPlan" else "externalSuccessors"), item


def job_detail_to_rest(
    job: Job,
    streams: Mapping[str, JobStream],
    deps: Sequence[Dependency],
    successors: Sequence[Dependency],
    *,
    internal_status: str = "",
    last: bool = True,
) -> dict[str, Any]:
    """``GET .../job/{jobId}``: the job with its ``dependencies`` and successors."""
    # its own stream INSTANCE when the stream's name has several in the plan
    stream = next((s for s in streams.values() if s.id and s.id == job.stream_id), None)
    item = job_to_rest(job, stream or streams.get(job.job_stream), internal_status=internal_status, last=last)
    item["dependencies"] = dependencies_to_rest(job, deps, streams)
    item["internalSuccessors"], item["externalSuccessors"] = [], []
    for succ in successors:
        key, value = successor_to_rest(succ, job, streams)
        item[key].append(value)
    return item


def prompt_to_rest(prompt: Prompt) -> dict[str, Any]:
    """``PromptInPlan``: ``promptInPlanKey.name``, ``number`` (a numbered prompt), ``text``, ``status``."""
    return _clean(
        {
            "id": prompt.key or prompt.id,
            "promptInPlanKey": {"name": prompt.id},
            "number": int(prompt.id) if prompt.id.isdigit() else None,
            "text": prompt.text,
            "status": prompt.status.replace(" ", "_"),
        }
    )


def job_stream_to_rest(stream: JobStream) -> dict[str, Any]:
    """``JobStreamInPlan``: ``key.{name, startTime, workstationKey}``, ``status``."""
    return _clean(
        {
            "id": stream.id,
            "key": {
                "name": stream.name,
                "startTime": rest_time(stream.start_time) or "1970-01-01T00:00:00.000000Z",
                "workstationKey": {"name": stream.workstation},
            },
            "status": {
                "internalStatus": CONMAN_TO_SPEC.get(stream.status, stream.status),
                "commonStatus": common_status(stream.status),
            },
        }
    )


def workstation_to_rest(ws: Workstation) -> dict[str, Any]:
    """``WorkstationInPlan``: ``linkStatus`` LINKED/UNLINKED (NOT_APPLICABLE when unknown), ``jobmanUp``,
    ``writerUp`` (mailman's writer: up while linked), ``type``."""
    link = {True: "LINKED", False: "UNLINKED", None: "NOT_APPLICABLE"}[ws.linked]
    return _clean(
        {
            "id": ws.id,
            "workstationInPlanKey": {"name": ws.name},
            "type": ws.kind,
            "linkStatus": link,
            "jobmanUp": ws.jobman_running,
            "writerUp": ws.linked,
        }
    )


# ----------------------------------------------------------------------------------------------- v2
def dependency_to_v2(dep: Dependency, job: Job) -> dict[str, Any]:
    """``DependencyInPlanV2``: the spec's enums (type, status); field names UNKNOWN (see .dependencies)."""
    if dep.kind == "job":
        kind = "INTERNAL" if dep.job_stream in ("", job.job_stream) else "EXTERNAL_JOB"
    else:
        kind = {"stream": "EXTERNAL_JOBSTREAM", "resource": "RESOURCE", "prompt": "PROMPT"}.get(
            dep.kind, "FILE"
        )
    status = {True: "SATISFIED", False: "UNSATISFIED", None: "UNDECIDED"}[dep.satisfied]
    item: dict[str, Any] = {"dependencyType": kind, "dependencyStatus": status, "satisfied": dep.satisfied}
    if dep.kind == "job":
        item.update(
            jobName=dep.name,
            jobStreamName=dep.job_stream,
            workstation="/" + dep.workstation,
            status=dep.status,
        )
    elif dep.kind == "resource":
        item.update(resourceName=dep.name, quantity=dep.quantity, available=dep.available)
    elif dep.kind == "prompt":
        item.update(promptName=dep.name, promptText=dep.text, promptStatus=dep.status)
    else:
        item.update(fileName=dep.name)
    return _clean(item)


def job_stream_to_v2(stream: JobStream) -> dict[str, Any]:
    return _clean(
        {
            "id": uuid_of(stream.id),
            "name": stream.name,
            "workstation": "/" + stream.workstation,
            "schedTime": rest_time(stream.start_time),
            "compositeStatus": {"status": stream.status},
            "commonStatus": common_status(stream.status),
        }
    )


def workstation_to_v2(ws: Workstation) -> dict[str, Any]:
    """``activeStates`` (ONLINE while linked: the spec's example; other values not read), ``activeFlags``
    (values not read: empty), ``type``."""
    states = [] if ws.linked is None else (["ONLINE"] if ws.linked else [])
    return _clean(
        {
            "id": uuid_of(ws.id),
            "name": "/" + ws.name,
            "type": ws.kind,
            "activeStates": states if ws.linked is not None else None,
            "activeFlags": [],
        }
    )


def prompt_to_v2(prompt: Prompt) -> dict[str, Any]:
    return {**prompt_to_rest(prompt), "id": uuid_of("prompt:" + prompt.id)}


def render_plan(client: DemoTwsClient) -> dict[str, Any]:
    """The client's plan (after its actions) as the fake serves it (v1 shapes): ``workstations``,
    ``jobStreams``, ``jobs`` (every instance of every rerun chain, ``lastInRerunChain`` set),
    ``prompts``."""
    # by the stream INSTANCE (a name may have several in one plan), by name for jobs without one
    by_id = {s.id: s for s in client.list_job_streams()}
    by_name = {s.name: s for s in client.list_job_streams()}
    jobs = [
        job_to_rest(
            job,
            by_id.get(job.stream_id) or by_name.get(job.job_stream),
            internal_status=client.kept_state(job.id),
            last=last,
        )
        for job, last, _root in client.instances()
    ]
    return {
        "planId": "current",
        "workstations": [workstation_to_rest(w) for w in client.list_workstations()],
        "jobStreams": [job_stream_to_rest(s) for s in client.list_job_streams()],
        "jobs": jobs,
        "prompts": [prompt_to_rest(p) for p in client.list_prompts()],
    }
