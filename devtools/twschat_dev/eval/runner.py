"""One dialogue through the real chat service, and what each turn produced.

Per dialogue: a fresh TWS (:mod:`.plans`), SQLite stores in a temporary folder, the responder built as
:func:`twschat.responders.build_responder` builds it (rules, or the model with the rules as fallback),
and :class:`twschat.chat.ChatService` with streaming on. The operator connects (as an operator or a
viewer) and each turn is a ``$default`` frame answered in the route, posted to a recording poster that
times the first delta. What the turn left is read back from the store (the reply's stored context), the
TWS wrapper (actions that reached it) and the plan (states before and after, for grounding).

The clock is the eval's own (a fixed instant that moves 7 s per turn): the plan's times, the
confirmation's expiry and the stored messages never depend on the wall clock.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twschat.adapters.audit import StoreAuditSink
from twschat.assistant.responder import RuleResponder
from twschat.assistant.subscriptions import SubscriptionDesk
from twschat.chat import LEAD_KEY, QUICK_REPLIES_KEY, ChatService
from twschat.config import Settings
from twschat.core.audit import AuditRecord
from twschat.core.conversation import reply_message_key, user_message_key
from twschat.core.frames import Frame
from twschat.core.ports import PostOutcome
from twschat.core.responder import Principal, Responder
from twschat.llm.bedrock import ConverseTransport as ModelClient
from twschat.persistence.sqlite import sqlite_stores
from twschat.persistence.sqlite.alerts import SQLiteAlertStore
from twschat.persistence.sqlite.base import SQLiteDatabase

from .golden import Dialogue
from .plans import ActionCall, RecordingTws, build_tws, final_states

__all__ = ["EVAL_EPOCH", "DialogueRun", "EvalClock", "RunOptions", "TurnObservation", "run_dialogue"]

EVAL_EPOCH = 1_712_923_200.0
"""2024-04-12 12:00 UTC (09:00 in Sao Paulo): every dialogue starts here."""
TURN_SECONDS = 7.0
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
"""Where each dialogue's SQLite file lives: memory-backed when the machine has it (no fsync per write:
the whole set runs in seconds instead of tens of seconds)."""


class EvalClock:
    """The eval's clock, shared by the chat service, the responder and the demo plan."""

    def __init__(self, start: float = EVAL_EPOCH) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def advance(self, seconds: float = TURN_SECONDS) -> None:
        self.now += seconds


@dataclass(frozen=True, slots=True)
class RunOptions:
    responder: str = "rules"
    """``rules`` or ``bedrock``."""
    model_factory: Callable[[], ModelClient] | None = None
    """The model client for ``bedrock`` (the boto3 one, or an in-process misbehaving model)."""
    model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    tws_url: str = ""


class _TimedPoster:
    """The recording poster: keeps each frame with the moment it was posted."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, Frame]] = []

    def post(self, connection_id: str, frame: Frame) -> PostOutcome:
        self.frames.append((time.perf_counter(), frame))
        return PostOutcome.SENT

    def is_connected(self, connection_id: str) -> bool:
        return True

    def close(self, connection_id: str) -> PostOutcome:
        return PostOutcome.SENT


class _RecordingAudit(StoreAuditSink):
    """The store's audit sink, keeping a copy of every record it writes (who was recorded doing what)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records: list[AuditRecord] = []

    def record(self, record: AuditRecord) -> None:
        super().record(record)
        self.records.append(record)

    def begin(self, record: AuditRecord) -> AuditRecord | None:
        self.records.append(record)
        return super().begin(record)

    def finish(self, record: AuditRecord) -> None:
        super().finish(record)
        self.records.append(record)


@dataclass(slots=True)
class TurnObservation:
    say: str
    status: str
    text: str = ""
    """Everything the operator read: the lead (model text) then the reply's text."""
    lead: str = ""
    quick_replies: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    intent: str = ""
    latency_ms: float = 0.0
    first_delta_ms: float | None = None
    deltas: int = 0
    actions: list[ActionCall] = field(default_factory=list)
    """Actions that reached the TWS during this turn."""
    audit: list[AuditRecord] = field(default_factory=list)
    plan_before: Mapping[str, str] = field(default_factory=dict)
    plan_after: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def llm(self) -> Mapping[str, Any]:
        found = self.context.get("llm")
        return found if isinstance(found, Mapping) else {}

    @property
    def metrics(self) -> Mapping[str, Any]:
        found = self.llm.get("metrics")
        return found if isinstance(found, Mapping) else {}

    @property
    def tool_calls(self) -> list[Mapping[str, Any]]:
        return [c for c in self.llm.get("calls") or () if isinstance(c, Mapping)]

    @property
    def model_wrote(self) -> bool:
        """The answer's text (or its lead) is the model's, not the rules'."""
        return (
            bool(self.metrics)
            and not self.metrics.get("fallback")
            and (self.intent == "llm" or bool(self.lead))
        )


