"""What every skill gets (:class:`SkillContext`, :class:`Services`) and the message builders they share.

A skill is a function ``SkillContext -> Answer`` (``Turn`` is its former name, kept as an alias): it reads the previous :class:`~..state.DialogueState`, the
recognized intent and the plan, and returns a wording-free :class:`~..answer.Answer`. May import the
assistant's domain, state, plan, actions and answer modules; never the message catalogues.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twschat.core.audit import AuditSink
from twschat.core.responder import ResponderRequest
from twschat.core.responder import Turn as StoredTurn

from ..actions import ActionDesk
from ..answer import Answer, Minutes, Msg, Part, When, join, msg
from ..domain import Job, is_late, job_statuses
from ..exceptions import TwsFailure
from ..nlu import Intent
from ..plan import TurnPlan
from ..state import DialogueState, PendingAction
from ..subscriptions import SubscriptionDesk
from ..tws import TwsClient

__all__ = [
    "FAILED_STATES",
    "RUNNING_STATES",
    "SUCCESS_STATES",
    "Services",
    "Skill",
    "SkillContext",
    "Turn",
    "cap_lines",
    "count_states",
    "job_line",
    "last_agent_turn",
]

FAILED_STATES = job_statuses("failed")
RUNNING_STATES = job_statuses("running")
WAITING_STATES = job_statuses("waiting")
READY_STATES = job_statuses("ready")
SUCCESS_STATES = job_statuses("success")


@dataclass(frozen=True, slots=True)
class Services:
    """The responder's collaborators and settings, the same for every turn."""

    tws: TwsClient
    desk: ActionDesk
    zone: tzinfo
    now: Callable[[], datetime]
    """Timezone-aware."""
    cap: int
    """At most this many lines in a listing."""
    long_minutes: int
    """A job running longer than this is late."""
    alerts: SubscriptionDesk | None = None
    """The alert store (issue 18), handed in by the composition root; None: alerts are not offered."""
    plan_start: time = time(0, 0)
    """When the production plan's day starts in ``zone`` (PlanStartOfDay): what "hoje"/"today" means."""


