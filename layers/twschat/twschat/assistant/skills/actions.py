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
    describe,
)
from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import ACTION_KINDS, ACTIONS, Job, Target, Workstation
from ..exceptions import TwsFailure
from ..state import PendingAction
from .audit import recent_note
from .base import Skill, Turn, last_agent_turn
from .referents import ask_which, targets
from .smalltalk import unknown
from .targets import quiet_target_of, target_blocked, target_label, target_of

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
        instance=_instance(t, pending),
        minutes=t.services.desk.minutes_left(pending),
    )
    if pending.justification:
        return join(question, msg("confirm.reason", reason=pending.justification))
    return question


def _instance(t: Turn, pending: PendingAction) -> Part:
    """The job stream instance a confirmation names: ", stream DATA_PIPELINE (01:36)" for a job,
    " (07:48)" for a job stream ("" when the source did not say)."""
    at = t.when_iso(pending.stream_time) if pending.stream_time else None
    if pending.kind == "stream":
        return msg("confirm.stream_at", at=at) if at is not None else ""
    if pending.kind != "job" or not pending.stream:
        return ""
    if at is None:
        return msg("confirm.instance_plain", stream=pending.stream)
    return msg("confirm.instance", stream=pending.stream, at=at)


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


def _action_request(t: Turn) -> Answer:
    intent = t.intent
    action = intent.action
    if action not in ACTIONS:
        return unknown(t)
    kind = ACTION_KINDS[action]
    desk = t.services.desk
    reason = desk.permission(t.request, action, lambda: quiet_target_of(t, kind), intent.reason)
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
        other = target_of(t, kind)
        if isinstance(other, Answer):
            return other
        target = other
    why_not = target_blocked(action, target)
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
        why_not = target_blocked(action, target)
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
                sent=_words(action, "sent"),
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
    # after a rerun the chain's last instance is the job (a v1 rerun gets a new id)
    now_id = result.job.id if result.accepted and isinstance(result.job, Job) else job.id
    return t.answer(text, "confirm_yes", lang=lang, jobs=[now_id], focus=now_id)


def _sent_other(t: Turn, pending: PendingAction, accepted: bool, status: str, detail: str) -> Answer:
    """The outcome of an action on a job stream, a workstation or a prompt."""
    lang = pending.lang or t.lang
    what = _words(pending.action, "what")
    label: Part = pending.label
    if pending.kind == "stream" and _repeats(t, pending.stream):
        label = join(pending.label, _instance(t, pending))
    if not accepted:
        text = msg("confirm.refused_by_tws_plain", what=what, label=label, detail=detail)
    else:
        parts: list[Part] = [
            msg(
                "confirm.sent_plain",
                title=_words(pending.action, "title"),
                sent=_words(pending.action, "sent"),
                label=label,
                status=status,
            )
        ]
        if pending.kind == "workstation":
            parts.append(msg("confirm.follow_ws", name=pending.job))
        text = join(*parts)
    ws = pending.job if pending.kind == "workstation" else ""
    return t.answer(text, "confirm_yes", lang=lang, workstation=ws)


def _repeats(t: Turn, stream: str) -> bool:
    """Whether the plan has more than one instance of the job stream ``stream``."""
    try:
        return sum(1 for s in t.plan.streams if s.name == stream) > 1
    except TwsFailure:
        return False


def _expired(t: Turn, pending: PendingAction, lang: str, intent: str) -> Answer:
    text = msg("confirm.expired", what=_words(pending.action, "what"), label=pending.label)
    return t.answer(text, intent, lang=lang, focus=pending.job)


def _already_sent(t: Turn, record: AuditRecord, pending: PendingAction, lang: str) -> Answer:
    """The answer to a second confirmation of one pending action: what happened the first time."""
    head = msg(
        "already.head",
        title=_words(pending.action, "title"),
        sent=_words(pending.action, "sent"),
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
    """ "não reroda o JOB003", "não segura o stream BILLING": nothing is done, the target is named, and a
    pending action for that target is dropped."""
    action = t.intent.action if t.intent.action in ACTIONS else "rerun"
    kind = ACTION_KINDS[action]
    target = quiet_target_of(t, kind)
    verb = _words(action, "verb")
    parts: list[Part] = []
    if target is not None:
        parts.append(msg("negated.job", verb=verb, label=target_label(target)))
    else:
        parts.append(msg("negated.nothing", verb=verb))
    ident = describe(target)[1] if target is not None else ""
    pending = t.prev.pending
    if pending is not None and pending.confirmable:
        if target is None or pending.job == ident:
            parts.append(msg("negated.dropped"))
        else:
            parts.append(
                msg("negated.dropped_other", what=_words(pending.action, "what"), label=pending.label)
            )
    parts.append(msg("nothing_done"))
    focus = target.id if isinstance(target, Job) else ""
    ws = target.name if isinstance(target, Workstation) else ""
    return t.answer(join(*parts), jobs=t.carry([focus]) if focus else (), focus=focus, workstation=ws)


SKILLS: dict[str, Skill] = {
    **{f"action_{action}": _action_request for action in ACTIONS},
    "action_negated": _negated,
    "action_reason": _reason,
    "confirm_yes": _confirm,
    "confirm_no": _decline,
    "confirm_unclear": _unclear,
}
