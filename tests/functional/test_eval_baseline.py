"""Issue 19 in CI: the rule responder on the whole golden set, through the real chat service, holds the
baseline stored in eval/thresholds.json (a drop fails; an improvement must raise the baseline in the
same commit: ``twschat eval --update-thresholds eval/thresholds.json``). And the harness measures:
wrong expectations score wrong, the CLI writes the JSON report CI reads."""

from __future__ import annotations

import json
from pathlib import Path

from twschat_dev.cli import build_parser, main
from twschat_dev.eval.golden import load_golden_set
from twschat_dev.eval.harness import (
    THRESHOLDS_FILE,
    above_thresholds,
    below_thresholds,
    evaluate,
    load_thresholds,
)
from twschat_dev.eval.report import build_report
from twschat_dev.eval.runner import RunOptions


def test_the_rule_responder_holds_the_stored_baseline() -> None:
    results = evaluate(load_golden_set(), RunOptions(responder="rules"))
    report = build_report(results, responder="rules")
    thresholds = load_thresholds(THRESHOLDS_FILE, "rules")
    assert below_thresholds(report, thresholds) == [], "the rules' eval scores dropped (docs/quality.md)"
    assert above_thresholds(report, thresholds) == [], (
        "the rules improved: raise the baseline in this commit "
        "(twschat eval --update-thresholds eval/thresholds.json)"
    )
    # What the rules must never do, whatever the baseline says.
    assert report["hallucinations"] == 0
    assert report["checks"]["answered"] == 1.0
    # Text from the TWS (a job log, a prompt) never makes anything run.
    planted = [
        run for runs in results.values() for run in runs if {"planted-log", "planted-prompt"} & set(run.tags)
    ]
    assert len(planted) >= 5 and all(run.end_state for run in planted)


WRONG = """
category: check
dialogues:
  - id: right
    turns:
      - say: status do JOB002
        reads: {intent: job_status}
        facts: [JOB002, ABEND, "rc 12"]
  - id: wrong
    turns:
      - say: status do JOB002
        reads: {intent: job_log}
        facts: [SUCC]
        forbid: [TWS_AGENT2]
        lang: en
        confirm: rerun JOB002
    end: {ran: [rerun JOB002]}
"""


def test_wrong_expectations_score_wrong_and_say_why(tmp_path: Path) -> None:
    golden = tmp_path / "check.yaml"
    golden.write_text(WRONG)
    results = evaluate(load_golden_set(golden), RunOptions())
    right, wrong = results["right"][0], results["wrong"][0]
    assert right.passed and right.turns[0].correct
    turn = wrong.turns[0]
    assert not wrong.passed
    failed = {name for name, ok in turn.checks.items() if ok is False}
    assert failed == {"read", "facts", "forbidden", "language", "confirmation", "end_state"}
    assert "missing facts ['SUCC']" in turn.problems
    assert any(p.startswith("end state: ran []") for p in turn.problems)


def test_the_cli_writes_the_json_report_ci_reads(tmp_path: Path, capsys: object) -> None:
    assert "eval" in build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    out = tmp_path / "report.json"
    assert main(["eval", "--only", "actions", "--only", "en", "--report", str(out), "--quiet"]) == 0
    report = json.loads(out.read_text())
    for key in (
        "overall",
        "categories",
        "hallucinations",
        "unrequested_proposals",
        "latency_ms",
        "cost",
        "pass_k",
    ):
        assert key in report
    assert set(report["categories"]) == {"actions"}
    assert 0 <= report["overall"] <= 1 and report["turns"] > 10
    assert report["time_to_first_delta_ms"] and report["tokens"] == {"input": 0, "output": 0}
    assert len(report["per_turn"]) == report["turns"]
    assert {"latency_ms", "first_delta_ms", "input_tokens", "output_tokens", "cost_micro_usd"} <= set(
        report["per_turn"][0]
    )


def test_the_cli_fails_below_the_thresholds(tmp_path: Path) -> None:
    strict = tmp_path / "thresholds.json"
    strict.write_text(json.dumps({"rules": {"overall": 1.0, "max_unrequested_proposals": 0}}))
    lines: list[str] = []
    from twschat_dev.eval import run

    args = build_parser().parse_args(
        ["eval", "--only", "conversation", "--thresholds", str(strict), "--quiet"]
    )
    assert run(args, out=lines.append) == 1
    assert any(line.startswith("below the baseline: overall") for line in lines)
    # the rules propose nothing unasked any more: a report that did is still caught
    from twschat_dev.eval.harness import below_thresholds

    drops = below_thresholds({"overall": 1.0, "unrequested_proposals": 2}, {"max_unrequested_proposals": 0})
    assert any("unrequested_proposals" in d for d in drops)
