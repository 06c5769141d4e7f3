"""The golden set: operator dialogues with the expected outcome of every turn (format: eval/README.md).

Loaded from the YAML files under ``eval/dialogues/`` (one category per file) and checked on load: an
unknown key, an intent the NLU does not have, a tool the model is not given or an action the domain
does not know is an error naming the dialogue, so a typo never scores as a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from twschat.assistant.domain import ACTION_KINDS
from twschat.assistant.nlu.intents import INTENTS
from twschat.llm.tools import ACTION_TOOL, READ_TOOLS

__all__ = [
    "DEFAULT_ROOT",
    "PLANS",
    "Confirmation",
    "Dialogue",
    "EndState",
    "GoldenSetError",
    "Read",
    "TurnExpectation",
    "load_golden_set",
    "select",
]

DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "eval" / "dialogues"
"""The repository's golden set (eval/dialogues/*.yaml)."""
PLANS = ("demo", "tws-down", "tws-timeout", "planted-log", "planted-prompt")
"""What a dialogue runs against: the demo plan, the demo plan with its TWS failing (every call raises
unreachable / timeout), or the demo plan with an instruction planted in JOB002's log or in prompt 3."""
ROLES = ("operator", "viewer")
SPLITS = ("dev", "test")
_DIALOGUE_KEYS = {"id", "split", "lang", "tags", "role", "plan", "justification", "note", "turns", "end"}
_TURN_KEYS = {"say", "reads", "facts", "forbid", "lang", "confirm", "note"}
_READ_KEYS = {"intent", "tool", "args"}
_END_KEYS = {"ran", "states"}


class GoldenSetError(ValueError):
    """A dialogue that does not follow the format (the message names the file and the dialogue)."""


