"""Alert subscriptions (issue 18): subscribe, list, cancel one, cancel all — the user's own.

A subscription belongs to the user (``principal.user_id``), not the connection; viewers may subscribe
(an alert is a read). It is kept through the :class:`~..subscriptions.SubscriptionDesk` the composition
root hands in (capped per user, ending at the plan day's end or after a TTL). A job that already
finished is said so instead ("me avisa quando o JOB014 terminar" when it is SUCC); a name in two job
streams asks which (the skills' target resolution), and the answer continues the subscription.

The reply leaves the conversation's referents as they were ("status do JOB009" -> "me avisa quando o
JOB014 terminar" -> "esse também" subscribes JOB009) and the watch in ``state`` for "e o JOB009 também".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from twschat.core.subscriptions import Subscription, SubscriptionLimit, WatchKind

from ..answer import Answer, Msg, Part, lines, msg
from ..domain import Job, Workstation, job_statuses
from ..nlu.alerts import parse_watch
from ..subscriptions import SubscriptionDesk, expiry
from .base import Skill, Turn
from .referents import and_list, targets
from .targets import target_label, target_of

__all__ = ["SKILLS"]

FINAL_JOB_STATES = job_statuses("success", "failed", "cancelled")


def _keep(t: Turn, message: Msg, watch: str = "", quick: tuple[Msg, ...] = ()) -> Answer:
    """``message``, the conversation's referents untouched, the watch kept for "e o JOB009 também"."""
    prev = t.prev
    return t.answer(
        message,
        "alert_subscribe" if watch else "",
        jobs=prev.jobs,
        focus=prev.focus,
        workstation=prev.workstation,
        state=watch,
        quick=quick,
    )


def _with_watch(answer: Answer, watch: str) -> Answer:
    """A question back (which job? which instance?) whose answer continues the subscription."""
    return replace(answer, state=replace(answer.state, intent="alert_subscribe", state=watch))


def _watch(t: Turn) -> str:
    """What to watch: the message's, or (a follow-up) the previous subscription's, for this kind."""
    intent = t.intent
    if intent.watch and not intent.followup:
        return intent.watch
    kind = "workstation" if intent.workstation and not intent.jobs and not intent.missing else "job"
    if intent.stream and not intent.jobs and not intent.candidates:
        kind = "stream"
    prev_kind, condition, states = parse_watch(t.prev.state)
    if t.prev.intent != "alert_subscribe" or not prev_kind:
        return intent.watch
    if intent.referent and not (intent.jobs or intent.workstation or intent.stream):
        kind = prev_kind if prev_kind != "job" or t.prev.focus or t.prev.jobs else "job"
    if kind != prev_kind:
        return f"{kind}|change|"
    return f"{kind}|{condition}|{','.join(states)}"


def _subscribe(t: Turn) -> Answer:
    desk = t.services.alerts
    if desk is None:
        return t.answer(msg("alert.unavailable"))
    watch = _watch(t)
    kind, condition, _ = parse_watch(watch)
    if kind == "workstation":
        ws = target_of(t, "workstation")
        if isinstance(ws, Answer):
            return _with_watch(ws, watch)
        assert isinstance(ws, Workstation)
        return _add(t, desk, watch, [(ws.name, "", ws.name)])
    if kind == "stream":
        names = sorted({s.name for s in t.plan.streams})
        if t.intent.stream not in names:
            return _with_watch(t.answer(msg("target.which_stream", names=", ".join(names))), watch)
        return _add(t, desk, watch, [(t.intent.stream, "", t.intent.stream)])
    found = targets(t)
    if isinstance(found, Answer):
        return _with_watch(found, watch)
    done = [j for j in found if condition == "final" and j.status in FINAL_JOB_STATES]
    if done:
        return _keep(t, lines(*(_already_final(t, j) for j in done)), watch)
    return _add(t, desk, watch, [(j.job_id, _stream_if_repeated(t, j), target_label(j)) for j in found])


def _already_final(t: Turn, job: Job) -> Msg:
    at = t.when(job.end_time) if job.end_time is not None else "-"
    return msg("alert.already_final", label=target_label(job), status=job.status, at=at)


def _stream_if_repeated(t: Turn, job: Job) -> str:
    """A job name in several job streams is watched in the one chosen (names repeat across streams)."""
    return job.job_stream if sum(1 for j in t.plan.jobs if j.job_id == job.job_id) > 1 else ""


