"""Issue 15's clear names: the window's message, the skill's context and a pending action's target are
named for what they hold; the former names stay as aliases and the stored JSON does not change."""

from __future__ import annotations

from twschat.assistant.skills import SkillContext, Turn
from twschat.assistant.state import DialogueState, PendingAction
from twschat.core import responder


def test_the_window_message_and_the_skill_context_keep_their_former_names() -> None:
    assert responder.Turn is responder.WindowMessage
    assert responder.WindowMessage("user", "oi").text == "oi"
    assert Turn is SkillContext


def test_a_pending_actions_target_is_what_job_held_and_the_stored_json_is_unchanged() -> None:
    stored = {
        "id": "a1",
        "action": "stream_hold",
        "job": "0AAAAAAAAAAAAAB5",
        "job_id": "BILLING",
        "name": "BILLING",
        "workstation": "TWS_AGENT1",
        "lang": "pt",
        "proposed_at": 1,
        "expires_at": 301,
        "kind": "stream",
    }
    pending = PendingAction.from_dict(stored)
    assert pending is not None and pending.target == "0AAAAAAAAAAAAAB5"
    assert pending.to_dict() == stored
    state = DialogueState.from_dict({"lang": "pt", "intent": "action_stream_hold", "pending": stored})
    assert state.to_dict() == {"lang": "pt", "intent": "action_stream_hold", "pending": stored}
