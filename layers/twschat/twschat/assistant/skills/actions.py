"""Actions on jobs: the request ("reroda o JOB002") proposes, the next message confirms or drops it.

Everything that touches the TWS or the audit trail goes through
:class:`~twschat.assistant.actions.ActionDesk`; these skills only word its outcomes as messages.
A pending action lives for exactly one turn: the very next message must answer it. A clear yes runs
it, a no drops it, and an answer that is neither ("talvez", "hmm") asks the question again and keeps
it. Anything else the operator asks (e.g. "status do JOB002") is answered normally and drops it: a
"sim" two questions later must not confirm an action the operator may no longer have in mind.
"""

from __future__ import annotations

from twschat.core.audit import RESULT_ACCEPTED, RESULT_FAILED, RESULT_REJECTED, AuditRecord

from ..actions import (
    REASON_NO_ROLE,
    REASON_OK,
    REASON_READ_ONLY,
    AlreadySent,
    Expired,
    Gone,
    NotAllowed,
    Refused,
    TooEarly,
)
from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import ACTIONS
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
    it has left."""
    return msg(
        "confirm.question",
        what=_words(pending.action, "what"),
        label=pending.label,
        workstation=pending.workstation,
        minutes=t.services.desk.minutes_left(pending),
    )


def _action_request(t: Turn) -> Answer:
    intent = t.intent
    action = intent.action
    if action not in ACTIONS:
        return unknown(t)
    reason = t.services.desk.permission(t.request, action, lambda: quiet_target(t))
    if reason != REASON_OK:
        return t.answer(_refusal(action, reason))
    found = targets(t)
    if isinstance(found, Answer):
        return found
    if len(found) > 1:
        return ask_which(t, found)
    job = found[0]
    why_not = blocked_message(action, job)
    if why_not is not None:
        return t.answer(why_not, jobs=t.carry([job.id]), focus=job.id)
    pending = t.services.desk.propose(action, job, t.lang)
    out: list[Part] = [_question(t, pending)]
    if action == "rerun":
        ws = t.plan.workstation(job.workstation)
        if ws is not None and ws.status == "OFFLINE":
            out.append(msg("confirm.rerun_offline", workstation=ws.name))
    note = recent_note(t, job)
    if note is not None:
        out.append(note)
    return t.answer(lines(*out), jobs=t.carry([job.id]), focus=job.id, pending=pending, quick=YES_NO)


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
    if isinstance(outcome, Gone):
        return t.answer(msg("confirm.gone", label=label), "confirm_yes", lang=lang)
    if isinstance(outcome, NotAllowed):
        job = outcome.blocked.job
        why_not = blocked_message(action, job)
        assert why_not is not None
        return t.answer(join(why_not, msg("nothing_done")), "confirm_yes", lang=lang, focus=job.id)
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
    "confirm_yes": _confirm,
    "confirm_no": _decline,
    "confirm_unclear": _unclear,
}
