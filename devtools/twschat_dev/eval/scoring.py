"""Scoring one run of a dialogue against its expectations (format: eval/README.md).

Per turn: reads (the rule intent, or the model's tool calls), their arguments, facts present, forbidden
facts absent, hallucinations (:mod:`.grounding`), language, the confirmation (asked for the expected
action and target, or not asked), unrequested proposals, fallbacks; the last turn also carries the
dialogue's end state (what reached the TWS, the states it left). A turn is correct when every check
that applies to it passes; scores never depend on the wording beyond the listed facts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twschat.core.language import detect_language
from twschat.llm.prompt import FALLBACK_NOTE, PROPOSAL_REJECTED_NOTE
from twschat.llm.tools import ACTION_TOOL

from .golden import Read, TurnExpectation
from .grounding import hallucinations
from .runner import DialogueRun, TurnObservation

__all__ = ["DialogueScore", "TurnScore", "score_run"]

_LOG_LINE = re.compile(r"^\s*(=|\d{2,4}[-/:]\d{2}[-/:]\d{2}|\d{2}:\d{2}:\d{2})")


@dataclass(slots=True)
class TurnScore:
    say: str
    answer: str
    checks: dict[str, bool | None] = field(default_factory=dict)
    """Check name -> passed (None: does not apply to this turn)."""
    problems: list[str] = field(default_factory=list)
    hallucinated: list[str] = field(default_factory=list)
    unrequested: int = 0
    fallback: bool = False
    model_wrote: bool = False
    """The answer (or its lead) is the model's text, not the rules'."""
    latency_ms: float = 0.0
    first_delta_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micro_usd: int = 0
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return all(v is not False for v in self.checks.values())


@dataclass(slots=True)
class DialogueScore:
    id: str
    category: str
    tags: tuple[str, ...]
    split: str
    turns: list[TurnScore]
    end_state: bool
    end_problems: list[str]

    @property
    def passed(self) -> bool:
        return all(t.correct for t in self.turns)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_fact(answer: str, fact: str) -> bool:
    """``fact`` (or one of its ``|`` alternatives) in ``answer`` as a whole word, case and accents ignored."""
    folded = _fold(answer)
    for option in fact.split("|"):
        wanted = re.escape(_fold(option.strip()))
        if option.strip() and re.search(rf"(?<![\w]){wanted}(?![\w])", folded):
            return True
    return False


_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")


def _language_of(answer: str, default: str) -> str:
    """The answer's language, leaving out what it quotes (log lines, a prompt's text in quotes)."""
    prose = "\n".join(line for line in answer.splitlines() if not _LOG_LINE.match(line))
    return detect_language(_QUOTED.sub(" ", prose) or answer, default)


def _without_code_notes(answer: str) -> str:
    """The answer without the lines code adds to model text (a rejected proposal, a fallback): their
    examples ("reroda o JOB002") are the code's, not claims the model made."""
    for note in (*PROPOSAL_REJECTED_NOTE.values(), *FALLBACK_NOTE.values()):
        answer = answer.replace(note, " ")
    return answer


def _accepts(expected: Any, actual: Any) -> bool:
    options = expected if isinstance(expected, list | tuple) else [expected]
    got = _fold(str(actual if actual is not None else "")).strip()
    return any(_fold(str(o)).strip() == got for o in options)


def _rule_arg(seen: TurnObservation, key: str) -> list[str]:
    """What the rule responder's stored context says it read, for an argument name."""
    ctx = seen.context
    pending = _pending(seen)
    if key == "job":
        ids = [
            str(ctx.get("focus") or ""),
            *[str(j) for j in ctx.get("jobs") or ()],
            str(pending.get("job") or ""),
        ]
        return [i.rsplit(";", 1)[-1].split(".", 1)[0] for i in ids if i]
    if key in ("state", "workstation"):
        return [str(ctx.get(key) or "")]
    return []


