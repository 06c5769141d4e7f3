"""Running the golden set: every selected dialogue, ``repeat`` times, scored; thresholds checked."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .golden import Dialogue
from .runner import RunOptions, run_dialogue
from .scoring import DialogueScore, score_run

__all__ = ["THRESHOLDS_FILE", "below_thresholds", "evaluate"]

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
