"""Actions: the request ("reroda o JOB002", "mata o JOB006", "segura o stream BILLING", "linka a
TWS_AGENT2", "responde sim ao prompt 1") proposes, the next message confirms or drops it.

Everything that touches the TWS or the audit trail goes through
:class:`~twschat.assistant.actions.ActionDesk`; these skills only find the target (a job, a job
stream, a workstation or a prompt: :data:`~twschat.assistant.domain.ACTION_KINDS`) and word the desk's
outcomes as messages. A pending action lives for exactly one turn: the very next message must answer
it. A clear yes runs it, a no drops it, and an answer that is neither ("talvez", "hmm") asks the
question again and keeps it. Anything else the operator asks (e.g. "status do JOB002") is answered
normally and drops it: a "sim" two questions later must not confirm an action the operator may no
longer have in mind. The operator's reason ("... porque o banco voltou") travels with the pending
action to the audit record; when a justification is required and none was given, "qual o motivo?" is
asked first and the next message is the reason.
"""

from __future__ import annotations

from dataclasses import replace

from twschat.core.audit import RESULT_ACCEPTED, RESULT_FAILED, RESULT_REJECTED, AuditRecord

from ..actions import (
    REASON_NO_ROLE,
    REASON_OK,
    REASON_READ_ONLY,
    AlreadySent,
    Expired,
    Gone,
    NeedsReason,
    NotAllowed,
    Refused,
    TooEarly,
    prompts,
)
from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import ACTION_KINDS, ACTIONS, Job, JobStream, Prompt, Target, Workstation, blocked
from ..state import PendingAction
from .audit import blocked_message, recent_note
from .base import Skill, Turn, last_agent_turn
from .referents import ask_which, quiet_target, targets
from .smalltalk import unknown

__all__ = ["SKILLS"]

YES_NO: tuple[Msg, ...] = (msg("quick.yes"), msg("quick.no"))
"""The suggested answers to a confirmation question."""

_ALREADY = frozenset({RESULT_ACCEPTED, RESULT_REJECTED, RESULT_FAILED})


def _words(action: str, which: str) -> Msg:
    """``what`` ("o rerun de"), ``title`` ("Rerun") or ``verb`` ("rerodar") of an action."""
    return msg(f"action.{action}.{which}")


def _refusal(action: str, reason: str) -> Msg:
    why = reason if reason in (REASON_READ_ONLY, REASON_NO_ROLE) else "other"
    return msg("refusal", verb=_words(action, "verb"), why=msg(f"refusal.{why}"))


def _question(t: Turn, pending: PendingAction) -> Msg:
    """The confirmation question (asked again word for word after an unclear answer), with the minutes
    it has left and the operator's reason."""
    where = pending.workstation if pending.kind in ("job", "stream") else ""
    question = msg(
        "confirm.question" if where else "confirm.question_plain",
        what=_words(pending.action, "what"),
        label=pending.label,
        workstation=where,
        minutes=t.services.desk.minutes_left(pending),
    )
    if pending.justification:
        return join(question, msg("confirm.reason", reason=pending.justification))
    return question


def _ask_reason(t: Turn, pending: PendingAction, intent: str = "", lang: str = "") -> Answer:
    """ "Qual o motivo?": the pending action waits for the operator's reason (the next message)."""
    waiting = replace(pending, awaiting_reason=True, justification="")
    text = msg("reason.ask", what=_words(pending.action, "what"), label=pending.label)
    return _pending_answer(t, text, waiting, intent, lang)


def _pending_answer(t: Turn, text: Msg, pending: PendingAction, intent: str = "", lang: str = "") -> Answer:
    quick = () if pending.awaiting_reason else YES_NO
    job = [pending.job] if pending.kind == "job" else []
    ws = pending.job if pending.kind == "workstation" else ""
    return t.answer(
        text,
        intent,
        lang=lang,
        jobs=t.carry(job),
        focus=pending.job if job else "",
        pending=pending,
        workstation=ws,
        quick=quick,
    )


def _label(target: Target) -> str:
    if isinstance(target, Job):
        return f"{target.name} ({target.job_id})"
    if isinstance(target, Prompt):
        return f'{target.id} ("{target.text[:80]}")'
    return target.name


def _blocked(action: str, target: Target) -> Msg | None:
    if isinstance(target, Job):
        return blocked_message(action, target)
    reason = blocked(action, target)
    if reason is None:
        return None
    return msg(f"blocked.{action}.{reason.reason}", name=_label(target), s=target.status, id=_label(target))


def _quiet(t: Turn, kind: str) -> Target | None:
    """The target of a refused request, for its audit record (None when it would need a question)."""
    if kind == "job":
        return quiet_target(t)
    found = _target(t, kind)
    return None if isinstance(found, Answer) else found


