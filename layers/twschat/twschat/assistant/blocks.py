"""Structured answers: the ``blocks`` a reply carries (docs/blocks.md), built from the plan's objects.

One builder per block kind, from the domain objects the TWS returned (a :class:`~.domain.Job`, a job
log, a :class:`~.state.PendingAction`...), never from wording: the rule skills pass what they read,
the model responder's tools pass their results' objects. A ``title`` or ``actionLabel`` may be a
:class:`~.answer.Msg` (wording-free); :func:`worded` turns them into text in the reply's language.
Every other value is JSON data (no floats): blocks are stored with the reply and redrawn from the
history.

Pure: no I/O, no catalogues; imports the domain, the state and the answer types only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from .answer import Msg
from .domain import STATUSES, Dependency, Job, JobStream, Prompt, Target, Workstation, blocked, job_category
from .state import PendingAction

__all__ = [
    "LOG_BLOCK_MAX_CHARS",
    "LOG_BLOCK_MAX_LINES",
    "Block",
    "confirmation_block",
    "dependencies_block",
    "job_block",
    "job_item",
    "jobs_block",
    "log_block",
    "prompts_block",
    "streams_block",
    "summary_block",
    "worded",
    "workstations_block",
]

Block = dict[str, Any]
LOG_BLOCK_MAX_LINES = 400
LOG_BLOCK_MAX_CHARS = 24_000
"""A log block keeps the log's last lines within these bounds (where the error usually is), so it fits
every part of a split reply (``core.frames.MAX_BLOCKS_BYTES``); ``truncated`` says it was cut."""
_LINE_MAX_CHARS = 1000
_CATEGORY_ORDER = ("failed", "running", "waiting", "ready", "success", "cancelled", "other")


def iso(moment: datetime | None, zone: tzinfo) -> str | None:
    """An ISO 8601 instant with its offset, in the operator's zone (None stays None)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).isoformat(timespec="seconds")


def category(status: str) -> str:
    """The job column of the domain's status table (``other`` for a status with none)."""
    return job_category(status) or "other"


def stream_category(status: str) -> str:
    info = STATUSES.get(status)
    return (info.stream if info else None) or "other"


def job_actions(job: Job) -> list[str]:
    """The next steps a job's row offers, by the domain's rules: its log once it ran (or ended), why
    when it failed, a rerun when the state allows one (``blocked``)."""
    cat = category(job.status)
    out: list[str] = []
    if job.start_time is not None or job.end_time is not None or cat in ("failed", "success"):
        out.append("log")
    if cat == "failed":
        out.append("why")
    if blocked("rerun", job) is None:
        out.append("rerun")
    return out


def job_item(job: Job, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": job.job_id,
        "name": job.name,
        "status": job.status,
        "category": category(job.status),
        "stream": job.job_stream,
        "streamTime": iso(job.stream_start, zone),
        "workstation": job.workstation,
        "returnCode": job.return_code,
        "start": iso(job.start_time, zone),
        "end": iso(job.end_time, zone),
        "planId": job.id,
        "actions": job_actions(job),
    }


def _titled(block: Block, title: Msg | str | None) -> Block:
    return {**block, "title": title} if title else block


def jobs_block(
    jobs: Iterable[Job], zone: tzinfo, title: Msg | str | None = None, *, truncated: bool = False
) -> Block | None:
    """A job list (None when there is no job to show: a block needs at least one)."""
    items = [job_item(j, zone) for j in jobs]
    if not items:
        return None
    block: Block = {"kind": "jobs", "items": items}
    if truncated:
        block["truncated"] = True
    return _titled(block, title)


def job_block(job: Job, zone: tzinfo) -> Block:
    return {"kind": "job", "item": job_item(job, zone)}


def log_block(job: Job, log: str, zone: tzinfo, is_error: Callable[[str], bool]) -> Block:
    """The log as the TWS returned it, one string a line, its last lines within the bounds; the
    1-based numbers of the lines ``is_error`` points at (the same test the answer's text uses)."""
    lines = [ln.rstrip("\r") for ln in log.rstrip("\n").split("\n")] if log.strip() else []
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        cut = line[:_LINE_MAX_CHARS]
        if len(kept) >= LOG_BLOCK_MAX_LINES or size + len(cut) > LOG_BLOCK_MAX_CHARS:
            break
        kept.append(cut)
        size += len(cut) + 1
    kept.reverse()
    block: Block = {
        "kind": "log",
        "job": job_item(job, zone),
        "lines": kept,
        "errorLines": [n for n, line in enumerate(kept, 1) if is_error(line)],
    }
    if len(kept) < len(lines) or any(len(ln) > _LINE_MAX_CHARS for ln in lines):
        block["truncated"] = True
    return block


