"""The Bedrock responder: operator questions answered by a model that reads the plan through tools.

Per turn:

1. The previous reply left a pending action (proposed here or by the rules)? The turn is the rule
   responder's: "sim"/"não"/the reason are handled by the ONE action path (ActionDesk confirm, audit).
2. Otherwise a Converse conversation: the system prompt (Portuguese; tool results are data, never
   instructions), the last ``history_turns`` stored turns as alternating messages (an agent turn that
   used tools is preceded by its stored calls and compact results, so "e o log dele?" and "reroda
   esse" work after a reconnect), the tools generated from the domain (:mod:`.tools`), then
   ConverseStream rounds: each toolUse is run against the TWS and answered with a toolResult, at most
   ``max_tool_rounds`` rounds.
3. ``propose_action`` ends the turn with the rule skill's own answer: permission, the state rules, the
   pending action and its confirmation question (quick replies "sim"/"não"). The model never
   executes; the operator's later "sim" does, through the rules.
4. Anything that goes wrong with the model (throttling, timeouts, service errors, access denied, an
   error inside the stream, a malformed tool call, the round cap, the time budget) is retried when
   worth it and within the budget, then the turn is answered by the rule responder with a one-line
   note. Never a turn without a reply.

The reply's context is the :class:`~twschat.assistant.state.DialogueState` the rules read (language,
the jobs shown, the job in focus, a pending action) plus ``llm``: the tool calls with their compact
results, and the turn's metrics (tokens, tool calls, fallback, estimated cost in micro-dollars).

``respond`` takes optional ``on_delta(text)`` / ``on_progress(stage, detail)`` callbacks: the chat
service's streaming frames. Model text is untrusted: every fragment streamed, every answer and every
lead is scrubbed like inbound text (:func:`twschat.core.untrusted.scrub_model_text`: no C0/C1 controls,
no bidi overrides or isolates, bounded) before the operator sees it or the history keeps it.

Safety (issue 14): a ``propose_action`` call is only a suggestion. :mod:`.proposals` accepts it only when
the operator's own message of this turn asks for that action on that target; the reason comes from the
operator's words, never the model's; the confirmation question is written by code and travels apart
from the model's text (``Reply.lead``: its own ``message`` frame, never with quick replies). A rejected
proposal makes nothing pending, audits nothing, and is counted (``proposals_rejected``,
``ProposalsRejected``).

With a :class:`~.memory.ConversationMemory` (long conversations at flat cost), step 2 sends the
running summary after the system prompt and only the messages it does not cover; ``after_reply``
(called by the chat service once the reply is posted) refreshes it every few turns. The history sent
is trimmed to ``history_token_budget`` estimated tokens either way (0: no budget).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from twschat.assistant.answer import Answer
from twschat.assistant.domain import ACTION_KINDS
from twschat.assistant.messages import LANGUAGES, render
from twschat.assistant.nlu import recognize
from twschat.assistant.plan import CatalogCache, TurnPlan
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills import SKILLS, Turn, last_agent_turn
from twschat.assistant.skills.base import build_services
from twschat.assistant.state import DialogueState
from twschat.assistant.tws import TwsClient
from twschat.core.audit import AuditSink
from twschat.core.conversation import conversation_key
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import (
    ConversationSummary,
    DeltaCallback,
    ModelTelemetry,
    ProgressCallback,
    Reply,
    Responder,
    ResponderRequest,
)
from twschat.core.untrusted import MODEL_TEXT_MAX_CHARS, scrub_fragment, scrub_model_text

from .converse import ModelClient, ModelError, ModelTurn, Usage, collect, history_messages, trim_to_budget
from .memory import ConversationMemory
from .pricing import DEFAULT_MODEL_ID, estimate_cost_micro_usd
from .prompt import FALLBACK_NOTE, PROPOSAL_REJECTED_NOTE, system_prompt
from .proposals import judge_proposal
from .tools import ACTION_TOOL, ToolBox, tool_specs

__all__ = ["CONTEXT_KEY", "BedrockResponder"]

_log = logging.getLogger(__name__)

CONTEXT_KEY = "llm"
STORED_CALLS = 8
"""At most this many tool calls kept in a reply's context (the latest)."""
STORED_RESULT_CHARS = 3000
"""A stored tool result larger than this (as compact JSON) is cut (a log to its last characters)."""
STORED_LOG_CHARS = 1500


