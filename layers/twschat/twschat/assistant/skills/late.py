"""Late jobs ("jobs atrasados", "late jobs"): both kinds an operator means, in one answer.

Not started by their time (waiting or ready past their AT time, else their job stream's start: the
same list the due-jobs answer gives as "past their time"), and running well past their estimated
duration (or, with no estimate, past the configured threshold).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import Answer, Part, join, lines, msg
from ..domain import Job, is_overdue
from .base import Turn, bullet_item, cap_lines, job_line

__all__ = ["late_jobs"]


def late_jobs(t: Turn, jobs: Sequence[Job], where: Part, state: str = "late") -> Answer:
    """The late jobs among ``jobs`` (already narrowed by workstation or stream; ``where`` says how)."""
    now = t.services.now()
    running = sorted((j for j in jobs if t.is_late(j)), key=lambda j: j.job_id)
    dues = {j.id: due for j in jobs if (due := t.due(j)) is not None}
    overdue = sorted((j for j in jobs if is_overdue(j, dues.get(j.id), now)), key=lambda j: j.job_id)
    n = len(running) + len(overdue)
    label = msg("state.late", n=n, m=t.services.long_minutes)
    if not n:
        return t.answer(msg("jobs.none", label=label, where=where), state=state)
    out: list[Part] = [msg("jobs.count", n=n, label=label, where=where)]
    refine = msg("refine.job_status")
    if running:
        out.append(msg("late.running", m=t.services.long_minutes))
        out += cap_lines(t, [job_line(t, j) for j in running], refine)
    if overdue:
        out.append(msg("late.not_started"))
        rows = [
            bullet_item(join(job_line(t, j, bullet=False), msg("late.due", at=t.when(dues[j.id]))))
            for j in overdue
        ]
        out += cap_lines(t, rows, refine)
    if running:
        out.append(msg("advice.late", id=running[0].job_id))
    if overdue:
        out.append(msg("late.ask_why", id=overdue[0].job_id))
    listed = [j.id for j in (running + overdue)[: t.services.cap]]
    return t.answer(lines(*out), state=state, jobs=listed, focus=listed[0] if n == 1 else "")
