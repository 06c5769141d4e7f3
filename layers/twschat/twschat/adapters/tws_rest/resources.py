"""Resources in the plan (conman ``sr``) in both REST dialects: ONE home for the read — the parsers the
client uses and the rendering the fake serves, side by side, so the two cannot drift.

Sources:

- v1 (shared/reference/tws-openapi/v1-plan-openapi.json, reduced copy in tests/contract/):
  ``POST /plan/{planId}/resource/query`` with ``QueryFilterPlan`` ``{"filters": {"resourceInPlanFilter":
  {"resourceName": ...}}}``, answering ``ResourceInPlan[]``: ``id``, ``resourceKey`` (``ResourceInPlanKey``:
  ``name``, ``workstationInPlanKey.name``), ``quantityDefined``, ``quantityAvailable``, ``quantityInUse``,
  ``holders`` (``ResourceHolderInPlan``: ``jobKey`` (``JobInPlanKey``: ``name``, ``jobStreamInPlanKey``),
  ``jobStreamId``, ``quantity``). The jobs that need a resource: ``JobInPlanFilter.resourceDependencyName``.
- v2 (WA_API3_v2.json, offsets 1553500-1578000 read for this; the reduced copy in tests/contract/
  names them): ``GET /api/v2/plan/resource`` (``limit``, ``offset``, ``oql``; ``Include-Count``) answering
  ``PaginatedResponseV225``; the members of a resource in plan are those of the spec's inline
  ``PATCH /plan/resource/{resource_id}`` schema: ``id``, ``name``, ``workstation`` (a path), ``quantity``
  (defined), ``quantityAvailable``, ``quantityInUse``, ``holders`` (``ResourceHolderInPlan``, read as v1's).
  ``ResourceInPlanV2`` itself was not read (UNKNOWN: the PATCH schema's members are assumed). No OQL field
  for "jobs that need a resource" was read: v2 finds them by reading the waiting jobs' dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from twschat.assistant.domain import Job, Resource, ResourceHolder, job_category
from twschat.assistant.tws import TwsError

from .shapes import dig, int_or_none, object_name, rest_time, text

__all__ = [
    "RESOURCE_DEPENDENCY_FILTER",
    "needs_resource",
    "resource_to_rest",
    "resource_to_v2",
    "v1_resource",
    "v2_resource",
    "waiting",
]

RESOURCE_DEPENDENCY_FILTER = "resourceDependencyName"
"""v1 ``JobInPlanFilter``: the jobs whose dependencies name this resource."""


def _holder(item: Any) -> ResourceHolder | None:
    if not isinstance(item, Mapping):
        return None
    job = text(dig(item, "jobKey", "name"))
    if not job:
        return None
    return ResourceHolder(
        job=job,
        job_stream=text(dig(item, "jobKey", "jobStreamInPlanKey", "name"))
        or text(dig(item, "jobStreamKey", "name")),
        quantity=int_or_none(item.get("quantity")),
        stream_id=text(item.get("jobStreamId")),
    )


def _holders(item: Mapping[str, Any]) -> tuple[ResourceHolder, ...]:
    return tuple(h for raw in item.get("holders") or () if (h := _holder(raw)) is not None)


def v1_resource(item: Mapping[str, Any]) -> Resource:
    """``ResourceInPlan`` (``resourceKey``, or ``resourceInPlanKey`` when only that is filled)."""
    key = item.get("resourceKey") or item.get("resourceInPlanKey") or {}
    name = text(dig(key, "name"))
    if not name:
        raise TwsError("bad_response", "a resource without a name")
    return Resource(
        name=name,
        workstation=text(dig(key, "workstationInPlanKey", "name")),
        quantity=int_or_none(item.get("quantityDefined")),
        available=int_or_none(item.get("quantityAvailable")),
        holders=_holders(item),
        id=text(item.get("id")),
    )


def v2_resource(item: Mapping[str, Any]) -> Resource:
    """A v2 resource in plan (the PATCH schema's members; see the module docstring)."""
    name = object_name(item.get("name"))
    if not name:
        raise TwsError("bad_response", "a resource without a name")
    return Resource(
        name=name,
        workstation=object_name(item.get("workstation")),
        quantity=int_or_none(item.get("quantity")),
        available=int_or_none(item.get("quantityAvailable")),
        holders=_holders(item),
        id=text(item.get("id")),
    )


def needs_resource(dependencies: Sequence[Any], resource: Resource) -> bool:
    """Whether a job's dependencies (domain :class:`~twschat.assistant.domain.Dependency`) name it."""
    return any(d.kind == "resource" and d.name == resource.name for d in dependencies)


# ------------------------------------------------------------------------------------------ rendering
def _holder_to_rest(holder: ResourceHolder, streams: Mapping[str, Any]) -> dict[str, Any]:
    start = streams.get(holder.stream_id)
    stream_key = {
        "name": holder.job_stream,
        "startTime": rest_time(start) or "1970-01-01T00:00:00.000000Z",
    }
    item = {
        "jobKey": {"name": holder.job, "jobStreamInPlanKey": stream_key},
        "jobStreamId": holder.stream_id or None,
        "quantity": holder.quantity,
    }
    return {k: v for k, v in item.items() if v is not None}


def _in_use(resource: Resource) -> int | None:
    if resource.quantity is None or resource.available is None:
        return None
    return resource.quantity - resource.available


def resource_to_rest(resource: Resource, stream_starts: Mapping[str, Any]) -> dict[str, Any]:
    """``ResourceInPlan`` as a v1 query answers it (``stream_starts``: stream instance id -> start)."""
    item = {
        "id": resource.id or None,
        "resourceKey": {"name": resource.name, "workstationInPlanKey": {"name": resource.workstation}},
        "quantityDefined": resource.quantity,
        "quantityAvailable": resource.available,
        "quantityInUse": _in_use(resource),
        "holders": [_holder_to_rest(h, stream_starts) for h in resource.holders],
    }
    return {k: v for k, v in item.items() if v is not None}


def resource_to_v2(resource: Resource, stream_starts: Mapping[str, Any], uuid: str) -> dict[str, Any]:
    """The v2 resource in plan (``uuid``: its id, v2 addresses objects by UUID)."""
    item = {
        "id": uuid,
        "name": resource.name,
        "workstation": "/" + resource.workstation if resource.workstation else None,
        "quantity": resource.quantity,
        "quantityAvailable": resource.available,
        "quantityInUse": _in_use(resource),
        "holders": [_holder_to_rest(h, stream_starts) for h in resource.holders],
    }
    return {k: v for k, v in item.items() if v is not None}


def waiting(jobs: Sequence[Job]) -> list[Job]:
    """Of the jobs that need a resource, the ones that have not started (they wait for its units)."""
    return [j for j in jobs if job_category(j.status) in ("waiting", "ready")]