def _conversation_key(request: ResponderRequest) -> str:
    return conversation_key(request.principal.user_id, request.conversation_id)


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def _storable(value: Any) -> Any:
    """JSON the history store keeps as is: no floats (DynamoDB), strings bounded."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value[:STORED_RESULT_CHARS]
    if isinstance(value, Mapping):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return str(value)[:STORED_RESULT_CHARS]


def _stored_result(data: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(data)
    if isinstance(result.get("log"), str) and len(result["log"]) > STORED_LOG_CHARS:
        result["log"] = result["log"][-STORED_LOG_CHARS:]
        result["log_truncated"] = True
    if len(_compact(result)) > STORED_RESULT_CHARS:
        result = {"summary": _compact(result)[:STORED_RESULT_CHARS], "truncated": True}
    return dict(_storable(result))


class _Metrics:
    def __init__(self) -> None:
        self.usage = Usage()
        self.tool_calls = 0
        self.rounds = 0
        self.model_calls = 0
        self.retries = 0
        self.proposals_rejected = 0
        self.errors: list[str] = []
        self.started = time.monotonic()

    def telemetry(self, model_id: str, *, fallback: bool, reason: str = "") -> ModelTelemetry:
        u = self.usage
        return ModelTelemetry(
            model=model_id,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
            tool_calls=self.tool_calls,
            tool_rounds=self.rounds,
            model_calls=self.model_calls,
            retries=self.retries,
            proposals_rejected=self.proposals_rejected,
            fallback=fallback,
            cost_micro_usd=estimate_cost_micro_usd(
                model_id, u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens
            ),
            latency_ms=int((time.monotonic() - self.started) * 1000),
            fallback_reason=reason,
            errors=tuple(self.errors[-5:]),
        )


class BedrockResponder:
    """:class:`~twschat.core.responder.Responder` over a model (``ModelClient``) and a TWS source."""

    def __init__(
        self,
        tws: TwsClient,
        model: ModelClient,
        *,
        model_id: str = DEFAULT_MODEL_ID,
        audit: AuditSink | None = None,
        fallback: Responder | None = None,
        tz: str = "America/Sao_Paulo",
        max_tokens: int = 1024,
        temperature: float = 0.2,
        guardrail_id: str = "",
        guardrail_version: str = "",
        history_turns: int = 10,
        history_token_budget: int = 6000,
        memory: ConversationMemory | None = None,
        max_tool_rounds: int = 4,
        time_budget_seconds: float = 20.0,
        max_attempts: int = 2,
        prompt_cache: bool = True,
        require_justification: bool = False,
        clock: Callable[[], datetime] | None = None,
        id_factory: Callable[[], str] | None = None,
        pending_ttl_seconds: int = 300,
        list_cap: int = 20,
        long_running_minutes: int = 60,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._tws = tws
        self._model = model
        self.model_id = model_id
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tz_name = tz
        self._rules: Responder = fallback or RuleResponder(
            tws,
            audit=audit,
            tz=tz,
            clock=clock,
            require_justification=require_justification,
            pending_ttl_seconds=pending_ttl_seconds,
            id_factory=id_factory,
        )
        # The same action path and settings as the rules: a proposal here is confirmed there.
        self._services = build_services(
            tws,
            audit,
            now=self._now,
            tz=tz,
            pending_ttl_seconds=pending_ttl_seconds,
            list_cap=list_cap,
            long_running_minutes=long_running_minutes,
            id_factory=id_factory,
            require_justification=require_justification,
        )
        self._zone = self._services.zone
        self._inference = {"maxTokens": int(max_tokens), "temperature": float(temperature)}
        self._guardrail = (
            {"guardrailIdentifier": guardrail_id, "guardrailVersion": guardrail_version or "DRAFT"}
            if guardrail_id
            else None
        )
        self._history_turns = int(history_turns)
        self._history_budget = int(history_token_budget)
        self.memory = memory
        self._max_rounds = int(max_tool_rounds)
        self._budget = float(time_budget_seconds)
        self._attempts = max(1, int(max_attempts))
        self._cache = prompt_cache
        self._sleep = sleep
        self._catalogs = CatalogCache()

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    # ------------------------------------------------------------------------------------- turn
    def respond_streamed(
        self, request: ResponderRequest, *, on_delta: DeltaCallback, on_progress: ProgressCallback
    ) -> Reply:
        """:class:`~twschat.core.responder.StreamingResponder`: the chat service's delta/progress frames."""
        return self.respond(request, on_delta=on_delta, on_progress=on_progress)

    def respond(
        self,
        request: ResponderRequest,
        *,
        on_delta: DeltaCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Reply:
        prev = DialogueState.from_dict(last_agent_turn(request.history).context)
        if prev.pending is not None:
            # The answer to a pending action ("sim", "não", the reason): the one action path.
            return self._rules.respond(request)
        lang = self._language(request, prev)
        metrics = _Metrics()
        on_delta = _scrubbed(on_delta)
        summary = self.memory.load(_conversation_key(request)) if self.memory is not None else None
        try:
            return self._converse(request, prev, lang, metrics, on_delta, on_progress, summary)
        except StorageUnavailable:
            raise
        except Exception as exc:
            code = exc.code if isinstance(exc, ModelError) else "internal"
            if not isinstance(exc, ModelError):
                _log.exception("bedrock responder failed")
            else:
                _log.warning("bedrock responder falls back to the rules: %s", code)
            if on_progress is not None:
                on_progress("fallback", code)
            return self._fallback(request, lang, metrics, code)

    def _language(self, request: ResponderRequest, prev: DialogueState) -> str:
        default = prev.lang or request.default_language or "pt"
        try:
            lang = recognize(request.message, None, previous=prev, default_language=default).language
        except Exception:
            lang = default
        return lang if lang in LANGUAGES else "pt"

    def _fallback(self, request: ResponderRequest, lang: str, metrics: _Metrics, code: str) -> Reply:
        reply = self._rules.respond(request)
        language = reply.language if reply.language in FALLBACK_NOTE else lang
        note = FALLBACK_NOTE.get(language, FALLBACK_NOTE["pt"])
        telemetry = metrics.telemetry(self.model_id, fallback=True, reason=code)
        context = {**dict(reply.context), CONTEXT_KEY: {"metrics": telemetry.to_dict()}}
        return Reply(
            f"{note}\n{reply.text}",
            reply.language,
            reply.intent,
            context,
            quick_replies=reply.quick_replies,
            telemetry=telemetry,
            error_code=reply.error_code,
        )

    # ------------------------------------------------------------------------------------ memory
    def after_reply(self, request: ResponderRequest, reply: Reply) -> None:
        """Refresh the running summary when it is due (the chat service calls this once the reply is
        stored and posted). Never raises: a failure is logged, and the next turn tries again."""
        memory = self.memory
        if memory is None or not request.conversation_id:
            return
        try:
            key = _conversation_key(request)
            if memory.due(request.history, memory.load(key)):
                memory.refresh(key)
        except Exception as exc:
            memory.stats.failures += 1
            _log.warning("summary refresh failed; the next turn retries: %s", type(exc).__name__)

    def _window(self, request: ResponderRequest, summary: ConversationSummary | None) -> list[dict[str, Any]]:
        """The history as Converse messages: without a memory the last ``history_turns`` turns; with
        one, the turns its summary does not cover (at most its ``window_cap``); then the token budget."""
        if self.memory is None:
            messages = history_messages(request.history, self._history_turns, CONTEXT_KEY)
        else:
            turns = self.memory.unsummarized(request.history, summary)
            messages = history_messages(turns, self.memory.window_cap, CONTEXT_KEY)
        return trim_to_budget(messages, self._history_budget)

    def _body(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], memory_text: str = ""
    ) -> dict[str, Any]:
        system: list[dict[str, Any]] = [{"text": system_prompt(self._tz_name)}]
        if self._cache:
            system.append({"cachePoint": {"type": "default"}})
        if memory_text:
            system.append({"text": memory_text})  # after the cache point: the static prefix stays cached
        body: dict[str, Any] = {
            "modelId": self.model_id,
            "system": system,
            "messages": messages,
            "inferenceConfig": dict(self._inference),
            "toolConfig": {"tools": tools},
        }
        if self._guardrail is not None:
            body["guardrailConfig"] = dict(self._guardrail)
        return body

    def _converse(
        self,
        request: ResponderRequest,
        prev: DialogueState,
        lang: str,
        metrics: _Metrics,
        on_delta: DeltaCallback | None,
        on_progress: ProgressCallback | None,
        summary: ConversationSummary | None = None,
    ) -> Reply:
        deadline = metrics.started + self._budget
        plan = TurnPlan(self._tws)
        box = ToolBox(plan, self._zone, self._now, self._services.long_minutes)
        tools = tool_specs(with_prompts=box.has_prompts)
        messages = self._window(request, summary)
        memory_text = ConversationMemory.system_text(summary)
        text_block: dict[str, Any] = (
            {"guardContent": {"text": {"text": request.message}}}
            if self._guardrail is not None
            else {"text": request.message}
        )
        if messages and messages[-1]["role"] == "user":
            messages[-1]["content"].append(text_block)
        else:
            messages.append({"role": "user", "content": [text_block]})
        calls: list[dict[str, Any]] = []
        shown: list[str] = []
        while True:
            if on_progress is not None:
                on_progress("model", "")
            turn = self._call(
                self._body(messages, tools, memory_text), deadline, metrics, on_delta, on_progress
            )
            uses = turn.tool_uses
            if not uses:
                return self._answer(turn, lang, calls, shown, metrics)
            metrics.rounds += 1
            if metrics.rounds > self._max_rounds:
                raise ModelError("tool_round_cap", f"more than {self._max_rounds} tool rounds")
            action = next((u for u in uses if u.get("name") == ACTION_TOOL), None)
            if action is not None:
                metrics.tool_calls += 1
                if on_progress is not None:
                    on_progress("tool", ACTION_TOOL)
                return self._propose(request, prev, plan, lang, turn, action, calls, metrics)
            messages.append({"role": "assistant", "content": turn.content})
            results: list[dict[str, Any]] = []
            for use in uses:
                name = str(use.get("name") or "")
                if on_progress is not None:
                    on_progress("tool", name)
                tool_input = use.get("input") if isinstance(use.get("input"), Mapping) else {}
                outcome = box.run(name, tool_input or {})
                metrics.tool_calls += 1
                if outcome.jobs:
                    shown = outcome.jobs
                results.append(
                    {
                        "toolResult": {
                            "toolUseId": use.get("toolUseId", ""),
                            "content": [{"json": outcome.data}],
                            "status": "success" if outcome.ok else "error",
                        }
                    }
                )
                calls.append(
                    {
                        "id": str(use.get("toolUseId", "")),
                        "name": name,
                        "input": _storable(dict(tool_input or {})),
                        "result": _stored_result(outcome.data),
                        "ok": outcome.ok,
                    }
                )
            messages.append({"role": "user", "content": results})

    def _call(
        self,
        body: dict[str, Any],
        deadline: float,
        metrics: _Metrics,
        on_delta: DeltaCallback | None,
        on_progress: ProgressCallback | None,
    ) -> ModelTurn:
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise ModelError("time_budget", f"{self._budget:g} s spent", retryable=False)
            attempt += 1
            metrics.model_calls += 1
            try:
                turn = collect(self._model.converse_stream(body), on_delta)
            except ModelError as err:
                metrics.errors.append(err.code)
                backoff = min(2.0, 0.25 * 2 ** (attempt - 1))
                if not err.retryable or attempt >= self._attempts or time.monotonic() + backoff >= deadline:
                    raise
                metrics.retries += 1
                if on_progress is not None:
                    on_progress("retry", err.code)
                self._sleep(backoff)
                continue
            metrics.usage.input_tokens += turn.usage.input_tokens
            metrics.usage.output_tokens += turn.usage.output_tokens
            metrics.usage.cache_read_tokens += turn.usage.cache_read_tokens
            metrics.usage.cache_write_tokens += turn.usage.cache_write_tokens
            return turn

    # ----------------------------------------------------------------------------------- replies
    def _context(self, calls: list[dict[str, Any]], telemetry: ModelTelemetry) -> dict[str, Any]:
        """The responder's stored state beside the dialogue state: the calls (replayed to the model on
        later turns) and the turn's figures."""
        return {"calls": calls[-STORED_CALLS:], "metrics": telemetry.to_dict()}

    def _answer(
        self, turn: ModelTurn, lang: str, calls: list[dict[str, Any]], shown: list[str], metrics: _Metrics
    ) -> Reply:
        text = scrub_model_text(turn.text)
        if not text:
            raise ModelError("empty_answer", turn.stop_reason, retryable=False)
        state = DialogueState(
            lang=lang, intent="llm", jobs=tuple(shown), focus=shown[0] if len(shown) == 1 else ""
        )
        telemetry = metrics.telemetry(self.model_id, fallback=False)
        context = {**state.to_dict(), CONTEXT_KEY: self._context(calls, telemetry)}
        return Reply(text, lang, "llm", context, telemetry=telemetry)

    def _propose(
        self,
        request: ResponderRequest,
        prev: DialogueState,
        plan: TurnPlan,
        lang: str,
        turn: ModelTurn,
        use: Mapping[str, Any],
        calls: list[dict[str, Any]],
        metrics: _Metrics,
    ) -> Reply:
        """``propose_action``: checked against the operator's own words (:mod:`.proposals`); accepted,
        the rule skill for the action answers as if the operator had asked through the rules (its
        confirmation question, a refusal, a question back) and that answer ends the turn, apart from
        the model's text. Rejected: the model's text and one line saying actions are the operator's to
        ask for. Nothing runs here."""
        raw = use.get("input") if isinstance(use.get("input"), Mapping) else {}
        args: Mapping[str, Any] = raw or {}
        if str(args.get("action") or "") not in ACTION_KINDS:
            raise ModelError("malformed_tool_use", f"unknown action {args.get('action')!r}", retryable=False)
        verdict = judge_proposal(
            args,
            message=request.message,
            prev=prev,
            plan=plan,
            lang=lang,
            catalogs=self._catalogs,
            make_turn=lambda intent: Turn(intent, request, prev, plan, lang, self._services),
        )
        lead = scrub_model_text(turn.text)
        call: dict[str, Any] = {
            "id": str(use.get("toolUseId", "")),
            "name": ACTION_TOOL,
            "input": _storable(dict(args)),
            "ok": True,
        }
        calls.append(call)
        if verdict.intent is None:
            metrics.proposals_rejected += 1
            _log.warning("model proposal rejected: %s", verdict.rejected)
            call["result"] = {"proposed": False, "rejected": verdict.rejected}
            note = PROPOSAL_REJECTED_NOTE.get(lang, PROPOSAL_REJECTED_NOTE["pt"])
            state = DialogueState(lang=lang, intent="llm", jobs=prev.jobs, focus=prev.focus)
            telemetry = metrics.telemetry(self.model_id, fallback=False)
            context = {**state.to_dict(), CONTEXT_KEY: self._context(calls, telemetry)}
            text = f"{lead}\n\n{note}" if lead else note
            return Reply(text, lang, "llm", context, telemetry=telemetry)
        intent = verdict.intent
        answer: Answer = SKILLS[intent.name](Turn(intent, request, prev, plan, lang, self._services))
        state = answer.state
        rendered = render(answer.message, state.lang or lang)
        call["result"] = {"proposed": state.pending is not None, "message": rendered[:STORED_LOG_CHARS]}
        telemetry = metrics.telemetry(self.model_id, fallback=False)
        context = {**state.to_dict(), CONTEXT_KEY: self._context(calls, telemetry)}
        return Reply(
            rendered,
            state.lang or lang,
            state.intent or intent.name,
            context,
            quick_replies=tuple(render(q, state.lang or lang) for q in answer.quick_replies),
            lead=lead,
            telemetry=telemetry,
            error_code=state.error,
        )


def _scrubbed(on_delta: DeltaCallback | None) -> DeltaCallback | None:
    """``on_delta`` with each fragment scrubbed of controls, and silent past the model-text bound (the
    final message, scrubbed and bounded the same way, is what the operator keeps)."""
    if on_delta is None:
        return None
    sent = 0

    def forward(text: str) -> None:
        nonlocal sent
        clean = scrub_fragment(text)[: max(0, MODEL_TEXT_MAX_CHARS - sent)]
        if clean:
            sent += len(clean)
            on_delta(clean)

    return forward