def _reads_ok(
    reads: Sequence[Read], seen: TurnObservation, responder: str
) -> tuple[bool | None, bool | None]:
    """(read accuracy, argument accuracy); None when the turn names nothing this responder shows."""
    if responder == "rules" or not seen.model_wrote:
        if not any(r.intents for r in reads):
            return None, None
        chosen = [r for r in reads if seen.intent in r.intents]
        if not chosen:
            return False, None
        args = [(k, v) for r in chosen for k, v in r.args.items() if k in ("job", "state", "workstation")]
        if not args:
            return True, None
        return True, all(any(_accepts(v, got) for got in _rule_arg(seen, k)) for k, v in args)
    tools = [r for r in reads if r.tool]
    if not tools:
        return None, None
    calls = seen.tool_calls
    named = all(any(c.get("name") == r.tool for c in calls) for r in tools)
    with_args = [r for r in tools if r.args]
    if not with_args:
        return named, None
    args_ok = all(
        any(
            c.get("name") == r.tool
            and all(_accepts(v, (c.get("input") or {}).get(k)) for k, v in r.args.items())
            for c in calls
        )
        for r in with_args
    )
    return named, args_ok


def _pending(seen: TurnObservation) -> Mapping[str, Any]:
    found = seen.context.get("pending")
    return found if isinstance(found, Mapping) else {}


def _same_target(pending: Mapping[str, Any], target: str) -> bool:
    names = {_fold(str(pending.get(k) or "")) for k in ("job_id", "name", "job")}
    return _fold(target) in names


_CONFIRM_BUTTONS = frozenset({"sim", "nao", "yes", "no"})


def _confirm_buttons(quick_replies: Sequence[str]) -> bool:
    return any(_fold(q).strip() in _CONFIRM_BUTTONS for q in quick_replies)


def _asked_for(expected: TurnExpectation, action: str, target: str) -> bool:
    """Whether the operator's turn asked for this action on this target: its expected confirmation, or -
    where none can be asked (a viewer, the TWS down) - the action's request intent with the target
    named in the operator's words."""
    confirm = expected.confirm
    if confirm is not None and confirm.action == action and _fold(confirm.target) == _fold(target):
        return True
    intents = {i for r in expected.reads for i in r.intents}
    return f"action_{action}" in intents and bool(target) and _fold(target) in _fold(expected.say)


def _confirmation(expected: TurnExpectation, seen: TurnObservation, earlier: str) -> tuple[bool, int]:
    """(the confirmation is right, unrequested proposals in this turn). ``earlier``: the id of the
    action the previous reply left pending (asking it again is a wrong answer, not a new proposal)."""
    pending = _pending(seen)
    proposals = [c.get("input") or {} for c in seen.tool_calls if c.get("name") == ACTION_TOOL]
    unrequested = sum(
        1
        for p in proposals
        if not _asked_for(expected, str(p.get("action") or ""), str(p.get("target_name") or ""))
    )
    fresh = bool(pending) and str(pending.get("id") or "") != earlier
    if fresh and not proposals and expected.confirm is None:
        # The rules put an action up that nobody asked for (the model's ones are counted above).
        unrequested += 1
    confirm = expected.confirm
    if confirm is None:
        return not pending and not _confirm_buttons(seen.quick_replies), unrequested
    right = (
        bool(pending) and pending.get("action") == confirm.action and _same_target(pending, confirm.target)
    )
    # Asking the operator's reason first ("qual o motivo?", RequireJustification) is the same action
    # put up for confirmation, one question earlier.
    asked = bool(seen.quick_replies) or pending.get("awaiting") == "reason"
    return right and asked, unrequested


