"""Alert rules (issue 18): "me avisa quando o JOB014 terminar", "e o JOB009 também", "quais avisos eu
tenho?", "para de me avisar do JOB014", "cancela todos os avisos" — and the same in English.

They run before the action rules (:data:`.rules.RULES` splices :data:`ALERT_RULES` in): "cancela todos
os avisos" names the alerts, not a job to cancel. What a subscription watches is read here into
:attr:`~.intents.Intent.watch` (``kind|condition|states``); the skill (:mod:`..skills.alerts`) finds the
target in the plan and keeps the subscription.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain import job_statuses
from .features import Features
from .intents import Intent

__all__ = ["ALERT_INTENTS", "ALERT_RULES", "parse_watch", "watch_of"]

ALERT_INTENTS = frozenset({"alert_subscribe", "alert_list", "alert_cancel", "alert_cancel_all"})
"""Answered by the rules whatever the responder (like a pending action's yes/no)."""

_ALL = frozenset({"todos", "todas", "tudo", "all", "every"})
_STOP = frozenset({"cancela", "cancele", "cancelar", "remove", "tira", "tire", "cancel", "delete", "drop"})
_ALSO = frozenset({"tambem", "also", "too"})
_MINE = frozenset({"meus", "minhas", "tenho", "my", "have", "ativos", "active", "existem"})
# "finished", "done", "terminado": a final state, not only SUCC ("notify me when JOB014 is done")
_FINAL_WORDS = frozenset({"finished", "done", "completed", "terminado", "concluido", "finalizado"})
_FAILED = ",".join(sorted(job_statuses("failed")))
_CANCELLED = ",".join(sorted(job_statuses("cancelled")))


def _let_me_know(f: Features) -> bool:
    tokens = f.tokens
    return any(tokens[i : i + 3] == ("let", "me", "know") for i in range(len(tokens)))


def _about_alerts(f: Features) -> bool:
    return f.has("alert") or _let_me_know(f)


def _stops(f: Features) -> bool:
    """ "para de me avisar", "pare", "cancela", "stop", "remove": the alert word is what ends."""
    tokens = f.tokens
    para = any(t == "para" and tokens[i + 1 : i + 2] in (("de",), ("com",)) for i, t in enumerate(tokens))
    return para or f.has("alert_stop", "cancel") or any(t in _STOP for t in tokens)


def _names_something(f: Features) -> bool:
    return f.target or bool(f.workstation or f.missing_workstation or f.stream)


def _alert_cancel(f: Features) -> Intent | None:
    if not _about_alerts(f) or not _stops(f):
        return None
    if any(t in _ALL for t in f.tokens) and not _names_something(f):
        return f.make("alert_cancel_all", jobs=(), candidates=())
    return f.make("alert_cancel")


def _alert_list(f: Features) -> Intent | None:
    if not _about_alerts(f) or _names_something(f) or f.referent:
        return None
    if f.has("list") or any(t in _MINE for t in f.tokens):
        return f.make("alert_list", jobs=(), candidates=())
    return None


def _alert_subscribe(f: Features) -> Intent | None:
    if not _about_alerts(f) or f.action:
        return None
    return f.make("alert_subscribe", watch=watch_of(f))


def _alert_also(f: Features) -> Intent | None:
    # "e o JOB009 também", "esse também" right after a subscription: the same watch ("e o JOB009?"
    # alone asks about the job)
    if f.previous.intent != "alert_subscribe" or f.action or f.content:
        return None
    if not (_names_something(f) or f.referent):
        return None
    if any(t in _ALSO for t in f.tokens):
        return f.make("alert_subscribe", followup=True)
    return None


def watch_of(f: Features) -> str:
    """``kind|condition|states`` of what the message asks to be told about."""
    only_stream = bool(f.stream) and not f.candidates and not f.missing
    only_stream = only_stream and (
        not f.jobs or (f.has("stream") and all(j.job_stream == f.stream for j in f.jobs))
    )
    if (f.workstation or f.missing_workstation) and not f.target:
        kind = "workstation"
    elif only_stream:
        kind = "stream"
    else:
        kind = "job"
    if f.has("change"):
        return f"{kind}|change|"
    if kind == "workstation":
        if f.has("back", "online"):
            return "workstation|state|ONLINE"
        return "workstation|state|OFFLINE" if f.has("offline") else "workstation|change|"
    state = f.state
    if f.has("finish") or (state == "success" and any(t in _FINAL_WORDS for t in f.tokens)):
        return f"{kind}|final|"
    if state in ("abend", "failed"):
        return f"{kind}|state|{_FAILED if kind == 'job' else 'ABEND'}"
    if state == "success":
        return f"{kind}|state|SUCC"
    if state == "cancelled":
        return f"{kind}|state|{_CANCELLED if kind == 'job' else 'CANCELED,CANCELLED,CANCL'}"
    return f"{kind}|final|"


def parse_watch(watch: str) -> tuple[str, str, tuple[str, ...]]:
    """``job|state|ABEND,FAIL`` -> ("job", "state", ("ABEND", "FAIL")); "" -> ("", "", ())."""
    kind, _, rest = watch.partition("|")
    condition, _, states = rest.partition("|")
    return kind, condition, tuple(s for s in states.split(",") if s)


ALERT_RULES: tuple[tuple[str, Callable[[Features], Intent | None]], ...] = (
    ("alert_cancel", _alert_cancel),
    ("alert_list", _alert_list),
    ("alert_subscribe", _alert_subscribe),
    ("alert_also", _alert_also),
)
