"""Intent rules one by one: each rule's match function over the features of one message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.nlu import Catalog
from twschat.assistant.nlu.features import Features, read
from twschat.assistant.nlu.rules import RULES, recognize, rule
from twschat.assistant.state import DialogueState, PendingAction

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)
_TWS = DemoTwsClient(clock=lambda: NOW)
CATALOG = Catalog.build(_TWS.list_jobs(), _TWS.list_workstations())
PENDING = DialogueState(
    lang="pt",
    intent="action_rerun",
    pending=PendingAction("a-1", "rerun", "J", "JOB002", "Data Processing", "TWS_AGENT2", "pt", 1, 301),
)


def features(text: str, previous: DialogueState | None = None) -> Features:
    found = read(text, CATALOG, previous or DialogueState(), "pt")
    assert found is not None
    return found


def test_rule_names_are_unique() -> None:
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("text", ["sim", "yes", "pode sim"])
def test_confirm_yes_matches_a_short_yes(text: str) -> None:
    intent = rule("confirm_yes").match(features(text, PENDING))
    assert intent is not None and intent.name == "confirm_yes"


def test_confirm_yes_never_hides_in_a_request() -> None:
    assert rule("confirm_yes").match(features("sim, reroda o JOB002")) is None


def test_unclear_answer_only_while_an_action_waits() -> None:
    assert rule("unclear_answer").match(features("talvez", PENDING)) is not None
    assert rule("unclear_answer").match(features("talvez")) is None


def test_cancel_alone_drops_a_pending_action() -> None:
    intent = rule("cancel_as_no").match(features("cancela", PENDING))
    assert intent is not None and intent.name == "confirm_no"
    assert rule("cancel_as_no").match(features("cancela")) is None


def test_action_negated_needs_a_negation_before_the_action() -> None:
    intent = rule("action_negated").match(features("não reroda o JOB003"))
    assert intent is not None and (intent.name, intent.action) == ("action_negated", "rerun")
    assert rule("action_negated").match(features("reroda o JOB003")) is None


def test_action_request_names_the_action_and_the_job() -> None:
    intent = rule("action_request").match(features("segura o JOB008"))
    assert intent is not None and intent.name == "action_hold"
    assert [j.job_id for j in intent.jobs] == ["JOB008"]


def test_action_history_is_a_question_about_the_audit() -> None:
    intent = rule("action_history").match(features("quem reexecutou o JOB003?"))
    assert intent is not None and intent.name == "action_history"


def test_jobs_in_state_maps_the_state_to_its_listing() -> None:
    intent = rule("jobs_in_state").match(features("jobs em hold"))
    assert intent is not None and (intent.name, intent.state) == ("jobs_waiting", "hold")
    assert rule("jobs_in_state").match(features("oi")) is None


def test_workstation_followup_repeats_the_previous_listing() -> None:
    previous = DialogueState(lang="pt", intent="jobs_failed", state="abend")
    intent = rule("workstations").match(features("e na TWS_AGENT1?", previous))
    assert intent is not None and intent.followup
    assert (intent.name, intent.state, intent.workstation) == ("jobs_failed", "abend", "TWS_AGENT1")


def test_rule_order_decides_yes_before_thanks() -> None:
    assert recognize("sim obrigado", CATALOG, previous=PENDING).name == "confirm_yes"


def test_an_empty_message_is_unknown_in_the_conversation_language() -> None:
    intent = recognize("?!", CATALOG, previous=DialogueState(lang="en"))
    assert (intent.name, intent.language) == ("unknown", "en")
