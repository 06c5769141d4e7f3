"""Issue 17 section 2, answers that agree with each other: an action while the TWS is failing, one
source of truth for prompt state, "late" in both senses, advice that matches the action rules, the
failure diagnosis, the sticky conversation language."""

from __future__ import annotations

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.core.audit import InMemoryAuditSink

from .test_rules import NOW, BrokenTws, converse


@pytest.mark.parametrize("text", ["reroda o JOB002", "hold no JOB008", "cancela o JOB009", "rerun JOB002"])
def test_an_action_while_the_tws_is_unreachable_says_so(text: str) -> None:
    bot = RuleResponder(BrokenTws("unreachable"), audit=InMemoryAuditSink(), clock=lambda: NOW)
    (reply,) = converse(bot, text)
    assert reply.context["error"] == "unreachable", reply.text
    assert "Qual job" not in reply.text and "Which job" not in reply.text
    assert "TWS" in reply.text and ("conectar" in reply.text or "reach" in reply.text)


def test_an_action_on_a_tws_answering_500_says_so() -> None:
    bot = RuleResponder(BrokenTws("server"), audit=InMemoryAuditSink(), clock=lambda: NOW)
    (reply,) = converse(bot, "reroda o JOB002")
    assert reply.context["error"] == "server" and "erro interno" in reply.text


def _demo_bot() -> RuleResponder:
    return RuleResponder(DemoTwsClient(clock=lambda: NOW), audit=InMemoryAuditSink(), clock=lambda: NOW)


def test_a_pt_conversation_stays_pt_for_phrases_that_are_not_clearly_english() -> None:
    replies = converse(_demo_bot(), "quais jobs estão rodando?", "hold no JOB008", "sim", "/help")
    assert [r.language for r in replies] == ["pt", "pt", "pt", "pt"], [r.text for r in replies]
    assert "Confirma" in replies[1].text and "Hold de Log Rotation (JOB008)" in replies[2].text
    assert "Posso consultar o plano" in replies[3].text


def test_an_en_conversation_stays_en_and_a_clearly_pt_phrase_switches() -> None:
    replies = converse(_demo_bot(), "which jobs are running?", "ajuda", "quais jobs estão em abend?")
    assert [r.language for r in replies] == ["en", "en", "pt"], [r.text for r in replies]


def test_a_clearly_english_phrase_switches_a_pt_conversation() -> None:
    replies = converse(_demo_bot(), "quais jobs estão rodando?", "which jobs failed?")
    assert [r.language for r in replies] == ["pt", "en"]
