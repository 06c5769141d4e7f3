"""Which action a message asks for, whatever it acts on (a job, a job stream, a workstation, a prompt),
the prompt it names, and the operator's justification ("reroda o JOB002 porque o banco voltou").

The job actions of :attr:`Features.action` (rerun, hold, release, cancel) plus conman's other verbs:
``kill`` ("mata o JOB006"), ``confirm ;succ|;abend`` ("confirma o JOB002 como SUCC"), the job stream
commands (``hs``/``rs``/``cs``, "segura o stream BILLING"), ``link``/``unlink`` and ``reply``.
Names of :data:`~twschat.assistant.domain.ACTION_KINDS`.
"""

from __future__ import annotations

import re

from .features import Features
from .vocabulary import KNOWN, NUMBER

__all__ = ["CONFIRM_FIRST", "action_of", "prompt_ref", "split_reason"]

CONFIRM_FIRST = frozenset({"confirma", "confirmar", "confirme", "confirm"})
"""A message starting with one of these and naming an outcome is conman ``confirm``, not a yes."""
_STREAM_COMMANDS = {"hs": "stream_hold", "rs": "stream_release", "cs": "stream_cancel"}
_STREAM_ACTIONS = frozenset({"hold", "release", "cancel"})


def action_of(f: Features) -> str:
    """The action the message talks about ("" when none), by the kind of object it names."""
    has = f.has
    for concept, action in _STREAM_COMMANDS.items():
        if has(concept):
            return action
    if has("kill"):
        return "kill"
    # a workstation, named or pointed at ("like" is a typo of "link" too)
    names_ws = bool(f.workstation or f.missing_workstation or f.referent)
    if has("who") and names_ws and ("linked" in f.tokens or "unlinked" in f.tokens):
        # "who linked TWS_AGENT2?" ("linked"/"unlinked" are otherwise link states)
        return "unlink" if "unlinked" in f.tokens else "link"
    if has("unlink") and names_ws:
        return "unlink"
    if has("link") and names_ws:
        return "link"
    if has("reply"):
        if has("no") and not has("yes"):
            return "reply_no"
        return "reply_yes" if has("yes") else ""
    if (f.first in CONFIRM_FIRST or has("mark")) and (f.target or f.referent) and f.state:
        if f.state == "success":
            return "confirm_succ"
        if f.state in ("abend", "failed"):
            return "confirm_abend"
    names_stream = has("stream") or (f.stream and not f.jobs and not f.referent)
    if has("who") and has("hold_state") and names_stream:
        return "stream_hold"  # "who held stream BILLING?" ("held" is otherwise a state)
    action = f.action
    if action in _STREAM_ACTIONS and names_stream:
        return f"stream_{action}"
    return action


def prompt_ref(f: Features) -> str:
    """The prompt a message names: the number or name after "prompt", else a bare number ("" when
    none; "prompts estão esperando" names none)."""
    tokens = f.tokens
    for i, tok in enumerate(tokens[:-1]):
        after = tokens[i + 1]
        if tok in ("prompt", "prompts") and (NUMBER.match(after) or after not in KNOWN):
            return after
    return next((t for t in tokens if NUMBER.match(t)), "")


# "porque" (and its chat spelling "pq"), "pois", "já que", "because", "since", "reason:", "motivo:": what follows is the reason.
_REASON = re.compile(
    r"\s*(?:,|;|-)?\s+(?:porque|pq|pois|ja que|já que|motivo:?|justificativa:?|because|since|reason:?|"
    r"justification:?)\s+(?P<reason>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


def split_reason(text: str) -> tuple[str, str]:
    """``(request, reason)``: "reroda o JOB002 porque o banco voltou" -> ("reroda o JOB002", "o banco
    voltou"); ``(text, "")`` when no reason follows the request (a leading "por que" is a question)."""
    match = _REASON.search(text)
    if match is None or match.start() == 0:
        return text, ""
    reason = match.group("reason").strip().rstrip(".!").strip()
    return text[: match.start()].strip(), reason[:300]
