"""What an action or a question about one is about, whatever its kind (a job, a job stream, a
workstation, a prompt: :data:`~twschat.assistant.domain.ACTION_KINDS`): finding it in the plan, its
label, and why its state rules an action out. Shared by the action skills (:mod:`.actions`) and the
questions about actions (:mod:`.audit`: "quem segurou o stream BILLING?", "devo linkar a TWS_AGENT2?")."""

from __future__ import annotations

from ..actions import prompts
from ..answer import Answer, Msg, Part, msg
from ..domain import Job, JobStream, Prompt, Target, Workstation, blocked
from ..exceptions import TwsFailure
from .base import Turn
from .referents import ORDINALS, and_list, quiet_target

__all__ = ["blocked_message", "quiet_target_of", "target_blocked", "target_label", "target_of"]


def blocked_message(action: str, job: Job) -> Msg | None:
    """Why ``action`` makes no sense for ``job`` in its current state (None when it does)."""
    reason = blocked(action, job)
    if reason is None:
        return None
    why = reason.reason
    if action == "rerun" and why == "not_started" and job.status == "HOLD":
        why = "held"  # the one not-started state a release moves on: say so, and only then
    return msg(f"blocked.{action}.{why}", name=f"{job.name} ({job.job_id})", s=job.status, id=job.job_id)


def target_label(target: Target) -> str:
    """``Data Processing (JOB002)``, ``BILLING``, ``TWS_AGENT2``, ``1 ("Fita TAPE01 ...")``."""
    if isinstance(target, Job):
        return f"{target.name} ({target.job_id})"
    if isinstance(target, Prompt):
        return f'{target.id} ("{target.text[:80]}")'
    return target.name


def target_blocked(action: str, target: Target) -> Msg | None:
    """Why ``action`` makes no sense for ``target`` in its current state (None when it does)."""
    if isinstance(target, Job):
        return blocked_message(action, target)
    reason = blocked(action, target)
    if reason is None:
        return None
    label = target_label(target)
    return msg(f"blocked.{action}.{reason.reason}", name=label, s=target.status, id=label)


def quiet_target_of(t: Turn, kind: str) -> Target | None:
    """The one target of ``kind`` a message is about, or None when that would need a question (for a
    refusal's audit record, a negation)."""
    if kind == "job":
        return quiet_target(t)
    try:
        found = target_of(t, kind)
    except TwsFailure:
        return None
    return None if isinstance(found, Answer) else found


def _stream_of(t: Turn) -> JobStream | Answer:
    """The one job stream INSTANCE the message is about: a name with two instances in the plan (BILLING
    at 01:36 and at 07:48) is narrowed by the time the message gives, else the question lists them."""
    intent, plan, prev = t.intent, t.plan, t.prev
    if prev.choosing == "stream" and intent.followup:
        options = [s for i in prev.streams for s in plan.streams if s.id == i]
        picked = [s for s in options if intent.time and t.clock(s.start_time) == intent.time]
        if not picked and intent.referent in ORDINALS and options:
            index = ORDINALS[intent.referent]
            picked = [options[index]] if index < len(options) else []
        if len(picked) == 1:
            return picked[0]
        if options:
            return _ask_stream(t, options)
    instances = [s for s in plan.streams if s.name == intent.stream] if intent.stream else []
    if len(instances) > 1 and intent.time:
        instances = [s for s in instances if t.clock(s.start_time) == intent.time] or instances
    if len(instances) == 1:
        return instances[0]
    if instances:
        return _ask_stream(t, instances)
    names = ", ".join(sorted({s.name for s in plan.streams}))
    return t.answer(msg("target.which_stream", names=names))


def _ask_stream(t: Turn, instances: list[JobStream]) -> Answer:
    """ "O job stream BILLING tem 2 instâncias: 01:36 (SUCC) e 07:48 (EXEC). Qual?" """
    instances = sorted(instances, key=lambda s: s.start_time.timestamp() if s.start_time else 0.0)
    shown = instances[: t.services.cap]
    options: list[Part] = [
        msg("which.stream_instance", at=t.when(s.start_time) if s.start_time else s.id, status=s.status)
        for s in shown
    ]
    text = msg(
        "which.stream_instances",
        name=instances[0].name,
        count=len(instances),
        options=and_list(options, len(instances)),
    )
    return t.answer(text, streams=[s.id for s in shown], choosing="stream")


def target_of(t: Turn, kind: str) -> Target | Answer:
    """The one stream / workstation / prompt the message is about, or the question back."""
    intent, plan, prev = t.intent, t.plan, t.prev
    if kind == "stream":
        return _stream_of(t)
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
    ids = ", ".join(target_label(p) for p in (open_ or list(asked))[: t.services.cap])
    return t.answer(msg("target.which_prompt", ids=ids))