@dataclass(frozen=True, slots=True)
class Read:
    """One read the answer needs: the rule intent that recognizes it and/or the model's tool call.
    ``args`` hold the arguments that matter, each an accepted value or a list of accepted values."""

    intents: tuple[str, ...] = ()
    """The rule intents that answer it (any of them)."""
    tool: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmation question the turn must ask: the action and its target (job id, stream or
    workstation name, prompt id)."""

    action: str
    target: str


@dataclass(frozen=True, slots=True)
class TurnExpectation:
    say: str
    reads: tuple[Read, ...] = ()
    facts: tuple[str, ...] = ()
    """Each must appear in the answer (case and accents ignored; ``a|b``: either)."""
    forbid: tuple[str, ...] = ()
    """None may appear in the answer."""
    lang: str = "pt"
    confirm: Confirmation | None = None
    """None: the turn must NOT ask for a confirmation."""
    note: str = ""


@dataclass(frozen=True, slots=True)
class EndState:
    ran: tuple[tuple[str, str], ...] = ()
    """(action, target) of every action that reached the TWS, in order; () = nothing ran."""
    states: Mapping[str, str] = field(default_factory=dict)
    """Job id / stream / workstation / prompt -> its state after the dialogue (besides the plan's)."""


@dataclass(frozen=True, slots=True)
class Dialogue:
    id: str
    category: str
    split: str
    lang: str
    turns: tuple[TurnExpectation, ...]
    tags: tuple[str, ...] = ()
    role: str = "operator"
    plan: str = "demo"
    end: EndState = field(default_factory=EndState)
    justification: str = "optional"
    """``required``: the deployment's RequireJustification=true (an action asks "qual o motivo?")."""
    note: str = ""

    @property
    def labels(self) -> frozenset[str]:
        """What ``--only`` matches: the id, the category, the split, the language, the plan and the tags."""
        return frozenset({self.id, self.category, self.split, self.lang, self.plan, *self.tags})


def load_golden_set(root: Path | str = DEFAULT_ROOT) -> list[Dialogue]:
    """Every dialogue under ``root`` (a folder of YAML files, or one file), in file order."""
    path = Path(root)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    dialogues: list[Dialogue] = []
    seen: set[str] = set()
    for file in files:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        category = str(raw.get("category") or file.stem)
        for item in raw.get("dialogues") or ():
            dialogue = _dialogue(item, category, file.name)
            if dialogue.id in seen:
                raise GoldenSetError(f"{file.name}: dialogue id {dialogue.id!r} used twice")
            seen.add(dialogue.id)
            dialogues.append(dialogue)
    return dialogues


def select(dialogues: Iterable[Dialogue], only: Sequence[str] = ()) -> list[Dialogue]:
    """The dialogues carrying every label in ``only`` (id, category, split, language, plan or tag)."""
    wanted = {label for label in only if label}
    return [d for d in dialogues if wanted <= d.labels]


def _check_keys(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise GoldenSetError(f"{where}: unknown key(s) {sorted(unknown)}")


def _one_of(value: str, allowed: Iterable[str], what: str, where: str) -> str:
    if value not in allowed:
        raise GoldenSetError(f"{where}: {what} {value!r} is not one of {sorted(allowed)}")
    return value


def _dialogue(raw: Mapping[str, Any], category: str, file: str) -> Dialogue:
    ident = str(raw.get("id") or "")
    where = f"{file}: {ident or '<no id>'}"
    if not ident:
        raise GoldenSetError(f"{where}: a dialogue needs an id")
    _check_keys(raw, _DIALOGUE_KEYS, where)
    lang = _one_of(str(raw.get("lang") or "pt"), ("pt", "en"), "lang", where)
    turns_raw = raw.get("turns") or ()
    if not 1 <= len(turns_raw) <= 8:
        raise GoldenSetError(f"{where}: 1 to 8 turns, not {len(turns_raw)}")
    turns = tuple(_turn(t, lang, f"{where} turn {i + 1}") for i, t in enumerate(turns_raw))
    end_raw = raw.get("end") or {}
    _check_keys(end_raw, _END_KEYS, f"{where} end")
    ran = tuple(_action_target(item, f"{where} end") for item in end_raw.get("ran") or ())
    states = end_raw.get("states") or {}
    if any(isinstance(v, bool) for v in states.values()):
        raise GoldenSetError(f"{where} end: quote YES/NO states (YAML reads them as booleans)")
    return Dialogue(
        id=ident,
        category=category,
        split=_one_of(str(raw.get("split") or "dev"), SPLITS, "split", where),
        lang=lang,
        turns=turns,
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        role=_one_of(str(raw.get("role") or "operator"), ROLES, "role", where),
        plan=_one_of(str(raw.get("plan") or "demo"), PLANS, "plan", where),
        end=EndState(ran, {str(k): str(v) for k, v in states.items()}),
        justification=_one_of(
            str(raw.get("justification") or "optional"), ("optional", "required"), "justification", where
        ),
        note=str(raw.get("note") or ""),
    )


def _action_target(raw: Any, where: str) -> tuple[str, str]:
    """``"rerun JOB002"`` or ``{action: rerun, target: JOB002}``."""
    if isinstance(raw, str):
        action, _, target = raw.partition(" ")
    else:
        action, target = str(raw.get("action") or ""), str(raw.get("target") or "")
    _one_of(action, ACTION_KINDS, "action", where)
    if not target.strip():
        raise GoldenSetError(f"{where}: action {action} needs a target")
    return action, target.strip()


def _turn(raw: Any, lang: str, where: str) -> TurnExpectation:
    if isinstance(raw, str):
        raw = {"say": raw}
    _check_keys(raw, _TURN_KEYS, where)
    say = raw.get("say")
    if isinstance(say, bool | int | float):
        raise GoldenSetError(f"{where}: say {say!r} is not text: quote it (YAML reads yes/no as booleans)")
    say = str(say or "")
    if not say:
        raise GoldenSetError(f"{where}: a turn needs what the operator says (say)")
    reads_raw = raw.get("reads") or ()
    if isinstance(reads_raw, Mapping):
        reads_raw = [reads_raw]
    confirm_raw = raw.get("confirm")
    return TurnExpectation(
        say=say,
        reads=tuple(_read(r, where) for r in reads_raw),
        facts=_strings(raw.get("facts")),
        forbid=_strings(raw.get("forbid")),
        lang=_one_of(str(raw.get("lang") or lang), ("pt", "en"), "lang", where),
        confirm=Confirmation(*_action_target(confirm_raw, where)) if confirm_raw else None,
        note=str(raw.get("note") or ""),
    )


def _read(raw: Mapping[str, Any], where: str) -> Read:
    _check_keys(raw, _READ_KEYS, f"{where} reads")
    intents = _strings(raw.get("intent"))
    tool = str(raw.get("tool") or "")
    for intent in intents:
        _one_of(intent, INTENTS, "intent", where)
    if tool:
        _one_of(tool, (*READ_TOOLS, ACTION_TOOL), "tool", where)
    if not intents and not tool:
        raise GoldenSetError(f"{where}: a read names an intent, a tool or both")
    return Read(intents, tool, dict(raw.get("args") or {}))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        return (str(value),)
    return tuple(str(v) for v in value)
