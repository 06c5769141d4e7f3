"""What was done to a job: "quem reexecutou o JOB003?" (the audit trail), "devo rerodar o JOB003?"
(the facts to decide on; nothing is proposed), and the note about a job's latest action."""

from __future__ import annotations

from twschat.core.audit import RESULT_FAILED, RESULT_REJECTED, AuditRecord

from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import ACTIONS, Job, blocked
from ..tws import TwsError
from .base import FAILED_STATES, SUCCESS_STATES, Skill, Turn, bullet_item, job_line
from .jobs import first_error
from .referents import one_target

__all__ = ["SKILLS", "blocked_message", "recent_note"]

_RESULTS = frozenset({"accepted", "rejected", "failed", "requested", "refused"})


def blocked_message(action: str, job: Job) -> Msg | None:
    """Why ``action`` makes no sense for ``job`` in its current state (None when it does)."""
    reason = blocked(action, job)
    if reason is None:
        return None
    return msg(
        f"blocked.{action}.{reason.reason}", name=f"{job.name} ({job.job_id})", s=job.status, id=job.job_id
    )


def record_line(t: Turn, record: AuditRecord) -> Msg:
    """``10:02 maria: Rerun on TWS_AGENT1 — accepted by TWS`` (without the bullet)."""
    action: Part = msg(f"action.{record.action}.title") if record.action in ACTIONS else record.action
    result: Part = msg(f"result.{record.result}") if record.result in _RESULTS else record.result
    if record.result in (RESULT_FAILED, RESULT_REJECTED) and record.detail:
        result = join(result, f" ({record.detail[:120]})")
    return msg(
        "record.line",
        at=t.when_iso(record.at),
        who=record.username or record.user_id,
        action=action,
        workstation=record.workstation,
        result=result,
    )


def recent_note(t: Turn, job: Job) -> Msg | None:
    """About the job's latest executed action since yesterday (None when there is none)."""
    latest = t.services.desk.latest_executed(job)
    return msg("recent_note", line=record_line(t, latest)) if latest is not None else None


def _action(t: Turn) -> str:
    return t.intent.action if t.intent.action in ACTIONS else ""


def _history(t: Turn) -> Answer:
    job = one_target(t)
    if isinstance(job, Answer):
        return job
    label = f"{job.name} ({job.job_id})"
    desk = t.services.desk
    if desk.audit is None:
        return t.answer(msg("history.unavailable"), jobs=t.carry([job.id]), focus=job.id)
    records = desk.records_for(job)
    action = _action(t)
    if action:
        records = [r for r in records if r.action == action]
    if not records:
        if action:
            none = msg("history.none_of_action", title=msg(f"action.{action}.title"), label=label)
        else:
            none = msg("history.none", label=label)
        return t.answer(none, jobs=t.carry([job.id]), focus=job.id)
    out: list[Part] = [msg("history.head", label=label)]
    out += [bullet_item(record_line(t, r)) for r in records[:5]]
    if len(records) > 5:
        out.append(msg("history.more", n=len(records) - 5))
    return t.answer(lines(*out), jobs=t.carry([job.id]), focus=job.id)


def _advice(t: Turn) -> Answer:
    action = _action(t) or "rerun"
    job = one_target(t)
    if isinstance(job, Answer):
        return job
    out: list[Part] = [job_line(t, job, bullet=False)]
    if job.status in FAILED_STATES:
        error = _log_error(t, job)
        if error:
            out.append(msg("advice.log_error", error=error))
    why_not = blocked_message(action, job)
    if why_not is not None:
        out.append(why_not)
    elif action == "rerun" and job.status in FAILED_STATES:
        out.append(msg("advice.rerun_failed"))
    elif action == "rerun" and job.status in SUCCESS_STATES:
        out.append(msg("advice.rerun_succeeded"))
    note = recent_note(t, job)
    if note is not None:
        out.append(note)
    if why_not is None:
        out.append(msg("advice.ask", ask=msg(f"ask.{action}", id=job.job_id)))
    return t.answer(lines(*out), jobs=t.carry([job.id]), focus=job.id)


def _log_error(t: Turn, job: Job) -> str:
    """The first error line of the job's log ("" when there is none or the log cannot be read)."""
    try:
        return first_error(t.services.tws.job_log(job))
    except TwsError:
        return ""


SKILLS: dict[str, Skill] = {
    "action_history": _history,
    "action_advice": _advice,
}
