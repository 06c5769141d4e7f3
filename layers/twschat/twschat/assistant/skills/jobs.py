"""Jobs: listings by state ("quais jobs estão em abend?"), one job's status, its log, the advice."""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import Answer, Msg, Part, join, lines, msg
from ..blocks import Block, dependencies_block, job_block, jobs_block, log_block
from ..domain import JOB_FILTERS, Job, is_truncated, job_category
from ..exceptions import TwsFailure
from ..nlu import INTENTS
from ..plan import TurnPlan
from ..tws import TwsError
from .base import FAILED_STATES, SUCCESS_STATES, Skill, Turn, cap_lines, job_line
from .diagnosis import diagnosis
from .late import late_jobs
from .referents import targets

__all__ = ["SKILLS", "failed_advice", "first_error", "job_advice", "may_be_incomplete", "ran_today"]


def failed_advice(t: Turn, jobs: Sequence[Job], plan: TurnPlan) -> Msg:
    first = jobs[0].job_id
    offline = sorted(
        {j.workstation for j in jobs if (w := plan.workstation(j.workstation)) and w.status == "OFFLINE"}
    )
    advice = msg("advice.failed", id=first)
    if offline:
        return join(advice, msg("advice.failed_offline", workstations=", ".join(offline)))
    return advice


def log_suggestion(job: Job) -> tuple[Msg, ...]:
    return (msg("quick.log", id=job.job_id),)


def _jobs_list(t: Turn) -> Answer:
    intent = t.intent
    state = intent.state or "all"
    states = JOB_FILTERS.get(state)
    jobs: Sequence[Job] = t.plan.jobs
    scoped = False
    if intent.referent == "them":
        ids = set(t.prev.jobs)
        if ids:
            jobs = [j for j in jobs if j.id in ids]
            scoped = True
    if intent.workstation:
        jobs = [j for j in jobs if j.workstation == intent.workstation]
    if intent.stream:
        jobs = [j for j in jobs if j.job_stream == intent.stream]
    today = intent.period == "today" and state in _DATED_STATES
    if today:
        jobs = [j for j in jobs if ran_today(t, j)]
    scope = jobs
    if state == "late":
        return late_jobs(t, scope, _where(t, today=False, scoped=scoped))

    def matches(job: Job) -> bool:
        if state == "late":
            return t.is_late(job)
        return states is None or job.status in states

    selected = sorted((j for j in scope if matches(j)), key=lambda j: j.job_id)
    # "2 jobs no stream BILLING", not "no plano no stream BILLING"; the label agrees with the count
    label: Part = msg(f"state.{state}", m=t.services.long_minutes, n=len(selected))
    if state == "all" and (intent.workstation or intent.stream):
        label = ""
    where = _where(t, today=today, scoped=scoped)
    also: list[Job] = []
    if state == "abend":
        also = sorted(
            (j for j in scope if j.status in FAILED_STATES and j not in selected), key=lambda j: j.job_id
        )
    if not selected:
        parts: list[Part] = [msg("jobs.none", label=label, where=where)]
        if also:
            parts += [msg("jobs.but_failed"), *(job_line(t, j) for j in also), failed_advice(t, also, t.plan)]
        parts += may_be_incomplete(t.plan.jobs)
        return t.answer(
            lines(*parts),
            state=state,
            workstation=intent.workstation,
            jobs=[j.id for j in also],
            quick=log_suggestion(also[0]) if also else (),
            blocks=[jobs_block(also, t.services.zone, msg("jobs.but_failed"))],
        )
    n = len(selected)
    out: list[Part] = [msg("jobs.count", n=n, label=label, where=where)]
    refine = msg("refine.jobs_on_workstation" if not intent.workstation else "refine.job_status")
    out += cap_lines(t, [job_line(t, j) for j in selected], refine)
    if also:
        out.append(msg("jobs.also_failed"))
        out += [job_line(t, j) for j in also]
    failed = [j for j in selected if j.status in FAILED_STATES] + also
    if failed:
        out.append(failed_advice(t, failed, t.plan))
    elif state == "late":
        out.append(msg("advice.late", id=selected[0].job_id))
    elif state in ("hold", "waiting"):
        held = [j for j in selected if j.status == "HOLD"]
        if held:
            out.append(msg("advice.release_held", id=held[0].job_id))
    out += may_be_incomplete(t.plan.jobs)
    shown = selected[: t.services.cap]
    return t.answer(
        lines(*out),
        state=state,
        workstation=intent.workstation,
        jobs=[j.id for j in shown] + [j.id for j in also],
        focus=selected[0].id if n == 1 else "",
        quick=log_suggestion(failed[0]) if failed else (),
        blocks=[
            jobs_block(shown, t.services.zone, out[0], truncated=n > len(shown) or is_truncated(t.plan.jobs)),
            jobs_block(also, t.services.zone, msg("jobs.also_failed")),
        ],
    )


def _where(t: Turn, *, today: bool, scoped: bool) -> Msg:
    """ " na TWS_AGENT1", " no stream BILLING", " hoje", " (entre os anteriores)": the listing's scope."""
    intent = t.intent
    wheres: list[Part] = []
    if intent.workstation:
        wheres.append(msg("where.workstation", workstation=intent.workstation))
    if intent.stream:
        wheres.append(msg("where.stream", stream=intent.stream))
    if today:
        wheres.append(msg("where.today", since=t.when(t.plan_day_start())))
    if scoped:
        wheres.append(msg("where.among_previous"))
    return join(*wheres)


