"""Prompts waiting for an answer (conman ``sp``): "quais prompts estão esperando resposta?", "show
pending prompts", "mostra o prompt 2". Each with its number and question, and how to answer it (a reply
is an action: "responde sim ao prompt 1" asks for confirmation, see :mod:`.actions`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import Answer, Msg, Part, lines, msg
from ..blocks import prompts_block
from ..domain import Prompt, is_truncated
from ..exceptions import TwsFailure
from ..tws import TwsError
from .base import Skill, Turn, bullet_item, cap_lines

__all__ = ["SKILLS", "WAITING"]

WAITING = "ASKED"
"""The state of a prompt that waits for an operator's reply (conman ``sp``: ASKED)."""
_QUICK = 3
"""At most this many suggested replies."""


def _read(t: Turn) -> Sequence[Prompt] | None:
    """The plan's prompts; None when the source does not report them (404)."""
    try:
        return t.services.tws.list_prompts()
    except TwsError as err:
        if err.kind == "not_found":
            return None
        raise TwsFailure(err, "prompts") from err


def _key(ident: str) -> str:
    return ident.casefold().lstrip("0") or "0"


def _row(p: Prompt) -> Msg:
    return msg("prompts.row", id=p.id, text=p.text or "-", status=p.status or "?")


def _hint(p: Prompt) -> Msg:
    return msg("prompts.hint", yes=msg("ask.reply_yes", id=p.id), no=msg("ask.reply_no", id=p.id))


def _one(t: Turn, asked: Sequence[Prompt], wanted: str) -> Answer:
    hit = next((p for p in asked if _key(p.id) == _key(wanted)), None)
    if hit is None:
        ids = ", ".join(p.id for p in asked) or "-"
        return t.answer(msg("prompts.not_found", id=wanted, ids=ids))
    if hit.status != WAITING:
        text = lines(_row(hit), msg("prompts.answered_one", status=hit.status or "?"))
        return t.answer(text, blocks=[prompts_block([hit])])
    quick = (msg("ask.reply_yes", id=hit.id), msg("ask.reply_no", id=hit.id))
    return t.answer(lines(_row(hit), _hint(hit)), quick=quick, blocks=[prompts_block([hit])])


def _prompts(t: Turn) -> Answer:
    asked = _read(t)
    if asked is None:
        return t.answer(msg("prompts.unknown"))
    if t.intent.prompt:
        return _one(t, asked, t.intent.prompt)
    if not asked:
        return t.answer(msg("target.no_prompt"))
    waiting = [p for p in asked if p.status == WAITING]
    answered = [p for p in asked if p.status in ("YES", "NO")]
    out: list[Part] = []
    if waiting:
        out.append(msg("prompts.head", n=len(waiting)))
        out += cap_lines(t, [bullet_item(_row(p)) for p in waiting], msg("refine.prompt"))
        out.append(_hint(waiting[0]))
    else:
        out.append(msg("prompts.none_waiting", n=len(asked)))
    if answered:
        out.append(
            msg("prompts.answered", n=len(answered), ids=", ".join(f"{p.id} ({p.status})" for p in answered))
        )
    if is_truncated(asked):
        out.append(msg("prompts.may_be_incomplete"))
    quick = tuple(msg("ask.reply_yes", id=p.id) for p in waiting[:_QUICK])
    # the waiting ones first (with their reply buttons), then those already answered
    block = prompts_block([*waiting[: t.services.cap], *answered], out[0] if waiting else None)
    return t.answer(lines(*out), quick=quick, blocks=[block])


SKILLS: dict[str, Skill] = {"prompts": _prompts}
