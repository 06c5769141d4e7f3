"""The message catalogues and the answers' suggested replies (quick replies)."""

from __future__ import annotations

import itertools
import string
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from twschat.assistant.answer import Minutes, When, join, lines, msg
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.messages import CATALOGS, render
from twschat.assistant.messages import en as en_catalog
from twschat.assistant.messages import pt as pt_catalog
from twschat.assistant.nlu import INTENTS
from twschat.assistant.responder import RuleResponder
from twschat.assistant.skills import SKILLS
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


def test_the_catalogues_have_the_same_keys() -> None:
    assert set(pt_catalog.MESSAGES) == set(en_catalog.MESSAGES)
    assert set(CATALOGS) == {"pt", "en"}


def _fields(entry: object) -> set[str]:
    if not isinstance(entry, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(entry) if name}


@pytest.mark.parametrize("code", sorted(pt_catalog.MESSAGES))
def test_a_message_takes_the_same_parameters_in_both_languages(code: str) -> None:
    pt_entry, en_entry = pt_catalog.MESSAGES[code], en_catalog.MESSAGES[code]
    if isinstance(pt_entry, str) and isinstance(en_entry, str):
        assert _fields(pt_entry) == _fields(en_entry), code


def test_every_intent_has_a_skill() -> None:
    assert set(INTENTS) <= set(SKILLS)


def test_the_renderer_words_times_durations_and_structure() -> None:
    at = datetime(2024, 4, 11, 7, 5, tzinfo=UTC)
    m = lines(
        msg("job.since", at=When(at, today=True), running=Minutes(95)),
        join(msg("job.ended", at=When(at, today=False)), ", ", "x"),
    )
    assert render(m, "pt") == "desde 07:05 (1h35min)\nfim 11/04 07:05, x"
    assert render(m, "en") == "since 07:05 (1h35m)\nended 2024-04-11 07:05, x"


# ------------------------------------------------------------------------------------ quick replies
@pytest.fixture
def bot() -> RuleResponder:
    counter = itertools.count(1)
    return RuleResponder(
        DemoTwsClient(clock=lambda: NOW), clock=lambda: NOW, id_factory=lambda: f"act-{next(counter)}"
    )


def converse(bot: RuleResponder, *texts: str, lang: str = "pt") -> list[Reply]:
    history: list[Turn] = []
    replies: list[Reply] = []
    for text in texts:
        reply = bot.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                default_language=lang,
                principal=Principal("u-1", "maria", ("operator",)),
            )
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
        replies.append(reply)
    return replies


@pytest.mark.parametrize(
    ("texts", "lang", "expected"),
    [
        (["reroda o JOB002"], "pt", ("sim", "não")),
        (["rerun JOB002"], "en", ("yes", "no")),
        (["reroda o JOB002", "talvez"], "pt", ("sim", "não")),
        (["rerun JOB002", "maybe"], "en", ("yes", "no")),
    ],
)
def test_a_confirmation_question_suggests_yes_and_no(
    bot: RuleResponder, texts: Sequence[str], lang: str, expected: tuple[str, ...]
) -> None:
    reply = converse(bot, *texts, lang=lang)[-1]
    assert "?" in reply.text and reply.context.get("pending")
    assert reply.quick_replies == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("oi", "pt"),
        ("como está o ambiente?", "pt"),
        ("status do JOB007", "pt"),
        ("show the job streams", "en"),
    ],
)
def test_an_ordinary_answer_suggests_nothing(bot: RuleResponder, text: str, lang: str) -> None:
    assert converse(bot, text, lang=lang)[-1].quick_replies == ()


def test_the_answer_to_a_confirmation_suggests_nothing(bot: RuleResponder) -> None:
    replies = converse(bot, "reroda o JOB002", "sim")
    assert replies[-1].intent == "confirm_yes"
    assert replies[-1].quick_replies == ()


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("quais jobs estão em abend?", "pt", ("log do JOB002",)),
        ("which jobs failed?", "en", ("log of JOB002",)),
    ],
)
def test_failed_jobs_suggest_their_log(
    bot: RuleResponder, text: str, lang: str, expected: tuple[str, ...]
) -> None:
    assert converse(bot, text, lang=lang)[-1].quick_replies == expected