def zone_named(name: str) -> tzinfo:
    """The IANA zone ``name``; on a machine without the tz database, Brazil's fixed -03:00 (since
    2019) for America/Sao_Paulo, UTC otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == "America/Sao_Paulo":
            return timezone(timedelta(hours=-3), "-03")
        return UTC


def build_services(
    tws: TwsClient,
    audit: AuditSink | None,
    *,
    now: Callable[[], datetime],
    tz: str = "America/Sao_Paulo",
    pending_ttl_seconds: int = 300,
    list_cap: int = 20,
    long_running_minutes: int = 60,
    id_factory: Callable[[], str] | None = None,
    require_justification: bool = False,
    alerts: SubscriptionDesk | None = None,
    plan_start_of_day: str = "00:00",
) -> Services:
    """What every responder over the assistant's skills needs, built one way: the rule responder
    and the LLM responder share the action path (ActionDesk) and its settings."""
    desk = ActionDesk(
        tws,
        audit,
        now,
        id_factory or (lambda: uuid.uuid4().hex),
        int(pending_ttl_seconds),
        require_justification=require_justification,
    )
    return Services(
        tws=tws,
        desk=desk,
        zone=zone_named(tz),
        now=now,
        cap=max(1, int(list_cap)),
        long_minutes=int(long_running_minutes),
        alerts=alerts,
        plan_start=plan_start(plan_start_of_day),
    )


def plan_start(value: str) -> time:
    """``HH:MM`` (PlanStartOfDay) as a time of day; ValueError for anything else."""
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"PLAN_START_OF_DAY must be HH:MM, got {value!r}")
    return time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True)
class SkillContext:
    """What one skill call sees: the recognized intent, the request, the state the previous reply left,
    the turn's plan, the language, and the responder's services."""

    intent: Intent
    request: ResponderRequest
    prev: DialogueState
    """The state the previous reply left."""
    plan: TurnPlan
    lang: str
    services: Services

    def answer(
        self,
        message: Msg,
        intent: str = "",
        *,
        lang: str = "",
        jobs: Sequence[str] = (),
        focus: str = "",
        pending: PendingAction | None = None,
        state: str = "",
        workstation: str = "",
        quick: tuple[Msg, ...] = (),
        streams: Sequence[str] = (),
        choosing: str = "",
        blocks: Sequence[Mapping[str, Any] | None] = (),
    ) -> Answer:
        """``message`` with the state it leaves (in ``lang``, default the turn's; ``intent`` default
        the recognized one) and its blocks (:mod:`..blocks`; a None, a block with nothing to show, is
        left out)."""
        new = DialogueState(
            lang=lang or self.lang,
            intent=intent or self.intent.name,
            jobs=tuple(jobs),
            focus=focus,
            pending=pending,
            state=state,
            workstation=workstation,
            streams=tuple(streams),
            choosing=choosing,
            settled=self.prev.settled or self.intent.said_language,
        )
        return Answer.of(message, new, quick, tuple(b for b in blocks if b is not None))

    # -------------------------------------------------------------------------------- time values
    def when(self, value: datetime) -> When:
        local = value.astimezone(self.services.zone)
        today = self.services.now().astimezone(self.services.zone).date()
        return When(local, local.date() == today)

    def when_iso(self, iso: str) -> When | str:
        """An audit timestamp as a :class:`When` (as stored when it does not parse)."""
        try:
            return self.when(datetime.fromisoformat(iso))
        except ValueError:
            return iso

    def clock(self, value: datetime | None) -> str:
        """``HH:MM`` in the operator's zone ("" for None): how an operator names a stream instance."""
        return value.astimezone(self.services.zone).strftime("%H:%M") if value is not None else ""

    def plan_day_start(self) -> datetime:
        """When the current production plan's day began: today's start of day in the zone, or
        yesterday's when it has not come yet (00:30 with plans starting at 06:00: yesterday 06:00)."""
        zone = self.services.zone
        local_now = self.services.now().astimezone(zone)
        start = datetime.combine(local_now.date(), self.services.plan_start, tzinfo=zone)
        return start if start <= local_now else start - timedelta(days=1)

    def since(self, start: datetime) -> Minutes:
        return Minutes(max(0, int((self.services.now() - start).total_seconds() // 60)))

    def is_late(self, job: Job) -> bool:
        return is_late(job, self.services.now(), self.services.long_minutes)

    def due(self, job: Job) -> datetime | None:
        """When a job that has not started is due: its AT time, else its job stream's start."""
        if job.at_time is not None:
            return job.at_time
        try:
            streams = self.plan.streams
        except TwsFailure:  # the job's own instance time is the next best
            return job.stream_start
        return next((s.start_time for s in streams if s.name == job.job_stream and s.start_time), None)

    def carry(self, ids: Sequence[str]) -> tuple[str, ...]:
        """Keep the previous list as referents when the new focus came from it ("and the other one?")."""
        if ids and all(i in self.prev.jobs for i in ids):
            return self.prev.jobs
        return tuple(ids)


Turn = SkillContext
"""The former name of :class:`SkillContext` (kept: the skills use it)."""
Skill = Callable[[SkillContext], Answer]


def last_agent_turn(history: Sequence[StoredTurn]) -> StoredTurn:
    """The reply the message answers (an empty turn when there is none)."""
    return next((turn for turn in reversed(history) if turn.role == "agent"), StoredTurn("agent", ""))


def job_line(t: Turn, job: Job, *, bullet: bool = True, with_stream: bool = True) -> Msg:
    """``- name (JOBID) — STATUS on WS, stream S, since 10:00 (5 min)`` (or rc and end time)."""
    parts: list[Part] = [msg("job.where", status=job.status, workstation=job.workstation)]
    if with_stream and job.job_stream:
        if job.stream_start is not None and _stream_repeats(t, job):
            # two instances of one stream in the plan: which one is part of the job's identity
            parts.append(msg("job.stream_at", stream=job.job_stream, at=t.when(job.stream_start)))
        else:
            parts.append(msg("job.stream", stream=job.job_stream))
    if job.status in RUNNING_STATES and job.start_time is not None:
        parts.append(msg("job.since", at=t.when(job.start_time), running=t.since(job.start_time)))
    elif job.end_time is not None:
        if job.return_code is not None:
            parts.append(msg("job.rc", rc=job.return_code))
        parts.append(msg("job.ended", at=t.when(job.end_time)))
    line = msg("job.line", name=job.name, job_id=job.job_id, parts=join(*parts, sep=", "))
    return bullet_item(line) if bullet else line


def _stream_repeats(t: Turn, job: Job) -> bool:
    """Whether the plan has another instance of ``job``'s job stream (from the jobs already read)."""
    try:
        jobs = t.plan.jobs
    except TwsFailure:  # a listing never fails for want of this detail
        return False
    return any(j.job_stream == job.job_stream and j.stream_id != job.stream_id for j in jobs)


def bullet_item(part: Part) -> Msg:
    return join("- ", part)


def cap_lines(t: Turn, items: Sequence[Part], refine: Msg) -> list[Part]:
    """At most ``cap`` items, then "... N more — refine with <refine>"."""
    cap = t.services.cap
    if len(items) <= cap:
        return list(items)
    return [*items[:cap], msg("more", extra=len(items) - cap, refine=refine)]


def count_states(jobs: Sequence[Job]) -> str:
    """``3 ABEND, 1 FAIL``: statuses by count (data, the same in every language)."""
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j.status] = counts.get(j.status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