def _target(t: Turn, kind: str) -> Target | Answer:
    """The one stream / workstation / prompt the message is about, or the question back."""
    intent, plan, prev = t.intent, t.plan, t.prev
    if kind == "stream":
        stream: JobStream | None = None
        if intent.stream:
            stream = next((s for s in plan.streams if s.name == intent.stream), None)
        if stream is None:
            names = ", ".join(sorted(s.name for s in plan.streams))
            return t.answer(msg("target.which_stream", names=names))
        return stream
    if kind == "workstation":
        name = intent.workstation or (prev.workstation if intent.referent else "")
        ws: Workstation | None = plan.workstation(name) if name else None
        if ws is None:
            names = ", ".join(sorted(w.name for w in plan.workstations))
            if intent.missing_workstation or name:
                return t.answer(msg("ws.not_found", names=names))
            return t.answer(msg("target.which_workstation", names=names))
        return ws
    asked = prompts(plan)
    if not asked:
        return t.answer(msg("target.no_prompt"))
    if intent.prompt:
        wanted = intent.prompt.lstrip("0") or "0"
        hit = next((p for p in asked if p.id.casefold().lstrip("0") in (wanted, intent.prompt)), None)
        if hit is not None:
            return hit
    open_ = [p for p in asked if p.status == "ASKED"]
    if len(open_) == 1 and not intent.prompt:
        return open_[0]
    ids = ", ".join(_label(p) for p in (open_ or list(asked))[: t.services.cap])
    return t.answer(msg("target.which_prompt", ids=ids))


def _action_request(t: Turn) -> Answer:
    intent = t.intent
    action = intent.action
    if action not in ACTIONS:
        return unknown(t)
    kind = ACTION_KINDS[action]
    desk = t.services.desk
    reason = desk.permission(t.request, action, lambda: _quiet(t, kind), intent.reason)
    if reason != REASON_OK:
        return t.answer(_refusal(action, reason))
    target: Target
    if kind == "job":
        found = targets(t)
        if isinstance(found, Answer):
            return found
        if len(found) > 1:
            return ask_which(t, found)
        target = found[0]
    else:
        other = _target(t, kind)
        if isinstance(other, Answer):
            return other
        target = other
    why_not = _blocked(action, target)
    if why_not is not None:
        if isinstance(target, Job):
            return t.answer(why_not, jobs=t.carry([target.id]), focus=target.id)
        return t.answer(why_not)
    pending = desk.propose(action, target, t.lang, intent.reason)
    if pending.awaiting_reason:
        return _ask_reason(t, pending)
    out: list[Part] = [_question(t, pending)]
    if isinstance(target, Job):
        if action == "rerun":
            ws = t.plan.workstation(target.workstation)
            if ws is not None and ws.status == "OFFLINE":
                out.append(msg("confirm.rerun_offline", workstation=ws.name))
        note = recent_note(t, target)
        if note is not None:
            out.append(note)
    return _pending_answer(t, lines(*out), pending)


def _reason(t: Turn) -> Answer:
    """The operator's answer to "qual o motivo?": kept with the pending action, then the question."""
    pending = t.prev.pending
    if pending is None or not pending.confirmable:
        return unknown(t)
    lang = pending.lang or t.lang
    if t.services.desk.expired(pending):
        return _expired(t, pending, lang, "action_reason")
    given = " ".join(t.request.message.split())[:300]
    ready = replace(pending, justification=given, awaiting_reason=False)
    return _pending_answer(t, _question(t, ready), ready, "action_reason", lang)


def _confirm(t: Turn) -> Answer:
    pending = t.prev.pending
    if pending is None or not pending.confirmable:
        return t.answer(msg("confirm.nothing_pending"), "confirm_yes")
    # The outcome is told in the language of the question, even when the operator answers "yes" to it.
    lang = pending.lang or t.lang
    action, label = pending.action, pending.label
    asked_ms = last_agent_turn(t.request.history).created_at_ms
    outcome = t.services.desk.confirm(t.request, pending, asked_ms, t.plan, lang)
    if isinstance(outcome, TooEarly):
        again = join(msg("confirm.too_early"), _question(t, pending))
        return t.answer(again, "confirm_yes", lang=lang, focus=pending.job, pending=pending, quick=YES_NO)
    if isinstance(outcome, Refused):
        return t.answer(_refusal(action, outcome.reason), "confirm_yes", lang=lang)
    if isinstance(outcome, AlreadySent):
        return _already_sent(t, outcome.record, pending, lang)
    if isinstance(outcome, Expired):
        return _expired(t, pending, lang, "confirm_yes")
    if isinstance(outcome, NeedsReason):
        return _ask_reason(t, pending, "confirm_yes", lang)
    if isinstance(outcome, Gone):
        return t.answer(msg("confirm.gone", label=label), "confirm_yes", lang=lang)
    if isinstance(outcome, NotAllowed):
        target = outcome.blocked.job
        why_not = _blocked(action, target)
        assert why_not is not None
        focus = target.id if isinstance(target, Job) else ""
        return t.answer(join(why_not, msg("nothing_done")), "confirm_yes", lang=lang, focus=focus)
    if not isinstance(outcome.job, Job):
        return _sent_other(
            t, pending, outcome.result.accepted, outcome.result.job.status, outcome.result.detail
        )
    job, result = outcome.job, outcome.result
    about = {"name": job.name, "job_id": job.job_id}
    text: Msg
    if result.accepted:
        parts: list[Part] = [
            msg(
                "confirm.sent",
                title=_words(action, "title"),
                workstation=job.workstation,
                status=result.job.status,
                **about,
            ),
        ]
        if result.job.status == "INTRO":
            parts.append(msg("confirm.starts_when_linked", workstation=job.workstation))
        parts.append(msg("confirm.follow", id=job.job_id))
        text = join(*parts)
    else:
        text = msg("confirm.refused_by_tws", what=_words(action, "what"), detail=result.detail, **about)
    return t.answer(text, "confirm_yes", lang=lang, jobs=[job.id], focus=job.id)