@dataclass(slots=True)
class DialogueRun:
    dialogue: Dialogue
    turns: list[TurnObservation]
    actions: list[ActionCall]
    final: Mapping[str, str]
    audit: list[AuditRecord]


def _build_responder(
    options: RunOptions,
    tws: RecordingTws,
    audit: _RecordingAudit,
    clock: EvalClock,
    *,
    justification: bool,
    alerts: SubscriptionDesk | None = None,
) -> Responder:
    rules = RuleResponder(
        tws,
        audit=audit,
        clock=clock.datetime,
        require_justification=justification,
        alerts=alerts,
    )
    if options.responder == "rules":
        return rules
    if options.model_factory is None:
        raise ValueError("--responder bedrock needs a model client")
    from twschat.llm.responder import BedrockResponder

    llm = dataclasses.replace(Settings().llm, model_id=options.model_id or Settings().llm.model_id)
    return BedrockResponder(
        tws,
        options.model_factory(),
        llm,
        audit=audit,
        fallback=rules,
        tz=Settings().time_zone,
        require_justification=justification,
        clock=clock.datetime,
    )


def run_dialogue(dialogue: Dialogue, options: RunOptions) -> DialogueRun:
    """Run every turn of ``dialogue`` through a fresh chat service (see the module's docstring)."""
    clock = EvalClock()
    tws = build_tws(dialogue.plan, clock.datetime, options.tws_url)
    with tempfile.TemporaryDirectory(prefix="twschat-eval-", dir=_SCRATCH) as folder:
        stores = sqlite_stores(Path(folder) / "eval.db")
        audit = _RecordingAudit(stores.audit, clock=clock.datetime)
        service = ChatService(
            Settings(rate_limit_per_minute=10_000),
            stores,
            _build_responder(
                options,
                tws,
                audit,
                clock,
                justification=dialogue.justification == "required",
                # the alert dialogues (issue 18): a store of their own, in the same scratch folder
                alerts=SubscriptionDesk(SQLiteAlertStore(SQLiteDatabase(Path(folder) / "alerts.db"))),
            ),
            clock=clock,
        )
        principal = Principal(f"u-{dialogue.role}", f"eval-{dialogue.role}", (dialogue.role,))
        connected = service.connect(
            connection_id="eval-1", query={}, domain_name="localhost", stage="eval", principal=principal
        )
        if connected.record is None:
            raise RuntimeError(f"connect refused: {connected.status_code} {connected.reason}")
        conv_key = connected.record.conversation_key
        turns = [
            _one_turn(service, stores, tws, audit, clock, conv_key, index, turn.say)
            for index, turn in enumerate(dialogue.turns)
        ]
        return DialogueRun(dialogue, turns, list(tws.calls), final_states(tws), list(audit.records))


def _one_turn(
    service: ChatService,
    stores: Any,
    tws: RecordingTws,
    audit: _RecordingAudit,
    clock: EvalClock,
    conv_key: str,
    index: int,
    say: str,
) -> TurnObservation:
    clock.advance()
    before = final_states(tws)
    calls_before, audit_before = len(tws.calls), len(audit.records)
    message_id = f"eval-m{index + 1}"
    request_ms = int(clock() * 1000)
    poster = _TimedPoster()
    started = time.perf_counter()
    outcome = service.handle_message(
        connection_id="eval-1",
        message_id=message_id,
        request_time_ms=request_ms,
        body=json.dumps({"action": "sendmessage", "message": say}),
        is_base64=False,
        poster=poster,
    )
    latency = (time.perf_counter() - started) * 1000
    seen = TurnObservation(say=say, status=outcome.status, latency_ms=round(latency, 2))
    deltas = [at for at, frame in poster.frames if frame.get("type") == "delta"]
    seen.deltas = len(deltas)
    seen.first_delta_ms = round((deltas[0] - started) * 1000, 2) if deltas else None
    errors = [str(f.get("code") or "") for _, f in poster.frames if f.get("type") == "error"]
    seen.error = errors[0] if errors else ""
    stored = stores.history.get_message(conv_key, reply_message_key(user_message_key(request_ms, message_id)))
    if stored is not None:
        seen.context = dict(stored.context)
        seen.intent = str(stored.context.get("intent") or "")
        seen.lead = str(stored.context.get(LEAD_KEY) or "")
        seen.quick_replies = tuple(str(q) for q in stored.context.get(QUICK_REPLIES_KEY) or ())
        seen.text = f"{seen.lead}\n\n{stored.text}" if seen.lead else stored.text
    seen.actions = tws.calls[calls_before:]
    seen.audit = audit.records[audit_before:]
    seen.plan_before, seen.plan_after = before, final_states(tws)
    return seen
