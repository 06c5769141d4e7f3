"""The platform's texts in one catalogue (issue 15 §3), still importable under their old names, and
every text in both languages with the same placeholders."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

from twschat import chat
from twschat.core import frames, texts
from twschat.llm import prompt

CATALOGUES = {
    "WELCOME_TEXT": texts.WELCOME_TEXT,
    "WELCOME_BACK_TEXT": texts.WELCOME_BACK_TEXT,
    "CLOSING_TEXT": texts.CLOSING_TEXT,
    "DEV_MODE_NOTE": texts.DEV_MODE_NOTE,
    "ERROR_TEXT": texts.ERROR_TEXT,
    "FALLBACK_NOTE": texts.FALLBACK_NOTE,
    "PROPOSAL_REJECTED_NOTE": texts.PROPOSAL_REJECTED_NOTE,
}


def test_the_old_names_are_the_catalogues_entries() -> None:
    assert frames.ERROR_TEXT is texts.ERROR_TEXT
    assert prompt.FALLBACK_NOTE is texts.FALLBACK_NOTE
    assert prompt.PROPOSAL_REJECTED_NOTE is texts.PROPOSAL_REJECTED_NOTE
    for name in ("WELCOME_TEXT", "WELCOME_BACK_TEXT", "CLOSING_TEXT", "DEV_MODE_NOTE"):
        assert getattr(chat, name) is getattr(texts, name)


def _leaves(value: Any, path: str = "") -> dict[str, str]:
    if isinstance(value, str):
        return {path: value}
    return {k: v for key, item in value.items() for k, v in _leaves(item, f"{path}/{key}").items()}


def _fields(text: str) -> set[str]:
    # str.format fields, and the error catalogue's literal "{detail}" (filled with str.replace)
    found = {name for _, name, _, _ in string.Formatter().parse(text) if name} if '{"' not in text else set()
    return found | set(re.findall(r"\{(detail)\}", text))


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_pt_and_en_say_the_same_things_with_the_same_placeholders(name: str) -> None:
    catalogue = CATALOGUES[name]
    assert set(catalogue) == {"pt", "en"}
    pt, en = _leaves(catalogue["pt"]), _leaves(catalogue["en"])
    assert set(pt) == set(en)
    for key in pt:
        assert pt[key].strip() and en[key].strip()
        assert _fields(pt[key]) == _fields(en[key]), (name, key)
