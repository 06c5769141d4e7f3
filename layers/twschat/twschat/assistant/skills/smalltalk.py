"""Greeting, thanks, goodbye, help, and the answer to what was not understood."""

from __future__ import annotations

from ..answer import Answer, join, msg
from .base import Skill, Turn

__all__ = ["SKILLS"]


def _help(t: Turn) -> Answer:
    text = join(msg("help.generic"), msg("help")) if t.intent.generic else msg("help")
    return t.answer(text, "help")


def unknown(t: Turn) -> Answer:
    return t.answer(msg("unknown"), "unknown")


SKILLS: dict[str, Skill] = {
    "greeting": lambda t: t.answer(msg("greeting"), "greeting"),
    "thanks": lambda t: t.answer(msg("thanks"), "thanks"),
    "goodbye": lambda t: t.answer(msg("goodbye"), "goodbye"),
    "help": _help,
    "unknown": unknown,
}
