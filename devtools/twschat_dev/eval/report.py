"""The eval's report: figures over every run, the summary tables and the worst failures.

``overall`` is the share of turns scored correct over every run (a dialogue's end state counts in its
last turn); ``pass^k`` the share of dialogues whose every one of the k runs passed (τ-bench's
reliability figure: with k runs of each dialogue, C(c,k)/C(k,k) is 1 only when all c=k passed).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .scoring import DialogueScore, TurnScore

__all__ = ["CHECKS", "build_report", "format_report"]

CHECKS = (
    "answered",
    "read",
    "arguments",
    "facts",
    "forbidden",
    "grounded",
    "language",
    "confirmation",
    "unrequested_proposals",
    "end_state",
)
WORST = 10


def _share(good: int, total: int) -> float:
    return round(good / total, 4) if total else 0.0


def _figures(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(ordered), 2),
        "p50": round(ordered[len(ordered) // 2], 2),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max": round(ordered[-1], 2),
    }


def _group(runs: Iterable[DialogueScore]) -> dict[str, Any]:
    runs = list(runs)
    turns = [t for r in runs for t in r.turns]
    return {
        "overall": _share(sum(t.correct for t in turns), len(turns)),
        "turns": len(turns),
        "dialogues": len({r.id for r in runs}),
        "passed": _share(sum(r.passed for r in runs), len(runs)),
        "hallucinations": sum(len(t.hallucinated) for t in turns),
        "unrequested_proposals": sum(t.unrequested for t in turns),
    }


def _pass_k(results: Mapping[str, Sequence[DialogueScore]]) -> dict[str, Any]:
    k = min((len(v) for v in results.values()), default=0)
    per_dialogue = [sum(r.passed for r in runs) / len(runs) for runs in results.values() if runs]
    return {
        "k": k,
        "pass^1": round(statistics.fmean(per_dialogue), 4) if per_dialogue else 0.0,
        "pass^k": _share(sum(all(r.passed for r in runs) for runs in results.values()), len(results)),
    }


def _worst(runs: Iterable[DialogueScore]) -> list[dict[str, Any]]:
    failing: list[tuple[int, DialogueScore, int, TurnScore]] = []
    for run in runs:
        for index, turn in enumerate(run.turns):
            if not turn.correct:
                weight = len(turn.problems) + 3 * turn.unrequested + 2 * len(turn.hallucinated)
                failing.append((weight, run, index, turn))
    failing.sort(key=lambda item: -item[0])
    seen: set[tuple[str, int]] = set()
    out: list[dict[str, Any]] = []
    for _weight, run, index, turn in failing:
        if (run.id, index) in seen:
            continue
        seen.add((run.id, index))
        out.append(
            {
                "dialogue": run.id,
                "category": run.category,
                "turn": index + 1,
                "say": turn.say,
                "expected": turn.expected,
                "answer": turn.answer[:1200],
                "problems": turn.problems,
            }
        )
        if len(out) >= WORST:
            break
    return out


def build_report(
    results: Mapping[str, Sequence[DialogueScore]], *, responder: str, model: str = ""
) -> dict[str, Any]:
    """The JSON report (top level: ``overall``, ``categories``, ``hallucinations``,
    ``unrequested_proposals``, ``latency_ms``, ``time_to_first_delta_ms``, ``tokens``, ``cost``...)."""
    runs = [r for rs in results.values() for r in rs]
    turns = [t for r in runs for t in r.turns]
    by = {
        "categories": sorted({r.category for r in runs}),
        "tags": sorted({tag for r in runs for tag in r.tags}),
        "splits": sorted({r.split for r in runs}),
    }
    total_cost = sum(t.cost_micro_usd for t in turns) / 1_000_000
    firsts = [t.first_delta_ms for t in turns if t.first_delta_ms is not None]
    checks = {
        name: _share(
            sum(t.checks.get(name) is True for t in turns), sum(t.checks.get(name) is not None for t in turns)
        )
        for name in CHECKS
    }
    halluc = [f"{r.id}#{i + 1}: {h}" for r in runs for i, t in enumerate(r.turns) for h in t.hallucinated]
    return {
        "responder": responder,
        "model": model,
        "dialogues": len(results),
        "turns": len(turns),
        "overall": _share(sum(t.correct for t in turns), len(turns)),
        "dialogues_passed": _share(sum(r.passed for r in runs), len(runs)),
        "pass_k": _pass_k(results),
        "checks": checks,
        "categories": {c: _group(r for r in runs if r.category == c) for c in by["categories"]},
        "tags": {tag: _group(r for r in runs if tag in r.tags) for tag in by["tags"]},
        "splits": {s: _group(r for r in runs if r.split == s) for s in by["splits"]},
        "hallucinations": len(halluc),
        "hallucinated": halluc[:50],
        "unrequested_proposals": sum(t.unrequested for t in turns),
        "fallbacks": sum(t.fallback for t in turns),
        "latency_ms": _figures([t.latency_ms for t in turns]),
        "time_to_first_delta_ms": _figures(firsts),
        "tokens": {
            "input": sum(t.input_tokens for t in turns),
            "output": sum(t.output_tokens for t in turns),
        },
        "cost": {
            "total_usd": round(total_cost, 6),
            "per_1000_turns_usd": round(total_cost / len(turns) * 1000, 4) if turns else 0.0,
        },
        "worst": _worst(runs),
        "per_turn": [
            {
                "dialogue": r.id,
                "turn": i + 1,
                "correct": t.correct,
                "latency_ms": t.latency_ms,
                "first_delta_ms": t.first_delta_ms,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
                "cost_micro_usd": t.cost_micro_usd,
                "fallback": t.fallback,
            }
            for r in runs
            for i, t in enumerate(r.turns)
        ],
    }


def _row(name: str, group: Mapping[str, Any], width: int) -> str:
    return (
        f"{name:<{width}} {group['dialogues']:>5} {group['turns']:>6} {group['overall']:>8.1%} "
        f"{group['passed']:>8.1%} {group['hallucinations']:>7} {group['unrequested_proposals']:>7}"
    )


def format_report(report: Mapping[str, Any]) -> str:
    """The readable summary: headline figures, per check, per category and tag, the worst failures."""
    lines = [
        f"twschat eval — responder {report['responder']}"
        + (f" ({report['model']})" if report["model"] else ""),
        f"dialogues {report['dialogues']}, turns {report['turns']}: overall {report['overall']:.1%} of turns "
        f"correct, {report['dialogues_passed']:.1%} of dialogue runs passed, "
        f"pass^{report['pass_k']['k']} {report['pass_k']['pass^k']:.1%}",
        f"hallucinations {report['hallucinations']}, unrequested proposals {report['unrequested_proposals']}, "
        f"fallbacks {report['fallbacks']}",
        f"latency ms p50 {report['latency_ms']['p50']} p95 {report['latency_ms']['p95']}; first delta ms p50 "
        f"{report['time_to_first_delta_ms']['p50']}; tokens in {report['tokens']['input']} out "
        f"{report['tokens']['output']}; cost ${report['cost']['total_usd']:.4f} "
        f"(${report['cost']['per_1000_turns_usd']:.2f} per 1,000 turns)",
        "",
        "checks: " + ", ".join(f"{name} {share:.1%}" for name, share in report["checks"].items()),
    ]
    for section in ("categories", "tags"):
        groups: Mapping[str, Any] = report[section]
        width = max([len(section), *(len(n) for n in groups)])
        lines += [
            "",
            f"{section:<{width}} {'dlgs':>5} {'turns':>6} {'correct':>8} {'passed':>8} {'halluc':>7} {'unreq':>7}",
        ]
        lines += [_row(name, group, width) for name, group in groups.items()]
    lines += ["", f"worst failures ({len(report['worst'])}):"]
    for item in report["worst"]:
        answer = item["answer"].replace("\n", " / ")
        lines += [
            f"- {item['dialogue']} turn {item['turn']}: {item['say']!r}",
            f"    expected: {item['expected']}",
            f"    answer:   {answer[:300]}",
            f"    problems: {'; '.join(item['problems'])}",
        ]
    return "\n".join(lines)
