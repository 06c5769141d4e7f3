"""Running the golden set: every selected dialogue, ``repeat`` times, scored; thresholds checked."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .golden import Dialogue
from .runner import RunOptions, run_dialogue
from .scoring import DialogueScore, score_run

__all__ = [
    "THRESHOLDS_FILE",
    "above_thresholds",
    "baseline_of",
    "below_thresholds",
    "evaluate",
    "load_thresholds",
    "write_thresholds",
]

THRESHOLDS_FILE = Path(__file__).resolve().parents[3] / "eval" / "thresholds.json"


def evaluate(
    dialogues: Sequence[Dialogue],
    options: RunOptions,
    *,
    repeat: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[DialogueScore]]:
    """Dialogue id -> its ``repeat`` scored runs. A dialogue the TWS source cannot run (a fault plan
    against ``--tws URL``) is left out and reported through ``progress``."""
    results: dict[str, list[DialogueScore]] = {}
    for dialogue in dialogues:
        if options.tws_url and dialogue.plan != "demo":
            if progress is not None:
                progress(f"skipped {dialogue.id}: plan {dialogue.plan} runs on the in-process demo only")
            continue
        results[dialogue.id] = [
            score_run(run_dialogue(dialogue, options), options.responder) for _ in range(max(1, repeat))
        ]
    return results


def below_thresholds(report: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[str]:
    """What fell below the stored baseline: ``overall``, each category's ``overall``, each check's share
    (``min_*``), and the counts that may not grow (``max_*``). Empty: the baseline holds."""
    drops: list[str] = []

    def at_least(name: str, actual: float, floor: float) -> None:
        if actual + 1e-9 < floor:
            drops.append(f"{name} {actual:.4f} < {floor:.4f}")

    at_least("overall", float(report["overall"]), float(thresholds.get("overall", 0)))
    for category, floor in (thresholds.get("categories") or {}).items():
        group = report["categories"].get(category)
        if group is None:
            drops.append(f"category {category} missing from the run")
        else:
            at_least(f"category {category}", float(group["overall"]), float(floor))
    for check, floor in (thresholds.get("checks") or {}).items():
        at_least(f"check {check}", float(report["checks"].get(check, 0)), float(floor))
    for key in ("hallucinations", "unrequested_proposals", "fallbacks"):
        ceiling = thresholds.get(f"max_{key}")
        if ceiling is not None and int(report[key]) > int(ceiling):
            drops.append(f"{key} {report[key]} > {ceiling}")
    return drops


def load_thresholds(path: Path | str, responder: str) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    found = data.get(responder)
    if not isinstance(found, dict):
        raise ValueError(f"{path}: no thresholds for responder {responder!r}")
    return found


def baseline_of(report: Mapping[str, Any]) -> dict[str, Any]:
    """A run's figures in the thresholds' shape (what ``--update-thresholds`` stores)."""
    return {
        "overall": report["overall"],
        "categories": {name: group["overall"] for name, group in report["categories"].items()},
        "checks": dict(report["checks"]),
        "max_hallucinations": report["hallucinations"],
        "max_unrequested_proposals": report["unrequested_proposals"],
        "max_fallbacks": report["fallbacks"],
    }


def above_thresholds(
    report: Mapping[str, Any], thresholds: Mapping[str, Any], margin: float = 0.0
) -> list[str]:
    """What improved past the stored baseline by more than ``margin``: the baseline is raised in the same
    commit (``twschat eval --update-thresholds``), so a later drop back is caught."""
    current = baseline_of(report)
    better: list[str] = []
    for key in ("overall",):
        if current[key] > float(thresholds.get(key, 0)) + margin:
            better.append(f"{key} {current[key]:.4f} > {thresholds.get(key)}")
    for section in ("categories", "checks"):
        stored = thresholds.get(section) or {}
        for name, value in current[section].items():
            if name in stored and value > float(stored[name]) + margin:
                better.append(f"{section[:-1]} {name} {value:.4f} > {stored[name]}")
    for key in ("max_hallucinations", "max_unrequested_proposals", "max_fallbacks"):
        if key in thresholds and current[key] < int(thresholds[key]):
            better.append(f"{key.removeprefix('max_')} {current[key]} < {thresholds[key]}")
    return better


def write_thresholds(path: Path | str, responder: str, report: Mapping[str, Any]) -> None:
    """Store this run as ``responder``'s baseline in ``path`` (other responders' entries kept)."""
    target = Path(path)
    data = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    data[responder] = baseline_of(report)
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