def workstation_item(ws: Workstation) -> dict[str, Any]:
    return {
        "name": ws.name,
        "status": ws.status,
        "linked": ws.linked,
        "jobmanRunning": ws.jobman_running,
        "kind": ws.kind,
    }


def workstations_block(workstations: Iterable[Workstation], title: Msg | str | None = None) -> Block | None:
    items = [workstation_item(w) for w in workstations]
    return _titled({"kind": "workstations", "items": items}, title) if items else None


def stream_item(stream: JobStream, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": stream.id,
        "name": stream.name,
        "status": stream.status,
        "category": stream_category(stream.status),
        "workstation": stream.workstation,
        "streamTime": iso(stream.start_time, zone),
        "start": iso(stream.start_time, zone),
    }


def streams_block(streams: Iterable[JobStream], zone: tzinfo, title: Msg | str | None = None) -> Block | None:
    items = [stream_item(s, zone) for s in streams]
    return _titled({"kind": "streams", "items": items}, title) if items else None


def dependency_item(
    dep: Dependency, zone: tzinfo, *, satisfied: bool | None, status: str = ""
) -> dict[str, Any]:
    """One dependency; ``satisfied`` and ``status`` as the caller established them from the plan (a
    predecessor's current status), else as the source said."""
    return {
        "kind": dep.kind,
        "name": dep.name,
        "satisfied": satisfied,
        "stream": dep.job_stream,
        "workstation": dep.workstation,
        "status": status or dep.status,
        "text": dep.text,
        "quantity": dep.quantity,
        "available": dep.available,
        "at": iso(dep.at, zone),
    }


def dependencies_block(
    job: Job | None, items: Sequence[Mapping[str, Any]], zone: tzinfo, title: Msg | str | None = None
) -> Block | None:
    if not items:
        return None
    block: Block = {"kind": "dependencies", "items": [dict(i) for i in items]}
    if job is not None:
        block["job"] = job_item(job, zone)
    return _titled(block, title)


def prompts_block(prompts: Iterable[Prompt], title: Msg | str | None = None) -> Block | None:
    items = [{"id": p.id, "text": p.text, "status": p.status} for p in prompts]
    return _titled({"kind": "prompts", "items": items}, title) if items else None


def summary_block(jobs: Iterable[Job], late: int | None = None) -> Block:
    """Jobs per category (a category with none left out), and how many are late."""
    counts: dict[str, int] = {}
    for job in jobs:
        cat = category(job.status)
        counts[cat] = counts.get(cat, 0) + 1
    block: Block = {"kind": "summary", "counts": {c: counts[c] for c in _CATEGORY_ORDER if c in counts}}
    if late is not None:
        block["late"] = late
    return block


def confirmation_block(
    pending: PendingAction, target: Target | None, zone: tzinfo, action_label: Msg | str | None = None
) -> Block | None:
    """The action waiting for the operator's yes, from the code-written pending action and the plan's
    object it names (None when the plan no longer shows it: the question still tells it)."""
    item = _target_item(pending, target, zone)
    if item is None:
        return None
    block: Block = {"kind": "confirmation", "action": pending.action, "target": item}
    if action_label:
        block["actionLabel"] = action_label
    if pending.justification:
        block["reason"] = pending.justification
    if pending.expires_at:
        block["expiresAt"] = iso(datetime.fromtimestamp(pending.expires_at, UTC), zone)
    return block


def _target_item(pending: PendingAction, target: Target | None, zone: tzinfo) -> dict[str, Any] | None:
    if isinstance(target, Job):
        # its buttons are Confirmar / Cancelar: no row buttons beside them
        return {**job_item(target, zone), "kind": "job", "actions": []}
    if isinstance(target, JobStream):
        return {
            "kind": "stream",
            "id": target.id or target.name,
            "name": target.name,
            "status": target.status,
            "category": stream_category(target.status),
            "workstation": target.workstation,
            "streamTime": iso(target.start_time, zone),
        }
    if isinstance(target, Workstation):
        return {
            "kind": "workstation",
            "id": target.name,
            "name": target.name,
            "status": target.status,
            "linked": target.linked,
        }
    if isinstance(target, Prompt):
        return {"kind": "prompt", "id": target.id, "name": target.text, "status": target.status}
    if pending.kind == "prompt":
        return {"kind": "prompt", "id": pending.job_id, "name": pending.name}
    return None


def worded(blocks: Iterable[Mapping[str, Any]], render: Callable[[Msg], str]) -> tuple[Block, ...]:
    """The blocks with their wording-free ``title`` / ``actionLabel`` rendered (a title's closing
    colon dropped: it introduced the text's list, the block is drawn under it)."""
    out: list[Block] = []
    for block in blocks:
        done = dict(block)
        for key in ("title", "actionLabel"):
            value = done.get(key)
            if isinstance(value, Msg):
                done[key] = render(value).strip().rstrip(":").strip()
        out.append(done)
    return tuple(out)
