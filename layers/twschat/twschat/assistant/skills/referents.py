"""Which jobs a message is about: the ones it names, else the ones the previous reply pointed at.

"e o log dele?" (the focus), "reroda esse", "and the other one?", "o primeiro", and the question back
when that is not one job ("Qual deles?"). Reads the previous :class:`~..state.DialogueState`; imports
:mod:`.base` and the assistant's domain/answer/exceptions only.
"""

from __future__ import annotations

from ..answer import Answer, lines, msg
from ..domain import Job
from ..exceptions import TwsFailure
from .base import Turn, cap_lines, job_line

__all__ = ["ask_which", "one_target", "quiet_target", "targets"]

_ORDINALS = {"first": 0, "second": 1, "last": -1}


def targets(t: Turn) -> list[Job] | Answer:
    """The jobs the message is about, or the question back (which job? which one of these?)."""
    intent, plan = t.intent, t.plan
    if intent.jobs:
        found = [j for j in (plan.job(x.id) for x in intent.jobs) if j is not None]
        if found:
            return found
    if intent.missing and not intent.jobs:
        ids = ", ".join(m.upper() for m in intent.missing)
        return t.answer(msg("target.missing", ids=ids))
    if intent.candidates:
        return ask_which(t, list(intent.candidates), ambiguous=True)
    if intent.stream and not intent.referent:
        in_stream = [j for j in plan.jobs if j.job_stream == intent.stream]
        if len(in_stream) == 1:
            return in_stream
        if in_stream:
            return ask_which(t, in_stream)
    prev = t.prev
    focus = prev.focus or (prev.pending.job if prev.pending is not None else "")
    prev_jobs = [j for j in (plan.job(i) for i in prev.jobs) if j is not None]
    ref = intent.referent
    if ref == "other":
        others = [j for j in prev_jobs if j.id != focus]
        if len(others) == 1:
            return others
        if others:
            return ask_which(t, others)
    elif ref in _ORDINALS:
        index = _ORDINALS[ref]
        if prev_jobs and (index < len(prev_jobs)):
            return [prev_jobs[index]]
    else:
        if focus and (job := plan.job(focus)) is not None:
            return [job]
        if len(prev_jobs) == 1:
            return prev_jobs
        if len(prev_jobs) > 1:
            return ask_which(t, prev_jobs)
    return t.answer(msg("target.which_job"))


def ask_which(t: Turn, jobs: list[Job], *, ambiguous: bool = False) -> Answer:
    jobs = sorted(jobs, key=lambda j: j.job_id)
    items = cap_lines(t, [job_line(t, j) for j in jobs], msg("refine.ask_which"))
    head = msg("which.ambiguous" if ambiguous else "which.head")
    tail = msg("which.tail", id=jobs[0].job_id)
    return t.answer(lines(head, *items, tail), jobs=[j.id for j in jobs[: t.services.cap]])


def one_target(t: Turn) -> Job | Answer:
    found = targets(t)
    if isinstance(found, Answer):
        return found
    if len(found) > 1:
        return ask_which(t, found)
    return found[0]


def quiet_target(t: Turn) -> Job | None:
    """The one job a message is about, or None when that would need a question (refusals, negations)."""
    try:
        found = targets(t)
    except TwsFailure:
        return None
    return found[0] if isinstance(found, list) and len(found) == 1 else None
