"""The blocks an answer gets from the state it leaves: a ``confirmation`` for an action waiting for
the operator's yes. Built from the code-written pending action and the plan's object it names (never
from a model's text), whichever skill or responder asked the question, so the rule responder and the
model responder's proposals draw the same block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..answer import Answer, msg
from ..blocks import confirmation_block
from ..domain import Target
from ..exceptions import TwsFailure
from ..state import PendingAction
from .base import Turn

__all__ = ["answer_blocks"]


def answer_blocks(t: Turn, answer: Answer) -> tuple[Mapping[str, Any], ...]:
    """The answer's own blocks, then the confirmation of the action it asks about (an action waiting
    for its reason first has no yes to give yet: no confirmation)."""
    pending = answer.state.pending
    if pending is None or pending.awaiting_reason or not pending.confirmable:
        return answer.blocks
    if any(b.get("kind") == "confirmation" for b in answer.blocks):
        return answer.blocks
    label = msg(f"action.{pending.action}.title")
    block = confirmation_block(pending, _target(t, pending), t.services.zone, label)
    return answer.blocks if block is None else (*answer.blocks, block)


def _target(t: Turn, pending: PendingAction) -> Target | None:
    """The plan's object the pending action names (read in this turn already: the question was just
    asked from it); None when the plan does not show it now."""
    try:
        if pending.kind == "job":
            return t.plan.job(pending.job)
        if pending.kind == "stream":
            return next((s for s in t.plan.streams if (s.id or s.name) == pending.job), None)
        if pending.kind == "workstation":
            return t.plan.workstation(pending.job)
        return None  # a prompt: the pending action names it (id, question); no second read
    except TwsFailure:  # the question is still asked; only its block is left out
        return None
