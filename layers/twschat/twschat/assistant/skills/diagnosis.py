"""Why a job failed ("por que ele falhou?", "why did JOB004 fail?"): the diagnosis, not the log again.

The error line(s), the return code, the likely cause class when the log says it (a full tablespace, a
file not found, the workstation not linked, credentials refused) and the next step, with the log one
quick reply away. The cause classes read the log's own words (Oracle codes, TWS AWSBHT messages, the
shell's "No such file or directory"), never a guess: no match, no cause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..answer import Answer, Msg, Part, join, lines, msg
from ..domain import Job
from .base import Turn, bullet_item, job_line

__all__ = ["CAUSES", "cause_of", "diagnosis"]

CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tablespace",
        re.compile(r"ORA-016(5[0-9]|88)|unable to extend .*tablespace|tablespace \S+ (is )?full", re.I),
    ),
    ("unlinked", re.compile(r"is not linked|not linked|unlinked|AWSBHT061E", re.I)),
    ("file", re.compile(r"No such file or directory|FileNotFound|file not found|ENOENT", re.I)),
    (
        "credentials",
        re.compile(
            r"ORA-01017|invalid (username|user)/password|authentication failed|login failed|"
            r"access denied for user|password (has )?expired|401 Unauthorized",
            re.I,
        ),
    ),
)
"""Cause class -> what the log says when it is that cause (the first class that matches wins)."""
_TABLESPACE = re.compile(r"tablespace\s+([A-Za-z0-9_$#]+)", re.I)
_ERRORS_SHOWN = 3


def cause_of(errors: Sequence[str]) -> str:
    """The cause class the error lines name ("" when none does)."""
    return next((cause for cause, said in CAUSES if any(said.search(line) for line in errors)), "")


def diagnosis(t: Turn, job: Job, errors: Sequence[str]) -> Answer:
    """The answer to "why did it fail?" for a failed ``job`` whose log has these error lines."""
    cause = cause_of(errors)
    tablespace = next((m.group(1) for e in errors if (m := _TABLESPACE.search(e))), "?")
    where = {"name": tablespace, "workstation": job.workstation, "id": job.job_id}
    out: list[Part] = [job_line(t, job, bullet=False)]
    if errors:
        out.append(msg("why.errors"))
        out += [bullet_item(e) for e in errors[:_ERRORS_SHOWN]]
    else:
        out.append(msg("why.no_error"))
    if cause:
        out.append(msg(f"why.cause.{cause}", **where))
    out.append(_next_step(t, job, cause, where))
    return t.answer(
        lines(*out), "job_log", jobs=t.carry([job.id]), focus=job.id, quick=(msg("quick.log", id=job.job_id),)
    )


def _next_step(t: Turn, job: Job, cause: str, where: dict[str, str]) -> Msg:
    step = msg(f"why.next.{cause or 'unknown'}", **where)
    ws = t.plan.workstation(job.workstation)
    if cause != "unlinked" and ws is not None and ws.status == "OFFLINE":
        # a rerun on an unlinked workstation waits in INTRO: the link comes first, whatever the cause
        return join(step, msg("advice.failed_offline", workstations=job.workstation))
    return step
