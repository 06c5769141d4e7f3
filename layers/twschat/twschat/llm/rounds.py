"""One model-written turn: rounds of model calls and tool runs until the model answers in text, or
proposes an action (checked against the operator's own words by :mod:`.proposals` and answered by the
rule skill for it), or something goes wrong (:class:`~.model.ModelError`: the responder falls back).

Provider-neutral: the conversation is :mod:`.model` messages, the tools :mod:`.tools` registry entries,
the model a :class:`~.model.ModelProvider`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from twschat.assistant.answer import Answer, msg
from twschat.assistant.blocks import worded
from twschat.assistant.domain import ACTION_KINDS
from twschat.assistant.exceptions import TwsFailure
from twschat.assistant.messages import render
from twschat.assistant.plan import CatalogCache, TurnPlan
from twschat.assistant.skills import SKILLS, Turn
from twschat.assistant.skills.base import Services
from twschat.assistant.skills.shown import answer_blocks
from twschat.assistant.state import DialogueState
from twschat.core.responder import DeltaCallback, ModelTelemetry, ProgressCallback, Reply, ResponderRequest
from twschat.core.texts import PROPOSAL_REJECTED_NOTE
from twschat.core.untrusted import scrub_model_text

from .model import Message, ModelError, ModelProvider, ModelRequest, ModelTurn, TextPart, ToolCall, ToolResult
from .proposals import judge_proposal
from .records import CONTEXT_KEY, STORED_LOG_CHARS, TurnFigures, storable, stored_result
from .settings import LlmSettings
from .tools import ACTION_TOOL, ToolBox, tool_specs

_log = logging.getLogger("twschat.llm.responder")

MAX_BLOCKS = 6
"""At most this many blocks on a model-written reply (the first tool results' ones): a model that reads
the whole plan in one turn does not turn the answer into a wall of tables."""


@dataclass(slots=True)
class TurnRun:
    """What one turn works with and what it gathers: the request and the state it continues, the plan
    read once, the tools, the model's conversation so far, the calls kept and the figures."""

    request: ResponderRequest
    prev: DialogueState
    lang: str
    plan: TurnPlan
    box: ToolBox
    model_request: ModelRequest
    figures: TurnFigures
    on_delta: DeltaCallback | None
    on_progress: ProgressCallback | None
    calls: list[dict[str, Any]]
    shown: list[str]
    blocks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """The turn's tool results as structured blocks, in the order they came (never the model's text)."""

    def progress(self, stage: str, detail: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(stage, detail)


class Rounds:
    """Runs turns for the responder: its provider, settings, action services and sleep."""

    def __init__(
        self,
        provider: ModelProvider,
        settings: LlmSettings,
        services: Services,
        catalogs: CatalogCache,
        sleep: Callable[[float], None],
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.services = services
        self.catalogs = catalogs
        self.sleep = sleep

    def start(
        self,
        request: ResponderRequest,
        prev: DialogueState,
        lang: str,
        messages: list[Message],
        *,
        system: str,
        memory_text: str,
        figures: TurnFigures,
        on_delta: DeltaCallback | None,
        on_progress: ProgressCallback | None,
    ) -> TurnRun:
        plan = TurnPlan(self.services.tws)
        box = ToolBox(plan, self.services.zone, self.services.now, self.services.long_minutes)
        operator = TextPart(request.message, operator=True)
        if messages and messages[-1].role == "user":
            messages[-1].parts.append(operator)
        else:
            messages.append(Message("user", [operator]))
        model_request = ModelRequest(
            model_id=self.settings.model_id,
            system=system,
            messages=messages,
            tools=tool_specs(with_prompts=box.has_prompts),
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            context=memory_text,
        )
        return TurnRun(request, prev, lang, plan, box, model_request, figures, on_delta, on_progress, [], [])

    def run(self, run: TurnRun) -> Reply:
        deadline = run.figures.started + self.settings.time_budget_seconds
        messages = list(run.model_request.messages)
        while True:
            run.progress("model")
            turn = self._call(run, messages, deadline)
            uses = turn.tool_calls
            if not uses:
                return self._answer(run, turn)
            run.figures.rounds += 1
            if run.figures.rounds > self.settings.max_tool_rounds:
                raise ModelError("tool_round_cap", f"more than {self.settings.max_tool_rounds} tool rounds")
            action = next((u for u in uses if u.name == ACTION_TOOL), None)
            if action is not None:
                run.figures.tool_calls += 1
                run.progress("tool", ACTION_TOOL)
                return self._propose(run, turn, action)
            messages.append(Message("assistant", list(turn.parts)))
            messages.append(Message("user", [self._run_tool(run, use) for use in uses]))

    def _run_tool(self, run: TurnRun, use: ToolCall) -> ToolResult:
        run.progress("tool", use.name)
        outcome = run.box.run(use.name, use.input)
        run.figures.tool_calls += 1
        if outcome.jobs:
            run.shown = outcome.jobs
        run.blocks += [b for b in outcome.blocks if b not in run.blocks][
            : max(0, MAX_BLOCKS - len(run.blocks))
        ]
        run.calls.append(
            {
                "id": use.id,
                "name": use.name,
                "input": storable(dict(use.input)),
                "result": stored_result(outcome.data),
                "ok": outcome.ok,
            }
        )
        return ToolResult(use.id, outcome.data, outcome.ok)

    def _call(self, run: TurnRun, messages: list[Message], deadline: float) -> ModelTurn:
        """One model call, retried while the error is retryable and the budget allows."""
        figures = run.figures
        attempts = max(1, int(self.settings.max_attempts))
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise ModelError(
                    "time_budget", f"{self.settings.time_budget_seconds:g} s spent", retryable=False
                )
            attempt += 1
            figures.model_calls += 1
            request = dataclasses.replace(run.model_request, messages=messages)
            try:
                turn = self.provider.stream_turn(request, run.on_delta)
            except ModelError as err:
                figures.errors.append(err.code)
                backoff = min(2.0, 0.25 * 2 ** (attempt - 1))
                if not err.retryable or attempt >= attempts or time.monotonic() + backoff >= deadline:
                    raise
                figures.retries += 1
                run.progress("retry", err.code)
                self.sleep(backoff)
                continue
            figures.usage.add(turn.usage)
            return turn

    # ---------------------------------------------------------------------------------- replies
    def telemetry(self, figures: TurnFigures, *, fallback: bool = False, reason: str = "") -> ModelTelemetry:
        cost = self.provider.cost_micro_usd(self.settings.model_id, figures.usage)
        return figures.telemetry(self.settings.model_id, cost, fallback=fallback, reason=reason)

    def _reply(self, run: TurnRun, text: str, state: DialogueState, **extra: Any) -> Reply:
        telemetry = self.telemetry(run.figures)
        context = {**state.to_dict(), CONTEXT_KEY: run.figures.stored(run.calls, telemetry)}
        lang = extra.pop("lang", run.lang)
        intent = extra.pop("intent", "llm")
        return Reply(text, lang, intent, context, telemetry=telemetry, **extra)

    def _tws_failed(self, run: TurnRun, call: dict[str, Any], failure: TwsFailure) -> Reply:
        """The TWS failed while a proposal was being checked or put up: nothing is pending, the
        operator is told the TWS did not answer (as the rules tell it), the proposal is on record."""
        run.figures.proposals_rejected += 1
        call["result"] = {"proposed": False, "rejected": "tws_unavailable"}
        kind = failure.error.kind
        text = render(msg(f"tws_error.{kind}", what=msg("what.act")), run.lang)
        prev = run.prev
        state = DialogueState(lang=run.lang, intent="llm", jobs=prev.jobs, focus=prev.focus, error=kind)
        return self._reply(run, text, state)

    def _answer(self, run: TurnRun, turn: ModelTurn) -> Reply:
        text = scrub_model_text(turn.text)
        if not text:
            raise ModelError("empty_answer", turn.stop_reason, retryable=False)
        shown = run.shown
        state = DialogueState(
            lang=run.lang, intent="llm", jobs=tuple(shown), focus=shown[0] if len(shown) == 1 else ""
        )
        return self._reply(run, text, state, blocks=tuple(run.blocks))

    def _propose(self, run: TurnRun, turn: ModelTurn, use: ToolCall) -> Reply:
        """``propose_action``: checked against the operator's own words (:mod:`.proposals`); accepted,
        the rule skill for the action answers as if the operator had asked through the rules (its
        confirmation question, a refusal, a question back) and that answer ends the turn, apart from
        the model's text. Rejected: the model's text and one line saying actions are the operator's to
        ask for. Nothing runs here."""
        args: Mapping[str, Any] = use.input
        if str(args.get("action") or "") not in ACTION_KINDS:
            raise ModelError("malformed_tool_use", f"unknown action {args.get('action')!r}", retryable=False)
        request, prev, lang = run.request, run.prev, run.lang
        call: dict[str, Any] = {"id": use.id, "name": ACTION_TOOL, "input": storable(dict(args)), "ok": True}
        run.calls.append(call)
        try:
            verdict = judge_proposal(
                args,
                message=request.message,
                prev=prev,
                plan=run.plan,
                lang=lang,
                catalogs=self.catalogs,
                make_turn=lambda intent: Turn(intent, request, prev, run.plan, lang, self.services),
            )
        except TwsFailure as failure:
            return self._tws_failed(run, call, failure)
        lead = scrub_model_text(turn.text)
        if verdict.intent is None:
            run.figures.proposals_rejected += 1
            _log.warning("model proposal rejected: %s", verdict.rejected)
            call["result"] = {"proposed": False, "rejected": verdict.rejected}
            if verdict.operator_request is None:
                note = PROPOSAL_REJECTED_NOTE.get(lang, PROPOSAL_REJECTED_NOTE["pt"])
                state = DialogueState(lang=lang, intent="llm", jobs=prev.jobs, focus=prev.focus)
                return self._reply(run, f"{lead}\n\n{note}" if lead else note, state)
            # The operator asked for an action themselves and the model proposed another: the rules
            # answer the operator's request; the model's text (about its own choice) is not shown.
            lead = ""
        intent = verdict.intent or verdict.operator_request
        assert intent is not None
        skill_turn = Turn(intent, request, prev, run.plan, lang, self.services)
        try:
            answer: Answer = SKILLS[intent.name](skill_turn)
        except TwsFailure as failure:
            return self._tws_failed(run, call, failure)
        state = answer.state
        said = state.lang or lang
        # the confirmation block from the code-written pending action, like the rules draw it
        blocks = worded(answer_blocks(skill_turn, answer), lambda m: render(m, said))
        rendered = render(answer.message, said)
        call["result"] = {
            **call.get("result", {}),
            "proposed": state.pending is not None,
            "message": rendered[:STORED_LOG_CHARS],
        }
        return self._reply(
            run,
            rendered,
            state,
            lang=said,
            intent=state.intent or intent.name,
            quick_replies=tuple(render(q, said) for q in answer.quick_replies),
            lead=lead,
            error_code=state.error,
            blocks=blocks,
        )
