"""Reading one message: tokens corrected for typos, the plan's entities it names, the concepts it uses.

:func:`read` does the work every intent rule shares; the rules (:mod:`.rules`) only look at the
:class:`Features` it returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twschat.core.language import detect_language, tokenize

from ..domain import Job
from ..state import DialogueState
from .catalog import Catalog, CatalogSource
from .intents import Intent
from .text import best_match, edit_distance, max_typos
from .vocabulary import (
    ACTION_CONCEPTS,
    CONCEPT_OF,
    HOLD_FIRST,
    ID_LIKE,
    INTERNAL_STATES,
    KNOWN,
    MARKERS,
    NEGATIONS,
    NUMBER,
    PHRASES,
    STATE_CONCEPTS,
    vocab_fix,
)

__all__ = ["Features", "read"]

# Words that point back at the previous reply's jobs, most specific first.
_REFERENTS = (
    ("ref_other", "other"),
    ("ref_first", "first"),
    ("ref_second", "second"),
    ("ref_last", "last"),
    ("ref_them", "them"),
    ("ref_this", "this"),
)
_TODAY = frozenset({"hoje", "today"})
_CLOCK_TIME = re.compile(r"\b(\d{1,2})[:hH](\d{2})\b")
# The most specific state a concept names ("em hold" -> hold).
_STATE_OF_CONCEPT = {
    "abend": "abend",
    "failed": "failed",
    "late": "late",
    "running": "running",
    "hold_state": "hold",
    "hold": "hold",
    "sched": "sched",
    "waiting": "waiting",
    "ready": "ready",
    "success": "success",
    "cancelled": "cancelled",
}


@dataclass(frozen=True, slots=True)
class Features:
    """What the intent rules see of one message."""

    lang: str
    tokens: tuple[str, ...]
    concepts: Mapping[str, int]
    """concept -> position of its first mention."""
    previous: DialogueState
    jobs: tuple[Job, ...] = ()
    candidates: tuple[Job, ...] = ()
    missing: tuple[str, ...] = ()
    workstation: str = ""
    missing_workstation: str = ""
    stream: str = ""
    unknown_tokens: tuple[str, ...] = ()
    said_language: bool = False
    """The message said its language (markers, accents) rather than taking the default."""
    state: str = ""
    """The job state asked about (a key of ``JOB_FILTERS``), "" when none."""
    times: tuple[str, ...] = ()
    """Clock times the message gives (``HH:MM``): which instance of a job stream it means."""

    def has(self, *names: str) -> bool:
        return any(c in self.concepts for c in names)

    @property
    def first(self) -> str:
        return self.tokens[0]

    @property
    def period(self) -> str:
        """``today`` when the message says "hoje" / "today" (a stopword, so not a concept)."""
        return "today" if any(t in _TODAY for t in self.tokens) else ""

    @property
    def pending(self) -> bool:
        return self.previous.pending is not None

    @property
    def target(self) -> bool:
        """The message names a job (found, ambiguous or missing)."""
        return bool(self.jobs) or bool(self.candidates) or bool(self.missing)

    @property
    def content(self) -> list[str]:
        return [c for c in self.concepts if c not in ("list", "be", "and", "ref_this", "ref_them")]

    @property
    def referent(self) -> str:
        return next((ref for key, ref in _REFERENTS if key in self.concepts), "")

    @property
    def short(self) -> bool:
        """Short enough to be a yes/no: a yes never hides inside a longer request."""
        return len(self.tokens) <= 5 and not self.target and not self.workstation and not self.unknown_tokens

    @property
    def listing(self) -> bool:
        return self.has("list") and not self.target and not self.referent

    @property
    def action(self) -> str:
        """The action the message talks about ("" when none)."""
        has = self.has
        if has("rerun") or (has("run") and has("again")):
            return "rerun"
        if has("release"):
            return "release"
        if has("cancel"):
            return "cancel"
        if has("hold", "hold_state"):
            verb = has("hold_verb") or self.first in HOLD_FIRST
            bare = has("hold") and not has("hold_state") and not self.listing
            if verb or bare or (has("hold_state") and self.target and not has("be", "list")):
                return "hold"
            return ""
        if has("run") and (self.target or self.referent == "this") and not has("list", "be"):
            return "rerun"
        return ""

    @property
    def negated(self) -> bool:
        """A negation before the first action word: "não reroda", "don't rerun", "nunca cancele"."""
        # an action named by a state word ("who linked TWS_AGENT2?") has no action concept: not negated
        first_action = min((self.concepts[c] for c in ACTION_CONCEPTS if c in self.concepts), default=0)
        return any(t in NEGATIONS for t in self.tokens[:first_action])

    def make(self, name: str, **fields: Any) -> Intent:
        fields.setdefault("jobs", self.jobs)
        fields.setdefault("candidates", self.candidates)
        fields.setdefault("missing", self.missing)
        fields.setdefault("workstation", self.workstation)
        fields.setdefault("missing_workstation", self.missing_workstation)
        fields.setdefault("stream", self.stream)
        fields.setdefault("referent", self.referent)
        fields.setdefault("period", self.period)
        fields.setdefault("time", self.times[0] if self.times else "")
        fields.setdefault("said_language", self.said_language)
        return Intent(name, self.lang, **fields)


_CLEAR_LEAD = 2
"""Marker words a one-word phrase ("help", "/help", "yes") would need over the conversation's language
to switch it: one such word alone never does. A longer phrase switches on a lead of one."""


def _clearly(text: str, tokens: Sequence[str], lang: str) -> bool:
    """Whether ``text`` is clearly ``lang``, not a word or two of it in the other language."""
    if lang == "pt" and detect_language(text, "en", tokens=(), markers=MARKERS) == "pt":
        return True  # accents
    pt = sum(1 for t in tokens if t in MARKERS.pt)
    en = sum(1 for t in tokens if t in MARKERS.en)
    lead = pt - en if lang == "pt" else en - pt
    return lead >= _CLEAR_LEAD or (lead >= 1 and len(tokens) > 1)


def read(
    text: str, catalog: CatalogSource, previous: DialogueState, default_language: str
) -> Features | None:
    """The features of ``text``; None when it has no words at all."""
    raw_tokens = tokenize(text)
    if not raw_tokens:
        return None
    cat: Catalog | None = None
    if isinstance(catalog, Catalog):
        cat = catalog
    elif catalog is not None and _needs_catalog(raw_tokens):
        cat = catalog()
    tokens = [_correct(t, cat) for t in raw_tokens]
    said = detect_language(text, "", tokens=tokens, markers=MARKERS)
    lang = said or default_language
    if previous.settled and previous.lang and lang != previous.lang and not _clearly(text, tokens, lang):
        # "hold no JOB008", "sim", "/help" in a Portuguese conversation: a word or two of the other
        # language is not a switch; the conversation keeps its language until a phrase clearly is
        lang = previous.lang
    entities = _Entities(tokens)
    times = entities.skip_times(text)
    if cat is not None:
        entities.find(cat)
    consumed = entities.consumed
    concepts = _concepts(tokens, consumed)
    candidates = entities.candidates
    state = _state_key(concepts, tokens, consumed)
    if (
        candidates
        and not entities.named_candidates
        and (state or any(c in concepts for c in ("ws", "stream", "plan")))
    ):
        # "report", "data": a common word, not a job, when the message is about something else
        candidates = ()
    return Features(
        lang=lang,
        said_language=bool(said),
        tokens=tuple(tokens),
        concepts=concepts,
        previous=previous,
        jobs=tuple(entities.jobs),
        candidates=candidates,
        missing=tuple(entities.missing),
        workstation=entities.workstation,
        missing_workstation=entities.missing_ws,
        stream=entities.stream,
        unknown_tokens=tuple(t for k, t in enumerate(tokens) if not consumed[k] and t not in KNOWN),
        state=state,
        times=times,
    )


def _needs_catalog(tokens: Sequence[str]) -> bool:
    return any(t not in KNOWN or NUMBER.match(t) for t in tokens)


def _correct(tok: str, catalog: Catalog | None) -> str:
    """The keyword or plan name ``tok`` most likely is (itself when nothing is close enough)."""
    if tok in KNOWN or len(tok) < 4:
        return tok
    if catalog is not None and (
        tok in catalog.by_id_token
        or tok in catalog.by_name_token
        or tok in catalog.ws_by_token
        or tok in catalog.stream_by_token
    ):
        return tok
    vocab = vocab_fix(tok)
    name = catalog.name_fix(tok) if catalog is not None else None
    if vocab and name:
        if edit_distance(tok, name, max_typos(name)) < edit_distance(tok, vocab, max_typos(vocab)):
            return name
        return vocab
    return vocab or name or tok


def _one_name(hits: Sequence[Job]) -> bool:
    """All of ``hits`` are instances of one job name (JOB002 in two streams): one job, which instance?"""
    return bool(hits) and len({j.job_id for j in hits}) == 1


class _Entities:
    """The plan's jobs, workstations and streams a message names; marks the tokens it used."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tokens
        self.consumed = [False] * len(tokens)
        self.jobs: list[Job] = []
        self.missing: list[str] = []
        self.candidates: tuple[Job, ...] = ()
        self.workstation = ""
        self.missing_ws = ""
        self.stream = ""
        self.instances: list[tuple[Job, ...]] = []
        """Each job the message names, as the plan instances carrying its name (one or several)."""
        self.stream_jobs: tuple[Job, ...] = ()
        self.named_candidates = False
        """The candidates are the instances of a name the message gave in full (not a partial word)."""

    def skip_times(self, text: str) -> tuple[str, ...]:
        """The clock times the message gives ("01:36", "7h48"), their tokens marked as used."""
        found: list[str] = []
        for hour, minute in _CLOCK_TIME.findall(text):
            if int(hour) > 23 or int(minute) > 59:
                continue
            found.append(f"{int(hour):02d}:{minute}")
            for i, tok in enumerate(self.tokens):
                pair = self.tokens[i + 1] if i + 1 < len(self.tokens) else ""
                if (tok, pair) == (hour, minute):
                    self.consumed[i] = self.consumed[i + 1] = True
                elif tok == f"{hour}h{minute}":
                    self.consumed[i] = True
        return tuple(found)

    def add_job(self, job: Job) -> None:
        if job not in self.jobs:
            self.jobs.append(job)

    def add_named(self, hits: Sequence[Job]) -> None:
        """A job named by its id or full name: every instance of it (narrowed once all is read)."""
        if len(hits) == 1:
            self.add_job(hits[0])
        elif hits and tuple(hits) not in self.instances:
            self.instances.append(tuple(hits))

    def find(self, cat: Catalog) -> None:
        self._full_names(cat)
        self._ids_and_names(cat)
        self._partial_names(cat)
        self._narrow()

    def _narrow(self) -> None:
        """A name in several streams: the stream the message names picks the instance ("o JOB002 do
        PAYROLL"); otherwise they are the candidates the skill asks about (or the context decides)."""
        for hits in self.instances:
            picked = [j for j in hits if j.job_stream == self.stream] if self.stream else []
            if len(picked) == 1:
                self.add_job(picked[0])
            elif not self.candidates:
                self.candidates = tuple(picked or hits)
                self.named_candidates = True
        if len(self.stream_jobs) == 1 and not self.jobs and not self.instances:
            self.add_job(self.stream_jobs[0])  # "payroll": the PAYROLL stream and its Payroll Calculation

    def _full_names(self, cat: Catalog) -> None:
        # full job names ("data processing", "dataprocessing"), longest first
        tokens, consumed, n = self.tokens, self.consumed, len(self.tokens)
        for size in cat.name_sizes:
            for i in range(n - size + 1):
                if any(consumed[i : i + size]):
                    continue
                hits = cat.by_name.get(tuple(tokens[i : i + size]))
                if hits:
                    self.add_named(hits)
                    for k in range(i, i + size):
                        consumed[k] = True

    def _ids_and_names(self, cat: Catalog) -> None:
        tokens, consumed, n = self.tokens, self.consumed, len(self.tokens)
        for i, tok in enumerate(tokens):
            if consumed[i]:
                continue
            if tok in cat.by_id_token:
                self.add_named(cat.by_id_token[tok])
                consumed[i] = True
            elif tok in cat.ws_by_token and tok not in KNOWN:
                self.workstation = cat.ws_by_token[tok].name
                consumed[i] = True
            elif tok in cat.stream_by_token:
                self.stream = cat.stream_by_token[tok]
                consumed[i] = True
                self.stream_jobs = cat.by_name_token.get(tok, ())
            elif i + 1 < n and NUMBER.match(tokens[i + 1]) and not consumed[i + 1]:
                # "job 2", "agent 2", "agente 2"
                number = int(tokens[i + 1])
                prefix = "job" if CONCEPT_OF.get(tok) == "job" else tok
                hits = cat.by_number.get((prefix, number), ())
                joined = best_match(f"{tok}{tokens[i + 1]}", tuple(cat.ws_by_token))
                if _one_name(hits):
                    self.add_named(hits)
                    consumed[i] = consumed[i + 1] = True
                elif joined is not None:
                    self.workstation = cat.ws_by_token[joined].name
                    consumed[i] = consumed[i + 1] = True
                elif prefix == "job":
                    self.missing.append(f"job{tokens[i + 1]}")
                    consumed[i] = consumed[i + 1] = True

    def _partial_names(self, cat: Catalog) -> None:
        consumed = self.consumed
        for i, tok in enumerate(self.tokens):
            if consumed[i] or tok in KNOWN:
                continue
            m = ID_LIKE.match(tok)
            if m and (m.group(1), int(m.group(2))) in cat.by_number:
                hits = cat.by_number[(m.group(1), int(m.group(2)))]
                if _one_name(hits):
                    self.add_named(hits)
                    consumed[i] = True
                    continue
            if m and m.group(1) in ("job", "jb", "jbo", "ojb"):
                self.missing.append(tok)
                consumed[i] = True
                continue
            # a distinctive word of a job name ("o payroll", "processing")
            partial = cat.by_name_token.get(tok, ())
            if len(tok) >= 4 and partial:
                consumed[i] = True
                if _one_name(partial):
                    self.add_named(partial)
                elif not self.jobs:
                    self.candidates = partial
            elif m and m.group(1) in ("tws", "agent", "agente", "cpu", "ws"):
                self.missing_ws = tok
                consumed[i] = True


def _concepts(tokens: Sequence[str], consumed: Sequence[bool]) -> dict[str, int]:
    concepts: dict[str, int] = {}
    n = len(tokens)
    i = 0
    while i < n:
        if consumed[i]:
            i += 1
            continue
        if i + 1 < n and not consumed[i + 1]:
            phrase = PHRASES.get((tokens[i], tokens[i + 1]))
            if phrase:
                concepts.setdefault(phrase, i)
                i += 2
                continue
        concept = CONCEPT_OF.get(tokens[i])
        if concept:
            concepts.setdefault(concept, i)
        i += 1
    return concepts


def _state_key(concepts: Mapping[str, int], tokens: Sequence[str], consumed: Sequence[bool]) -> str:
    """The job state the message asks about, most specific first."""
    for i, tok in enumerate(tokens):
        if not consumed[i] and tok in INTERNAL_STATES and tok != "hold":
            return INTERNAL_STATES[tok]
    present = [c for c in STATE_CONCEPTS if c in concepts]
    if not present:
        return ""
    # earliest mention wins when two states are named ("rodando ou em hold")
    first = min(present, key=lambda c: concepts[c])
    return _STATE_OF_CONCEPT[first]
