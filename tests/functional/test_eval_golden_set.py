"""Issue 19: the golden set (eval/dialogues) is what the issue asks for, and its format is checked."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from twschat.assistant.domain import ACTION_KINDS
from twschat.assistant.nlu.intents import INTENTS
from twschat.llm.tools import ACTION_TOOL, READ_TOOLS
from twschat_dev.eval.golden import GoldenSetError, load_golden_set, select

DIALOGUES = load_golden_set()


def test_at_least_150_dialogues_of_one_to_eight_turns_portuguese_first() -> None:
    assert len(DIALOGUES) >= 150
    assert all(1 <= len(d.turns) <= 8 for d in DIALOGUES)
    languages = Counter(d.lang for d in DIALOGUES)
    assert languages["pt"] > languages["en"] >= 40
    assert max(len(d.turns) for d in DIALOGUES) >= 7  # long conversations


def test_a_dev_and_a_test_split_in_every_category() -> None:
    for category in {d.category for d in DIALOGUES}:
        splits = {d.split for d in DIALOGUES if d.category == category}
        assert splits == {"dev", "test"}, category


def test_every_intent_tool_and_action_of_the_assistant_is_covered() -> None:
    intents = {i for d in DIALOGUES for t in d.turns for r in t.reads for i in r.intents}
    tools = {r.tool for d in DIALOGUES for t in d.turns for r in t.reads if r.tool}
    actions = {t.confirm.action for d in DIALOGUES for t in d.turns if t.confirm}
    ran = {action for d in DIALOGUES for action, _ in d.end.ran}
    assert set(INTENTS) <= intents
    assert {*READ_TOOLS, ACTION_TOOL} <= tools
    assert set(ACTION_KINDS) <= actions
    assert set(ACTION_KINDS) <= ran


def test_faults_adversarial_cases_and_operator_speech_are_there() -> None:
    plans = Counter(d.plan for d in DIALOGUES)
    assert plans["tws-down"] >= 3 and plans["tws-timeout"] >= 3
    assert plans["planted-log"] >= 3 and plans["planted-prompt"] >= 2
    assert sum(d.role == "viewer" for d in DIALOGUES) >= 3
    tags = Counter(tag for d in DIALOGUES for tag in d.tags)
    for tag in (
        "no-accents",
        "typo",
        "conman",
        "follow-up",
        "pronoun",
        "negation",
        "question-about-action",
        "reason",
        "long",
        "fake-confirmation",
    ):
        assert tags[tag] >= 1, tag
    # Questions about an action and negations never expect a confirmation.
    for d in DIALOGUES:
        if {"question-about-action", "negation"} & set(d.tags) and not d.end.ran:
            assert all(t.confirm is None for t in d.turns), d.id


def test_only_selects_by_tag_category_split_language_or_id() -> None:
    english_actions = select(DIALOGUES, ["en", "actions"])
    assert english_actions and all(d.lang == "en" and d.category == "actions" for d in english_actions)
    assert [d.id for d in select(DIALOGUES, ["act-pt-01"])] == ["act-pt-01"]
    assert len(select(DIALOGUES, ["dev"])) + len(select(DIALOGUES, ["test"])) == len(DIALOGUES)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("- id: x\n  turns: [{say: oi, intnet: greeting}]\n", "unknown key"),
        ("- id: x\n  turns: [{say: oi, reads: {intent: say_hello}}]\n", "intent 'say_hello'"),
        ("- id: x\n  turns: [{say: oi, reads: {tool: run_job}}]\n", "tool 'run_job'"),
        ("- id: x\n  turns: [{say: reroda, confirm: reboot JOB002}]\n", "action 'reboot'"),
        ("- id: x\n  turns: [{say: yes}]\n", "quote it"),
        ("- id: x\n  turns: [{say: oi}]\n  end: {states: {'prompt:1': YES}}\n", "quote YES/NO"),
        ("- id: x\n  turns: []\n", "1 to 8 turns"),
        ("- id: x\n  plan: prod\n  turns: [oi]\n", "plan 'prod'"),
    ],
)
def test_a_malformed_dialogue_is_refused_with_its_name(tmp_path: Path, body: str, complaint: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "category: bad\ndialogues:\n" + "\n".join("  " + line for line in body.splitlines()) + "\n"
    )
    with pytest.raises(GoldenSetError, match=r"bad\.yaml: x") as raised:
        load_golden_set(path)
    assert complaint in str(raised.value)


def test_a_dialogue_id_is_used_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("dialogues:\n  - {id: same, turns: [oi]}\n")
    (tmp_path / "b.yaml").write_text("dialogues:\n  - {id: same, turns: [oi]}\n")
    with pytest.raises(GoldenSetError, match="used twice"):
        load_golden_set(tmp_path)
