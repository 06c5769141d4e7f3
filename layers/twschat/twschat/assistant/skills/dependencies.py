"""Reads about a job's place in the plan: why it waits (its unresolved dependencies), what depends on it
(its successors), and the jobs due in the next hours ("quais jobs vão rodar nas próximas 2 horas?")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from ..answer import Answer, Minutes, Msg, Part, join, lines, msg
from ..blocks import dependencies_block, dependency_item, jobs_block
from ..domain import Dependency, Job, is_overdue, job_category
from ..projections import plan_job, read_links
from ..tws import TwsError
from .base import FAILED_STATES, Skill, Turn, bullet_item, cap_lines, job_line
from .jobs import may_be_incomplete
from .prompts import WAITING
from .referents import one_target

__all__ = ["SKILLS", "dependency_row"]


def _read(t: Turn, job: Job, what: str) -> Sequence[Dependency] | None:
    """The job's dependencies or successors; None when the source does not report them (404)."""
    return read_links(t.services.tws, job, "dependencies" if what == "dependencies" else "successors")


def _plan_job(t: Turn, dep: Dependency, near: Job | None = None) -> Job | None:
    return plan_job(t.plan.jobs, dep, near)


def _dep_line(t: Turn, dep: Dependency, near: Job | None = None) -> Msg:
    if dep.kind == "job":
        pred = _plan_job(t, dep, near)
        status = pred.status if pred is not None else dep.status or "?"
        name = pred.name if pred is not None else dep.name
        return msg("deps.job", name=name, id=dep.name, status=status, stream=dep.job_stream or "-")
    if dep.kind == "stream":
        return msg("deps.stream", name=dep.name, status=dep.status or "?")
    if dep.kind == "prompt":
        if dep.status and dep.status != WAITING:  # answered NO: blocks the job, waits for nobody
            return msg("deps.prompt_answered", id=dep.name, text=dep.text or "-", status=dep.status)
        return msg("deps.prompt", id=dep.name, text=dep.text or "-", status=dep.status or "?")
    if dep.kind == "resource":
        need = "?" if dep.quantity is None else dep.quantity
        free = "?" if dep.available is None else dep.available
        return msg("deps.resource", name=dep.name, quantity=need, available=free)
    if dep.kind == "time" and dep.at is not None:
        ahead = Minutes(max(0, int((dep.at - t.services.now()).total_seconds() // 60)))
        return msg("deps.time", at=t.when(dep.at), ahead=ahead)
    return msg("deps.file", name=dep.name)


def _dependencies(t: Turn) -> Answer:
    job = one_target(t)
    if isinstance(job, Answer):
        return job
    about = {"name": job.name, "job_id": job.job_id, "status": job.status}
    deps = _read(t, job, "dependencies")
    if deps is not None:
        deps = _with_prompt_state(t, deps)
    if deps is None:
        return t.answer(msg("deps.unknown", **about), focus=job.id, jobs=t.carry([job.id]))
    # a job predecessor is satisfied when it ended well, whatever the source said before an action
    pending = [d for d in deps if not _satisfied(t, d, job)]
    met = [d for d in deps if _satisfied(t, d, job)]
    out: list[Part] = []
    if not deps:
        out.append(msg("deps.none", **about))
    elif not pending:
        out.append(msg("deps.all_met", n=len(met), **about))
    else:
        out.append(msg("deps.head", n=len(pending), workstation=job.workstation, **about))
        out += [bullet_item(_dep_line(t, d, job)) for d in pending]
    if met and pending:
        out.append(msg("deps.met", names=", ".join(_short(d) for d in met)))
    failed = [
        p for d in pending if d.kind == "job" and (p := _plan_job(t, d, job)) and p.status in FAILED_STATES
    ]
    for pred in failed[:1]:
        out.append(msg("deps.advice_failed", id=pred.job_id, status=pred.status))
    if any(d.kind == "prompt" and d.status in (WAITING, None, "") for d in pending):
        out.append(msg("deps.advice_prompt"))
    if not pending and job.status == "HOLD":
        out.append(msg("advice.job_hold", id=job.job_id))
    preds = [p.id for d in deps if d.kind == "job" and (p := _plan_job(t, d, job))]
    rows = [dependency_row(t, d, job) for d in deps]
    return t.answer(
        lines(*out),
        jobs=[job.id, *preds],
        focus=job.id,
        quick=(msg("quick.log", id=failed[0].job_id),) if failed else (),
        blocks=[dependencies_block(job, rows, t.services.zone, out[0])],
    )


def dependency_row(t: Turn, dep: Dependency, job: Job) -> dict[str, object]:
    """A dependency as a block row: met or not as this answer judges it (a predecessor by its status
    in the plan now), a predecessor's status from the plan when it is there."""
    pred = _plan_job(t, dep, job) if dep.kind == "job" else None
    judged = pred is not None or (dep.kind == "time" and dep.at is not None)
    satisfied = _satisfied(t, dep, job) if judged else dep.satisfied
    return dependency_item(dep, t.services.zone, satisfied=satisfied, status=pred.status if pred else "")


def _with_prompt_state(t: Turn, deps: Sequence[Dependency]) -> list[Dependency]:
    """The dependencies with each prompt's state as the prompt list says it: one source of truth, so
    "why is JOB014 waiting?" and "which prompts are waiting?" never disagree after a reply."""
    if not any(d.kind == "prompt" for d in deps):
        return list(deps)
    try:
        states = {p.id: p.status for p in t.services.tws.list_prompts()}
    except TwsError:  # the dependency's own word is the best there is
        return list(deps)
    return [
        replace(d, status=states[d.name], satisfied=states[d.name] == "YES")
        if d.kind == "prompt" and states.get(d.name)
        else d
        for d in deps
    ]


def _satisfied(t: Turn, dep: Dependency, job: Job) -> bool:
    if dep.kind == "job" and (pred := _plan_job(t, dep, job)) is not None:
        return job_category(pred.status) == "success"
    if dep.kind == "time" and dep.at is not None:
        return dep.at <= t.services.now()
    return dep.satisfied is True


def _short(dep: Dependency) -> str:
    return dep.name if dep.kind != "time" else "AT"


def _successors(t: Turn) -> Answer:
    job = one_target(t)
    if isinstance(job, Answer):
        return job
    about = {"name": job.name, "job_id": job.job_id}
    succs = _read(t, job, "successors")
    if succs is None:
        return t.answer(msg("succ.unknown", **about), focus=job.id, jobs=t.carry([job.id]))
    found = [j for d in succs if (j := _plan_job(t, d, job)) is not None]
    if not succs:
        return t.answer(msg("succ.none", **about), focus=job.id, jobs=t.carry([job.id]))
    out: list[Part] = [msg("succ.head", n=len(succs), **about)]
    out += cap_lines(t, [job_line(t, j) for j in found], msg("refine.job_status"))
    out += [bullet_item(_dep_line(t, d, job)) for d in succs if _plan_job(t, d, job) is None]
    if job.status in FAILED_STATES:
        out.append(msg("succ.blocked", id=job.job_id, status=job.status))
    # a successor's link to this job is met when this job ended well
    met = job_category(job.status) == "success"
    rows = [
        dependency_item(
            d, t.services.zone, satisfied=met, status=p.status if (p := _plan_job(t, d, job)) else ""
        )
        for d in succs
    ]
    return t.answer(
        lines(*out),
        jobs=[j.id for j in found[: t.services.cap]],
        focus=job.id,
        blocks=[dependencies_block(None, rows, t.services.zone, out[0])],
    )


def _jobs_due(t: Turn) -> Answer:
    hours = max(1, t.intent.hours)
    now = t.services.now()
    until = now + timedelta(hours=hours)
    pending = [
        j
        for j in t.plan.jobs
        if j.start_time is None
        and job_category(j.status) in ("waiting", "ready")
        and (not t.intent.workstation or j.workstation == t.intent.workstation)
    ]
    upcoming = sorted(
        ((d, j) for j in pending if (d := t.due(j)) is not None and now <= d <= until),
        key=lambda pair: (pair[0], pair[1].job_id),
    )
    # the same test as "jobs atrasados" (skills/late.py): one answer to "which are past their time?"
    overdue = sorted((j for j in pending if is_overdue(j, t.due(j), now)), key=lambda j: j.job_id)
    out: list[Part] = []
    if upcoming:
        out.append(msg("due.head", n=len(upcoming), hours=hours, until=t.when(until)))
        rows = [
            bullet_item(join(msg("due.at", at=t.when(d)), job_line(t, j, bullet=False))) for d, j in upcoming
        ]
        out += cap_lines(t, rows, msg("refine.jobs_on_workstation"))
    else:
        out.append(msg("due.none", hours=hours, until=t.when(until)))
    if overdue:
        out.append(msg("due.overdue", ids=", ".join(j.job_id for j in overdue), id=overdue[0].job_id))
    out += may_be_incomplete(t.plan.jobs)
    shown = [j for _, j in upcoming[: t.services.cap]]
    block = jobs_block(shown, t.services.zone, out[0], truncated=len(upcoming) > len(shown))
    return t.answer(lines(*out), jobs=[j.id for j in shown], workstation=t.intent.workstation, blocks=[block])


SKILLS: dict[str, Skill] = {
    "job_dependencies": _dependencies,
    "job_successors": _successors,
    "due_jobs": _jobs_due,
}