# "hoje" narrows the states a job reaches by running (the others are about now, whatever the date)
_DATED_STATES = frozenset({"abend", "failed", "success", "cancelled", "all"})


def ran_today(t: Turn, job: Job) -> bool:
    """The job ran (ended, or else started) in the current production plan's day (since its start of
    day, PlanStartOfDay), by the injected clock; a job the source gives no time for did not run
    today as far as anyone can tell."""
    when = job.end_time or job.start_time
    return when is not None and when >= t.plan_day_start()


def may_be_incomplete(items: Sequence[object]) -> list[Part]:
    """The note for a list the source may have cut (a full page): narrow by workstation or stream."""
    return [msg("list.may_be_incomplete")] if is_truncated(items) else []


def _job_status(t: Turn) -> Answer:
    found = targets(t)
    if isinstance(found, Answer):
        return found
    job = found[0]
    if len(found) == 1:
        out: list[Part] = [job_line(t, job, bullet=False), *job_advice(t, job)]
    else:
        out = [job_line(t, j) for j in found]
    failed = len(found) == 1 and job.status in FAILED_STATES
    zone = t.services.zone
    return t.answer(
        lines(*out),
        "job_status",
        jobs=t.carry([j.id for j in found]),
        focus=job.id if len(found) == 1 else "",
        quick=log_suggestion(job) if failed else (),
        blocks=[job_block(job, zone), *_waits_for(t, job)] if len(found) == 1 else [jobs_block(found, zone)],
    )


def _waits_for(t: Turn, job: Job) -> list[Block | None]:
    """A waiting job's status shows what it waits for, when the source reports it."""
    from .dependencies import dependency_row  # it imports this module

    if job_category(job.status) != "waiting":
        return []
    try:
        deps = t.services.tws.job_dependencies(job)
    except TwsError:  # the status answer never fails for want of this detail
        return []
    return [dependencies_block(job, [dependency_row(t, d, job) for d in deps], t.services.zone)]


def job_advice(t: Turn, job: Job) -> list[Msg]:
    """Why the job is where it is, when the plan tells, and the next step the action rules allow."""
    if job.status in FAILED_STATES:
        return [failed_advice(t, [job], t.plan)]
    if t.is_late(job):
        return [msg("advice.job_late", m=t.services.long_minutes, id=job.job_id)]
    if job.status == "HOLD":
        return [msg("advice.job_hold", id=job.job_id)]
    if job.status == "SCHED":
        return [msg("advice.job_sched")]
    if job.status == "INTRO":
        ws = t.plan.workstation(job.workstation)
        if ws is not None and ws.status == "OFFLINE":
            return [msg("advice.job_intro_offline", workstation=ws.name)]
        return [msg("advice.job_intro", workstation=job.workstation)]
    return []


def _job_log(t: Turn) -> Answer:
    found = targets(t)
    if isinstance(found, Answer):
        return found
    job = found[0]
    jobs = t.carry([job.id])
    about = {"name": job.name, "job_id": job.job_id, "status": job.status}
    if job.start_time is None and job.status not in FAILED_STATES and job.status not in SUCCESS_STATES:
        return t.answer(msg("log.not_run", **about), "job_log", jobs=jobs, focus=job.id)
    try:
        log = t.services.tws.job_log(job)
    except TwsError as err:
        if err.kind == "not_found":
            return t.answer(msg("log.none", **about), "job_log", jobs=jobs, focus=job.id)
        raise TwsFailure(err, "log") from err
    if t.intent.asks_why and job.status in FAILED_STATES:
        return diagnosis(t, job, error_lines(log))
    all_lines = [ln.rstrip()[:200] for ln in log.splitlines() if ln.strip().strip("=")]
    tail = all_lines[-15:]
    error = first_error(log)
    head = join(
        msg("log.head", workstation=job.workstation, **about),
        msg("log.last_lines", n=len(tail)) if len(all_lines) > len(tail) else ":",
    )
    out: list[Part] = [head, *tail]
    if error:
        out.append(msg("log.error_found", error=error))
    if job.status in FAILED_STATES:
        out.append(msg("log.rerun_hint", id=job.job_id))
    block = log_block(job, log, t.services.zone, lambda line: bool(first_error(line)))
    return t.answer(lines(*out), "job_log", jobs=jobs, focus=job.id, blocks=[block])


_ERROR_MARKERS = ("ERROR", "ORA-", "FATAL", "Exception", "AWSB", "SEVERE", "failed", "denied")


def first_error(log: str) -> str:
    """The first error line of a job log ("" when there is none)."""
    return next(iter(error_lines(log)), "")


def error_lines(log: str) -> list[str]:
    """The error lines of a job log, in order, each at most 200 characters."""
    return [ln.rstrip()[:200].strip() for ln in log.splitlines() if _looks_like_error(ln)]


def _looks_like_error(line: str) -> bool:
    if " INFO " in line:
        return False
    return any(m in line for m in _ERROR_MARKERS)


SKILLS: dict[str, Skill] = {
    **{name: _jobs_list for name in INTENTS if name.startswith("jobs_")},
    "job_status": _job_status,
    "job_log": _job_log,
}
