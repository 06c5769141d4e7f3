"""Hallucinations: job ids, workstations and states in an answer that nothing it read had.

An answer's entities are the job ids (``JOB`` + digits, or any job name of the plan), workstation names
(``TWS_*`` or any of the plan's), job stream names of the plan, and the states of the status table next
to them. Each must be grounded:

- a job id or workstation: in the plan (before or after the turn) when the rules wrote the text; in a
  tool result of the dialogue so far when the model did; in the operator's own messages either way
  (an answer may repeat "JOB999" to say it does not exist);
- a state: bound to the nearest job / job stream named before it on the same line (a workstation state
  to the nearest workstation), it must be a state that entity had before or after the turn. A state
  bound to nothing ("1 job em ABEND", "o job fica em INTRO até...") claims nothing about a target.

Lines that quote a job log (stdlist header lines ``= ...`` and time-stamped lines) are data shown, not
claims, and are skipped; so are the rules' quoted examples of what to type (``"reroda o JOB002"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from twschat.assistant.domain import STATUSES

__all__ = ["JOB_STATES", "WORKSTATION_STATES", "hallucinations"]

WORKSTATION_STATES = frozenset({"ONLINE", "OFFLINE", "LINKED", "UNLINKED"})
JOB_STATES = frozenset(
    s for s in STATUSES if s.isupper() and s not in {"USER", "ADD", "DONE", "ERROR", "BOUND"}
)
"""The status table's states an answer may claim (words that are also plain English are left out)."""
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_JOB_ID = re.compile(r"^JOB\d+$", re.IGNORECASE)
_WS_NAME = re.compile(r"^TWS_[A-Z0-9_]+$")
_QUOTED_EXAMPLE = re.compile(r"\"[^\"]*\"")
_QUOTED_LOG = re.compile(r"^\s*(=|\d{2,4}[-/:]\d{2}[-/:]\d{2}|\d{2}:\d{2}:\d{2})")


def hallucinations(
    text: str,
    *,
    plan: Iterable[Mapping[str, str]],
    sources: Iterable[str] = (),
    said: Iterable[str] = (),
    model_wrote: bool = False,
) -> list[str]:
    """The ungrounded entities of ``text`` (``"JOB999"``, ``"JOB002=SUCC"``...), each once, in order.

    ``plan``: the target -> state maps before and after the turn; ``sources``: the text of every tool
    result the model got in the dialogue so far; ``said``: the operator's messages so far."""
    states: dict[str, set[str]] = {}
    for snapshot in plan:
        for key, state in snapshot.items():
            states.setdefault(key.upper(), set()).add(state.upper())
    source_tokens = {t.upper() for s in sources for t in _TOKEN.findall(s)}
    said_tokens = {t.upper() for s in said for t in _TOKEN.findall(s)}
    known = set(states) if not model_wrote else source_tokens
    found: list[str] = []
    for line in text.splitlines():
        if _QUOTED_LOG.match(line):
            continue
        if not model_wrote:
            line = _QUOTED_EXAMPLE.sub(" ", line)
        found += _line_claims(line, states, known, said_tokens)
    return list(dict.fromkeys(found))


def _kind(token: str, states: Mapping[str, set[str]]) -> str:
    upper = token.upper()
    if _JOB_ID.match(upper):
        return "job"
    if _WS_NAME.match(token) or (upper in states and states[upper] & WORKSTATION_STATES):
        return "workstation"
    if token.isupper() and upper in states and not upper.startswith("PROMPT:"):
        return "stream"
    return ""


_NEGATIONS = frozenset({"NAO", "NÃO", "NOT", "NO", "NEM", "NEVER", "NUNCA", "SO", "SÓ", "ONLY", "SE", "IF"})
_BIND_GAP = 3
"""A state binds to the entity named at most this many words before it (``JOB002) — ABEND``,
``JOB006 está em EXEC``, ``TWS_AGENT2 is OFFLINE``), with no negation or condition in between, and only
the first state after it: "JOB001 não está em HOLD (está SUCC)" or "só dá para colocar em HOLD um
job que..." claim nothing about a state the entity has."""


class _Anchor:
    def __init__(self, name: str = "") -> None:
        self.name = name
        self.gap = 0
        self.open = bool(name)

    def step(self, upper: str) -> None:
        self.gap += 1
        if upper in _NEGATIONS or self.gap > _BIND_GAP:
            self.open = False

    def take(self) -> str:
        name, self.open = (self.name, False) if self.open else ("", self.open)
        return name


def _line_claims(line: str, states: Mapping[str, set[str]], known: set[str], said: set[str]) -> list[str]:
    claims: list[str] = []
    job, workstation = _Anchor(), _Anchor()
    for token in _TOKEN.findall(line):
        upper = token.upper()
        kind = _kind(token, states)
        if kind in ("job", "workstation") and upper not in known and upper not in said:
            claims.append(upper)
        if kind in ("job", "stream"):
            job = _Anchor(upper)
        elif kind == "workstation":
            workstation = _Anchor(upper)
        elif token.isupper() and upper in JOB_STATES:
            claims += _state_claim(upper, job.take(), states)
        elif token.isupper() and upper in WORKSTATION_STATES:
            claims += _state_claim(upper, workstation.take(), states)
        else:
            job.step(upper)
            workstation.step(upper)
    return claims


def _state_claim(state: str, entity: str, states: Mapping[str, set[str]]) -> list[str]:
    if entity and entity in states:
        return [] if state in states[entity] else [f"{entity}={state}"]
    return []  # an entity the plan does not have is counted already; a state bound to none claims nothing