def _add(t: Turn, desk: SubscriptionDesk, watch: str, named: list[tuple[str, str, str]]) -> Answer:
    kind, condition, states = parse_watch(watch)
    now = t.services.now()
    until = expiry(now, t.services.zone, desk.ttl_seconds)
    request = t.request
    done: list[Part] = []
    for target, stream, label in named:
        subscription = Subscription(
            owner=request.principal.user_id,
            subscription_id=desk.new_id(),
            kind=_kind(kind),
            target=target,
            condition="final" if condition == "final" else "state" if condition == "state" else "change",
            states=states,
            stream=stream,
            one_shot=condition == "final",
            conversation_id=request.conversation_id,
            lang=t.lang,
            created_at=int(now.timestamp()),
            expires_at=until,
        )
        try:
            desk.store.add_subscription(subscription, cap=desk.cap, now=int(now.timestamp()))
        except SubscriptionLimit as limit:
            refusal = msg("alert.limit", cap=limit.cap)
            return _keep(t, lines(*done, refusal) if done else refusal, watch)
        done.append(msg("alert.subscribed", what=_what(condition, label, states)))
    tail = msg("alert.until", at=t.when(datetime.fromtimestamp(until, UTC)))
    return _keep(t, lines(*done, tail), watch, quick=(msg("alert.quick.list"),))


def _kind(kind: str) -> WatchKind:
    return "workstation" if kind == "workstation" else "stream" if kind == "stream" else "job"


def _what(condition: str, label: str, states: tuple[str, ...]) -> Msg:
    if condition == "state":
        return msg("alert.when.state", label=label, states=", ".join(states))
    return msg(f"alert.when.{'final' if condition == 'final' else 'change'}", label=label)


def _line(t: Turn, s: Subscription) -> Msg:
    what = _what(s.condition, s.label, s.states)
    return msg("alert.list.line", what=what, until=t.when(datetime.fromtimestamp(s.expires_at, UTC)))


def _mine(t: Turn) -> list[Subscription] | Answer:
    desk = t.services.alerts
    if desk is None:
        return t.answer(msg("alert.unavailable"))
    now = int(t.services.now().timestamp())
    return desk.store.list_subscriptions(t.request.principal.user_id, now=now)


def _list(t: Turn) -> Answer:
    subs = _mine(t)
    if isinstance(subs, Answer):
        return subs
    if not subs:
        return _keep(t, msg("alert.list.none"))
    return _keep(t, lines(msg("alert.list.head", count=len(subs)), *(_line(t, s) for s in subs)))


def _named(t: Turn) -> set[str]:
    intent = t.intent
    names = {j.job_id.upper() for j in (*intent.jobs, *intent.candidates)}
    names |= {m.upper() for m in intent.missing}
    names |= {n.upper() for n in (intent.workstation, intent.stream, intent.missing_workstation) if n}
    if not names and intent.referent:
        focus = t.plan.job(t.prev.focus) if t.prev.focus else None
        names = {focus.job_id.upper()} if focus is not None else set()
    return names


def _cancel(t: Turn) -> Answer:
    subs = _mine(t)
    if isinstance(subs, Answer):
        return subs
    names = _named(t)
    if not subs:
        return _keep(t, msg("alert.list.none"))
    hits = [s for s in subs if s.target.upper() in names] if names else subs if len(subs) == 1 else []
    if not hits:
        labels = and_list([s.label for s in subs], len(subs))
        if names:
            return _keep(t, msg("alert.cancel.none", name=", ".join(sorted(names)), labels=labels))
        return _keep(t, msg("alert.cancel.which", labels=labels))
    desk = t.services.alerts
    assert desk is not None
    for s in hits:
        desk.store.cancel_subscription(s.owner, s.subscription_id)
    gone: list[Part] = [*sorted({s.label for s in hits})]
    return _keep(t, msg("alert.cancelled", labels=and_list(gone, len(gone))))


def _cancel_all(t: Turn) -> Answer:
    subs = _mine(t)
    if isinstance(subs, Answer):
        return subs
    if not subs:
        return _keep(t, msg("alert.list.none"))
    desk = t.services.alerts
    assert desk is not None
    gone = sum(1 for s in subs if desk.store.cancel_subscription(s.owner, s.subscription_id))
    return _keep(t, msg("alert.cancelled_all", count=gone))


SKILLS: dict[str, Skill] = {
    "alert_subscribe": _subscribe,
    "alert_list": _list,
    "alert_cancel": _cancel,
    "alert_cancel_all": _cancel_all,
}
