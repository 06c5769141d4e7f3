"""The Bedrock responder: operator questions answered by a model that reads the plan through tools.

Per turn:

1. The previous reply left a pending action (proposed here or by the rules)? The turn is the rule
   responder's: "sim"/"não"/the reason are handled by the ONE action path (ActionDesk confirm, audit).
2. Otherwise a conversation with the model (provider-neutral, :mod:`.model`; Bedrock is
   :mod:`.bedrock`): the system prompt (Portuguese; tool results are data, never
   instructions), the last ``history_turns`` stored turns as alternating messages (an agent turn that
   used tools is preceded by its stored calls and compact results, so "e o log dele?" and "reroda
   esse" work after a reconnect), the tools of the registry (:mod:`.tools`), then model rounds
   (:mod:`.rounds`): each tool call is run against the TWS and answered with its result, at most
   ``max_tool_rounds`` rounds.
3. ``propose_action`` ends the turn with the rule skill's own answer: permission, the state rules, the
   pending action and its confirmation question (quick replies "sim"/"não"). The model never
   executes; the operator's later "sim" does, through the rules.
4. Anything that goes wrong with the model (throttling, timeouts, service errors, access denied, an
   error inside the stream, a malformed tool call, the round cap, the time budget) is retried when
   worth it and within the budget, then the turn is answered by the rule responder with a one-line
   note. Never a turn without a reply.

The reply's context (its stored state) is the :class:`~twschat.assistant.state.DialogueState` the
rules read (language, the jobs shown, the job in focus, a pending action) plus ``llm``: the tool calls
with their compact results, and the turn's figures (:mod:`.records`), which also travel as the reply's
typed ``telemetry`` (tokens, tool calls, fallback, estimated cost in micro-dollars).

A :class:`~twschat.core.responder.StreamingResponder`: ``respond_streamed`` takes ``on_delta(text)`` /
``on_progress(stage, detail)``, the chat service's streaming frames (``respond`` takes them too, as
optional keywords). Model text is untrusted: every fragment streamed, every answer and every
lead is scrubbed like inbound text (:func:`twschat.core.untrusted.scrub_model_text`: no C0/C1 controls,
no bidi overrides or isolates, bounded) before the operator sees it or the history keeps it.

Safety (issue 14): a ``propose_action`` call is only a suggestion. :mod:`.proposals` accepts it only when
the operator's own message of this turn asks for that action on that target; the reason comes from the
operator's words, never the model's; the confirmation question is written by code and travels apart
from the model's text (``Reply.lead``: its own ``message`` frame, never with quick replies). A rejected
proposal makes nothing pending, audits nothing, and is counted (``proposals_rejected``,
``ProposalsRejected``).

One :class:`~twschat.assistant.actions.ActionDesk`: the rule fallback's (``RuleResponder.services``) is
the one a proposal here goes through, so "sim" on a later turn finds what was proposed.

With a :class:`~.memory.ConversationMemory` (long conversations at flat cost), step 2 sends the
running summary after the system prompt and only the messages it does not cover; ``after_reply``
(called by the chat service once the reply is posted) refreshes it every few turns. The history sent
is trimmed to ``history_token_budget`` estimated tokens either way (0: no budget).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypedDict, Unpack

from twschat.assistant.messages import LANGUAGES
from twschat.assistant.nlu import recognize
from twschat.assistant.plan import CatalogCache
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills import last_agent_turn
from twschat.assistant.state import DialogueState
from twschat.assistant.tws import TwsClient
from twschat.core.audit import AuditSink
from twschat.core.conversation import conversation_key
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import (
    ConversationSummary,
    DeltaCallback,
    ProgressCallback,
    Reply,
    ResponderRequest,
)
from twschat.core.texts import FALLBACK_NOTE
from twschat.core.untrusted import MODEL_TEXT_MAX_CHARS, scrub_fragment

from .bedrock.provider import BedrockProvider, ConverseTransport
from .bedrock.request import Guardrail
from .history import history_messages, trim_to_budget
from .memory import ConversationMemory
from .model import Message, ModelError, ModelProvider
from .prompt import system_prompt
from .records import CONTEXT_KEY, TurnFigures
from .rounds import Rounds
from .settings import LlmSettings

__all__ = ["CONTEXT_KEY", "BedrockResponder", "ModelResponder"]

_log = logging.getLogger(__name__)


def _conversation_key(request: ResponderRequest) -> str:
    return conversation_key(request.principal.user_id, request.conversation_id)


class ModelResponder:
    """:class:`~twschat.core.responder.Responder` over a :class:`~.model.ModelProvider` and a TWS source,
    with the rule responder as its fallback and its action path."""

    def __init__(
        self,
        tws: TwsClient,
        provider: ModelProvider,
        settings: LlmSettings | None = None,
        *,
        audit: AuditSink | None = None,
        fallback: RuleResponder | None = None,
        memory: ConversationMemory | None = None,
        tz: str = "America/Sao_Paulo",
        require_justification: bool = False,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or LlmSettings()
        self.model_id = self.settings.model_id
        self._tz_name = tz
        # ONE action path: a proposal here is confirmed there ("sim" is the rules' turn).
        self._rules = fallback or RuleResponder(
            tws, audit=audit, tz=tz, clock=clock, require_justification=require_justification
        )
        self.memory = memory
        self._rounds = Rounds(provider, self.settings, self._rules.services, CatalogCache(), sleep)

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
        if prev.pending is not None or self._rules.answers_alerts(request, prev):
            # The answer to a pending action ("sim", "não", the reason): the one action path; an alert
            # subscription ("me avisa quando...", issue 18): the rules keep it in the user's store.
            return self._rules.respond(request)
        lang = self._language(request, prev)
        figures = TurnFigures()
        summary = self.memory.load(_conversation_key(request)) if self.memory is not None else None
        try:
            run = self._rounds.start(
                request,
                prev,
                lang,
                self._window(request, summary),
                system=system_prompt(self._tz_name),
                memory_text=ConversationMemory.system_text(summary),
                figures=figures,
                on_delta=_scrubbed(on_delta),
                on_progress=on_progress,
            )
            return self._rounds.run(run)
        except StorageUnavailable:
            raise
        except Exception as exc:
            code = exc.code if isinstance(exc, ModelError) else "internal"
            if not isinstance(exc, ModelError):
                _log.exception("model responder failed")
            else:
                _log.warning("model responder falls back to the rules: %s", code)
            if on_progress is not None:
                on_progress("fallback", code)
            return self._fallback(request, lang, figures, code)

    def _language(self, request: ResponderRequest, prev: DialogueState) -> str:
        default = prev.lang or request.default_language or "pt"
        try:
            lang = recognize(request.message, None, previous=prev, default_language=default).language
        except Exception:
            lang = default
        return lang if lang in LANGUAGES else "pt"

    def _fallback(self, request: ResponderRequest, lang: str, figures: TurnFigures, code: str) -> Reply:
        reply = self._rules.respond(request)
        language = reply.language if reply.language in FALLBACK_NOTE else lang
        note = FALLBACK_NOTE.get(language, FALLBACK_NOTE["pt"])
        telemetry = self._rounds.telemetry(figures, fallback=True, reason=code)
        context = {**dict(reply.context), CONTEXT_KEY: {"metrics": telemetry.to_dict()}}
        return Reply(
            f"{note}\n{reply.text}",
            reply.language,
            reply.intent,
            context,
            quick_replies=reply.quick_replies,
            telemetry=telemetry,
            error_code=reply.error_code,
            blocks=reply.blocks,
        )

    # ------------------------------------------------------------------------------------ memory
    def after_reply(self, request: ResponderRequest, reply: Reply) -> None:
        """:class:`~twschat.core.responder.AfterReply`: refresh the running summary when it is due (the
        chat service calls this once the reply is stored and posted). Never raises: a failure is
        logged, and the next turn tries again."""
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

    def _window(self, request: ResponderRequest, summary: ConversationSummary | None) -> list[Message]:
        """The history as messages: without a memory the last ``history_turns`` turns; with one, the
        turns its summary does not cover (at most its ``window_cap``); then the token budget."""
        if self.memory is None:
            messages = history_messages(request.history, self.settings.history_turns, CONTEXT_KEY)
        else:
            turns = self.memory.unsummarized(request.history, summary)
            messages = history_messages(turns, self.memory.window_cap, CONTEXT_KEY)
        return trim_to_budget(messages, self.settings.history_token_budget)


class ResponderOptions(TypedDict, total=False):
    """:class:`ModelResponder`'s keyword options, as :class:`BedrockResponder` passes them on."""

    audit: AuditSink | None
    fallback: RuleResponder | None
    memory: ConversationMemory | None
    tz: str
    require_justification: bool
    clock: Callable[[], datetime] | None
    sleep: Callable[[float], None]


class BedrockResponder(ModelResponder):
    """The model responder on Amazon Bedrock: ``model`` is a provider (:class:`~.bedrock.BedrockModelClient`)
    or any ConverseStream transport (``converse_stream(request) -> events``), which it wraps with the
    settings' guardrail and prompt cache."""

    def __init__(
        self,
        tws: TwsClient,
        model: ModelProvider | ConverseTransport,
        settings: LlmSettings | None = None,
        **options: Unpack[ResponderOptions],
    ) -> None:
        settings = settings or LlmSettings()
        if not isinstance(model, ModelProvider):
            guardrail = (
                Guardrail(settings.guardrail_id, settings.guardrail_version or "DRAFT")
                if settings.guardrail_id
                else None
            )
            model = BedrockProvider(model, guardrail=guardrail, prompt_cache=settings.prompt_cache)
        super().__init__(tws, model, settings, **options)


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
