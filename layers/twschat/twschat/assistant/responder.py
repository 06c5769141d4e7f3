"""The rule-based responder: operator questions about the TWS plan answered from live plan data.

The pipeline per turn: load the state the previous reply left (:class:`~.state.DialogueState`) ->
recognize the intent (:mod:`.nlu`) -> the skill registered for it (:data:`.skills.SKILLS`), which
returns a wording-free :class:`~.answer.Answer` -> render it in the conversation's language
(:mod:`.messages`) as a :class:`~twschat.core.responder.Reply` whose context is the new state.
Actions go through :class:`~.actions.ActionDesk` (the one action path); a TWS failure is a
:class:`~.exceptions.TwsFailure`, answered here as a message too.

``respond`` raises only :class:`~twschat.core.exceptions.StorageUnavailable` (the audit store could
not record a confirmed action, so it did not run; the chat service answers ``storage_unavailable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, get_args

from twschat.core.audit import AuditSink
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import Reply, ResponderRequest

from .answer import Answer, msg
from .blocks import worded
from .exceptions import TwsFailure
from .messages import CATALOGS, LANGUAGES, render
from .nlu import recognize
from .nlu.alerts import ALERT_INTENTS
from .plan import CatalogCache, TurnPlan
from .skills import SKILLS, Turn, last_agent_turn
from .skills.base import Services, build_services
from .skills.shown import answer_blocks
from .state import DialogueState
from .subscriptions import SubscriptionDesk
from .tws import TwsClient, TwsErrorKind

__all__ = ["RuleResponder"]

_log = logging.getLogger(__name__)

_ERROR_KINDS = frozenset(get_args(TwsErrorKind))
_FAILING = frozenset(key.removeprefix("what.") for key in CATALOGS["pt"] if key.startswith("what."))
"""What a turn may have been doing when the TWS failed (:attr:`TwsFailure.what`): every ``what.*`` the
catalogues word (a new read adds its entry there, nothing here)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RuleResponder:
    """Rule-based :class:`~twschat.core.responder.Responder` over a :class:`TwsClient`."""

    def __init__(
        self,
        tws: TwsClient,
        *,
        audit: AuditSink | None = None,
        tz: str = "America/Sao_Paulo",
        clock: Callable[[], datetime] | None = None,
        pending_ttl_seconds: int = 300,
        list_cap: int = 20,
        long_running_minutes: int = 60,
        id_factory: Callable[[], str] | None = None,
        require_justification: bool = False,
        alerts: SubscriptionDesk | None = None,
        plan_start_of_day: str = "00:00",
    ) -> None:
        self._tws = tws
        self._clock = clock or _utc_now
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
            alerts=alerts,
            plan_start_of_day=plan_start_of_day,
        )
        self._catalogs = CatalogCache()

    @property
    def services(self) -> Services:
        """The action path and settings this responder's skills use (the LLM responder shares them)."""
        return self._services

    def answers_alerts(self, request: ResponderRequest, prev: DialogueState) -> bool:
        """Whether the message is about alert subscriptions (issue 18): every responder leaves those to
        the rules. Read without the plan (no TWS call) unless it may be "e o JOB009 também" right after
        a subscription: then with the plan's names, as the rules would read it."""
        if self._services.alerts is None:
            return False
        lang = prev.lang or "pt"
        try:
            if recognize(request.message, None, previous=prev, default_language=lang).name in ALERT_INTENTS:
                return True
            if prev.intent != "alert_subscribe":
                return False
            plan = TurnPlan(self._tws)
            catalog = lambda: self._catalogs.for_plan(plan)  # noqa: E731 - read only if a name may be in it
            return (
                recognize(request.message, catalog, previous=prev, default_language=lang).name
                in ALERT_INTENTS
            )
        except Exception:
            return False

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def respond(self, request: ResponderRequest) -> Reply:
        prev = DialogueState.from_dict(last_agent_turn(request.history).context)
        lang = prev.lang or request.default_language or "pt"
        if lang not in LANGUAGES:
            lang = "pt"
        plan = TurnPlan(self._tws)
        name = "unknown"
        try:
            intent = recognize(
                request.message, lambda: self._catalogs.for_plan(plan), previous=prev, default_language=lang
            )
            name = intent.name
            lang = intent.language if intent.language in LANGUAGES else lang
            skill = SKILLS.get(intent.name, SKILLS["unknown"])
            turn = Turn(intent, request, prev, plan, lang, self._services)
            answer = skill(turn)
            return _reply(answer, answer_blocks(turn, answer))
        except TwsFailure as failure:
            lang = failure.lang or lang
            kind = failure.error.kind if failure.error.kind in _ERROR_KINDS else "server"
            what = msg(f"what.{failure.what}") if failure.what in _FAILING else failure.what
            state = DialogueState(lang=lang, intent=name, error=failure.error.kind, settled=prev.settled)
            return _reply(Answer.of(msg(f"tws_error.{kind}", what=what), state))
        except StorageUnavailable:
            # Not a bug to hide behind "internal error": the action did not run because it could not be
            # put on record; the service tells the operator the store is unavailable.
            raise
        except Exception:  # never let a bug in a rule break the conversation
            _log.exception("rule responder failed")
            state = DialogueState(lang=lang, intent=name, error="internal")
            return _reply(Answer.of(msg("internal_error"), state))


def _reply(answer: Answer, blocks: Sequence[Mapping[str, Any]] = ()) -> Reply:
    """The answer worded in its state's language (its blocks' titles too); the state is the reply's
    stored context."""
    lang = answer.state.lang
    return Reply(
        render(answer.message, lang),
        lang,
        answer.state.intent,
        answer.state.to_dict(),
        quick_replies=tuple(render(q, lang) for q in answer.quick_replies),
        error_code=answer.state.error,
        blocks=worded(blocks, lambda m: render(m, lang)),
    )
