"""``blocks`` for the page's tests, built from the demo plan's objects (the TWS shapes the server reads)
exactly as docs/blocks.md maps them: what the server will send once it produces blocks.

The jobs, streams, workstations, prompts, dependencies and the job log all come from
:class:`~twschat.assistant.demo.DemoTwsClient`; categories from the domain's one status table.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import STATUSES, Dependency, Job, JobStream, Prompt, Workstation, job_category

Block = dict[str, Any]
# The lines a diagnosis points at: the log's own ERROR lines and Oracle / OS error codes.
ERROR_LINE = re.compile(r"\bERROR\b|\bORA-\d{5}\b")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def stream_times(tws: DemoTwsClient) -> dict[str, str | None]:
    return {s.name: iso(s.start_time) for s in tws.list_job_streams()}


def job_item(job: Job, streams: dict[str, str | None]) -> dict[str, Any]:
    return {
        "id": job.job_id,
        "name": job.name,
        "status": job.status,
        "category": job_category(job.status) or "other",
        "stream": job.job_stream,
        "streamTime": streams.get(job.job_stream),
        "workstation": job.workstation,
        "returnCode": job.return_code,
        "start": iso(job.start_time),
        "end": iso(job.end_time),
        "planId": job.id,
    }


def jobs_block(tws: DemoTwsClient, jobs: list[Job] | None = None, title: str = "") -> Block:
    streams = stream_times(tws)
    items = [job_item(j, streams) for j in (tws.list_jobs() if jobs is None else jobs)]
    return {"kind": "jobs", "title": title, "items": items}


def job_block(tws: DemoTwsClient, job: Job) -> Block:
    return {"kind": "job", "item": job_item(job, stream_times(tws))}


def log_block(tws: DemoTwsClient, job: Job) -> Block:
    lines = tws.job_log(job).rstrip("\n").split("\n")
    errors = [n for n, line in enumerate(lines, 1) if ERROR_LINE.search(line)]
    return {"kind": "log", "job": job_item(job, stream_times(tws)), "lines": lines, "errorLines": errors}


def workstation_item(ws: Workstation) -> dict[str, Any]:
    return {
        "name": ws.name,
        "status": ws.status,
        "linked": ws.linked,
        "jobmanRunning": ws.jobman_running,
        "kind": ws.kind,
    }


def workstations_block(tws: DemoTwsClient) -> Block:
    return {"kind": "workstations", "items": [workstation_item(w) for w in tws.list_workstations()]}


def stream_item(stream: JobStream) -> dict[str, Any]:
    info = STATUSES.get(stream.status)
    return {
        "id": stream.id,
        "name": stream.name,
        "status": stream.status,
        "category": (info.stream if info else None) or "other",
        "workstation": stream.workstation,
        "streamTime": iso(stream.start_time),
        "start": iso(stream.start_time),
    }


def streams_block(tws: DemoTwsClient) -> Block:
    return {"kind": "streams", "items": [stream_item(s) for s in tws.list_job_streams()]}


def dependency_item(dep: Dependency) -> dict[str, Any]:
    return {
        "kind": dep.kind,
        "name": dep.name,
        "satisfied": dep.satisfied,
        "stream": dep.job_stream,
        "workstation": dep.workstation,
        "status": dep.status,
        "text": dep.text,
        "quantity": dep.quantity,
        "available": dep.available,
        "at": iso(dep.at),
    }


def dependencies_block(tws: DemoTwsClient, job: Job) -> Block:
    return {
        "kind": "dependencies",
        "job": job_item(job, stream_times(tws)),
        "items": [dependency_item(d) for d in tws.job_dependencies(job)],
    }


def prompt_item(prompt: Prompt) -> dict[str, Any]:
    return {"id": prompt.id, "text": prompt.text, "status": prompt.status}


def prompts_block(tws: DemoTwsClient) -> Block:
    return {"kind": "prompts", "items": [prompt_item(p) for p in tws.list_prompts()]}


def summary_block(tws: DemoTwsClient, period: str = "") -> Block:
    counts = Counter(job_category(j.status) or "other" for j in tws.list_jobs())
    return {"kind": "summary", "counts": dict(counts), "period": period}


def confirmation_block(tws: DemoTwsClient, job: Job, action: str, label: str, reason: str) -> Block:
    target = {"kind": "job", **job_item(job, stream_times(tws))}
    return {
        "kind": "confirmation",
        "action": action,
        "actionLabel": label,
        "target": target,
        "reason": reason,
    }


def job_named(tws: DemoTwsClient, job_id: str) -> Job:
    return next(j for j in tws.list_jobs() if j.job_id == job_id)
