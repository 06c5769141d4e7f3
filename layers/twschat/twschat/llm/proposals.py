"""The gate between a model's ``propose_action`` call and the one action path.

The model may suggest; only the operator's own words, checked by code, put an action up for
confirmation. A proposal is accepted only when the operator's message of THIS turn, read by the rule
NLU (the same reading the rule responder gives it), asks for that kind of action — an action request,
not a negation ("não reroda"), not a question about it ("devo rerodar?", "quem rerodou?") — and on that
target:

- the target the NLU resolves from the message or from the dialogue state ("reroda esse"): the
  model's ``target_name`` must name the same one (or nothing);
- only when the message names no target the NLU can resolve to one ("reroda o que falhou ontem à
  noite"), the model's choice — among the jobs the message named, when it named several — which the
  code-written confirmation question then names exactly.

The reason in the question and in the audit comes only from the operator's words (the NLU's
``reason``, or their later answer to "qual o motivo?"); a model-supplied ``reason`` is ignored.
A rejected proposal makes nothing pending and writes nothing to the audit trail (so a viewer's turn
never records an attempt the viewer did not make); a viewer who asks for an action themselves is
refused and audited by the rule skill, as in rule mode. When the operator's message is itself an action
request and the model proposed another action or target, the operator's request is answered by the
rules (as in rule mode), not the model's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from twschat.assistant.domain import ACTION_KINDS, Prompt, Target
from twschat.assistant.nlu import Intent, recognize
from twschat.assistant.plan import CatalogCache, TurnPlan
from twschat.assistant.skills import Turn
from twschat.assistant.skills.referents import quiet_target
from twschat.assistant.skills.targets import quiet_target_of
from twschat.assistant.state import DialogueState

from .tools import find_jobs

__all__ = ["ProposalVerdict", "judge_proposal"]


@dataclass(frozen=True, slots=True)
class ProposalVerdict:
    """``intent`` (the action to hand to the rule skill, target and reason set by code) when accepted;
    otherwise ``rejected`` says why: ``not_requested`` (the operator did not ask for that action),
    ``other_target`` (they asked for it on another target), ``unknown_action``."""

    intent: Intent | None = None
    rejected: str = ""
    operator_request: Intent | None = None
    """When rejected and the operator's message is itself an action request (the model picked another
    action or target): that request as the rules read it, answered by the rules instead — the operator's
    own words put it up, exactly as in rule mode; the model's choice plays no part."""


def judge_proposal(
    args: Mapping[str, Any],
    *,
    message: str,
    prev: DialogueState,
    plan: TurnPlan,
    lang: str,
    catalogs: CatalogCache,
    make_turn: Callable[[Intent], Turn],
) -> ProposalVerdict:
    action = str(args.get("action") or "")
    if action not in ACTION_KINDS:
        return ProposalVerdict(rejected="unknown_action")
    asked = recognize(message, lambda: catalogs.for_plan(plan), previous=prev, default_language=lang)
    own = asked if asked.action in ACTION_KINDS and asked.name == f"action_{asked.action}" else None
    if asked.name != f"action_{action}" or asked.action != action:
        return ProposalVerdict(rejected="not_requested", operator_request=own)
    wanted = str(args.get("target_name") or "").strip()
    kind = ACTION_KINDS[action]
    verdict = (
        _job_target(asked, wanted, plan, make_turn)
        if kind == "job"
        else _named_target(asked, kind, wanted, plan, make_turn)
    )
    if verdict.intent is None and asked.name == f"action_{action}":
        return ProposalVerdict(rejected=verdict.rejected, operator_request=asked)
    return verdict


def _job_target(
    asked: Intent, wanted: str, plan: TurnPlan, make_turn: Callable[[Intent], Turn]
) -> ProposalVerdict:
    turn = make_turn(asked)
    resolved = quiet_target(turn)
    # Every instance the model's words name (a job name may run in several job streams).
    named_by_model = find_jobs(plan.jobs, wanted) if wanted else ()
    if resolved is not None:
        if wanted and resolved.id not in {j.id for j in named_by_model}:
            return ProposalVerdict(rejected="other_target")
        return ProposalVerdict(replace(asked, jobs=(resolved,), candidates=(), missing=()))
    # The message named several jobs, or pointed back at several ("reroda esse" after a list of two):
    # the model may pick among them, never another; pointing back at nothing leaves the rules to ask.
    allowed = {j.id for j in (asked.jobs or asked.candidates)}
    if asked.referent and not allowed:
        allowed = set(turn.prev.jobs) or {""}
    picks = tuple(j for j in named_by_model if not allowed or j.id in allowed)
    if allowed and not picks:
        return ProposalVerdict(rejected="other_target")
    if asked.missing:
        # The operator named a job the plan does not have ("reroda o JOB777"): the model may not put
        # another in its place; the rules say it was not found.
        return ProposalVerdict(rejected="other_target") if picks else ProposalVerdict(asked)
    if len(picks) == 1:
        return ProposalVerdict(replace(asked, jobs=picks, candidates=(), missing=()))
    if picks:
        # The model's name fits several instances: the rules ask which one, listing them.
        return ProposalVerdict(replace(asked, jobs=(), candidates=picks, missing=()))
    # Nothing to put up: the rule skill asks "qual job?" (or says the named job is not in the plan).
    return ProposalVerdict(asked)


def _named_target(
    asked: Intent, kind: str, wanted: str, plan: TurnPlan, make_turn: Callable[[Intent], Turn]
) -> ProposalVerdict:
    resolved = quiet_target_of(make_turn(asked), kind)
    if resolved is not None:
        if wanted and not _same_target(resolved, wanted):
            return ProposalVerdict(rejected="other_target")
        return ProposalVerdict(asked)
    if not wanted:
        return ProposalVerdict(asked)
    if kind == "stream":
        if asked.stream:
            return ProposalVerdict(rejected="other_target")
        stream = next((s.name for s in plan.streams if s.name.casefold() == wanted.casefold()), "")
        return ProposalVerdict(replace(asked, stream=stream))
    if kind == "workstation":
        if asked.workstation:
            return ProposalVerdict(rejected="other_target")
        ws = next((w.name for w in plan.workstations if w.name.casefold() == wanted.casefold()), "")
        return ProposalVerdict(replace(asked, workstation=ws, missing_workstation="" if ws else wanted))
    if asked.prompt:
        return ProposalVerdict(rejected="other_target")
    return ProposalVerdict(replace(asked, prompt=wanted.casefold()))


def _same_target(target: Target, wanted: str) -> bool:
    folded = wanted.casefold()
    if isinstance(target, Prompt):
        return folded.lstrip("0") == target.id.casefold().lstrip("0") or folded == target.id.casefold()
    return folded == target.name.casefold()
