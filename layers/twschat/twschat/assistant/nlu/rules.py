"""Intent rules as ordered data: the first rule that matches a message names its intent.

Each :class:`IntentRule` has a name and a match function over the message's :class:`Features`; the
order of :data:`RULES` is the decision order (a yes/no before an action, an action before a listing,
help and greetings last). Rules can be tested one by one (``rule("confirm_yes").match(features)``).

Over 400 lines: the decision order is one table, and the rules it orders are kept beside it, one short
section per kind of question, so that the order can be read in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..state import DialogueState
from .actions import action_of, prompt_ref, split_reason
from .alerts import ALERT_RULES
from .catalog import CatalogSource
from .features import Features, read
from .intents import LISTING_INTENTS, STATE_INTENT, Intent
from .vocabulary import ANSWER_CONCEPTS, CONCEPT_OF, KNOWN, NUMBER

__all__ = ["RULES", "IntentRule", "recognize", "rule"]


@dataclass(frozen=True, slots=True)
class IntentRule:
    name: str
    match: Callable[[Features], Intent | None]


# ------------------------------------------------------------------------------------- yes and no
def _unclear_answer(f: Features) -> Intent | None:
    # "talvez", "sei lá", "sim, talvez": neither yes nor no
    return f.make("confirm_unclear") if f.pending and f.short and f.has("maybe") else None


def _answers_only(f: Features) -> bool:
    return all(c in ANSWER_CONCEPTS for c in f.concepts)


def _no(f: Features) -> Intent | None:
    if f.short and f.has("no", "neg") and not f.has("yes") and _answers_only(f):
        return f.make("confirm_no")
    return None


def _yes(f: Features) -> Intent | None:
    if (
        f.short
        and f.has("yes")
        and not f.has("no", "neg")
        and _answers_only(f)
        and (f.pending or not f.has("rerun", "hold", "release", "cancel", "run", "kill"))
    ):
        return f.make("confirm_yes")
    return None


def _reason_given(f: Features) -> Intent | None:
    # "qual o motivo?" was asked: the next message (not a plain yes/no) is the reason
    pending = f.previous.pending
    if pending is not None and pending.awaiting_reason and not (f.short and _answers_only(f)):
        return f.make("action_reason")
    return None


_CHOICE_REFERENTS = ("first", "second", "last", "other")


def _choice(f: Features) -> Intent | None:
    # the answer to "JOB002 existe em 2 streams: ... Qual?" / "O job stream BILLING tem 2 instâncias":
    # "o do PAYROLL", "a das 07:48", "o segundo", "DATA_PIPELINE" continue the question's request
    prev = f.previous
    if not prev.choosing or not prev.intent or f.pending:
        return None
    offered = set(prev.jobs)
    # a job it names must be one of those offered ("e o JOB001?" is a new question, not an answer)
    named = any(j.id in offered for j in (*f.jobs, *f.candidates))
    picks = f.referent in _CHOICE_REFERENTS or f.times or f.stream or named
    if not picks or len(f.tokens) > 6 or f.action or f.has("log", "why", "list", "status", "ws", "plan"):
        return None
    action = prev.intent.removeprefix("action_") if prev.intent.startswith("action_") else ""
    return f.make(prev.intent, action=action, followup=True)


def _cancel_as_no(f: Features) -> Intent | None:
    # "cancela" alone while an action waits: drop it (not a request to cancel a job)
    if f.pending and f.short and f.first in ("cancela", "cancel") and len(f.concepts) == 1:
        return f.make("confirm_no")
    return None


# ---------------------------------------------------------------------------- thanks and goodbye
def _thanks(f: Features) -> Intent | None:
    # before help: "obrigado pela ajuda"
    if f.has("thanks") and not f.target and not f.has("rerun", "hold", "release", "cancel", "log", "why"):
        return f.make("thanks")
    return None


def _goodbye(f: Features) -> Intent | None:
    return f.make("goodbye") if f.has("bye") and not f.target and len(f.content) <= 2 else None


# ---------------------------------------------------------------------------------------- actions
# Only an instruction to act asks for a confirmation. A negation ("não reroda o JOB003"), a question
# about past actions ("quem reexecutou o JOB003?") or for advice ("devo rerodar o JOB003?") and a
# why ("por que não roda?") are answered, and nothing is ever proposed from them.
def _about_action(f: Features) -> str:
    """The action the message is about, unless it lists jobs in a state or asks why."""
    action = action_of(f)
    if action and not (f.listing and f.state) and not f.has("why"):
        return action
    return ""


def _action_negated(f: Features) -> Intent | None:
    action = _about_action(f)
    return f.make("action_negated", action=action) if action and f.negated else None


# Past forms of the action verbs: "alguém rerodou o JOB002?" asks the audit, it does not ask to rerun.
_PAST_FORMS = frozenset(
    [
        "rerodou",
        "reexecutou",
        "reprocessou",
        "reiniciou",
        "segurou",
        "pausou",
        "suspendeu",
        "liberou",
        "cancelou",
        "matou",
        "linkou",
        "deslinkou",
        "respondeu",
        "rodou",
        "executou",
        "confirmou",
        "rerodaram",
        "seguraram",
        "liberaram",
        "cancelaram",
        "mataram",
        "reran",
        "restarted",
        "held",
        "released",
        "cancelled",
        "canceled",
        "killed",
        "linked",
        "unlinked",
        "answered",
        "confirmed",
    ]
)
# The words of the assistant's own confirmation question: a message that quotes it ("Assistente:
# Confirma o kill de ...? Responda sim ou não.") is pasted text, never the operator's request.
_QUOTED_QUESTION = (
    ("responda", "sim", "ou", "nao"),
    ("reply", "yes", "or", "no"),
    ("answer", "yes", "or", "no"),
)
_SPEAKERS = frozenset({"assistente", "assistant", "bot", "twschat"})


def _quoted_question(f: Features) -> Intent | None:
    tokens = f.tokens
    quoted = any(
        tokens[i : i + len(words)] == words for words in _QUOTED_QUESTION for i in range(len(tokens))
    )
    if quoted or (tokens and tokens[0] in _SPEAKERS and action_of(f)):
        return f.make("unknown")
    return None


def _action_history(f: Features) -> Intent | None:
    action = _about_action(f)
    if not action:
        return None
    # "when did JOB002 run?" is about the plan (its status has the times), "when was it rerun?" the audit
    bare_run = action == "rerun" and not f.has("rerun", "again")
    if f.has("who") or (f.has("when") and not bare_run):
        return f.make("action_history", action=action)
    if f.has("someone") and any(t in _PAST_FORMS or t == "did" for t in f.tokens):
        return f.make("action_history", action=action)
    return None


def _action_advice(f: Features) -> Intent | None:
    action = _about_action(f)
    return f.make("action_advice", action=action) if action and f.has("should") else None


def _action_request(f: Features) -> Intent | None:
    action = _about_action(f)
    if not action or f.has("when"):
        return None
    return f.make(
        f"action_{action}", action=action, prompt=prompt_ref(f) if action.startswith("reply") else ""
    )


def _who_ran(f: Features) -> Intent | None:
    # "quem rodou o JOB003?"
    if f.has("who") and f.has("ran") and (f.target or f.referent):
        return f.make("action_history")
    return None


# ------------------------------------------------------------------------------------------ prompts
def _prompts(f: Features) -> Intent | None:
    # "quais prompts estão esperando resposta?", "show pending prompts", conman "sp", "mostra o prompt 2";
    # after the actions: "responde sim ao prompt 1" is a reply
    if f.has("prompt") and not f.target and not f.has("log", "deps", "depend", "succ"):
        return f.make("prompts", prompt=prompt_ref(f), jobs=(), candidates=())
    return None


# ---------------------------------------------------------------------------------------- resources
_RESOURCE_INTENTS = ("resources", "resource_waiting")
_ABOUT_A_JOB = ("log", "why", "deps", "depend", "succ")


def _resources(f: Features) -> Intent | None:
    # "quais recursos estão esgotados?", "como está o recurso ETL_DB_SLOTS?", "show resources", conman
    # "sr"; after a resources answer: "e quem está esperando ele?" (the jobs waiting for its units),
    # "e o ERP_API_SLOTS?". The resource's name is a word the plan's jobs and the vocabulary do not know.
    named = f.unknown_tokens[0] if f.unknown_tokens else ""
    after = f.previous.intent in _RESOURCE_INTENTS and not f.target and not f.has(*_ABOUT_A_JOB)
    # "quais jobs estão esperando?" after a resource is still a listing: a waiter question says whom
    waiting = f.has("waiting") and (
        f.has("who") or bool(f.referent) or bool(named) or (f.has("resource") and f.has("job"))
    )
    if f.has("resource") or after:
        if waiting:
            return f.make("resource_waiting", resource=named, jobs=(), candidates=())
        if f.has("resource") or f.has("exhausted") or (named and not f.content):
            state = "exhausted" if f.has("exhausted") else ""
            return f.make("resources", resource=named, state=state, jobs=(), candidates=())
    return None


# ----------------------------------------------------------------------------------- log and why
def _job_log(f: Features) -> Intent | None:
    if f.has("log"):
        return f.make("job_log")
    if f.has("why") and (f.target or f.referent or not (f.has("job") and f.state)):
        return f.make("job_log", asks_why=True)
    if (
        f.target
        and f.state == "failed"
        and any(t in ("erro", "error", "problema", "problem") for t in f.tokens)
    ):
        return f.make("job_log", asks_why=True)
    return None


# -------------------------------------------------- reads (dependencies, successors, jobs due)
_ABOUT_ONE_JOB = ("job_log", "job_status", "job_dependencies", "job_successors")
"""Intents about one job: an elliptical "e o JOB007?" / "e dele?" asks the same about another."""
_HOUR_WORDS = frozenset({"h", "hora", "horas", "hour", "hours", "hr", "hrs"})


def _dependencies(f: Features) -> Intent | None:
    # "o JOB014 depende de quem?" (what it waits for) / "o que depende do JOB002?" (its successors)
    if f.has("succ"):
        return f.make("job_successors")
    if f.has("deps"):
        return f.make("job_dependencies")
    if f.has("depend"):
        return f.make("job_successors" if _names_after(f, f.concepts["depend"]) else "job_dependencies")
    if f.has("why") and f.state in ("waiting", "hold", "sched") and (f.target or f.referent):
        return f.make("job_dependencies")
    return None


def _names_after(f: Features, at: int) -> bool:
    """A job (or "dele", "it") is named after the verb: "o que depende DO JOB002", "what depends on IT"."""
    for tok in f.tokens[at + 1 :]:
        concept = CONCEPT_OF.get(tok, "")
        if (tok not in KNOWN and not NUMBER.match(tok)) or concept in ("ref_this", "ref_them", "job"):
            return True
    return False


def _jobs_due(f: Features) -> Intent | None:
    # "quais jobs vão rodar nas próximas 2 horas?", "jobs due in the next 3 hours"
    hours = _hours(f.tokens)
    if hours and f.has("next") and not f.target:
        return f.make("due_jobs", hours=hours, jobs=(), candidates=())
    return None


def _hours(tokens: tuple[str, ...]) -> int:
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if NUMBER.match(tok) and nxt in _HOUR_WORDS:
            return max(1, min(int(tok), 48))
        if tok[:-1].isdigit() and tok.endswith("h"):
            return max(1, min(int(tok[:-1]), 48))
        if tok in ("hora", "hour") and i and CONCEPT_OF.get(tokens[i - 1]) == "next":
            return 1
    return 0


def _only_the_stream(f: Features) -> bool:
    """No job named but the stream ("payroll": the PAYROLL stream and its Payroll Calculation job)."""
    return not f.missing and not f.candidates and all(j.job_stream == f.stream for j in f.jobs)


def _job_streams(f: Features) -> Intent | None:
    if f.stream and f.has("job") and _only_the_stream(f):
        # "mostra os jobs do stream BILLING": the jobs of that stream, not the streams
        return f.make(STATE_INTENT[f.state or "all"], state=f.state or "all", jobs=(), candidates=())
    return f.make("job_streams", state=f.state if f.state != "all" else "") if f.has("stream") else None


# ---------------------------------------------------------------------------------- workstations
def _workstations(f: Features) -> Intent | None:
    has, workstation = f.has, f.workstation
    if not (
        has("ws")
        or f.missing_workstation
        or (workstation and not has("job") and not f.state and not f.target)
    ):
        return None
    if has("run", "ran") and workstation:
        return f.make("jobs_list", state="all")
    if not workstation and (has("offline") or (has("waiting") and has("ws"))):
        return f.make("workstations_offline", ws_filter="offline")
    if workstation and not has("job") and not f.state:
        elliptical = not has("ws", "status", "online", "offline", "list") and not f.target
        if elliptical and f.previous.intent in LISTING_INTENTS:
            return _followup(f)
        return f.make("workstation_status")
    if f.missing_workstation and not workstation:
        return f.make("workstation_status")
    if has("online"):
        return f.make("workstations", ws_filter="online")
    if not has("job") and not f.state:
        return f.make("workstations")
    return None


def _followup(f: Features) -> Intent:
    """ "e na TWS_AGENT1?" after a listing: the same question about another workstation."""
    name = f.previous.intent or "jobs_list"
    state = f.previous.state
    if name.startswith("jobs_") and not state:
        state = "all"
    return Intent(name, f.lang, state=state, workstation=f.workstation, followup=True)


def _offline(f: Features) -> Intent | None:
    if f.has("offline") and not f.has("job") and not f.state and not f.target:
        return f.make("workstations_offline", ws_filter="offline")
    return None


# ------------------------------------------------------------------------------------------- jobs
def _one_job(f: Features) -> Intent | None:
    if not f.target:
        return None
    if f.state and not f.jobs and not f.candidates:
        return f.make(STATE_INTENT[f.state], state=f.state)
    if not f.content and f.previous.intent in _ABOUT_ONE_JOB and f.first in ("e", "and"):
        return f.make(f.previous.intent, followup=True)
    return f.make("job_status")


def _jobs_in_state(f: Features) -> Intent | None:
    return f.make(STATE_INTENT[f.state], state=f.state) if f.state else None


def _jobs_list(f: Features) -> Intent | None:
    if f.has("job", "ran") or (f.workstation and f.has("list")):
        if f.referent in ("other", "first", "second", "last") and not f.has("list"):
            return f.make("job_status", followup=True)
        return f.make("jobs_list", state="all")
    return None


def _plan_summary(f: Features) -> Intent | None:
    return f.make("plan_summary") if f.has("plan") or (f.has("status") and not f.referent) else None


def _pointing_back(f: Features) -> Intent | None:
    # "and the other one?", "e o primeiro?", "e ele?"
    if f.referent in ("other", "first", "second", "last") or (
        f.referent == "this" and f.has("status", "and")
    ):
        asked = f.previous.intent or "job_status"
        return f.make(asked if asked in _ABOUT_ONE_JOB else "job_status", followup=True)
    return None


# ----------------------------------------------------------------------- help, greetings, the rest
def _help(f: Features) -> Intent | None:
    tokens = f.tokens
    capability = (
        f.has("help")
        or ("sabe" in tokens and "fazer" in tokens)
        or ("voce" in tokens and "faz" in tokens)
        or ("can" in tokens and "you" in tokens and "do" in tokens)
        or ("what" in tokens and "do" in tokens and "you" in tokens)
    )
    return f.make("help") if capability else None


def _greeting(f: Features) -> Intent | None:
    return f.make("greeting") if f.has("greet") else None


def _about_tws(f: Features) -> Intent | None:
    return f.make("help", generic=True) if f.has("tws") else None


def _loose_yes(f: Features) -> Intent | None:
    return f.make("confirm_yes") if f.has("yes") and not f.unknown_tokens else None


def _still_pending(f: Features) -> Intent | None:
    # "hmm", "?", anything not understood while a yes/no is awaited: ask the question again
    return f.make("confirm_unclear") if f.pending else None


RULES: tuple[IntentRule, ...] = (
    IntentRule("unclear_answer", _unclear_answer),
    IntentRule("confirm_no", _no),
    IntentRule("confirm_yes", _yes),
    IntentRule("cancel_as_no", _cancel_as_no),
    IntentRule("reason_given", _reason_given),
    IntentRule("choice", _choice),
    # alerts before the actions: "cancela todos os avisos" cancels the alerts, not a job (.alerts)
    *(IntentRule(name, match) for name, match in ALERT_RULES),
    IntentRule("thanks", _thanks),
    IntentRule("goodbye", _goodbye),
    IntentRule("quoted_question", _quoted_question),
    IntentRule("action_negated", _action_negated),
    IntentRule("action_history", _action_history),
    IntentRule("action_advice", _action_advice),
    IntentRule("action_request", _action_request),
    IntentRule("who_ran", _who_ran),
    IntentRule("prompts", _prompts),
    IntentRule("resources", _resources),
    IntentRule("dependencies", _dependencies),
    IntentRule("due_jobs", _jobs_due),
    IntentRule("job_log", _job_log),
    IntentRule("job_streams", _job_streams),
    IntentRule("workstations", _workstations),
    IntentRule("offline", _offline),
    IntentRule("one_job", _one_job),
    IntentRule("jobs_in_state", _jobs_in_state),
    IntentRule("jobs_list", _jobs_list),
    IntentRule("plan_summary", _plan_summary),
    IntentRule("pointing_back", _pointing_back),
    IntentRule("help", _help),
    IntentRule("greeting", _greeting),
    IntentRule("about_tws", _about_tws),
    IntentRule("loose_yes", _loose_yes),
    IntentRule("still_pending", _still_pending),
)
_BY_NAME = {r.name: r for r in RULES}


def rule(name: str) -> IntentRule:
    return _BY_NAME[name]


def recognize(
    text: str,
    catalog: CatalogSource = None,
    *,
    previous: DialogueState | None = None,
    default_language: str = "pt",
) -> Intent:
    """The intent of one message.

    ``catalog`` (or a callable returning it, called only when the message may name something) gives
    the plan's names; ``previous`` is the state the last reply left (its intent, a pending action)
    for elliptical follow-ups and yes/no.
    """
    prev = previous or DialogueState()
    lang_default = prev.lang or default_language
    features = read(text, catalog, prev, lang_default)
    if features is None:
        return Intent("unknown", lang_default)
    # "reroda o JOB002 porque o banco voltou": the request, and its reason (kept on the action intent)
    request, reason = split_reason(text)
    if reason:
        head = read(request, catalog, prev, lang_default)
        if head is not None and _about_action(head):
            features = replace(head, lang=features.lang)
    for candidate in RULES:
        intent = candidate.match(features)
        if intent is not None:
            if reason and intent.name.startswith("action_") and intent.action:
                return replace(intent, reason=reason)
            return intent
    return features.make("unknown")
