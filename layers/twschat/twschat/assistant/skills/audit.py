"""What was done to a job, a job stream or a workstation: "quem reexecutou o JOB003?", "quem segurou o
stream BILLING?" (the audit trail), "devo rerodar o JOB003?", "devo linkar a TWS_AGENT2?" (the facts to
decide on; nothing is proposed), and the note about a target's latest action."""

from __future__ import annotations

from twschat.core.audit import RESULT_FAILED, RESULT_REJECTED, AuditRecord

from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import ACTION_KINDS, ACTIONS, Job, JobStream, Prompt, Target, Workstation
from ..tws import TwsError
from .base import FAILED_STATES, SUCCESS_STATES, Skill, Turn, bullet_item, job_line
from .jobs import first_error, job_advice
from .plan_views import ws_details
from .referents import one_target
from .targets import blocked_message, target_blocked, target_of

__all__ = ["SKILLS", "blocked_message", "recent_note"]

_RESULTS = frozenset({"accepted", "rejected", "failed", "requested", "refused"})


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


def recent_note(t: Turn, job: Target) -> Msg | None:
    """About the target's latest executed action since yesterday (None when there is none)."""
    latest = t.services.desk.latest_executed(job)
    return msg("recent_note", line=record_line(t, latest)) if latest is not None else None


def _action(t: Turn) -> str:
    return t.intent.action if t.intent.action in ACTIONS else ""


def _target(t: Turn, action: str) -> Target | Answer:
    """The job, job stream, workstation or prompt the question is about (by the kind of its action)."""
    kind = ACTION_KINDS.get(action, "job")
    return one_target(t) if kind == "job" else target_of(t, kind)


def _reply(t: Turn, text: Msg, target: Target) -> Answer:
    """``text``, leaving the job in focus (or the workstation) for the follow-ups."""
    if isinstance(target, Job):
        return t.answer(text, jobs=t.carry([target.id]), focus=target.id)
    return t.answer(text, workstation=target.name if isinstance(target, Workstation) else "")


def _label(target: Target) -> Part:
    """``Data Processing (JOB002)``, ``job stream BILLING``, ``workstation TWS_AGENT2``, ``prompt 1``."""
    if isinstance(target, Job):
        return f"{target.name} ({target.job_id})"
    if isinstance(target, Prompt):
        return msg("label.prompt", name=target.id)
    kind = "stream" if isinstance(target, JobStream) else "workstation"
    return msg(f"label.{kind}", name=target.name)


def _name(target: Target) -> str:
    """How the action request names it: ``BILLING``, ``TWS_AGENT2``, ``1``."""
    if isinstance(target, Job):
        return target.job_id
    return target.id if isinstance(target, Prompt) else target.name


def _history(t: Turn) -> Answer:
    action = _action(t)
    job = _target(t, action)
    if isinstance(job, Answer):
        return job
    label = _label(job)
    desk = t.services.desk
    if desk.audit is None:
        return _reply(t, msg("history.unavailable"), job)
    records = desk.records_for(job)
    if action:
        records = [r for r in records if r.action == action]
    if not records:
        if action:
            none = msg("history.none_of_action", title=msg(f"action.{action}.title"), label=label)
        else:
            none = msg("history.none", label=label)
        return _reply(t, none, job)
    out: list[Part] = [msg("history.head", label=label)]
    out += [bullet_item(record_line(t, r)) for r in records[:5]]
    if len(records) > 5:
        out.append(msg("history.more", n=len(records) - 5))
    return _reply(t, lines(*out), job)


def _advice_other(t: Turn, action: str, target: Target) -> Answer:
    """ "devo segurar o stream BILLING?", "devo linkar a TWS_AGENT2?": its state, whether the action
    makes sense, its latest action, and how to ask for it."""
    out: list[Part] = []
    if isinstance(target, JobStream):
        out.append(msg("streams.row", name=target.name, workstation=target.workstation, status=target.status))
    elif isinstance(target, Workstation):
        out.append(ws_details(target))
    elif isinstance(target, Prompt):
        out.append(msg("prompts.row", id=target.id, text=target.text or "-", status=target.status or "?"))
    why_not = target_blocked(action, target)
    if why_not is not None:
        out.append(why_not)
    note = recent_note(t, target)
    if note is not None:
        out.append(note)
    if why_not is None:
        out.append(msg("advice.ask", ask=msg(f"ask.{action}", id=_name(target))))
    return _reply(t, lines(*out), target)


def _advice(t: Turn) -> Answer:
    action = _action(t) or "rerun"
    job = _target(t, action)
    if isinstance(job, Answer):
        return job
    if not isinstance(job, Job):
        return _advice_other(t, action, job)
    out: list[Part] = [job_line(t, job, bullet=False)]
    if job.status in FAILED_STATES:
        error = _log_error(t, job)
        if error:
            out.append(msg("advice.log_error", error=error))
    why_not = blocked_message(action, job)
    if why_not is not None:
        out.append(why_not)
        if job.status not in FAILED_STATES and job.status != "HOLD":
            out += job_advice(t, job)  # what it waits for, and what may be asked instead
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
