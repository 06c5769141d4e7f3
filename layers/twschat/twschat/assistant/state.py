"""The dialogue state: what one reply leaves for the next turn, stored in ``Reply.context``.

The responder is stateless; the chat service stores each reply's context beside it and hands the
window back on the next turn, so this survives reconnects and cold starts. The stored keys are the
ones earlier versions wrote (``lang``, ``intent``, ``jobs``, ``focus``, ``pending``, ``state``,
``workstation``, ``error``): history written by them loads, and :meth:`DialogueState.to_dict` writes
only the keys that hold something (the chat service reads ``error`` and overwrites ``intent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .domain import ACTIONS

__all__ = ["DialogueState", "PendingAction"]


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action waiting for the operator's yes or no (see :mod:`twschat.assistant.actions`)."""

    id: str
    action: str
    job: str
    """The job's plan id."""
    job_id: str
    name: str
    workstation: str
    lang: str
    """The language it was asked in: its outcome is told in it, whatever the answer's language."""
    proposed_at: int | None
    """Epoch seconds; None in a pending action stored before actions had ids (never confirmable)."""
    expires_at: int
    kind: str = "job"
    """What ``job`` names: ``job`` (its plan id), ``stream`` (its id), ``workstation`` (its name),
    ``prompt`` (its id); see :data:`~twschat.assistant.domain.ACTION_KINDS`."""
    justification: str = ""
    """The operator's reason for the action (stored in the audit record)."""
    awaiting_reason: bool = False
    """Asked "qual o motivo?" (a justification is required): the next message is the reason."""
    stream: str = ""
    """A job's job stream (its name); re-checked with ``stream_id`` before the call."""
    stream_id: str = ""
    """The job stream INSTANCE: a job's (its stream's id) or a stream action's own id."""
    stream_time: str = ""
    """That instance's scheduled time (ISO 8601), named in the confirmation question."""

    @property
    def target(self) -> str:
        """What the action acts on (``kind`` says which): a job's plan id, a stream's id, a workstation's
        name or a prompt's id. The same value as ``job``, which keeps its name in the stored JSON."""
        return self.job

    @property
    def confirmable(self) -> bool:
        """One this version can confirm: one stored before actions had ids is not."""
        return self.action in ACTIONS and bool(self.id) and self.proposed_at is not None

    @property
    def label(self) -> str:
        if self.kind == "prompt":
            return f'{self.job_id} ("{self.name}")'
        if self.kind != "job":
            return self.name
        return f"{self.name} ({self.job_id})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "job": self.job,
            "job_id": self.job_id,
            "name": self.name,
            "workstation": self.workstation,
            "lang": self.lang,
            "proposed_at": self.proposed_at,
            "expires_at": self.expires_at,
            # written only when set: a job action's stored JSON stays as earlier versions wrote it
            **({"kind": self.kind} if self.kind != "job" else {}),
            **({"justification": self.justification} if self.justification else {}),
            **({"awaiting": "reason"} if self.awaiting_reason else {}),
            **({"stream": self.stream} if self.stream else {}),
            **({"stream_id": self.stream_id} if self.stream_id else {}),
            **({"stream_time": self.stream_time} if self.stream_time else {}),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> PendingAction | None:
        if not isinstance(raw, Mapping) or not raw:
            return None
        proposed = raw.get("proposed_at")
        lang = raw.get("lang")
        return cls(
            id=str(raw.get("id") or ""),
            action=str(raw.get("action") or ""),
            job=str(raw.get("job") or ""),
            job_id=str(raw.get("job_id", "")),
            name=str(raw.get("name", "")),
            workstation=str(raw.get("workstation", "")),
            lang=lang if lang in ("pt", "en") else "",
            proposed_at=proposed if isinstance(proposed, int) else None,
            expires_at=_int(raw.get("expires_at")),
            kind=str(raw.get("kind") or "job"),
            justification=str(raw.get("justification") or ""),
            awaiting_reason=raw.get("awaiting") == "reason",
            stream=str(raw.get("stream") or ""),
            stream_id=str(raw.get("stream_id") or ""),
            stream_time=str(raw.get("stream_time") or ""),
        )


@dataclass(frozen=True, slots=True)
class DialogueState:
    lang: str = ""
    intent: str = ""
    jobs: tuple[str, ...] = ()
    """Plan ids of the jobs the reply referred to ("o primeiro", "e o outro?", "deles")."""
    focus: str = ""
    """Plan id of the one job the reply was about ("e o log dele?")."""
    pending: PendingAction | None = None
    state: str = ""
    """The job state a listing asked for (an elliptical "e na TWS_AGENT1?" repeats it)."""
    workstation: str = ""
    error: str = ""
    """The kind of TWS failure (or ``internal``) the reply reports; the chat service counts them."""
    streams: tuple[str, ...] = ()
    """Ids of the job stream instances the reply listed (which of two BILLING instances?)."""
    choosing: str = ""
    """``job`` / ``stream``: the reply asked which of ``jobs`` / ``streams`` (instances of one name)
    the operator means; the answer ("o do PAYROLL", "a das 07:48", "o segundo") continues ``intent``."""
    resource: str = ""
    """The name of the one resource the reply was about ("e quem está esperando ele?")."""
    settled: bool = False
    """Some message of the conversation said its language (markers, accents), so ``lang`` is not just
    the default: a phrase that is not clearly the other language keeps it ("sim", "/help")."""

    def to_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"lang": self.lang, "intent": self.intent}
        # In the order earlier versions wrote them (the stored JSON stays byte for byte the same).
        optional: dict[str, Any] = {
            "state": self.state,
            "workstation": self.workstation,
            "jobs": list(self.jobs),
            "focus": self.focus,
            "pending": self.pending.to_dict() if self.pending is not None else None,
            "error": self.error,
            "streams": list(self.streams),
            "choosing": self.choosing,
            "resource": self.resource,
            "settled": self.settled or None,
        }
        stored.update((key, value) for key, value in optional.items() if value not in ("", None, []))
        return stored

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> DialogueState:
        """Tolerant: a missing, old or malformed key reads as empty."""
        raw = raw or {}
        jobs = raw.get("jobs")
        streams = raw.get("streams")
        return cls(
            lang=str(raw.get("lang") or ""),
            intent=str(raw.get("intent") or ""),
            jobs=tuple(x for x in jobs if isinstance(x, str)) if isinstance(jobs, list | tuple) else (),
            focus=str(raw.get("focus") or ""),
            pending=PendingAction.from_dict(raw.get("pending")),
            state=str(raw.get("state") or ""),
            workstation=str(raw.get("workstation") or ""),
            error=str(raw.get("error") or ""),
            streams=tuple(x for x in streams if isinstance(x, str)) if isinstance(streams, list) else (),
            choosing=str(raw.get("choosing") or ""),
            resource=str(raw.get("resource") or ""),
            settled=raw.get("settled") is True,
        )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