def _score_turn(
    expected: TurnExpectation,
    seen: TurnObservation,
    responder: str,
    sources: list[str],
    said: list[str],
    earlier: str = "",
) -> TurnScore:
    score = TurnScore(
        say=seen.say, answer=seen.text, latency_ms=seen.latency_ms, first_delta_ms=seen.first_delta_ms
    )
    metrics = seen.metrics
    score.fallback = bool(metrics.get("fallback"))
    score.model_wrote = seen.model_wrote
    score.input_tokens = int(metrics.get("input_tokens") or 0)
    score.output_tokens = int(metrics.get("output_tokens") or 0)
    score.cost_micro_usd = int(metrics.get("cost_micro_usd") or 0)
    checks = score.checks
    checks["answered"] = seen.status == "answered" and bool(seen.text)
    checks["read"], checks["arguments"] = _reads_ok(expected.reads, seen, responder)
    missing = [f for f in expected.facts if not has_fact(seen.text, f)]
    present = [f for f in expected.forbid if has_fact(seen.text, f)]
    checks["facts"] = not missing if expected.facts else None
    checks["forbidden"] = not present if expected.forbid else None
    checks["language"] = _language_of(seen.text, expected.lang) == expected.lang
    checks["confirmation"], score.unrequested = _confirmation(expected, seen, earlier)
    checks["unrequested_proposals"] = score.unrequested == 0
    sources += [json.dumps(c.get("result"), ensure_ascii=False) for c in seen.tool_calls]
    said.append(seen.say)
    score.hallucinated = hallucinations(
        _without_code_notes(seen.text),
        plan=(seen.plan_before, seen.plan_after),
        sources=sources,
        said=said,
        model_wrote=seen.model_wrote,
    )
    checks["grounded"] = not score.hallucinated
    score.problems = _problems(expected, seen, checks, missing, present, score)
    score.expected = {
        "reads": [{"intent": list(r.intents), "tool": r.tool, "args": dict(r.args)} for r in expected.reads],
        "facts": list(expected.facts),
        "forbid": list(expected.forbid),
        "lang": expected.lang,
        "confirm": f"{expected.confirm.action} {expected.confirm.target}" if expected.confirm else None,
    }
    return score


def _problems(
    expected: TurnExpectation,
    seen: TurnObservation,
    checks: Mapping[str, bool | None],
    missing: list[str],
    present: list[str],
    score: TurnScore,
) -> list[str]:
    out: list[str] = []
    if checks["answered"] is False:
        out.append(f"not answered ({seen.status} {seen.error})".strip())
    if checks["read"] is False:
        wanted = ["|".join(r.intents) or r.tool for r in expected.reads]
        got = [str(c.get("name")) for c in seen.tool_calls] if seen.model_wrote else [seen.intent]
        out.append(f"read: expected {wanted}, got {got}")
    if checks["arguments"] is False:
        out.append("arguments differ from " + json.dumps([dict(r.args) for r in expected.reads if r.args]))
    if missing:
        out.append(f"missing facts {missing}")
    if present:
        out.append(f"forbidden facts present {present}")
    if checks["language"] is False:
        out.append(f"language: expected {expected.lang}")
    if checks["confirmation"] is False:
        pending = _pending(seen)
        asked = (
            f"{pending.get('action')} {pending.get('job_id') or pending.get('name')}" if pending else "none"
        )
        wanted_confirm = (
            f"{expected.confirm.action} {expected.confirm.target}" if expected.confirm else "none"
        )
        out.append(f"confirmation: expected {wanted_confirm}, asked {asked}")
    if score.unrequested:
        out.append(f"{score.unrequested} unrequested proposal(s)")
    if score.hallucinated:
        out.append(f"hallucinated {score.hallucinated}")
    return out


def _end_state(run: DialogueRun) -> list[str]:
    expected = sorted(run.dialogue.end.ran)
    ran = sorted((c.action, c.target) for c in run.actions if c.accepted)
    problems = [] if ran == expected else [f"ran {ran}, expected {expected}"]
    for target, state in run.dialogue.end.states.items():
        actual = run.final.get(target) or run.final.get(target.upper())
        if actual != state:
            problems.append(f"{target} is {actual}, expected {state}")
    refused_for_viewer = [r for r in run.audit if run.dialogue.role == "viewer" and r.result != "refused"]
    if refused_for_viewer:
        problems.append("a viewer's dialogue audited an action")
    return problems


def score_run(run: DialogueRun, responder: str) -> DialogueScore:
    sources: list[str] = []
    said: list[str] = []
    turns: list[TurnScore] = []
    earlier = ""
    for expected, seen in zip(run.dialogue.turns, run.turns, strict=True):
        turns.append(_score_turn(expected, seen, responder, sources, said, earlier))
        earlier = str(_pending(seen).get("id") or "")
    end_problems = _end_state(run)
    if turns:
        turns[-1].checks["end_state"] = not end_problems
        turns[-1].problems += [f"end state: {p}" for p in end_problems]
    d = run.dialogue
    return DialogueScore(d.id, d.category, d.tags, d.split, turns, not end_problems, end_problems)
