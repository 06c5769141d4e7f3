"""Which jobs a message is about: the ones it names, else the ones the previous reply pointed at.

"e o log dele?" (the focus), "reroda esse", "and the other one?", "o primeiro", and the question back
when that is not one job ("Qual deles?"). Reads the previous :class:`~..state.DialogueState`; imports
:mod:`.base` and the assistant's domain/answer/exceptions only.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import Job
from ..exceptions import TwsFailure
from .base import Turn, cap_lines, job_line

__all__ = ["and_list", "ask_instances", "ask_which", "one_target", "quiet_target", "targets"]

ORDINALS = {"first": 0, "second": 1, "last": -1}


def targets(t: Turn) -> list[Job] | Answer:
    """The jobs the message is about, or the question back (which job? which one of these?)."""
    intent, plan = t.intent, t.plan
    # Read the plan first: with the TWS failing the recognizer had no job names to resolve ("reroda o
    # JOB002" names nothing it knows), and "Qual job?" would hide the failure the reads report.
    _ = plan.jobs
    if t.prev.choosing == "job" and intent.followup:
        chosen = _chosen(t)
        if chosen is not None:
            return chosen
    if intent.jobs:
        found = [j for j in (plan.job(x.id) for x in intent.jobs) if j is not None]
        if found:
            return found
    if intent.missing and not intent.jobs:
        ids = ", ".join(m.upper() for m in intent.missing)
        return t.answer(msg("target.missing", ids=ids))
    if intent.candidates:
        # as the plan shows them now: the catalogue may hold an earlier read (a v2 rerun keeps the id)
        candidates = [j for j in (plan.job(x.id) for x in intent.candidates) if j is not None]
        candidates = candidates or list(intent.candidates)
        if len({j.job_id for j in candidates}) == 1:
            return _instance(t, candidates)
        return ask_which(t, candidates, ambiguous=True)
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
    elif ref in ORDINALS:
        index = ORDINALS[ref]
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


def _chosen(t: Turn) -> list[Job] | Answer | None:
    """The answer to "JOB002 existe em 2 streams: ... Qual?": the instance it picks by the stream's
    name, its time, an ordinal or the job (None: it picks none of them, read it afresh)."""
    options = [j for j in (t.plan.job(i) for i in t.prev.jobs) if j is not None]
    intent = t.intent
    named = {j.id for j in intent.jobs}
    picked = [j for j in options if j.id in named]
    if not picked and intent.stream:
        picked = [j for j in options if j.job_stream == intent.stream]
    if not picked and intent.time:
        picked = [j for j in options if t.clock(j.stream_start) == intent.time]
    if not picked and intent.referent in ORDINALS and options:
        index = ORDINALS[intent.referent]
        picked = [options[index]] if index < len(options) else []
    if len(picked) > 1:
        return ask_instances(t, picked)
    return picked or None


def _instance(t: Turn, candidates: list[Job]) -> list[Job] | Answer:
    """One job name in several job stream instances: the one the conversation is about (the previous
    reply pointed at exactly one of them), the one at the time the message gives, or the question."""
    prev = t.prev
    if prev.intent != "confirm_no":  # a declined instance is not the context of a new request
        context = {prev.focus, *prev.jobs, prev.pending.job if prev.pending is not None else ""}
        known = [j for j in candidates if j.id in context]
        if len(known) == 1:
            return known
    if t.intent.time:
        at = [j for j in candidates if t.clock(j.stream_start) == t.intent.time]
        if len(at) == 1:
            return at
    return ask_instances(t, candidates)


def ask_instances(t: Turn, jobs: list[Job]) -> Answer:
    """ "JOB002 existe em 2 streams: DATA_PIPELINE (ABEND, 01:36) e PAYROLL (SUCC, 05:10). Qual?" """
    jobs = sorted(jobs, key=lambda j: (j.stream_start.timestamp() if j.stream_start else 0.0, j.job_stream))
    shown = jobs[: t.services.cap]
    options = [
        msg("which.instance", stream=j.job_stream, status=j.status, at=t.when(j.stream_start))
        if j.stream_start is not None
        else msg("which.instance_plain", stream=j.job_stream, status=j.status)
        for j in shown
    ]
    text = msg("which.instances", id=jobs[0].job_id, count=len(jobs), options=and_list(options, len(jobs)))
    return t.answer(text, jobs=[j.id for j in shown], choosing="job")


def and_list(items: Sequence[Part], total: int) -> Msg:
    """``A, B e C`` (``A, B e mais 3`` when ``total`` is more than the items shown)."""
    if total > len(items):
        return join(join(*items, sep=", "), msg("which.and_more", extra=total - len(items)))
    if len(items) < 2:
        return join(*items)
    return join(join(*items[:-1], sep=", "), msg("which.and"), items[-1])


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
