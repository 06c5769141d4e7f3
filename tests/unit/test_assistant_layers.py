"""Inside the assistant: skills answer with message codes and never word them; the catalogues know
nothing but the answer types; only the responder pipeline puts skills and catalogues together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ASSISTANT = Path(__file__).resolve().parents[2] / "layers" / "twschat" / "twschat" / "assistant"


def _imports(path: Path) -> set[str]:
    """Assistant-relative modules a file imports (``skills.base``, ``messages``, ``answer``, ...)."""
    package = list(path.relative_to(ASSISTANT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - (node.level - 1)] + (
                node.module.split(".") if node.module else []
            )
            names = [".".join([*base, a.name]) for a in node.names] if not node.module else []
            found |= set(names) or {".".join(base)}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("twschat.assistant."):
            found.add(str(node.module).removeprefix("twschat.assistant."))
    return found


def _files(under: str) -> list[Path]:
    return sorted((ASSISTANT / under).rglob("*.py")) if (ASSISTANT / under).is_dir() else [ASSISTANT / under]


@pytest.mark.parametrize("path", _files("skills"), ids=lambda p: p.name)
def test_skills_never_word_their_answers(path: Path) -> None:
    assert not {m for m in _imports(path) if m.split(".")[0] in ("messages", "responder")}


@pytest.mark.parametrize("path", _files("messages"), ids=lambda p: p.name)
def test_the_catalogues_import_only_the_answer_types(path: Path) -> None:
    assert {m.split(".")[0] for m in _imports(path)} <= {"answer", "messages"}


def test_the_answer_types_import_only_the_state() -> None:
    assert _imports(ASSISTANT / "answer.py") <= {"state"}


def test_only_the_responder_puts_skills_and_catalogues_together() -> None:
    users = {
        p.relative_to(ASSISTANT).as_posix()
        for p in ASSISTANT.rglob("*.py")
        if {m.split(".")[0] for m in _imports(p)} >= {"skills", "messages"}
    }
    assert users == {"responder.py"}


def test_the_projections_are_plain_data_under_the_skills_and_the_tools() -> None:
    """What a read means is decided once, below both its users: never a skill, a catalogue or the NLU."""
    imported = {m.split(".")[0] for m in _imports(ASSISTANT / "projections.py")}
    assert imported <= {"domain", "exceptions", "plan", "tws"}
