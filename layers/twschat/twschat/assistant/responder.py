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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twschat.core.audit import AuditSink
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import Reply, ResponderRequest

from .actions import ActionDesk
from .answer import Answer, msg
from .exceptions import TwsFailure
from .messages import LANGUAGES, render
from .nlu import recognize
from .plan import CatalogCache, TurnPlan
from .skills import SKILLS, Services, Turn, last_agent_turn
from .state import DialogueState
from .tws import TwsClient, TwsErrorKind

__all__ = ["RuleResponder"]

_log = logging.getLogger(__name__)

_ERROR_KINDS = frozenset(get_args(TwsErrorKind))
_FAILING = frozenset({"jobs", "workstations", "streams", "log", "act", "prompts"})
"""What a turn may have been doing when the TWS failed (:attr:`TwsFailure.what`)."""


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # No tz database (slim images): Brazil has had a fixed -03:00 offset since 2019.
        if name == "America/Sao_Paulo":
            return timezone(timedelta(hours=-3), "-03")
        return UTC


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
    ) -> None:
        self._tws = tws
        self._clock = clock or _utc_now
        new_id = id_factory or (lambda: uuid.uuid4().hex)
        desk = ActionDesk(
            tws,
            audit,
            self._now,
            new_id,
            int(pending_ttl_seconds),
            require_justification=require_justification,
        )
        self._services = Services(
            tws=tws,
            desk=desk,
            zone=_zone(tz),
            now=self._now,
            cap=max(1, int(list_cap)),
            long_minutes=int(long_running_minutes),
        )
        self._catalogs = CatalogCache()

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
            return _reply(skill(Turn(intent, request, prev, plan, lang, self._services)))
        except TwsFailure as failure:
            lang = failure.lang or lang
            kind = failure.error.kind if failure.error.kind in _ERROR_KINDS else "server"
            what = msg(f"what.{failure.what}") if failure.what in _FAILING else failure.what
            state = DialogueState(lang=lang, intent=name, error=failure.error.kind)
            return _reply(Answer.of(msg(f"tws_error.{kind}", what=what), state))
        except StorageUnavailable:
            # Not a bug to hide behind "internal error": the action did not run because it could not be
            # put on record; the service tells the operator the store is unavailable.
            raise
        except Exception:  # never let a bug in a rule break the conversation
            _log.exception("rule responder failed")
            state = DialogueState(lang=lang, intent=name, error="internal")
            return _reply(Answer.of(msg("internal_error"), state))


def _reply(answer: Answer) -> Reply:
    """The answer worded in its state's language; the state is the reply's stored context."""
    lang = answer.state.lang
    return Reply(
        render(answer.message, lang),
        lang,
        answer.state.intent,
        answer.state.to_dict(),
        quick_replies=tuple(render(q, lang) for q in answer.quick_replies),
    )