def _sent_other(t: Turn, pending: PendingAction, accepted: bool, status: str, detail: str) -> Answer:
    """The outcome of an action on a job stream, a workstation or a prompt."""
    lang = pending.lang or t.lang
    what = _words(pending.action, "what")
    if not accepted:
        text = msg("confirm.refused_by_tws_plain", what=what, label=pending.label, detail=detail)
    else:
        parts: list[Part] = [
            msg(
                "confirm.sent_plain",
                title=_words(pending.action, "title"),
                label=pending.label,
                status=status,
            )
        ]
        if pending.kind == "workstation":
            parts.append(msg("confirm.follow_ws", name=pending.job))
        text = join(*parts)
    ws = pending.job if pending.kind == "workstation" else ""
    return t.answer(text, "confirm_yes", lang=lang, workstation=ws)


def _expired(t: Turn, pending: PendingAction, lang: str, intent: str) -> Answer:
    text = msg("confirm.expired", what=_words(pending.action, "what"), label=pending.label)
    return t.answer(text, intent, lang=lang, focus=pending.job)


def _already_sent(t: Turn, record: AuditRecord, pending: PendingAction, lang: str) -> Answer:
    """The answer to a second confirmation of one pending action: what happened the first time."""
    head = msg(
        "already.head",
        title=_words(pending.action, "title"),
        label=pending.label,
        who=record.username,
        when=t.when_iso(record.at),
    )
    result = record.result if record.result in _ALREADY else "unknown"
    outcome = msg(f"already.{result}", detail=record.detail, id=pending.job_id)
    return t.answer(join(head, " ", outcome), "confirm_yes", lang=lang, jobs=[pending.job], focus=pending.job)


def _decline(t: Turn) -> Answer:
    pending = t.prev.pending
    if pending is not None and pending.confirmable:
        text = msg("decline.dropped", what=_words(pending.action, "what"), label=pending.label)
        lang = pending.lang or t.lang
        return t.answer(text, "confirm_no", lang=lang, jobs=[pending.job], focus=pending.job)
    return t.answer(msg("decline.nothing_pending"), "confirm_no")


def _unclear(t: Turn) -> Answer:
    pending = t.prev.pending
    if pending is None or not pending.confirmable:
        return unknown(t)
    lang = pending.lang or t.lang
    if t.services.desk.expired(pending):
        return _expired(t, pending, lang, "confirm_unclear")
    if pending.awaiting_reason:
        return _ask_reason(t, pending, "confirm_unclear", lang)
    again = join(msg("confirm.unclear"), _question(t, pending))
    return t.answer(again, "confirm_unclear", lang=lang, focus=pending.job, pending=pending, quick=YES_NO)


def _negated(t: Turn) -> Answer:
    """ "não reroda o JOB003": nothing is done, and a pending action for that job is dropped."""
    action = t.intent.action if t.intent.action in ACTIONS else "rerun"
    job = quiet_target(t)
    verb = _words(action, "verb")
    parts: list[Part] = []
    if job is not None:
        parts.append(msg("negated.job", verb=verb, label=f"{job.name} ({job.job_id})"))
    else:
        parts.append(msg("negated.nothing", verb=verb))
    pending = t.prev.pending
    if pending is not None and pending.confirmable:
        if job is None or pending.job == job.id:
            parts.append(msg("negated.dropped"))
        else:
            parts.append(
                msg("negated.dropped_other", what=_words(pending.action, "what"), label=pending.label)
            )
    parts.append(msg("nothing_done"))
    focus = job.id if job is not None else ""
    return t.answer(join(*parts), jobs=t.carry([focus]) if focus else (), focus=focus)


SKILLS: dict[str, Skill] = {
    **{f"action_{action}": _action_request for action in ACTIONS},
    "action_negated": _negated,
    "action_reason": _reason,
    "confirm_yes": _confirm,
    "confirm_no": _decline,
    "confirm_unclear": _unclear,
}
