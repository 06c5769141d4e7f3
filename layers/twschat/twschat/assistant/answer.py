"""What a skill returns: a wording-free :class:`Answer` (a message code, its parameters, the new state).

A :class:`Msg` is a code of the message catalogues (:mod:`twschat.assistant.messages`) with parameters
that are data, never words in a human language: names, ids, conman statuses, numbers, a :class:`When`
(a time of day), :class:`Minutes` (a duration) or other messages. Two codes are structure, not
wording, and every catalogue renders them alike: :func:`join` (parts one after the other, with a
separator) and :func:`lines` (parts one per line). A plain ``str`` part of a join is data (a name, a
punctuation mark), printed as is.

Pure: no I/O; imports only :mod:`.state`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .state import DialogueState

__all__ = ["JOIN", "Answer", "Minutes", "Msg", "Part", "When", "join", "lines", "msg"]

JOIN = "join"
"""The structural code: ``parts`` rendered and joined with ``sep``."""


@dataclass(frozen=True, slots=True)
class Msg:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class When:
    """A moment as the operator's clock shows it; ``today`` decides whether the date is shown."""

    local: datetime
    today: bool


@dataclass(frozen=True, slots=True)
class Minutes:
    """A duration in whole minutes (the catalogue words ``95`` as ``1h35min`` or ``1h35m``)."""

    n: int


Part = Msg | str


def msg(code: str, **params: Any) -> Msg:
    return Msg(code, params)


def join(*parts: Part, sep: str = "") -> Msg:
    return Msg(JOIN, {"parts": tuple(parts), "sep": sep})


def lines(*parts: Part) -> Msg:
    return join(*parts, sep="\n")


@dataclass(frozen=True, slots=True)
class Answer:
    """A skill's reply before wording: message ``code`` with ``params``, the state it leaves, the
    suggested answers (messages too) a client may offer as buttons, and the answer's data as
    structured blocks (:mod:`.blocks`; a title may be a message)."""

    code: str
    params: Mapping[str, Any]
    state: DialogueState
    quick_replies: tuple[Msg, ...] = ()
    blocks: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(
        cls,
        message: Msg,
        state: DialogueState,
        quick_replies: tuple[Msg, ...] = (),
        blocks: tuple[Mapping[str, Any], ...] = (),
    ) -> Answer:
        return cls(message.code, message.params, state, quick_replies, blocks)

    @property
    def message(self) -> Msg:
        return Msg(self.code, self.params)
