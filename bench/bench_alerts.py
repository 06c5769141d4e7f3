"""Alert watcher cost per cycle (issue 18): 1,000 subscriptions over 200 connections, 50 state changes.

    python bench/bench_alerts.py [--subscriptions 1000] [--connections 200] [--changes 50] [--cycles 20]
                                 [--post-ms 5] [--json]

The real :class:`~twschat.alerts.cycle.WatchCycle` over the SQLite alert store (a temporary file), a
plan of jobs that counts the TWS calls, a directory of connections in memory, and a poster that takes
``--post-ms`` per frame (a postToConnection's round trip). Reported per cycle: TWS calls (goal: at most
one per kind of target watched, whatever the subscribers), store reads (goal: proportional to the
changes, not the subscribers), the time from the state change being visible to the last alert posted
(goal < 2 s), and over ``--cycles`` cycles, each retried as after a crash before its snapshot write,
the alerts delivered twice to one connection (goal 0).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twschat.alerts.cycle import WatchCycle
from twschat.assistant.domain import Job, JobStream, Workstation
from twschat.core.subscriptions import Recipient, Subscription
from twschat.persistence.sqlite.alerts import SQLiteAlertStore
from twschat.persistence.sqlite.base import SQLiteDatabase

NOW = int(datetime(2026, 1, 5, 12, 0, tzinfo=UTC).timestamp())
JOBS = 400
STATES = ("EXEC", "SUCC", "ABEND")


class CountingPlan:
    """Jobs JOB001..JOB400 in one stream; counts the list calls the watcher makes."""

    def __init__(self) -> None:
        self.calls = 0
        self.jobs = {
            f"JOB{n:03d}": Job(
                id=f"WS;0AAA;JOB{n:03d}",
                job_id=f"JOB{n:03d}",
                name=f"Job {n}",
                status="EXEC",
                workstation="WS",
                job_stream="DAILY",
            )
            for n in range(1, JOBS + 1)
        }

    def set(self, job_id: str, status: str, at: int) -> None:
        # a new end time each cycle: the same transition later is another alert (as a rerun's would be)
        ended = datetime.fromtimestamp(at, UTC)
        self.jobs[job_id] = replace(self.jobs[job_id], status=status, end_time=ended)

    def list_jobs(self) -> Sequence[Job]:
        self.calls += 1
        return tuple(self.jobs.values())

    def list_workstations(self) -> Sequence[Workstation]:
        self.calls += 1
        return ()

    def list_job_streams(self) -> Sequence[JobStream]:
        self.calls += 1
        return ()

    def job_log(self, job: Job) -> str:
        return ""


class Directory:
    def __init__(self, owners: Mapping[str, list[tuple[str, str]]]) -> None:
        self.owners = owners

    def connections_of(self, owner: str, *, now: int) -> Recipient:
        return Recipient(owner, tuple(self.owners.get(owner, [])))

    def operators_connected(self, *, now: int) -> list[Recipient]:
        return []


class TimedSink:
    def __init__(self, post_seconds: float) -> None:
        self.post_seconds = post_seconds
        self.delivered: Counter[tuple[str, str]] = Counter()
        self.last_post = 0.0
        self._lock = threading.Lock()

    def post(self, connection_id: str, frame: Mapping[str, Any]) -> bool:
        time.sleep(self.post_seconds)
        with self._lock:
            self.delivered[(str(frame["alertId"]), connection_id)] += 1
            self.last_post = time.perf_counter()
        return True

    def store(
        self, owner: str, conversation_id: str, alert_id: str, text: str, context: Mapping[str, Any]
    ) -> None:
        return None


def build(
    args: argparse.Namespace, path: Path
) -> tuple[CountingPlan, SQLiteAlertStore, Directory, TimedSink]:
    plan, store = CountingPlan(), SQLiteAlertStore(SQLiteDatabase(path))
    owners = [f"user{i:03d}" for i in range(args.connections)]
    directory = Directory({o: [(f"conn-{o}", f"c-{o}")] for o in owners})
    for n in range(args.subscriptions):
        # each user's subscriptions on distinct jobs: every subscription alerts once per cycle
        owner = owners[n % len(owners)]
        target = f"JOB{(n % args.changes + n // len(owners)) % args.changes + 1:03d}"
        sub = Subscription(
            owner,
            f"s{n}",
            "job",
            target,
            "change",
            conversation_id="",
            created_at=NOW,
            expires_at=NOW + 86400,
        )
        store.add_subscription(sub, cap=0, now=NOW)
    return plan, store, directory, TimedSink(args.post_ms / 1000)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        plan, store, directory, sink = build(args, Path(tmp) / "alerts.db")
        watcher = WatchCycle(plan, store, directory, sink, clock=lambda: NOW, workers=16)  # type: ignore[arg-type]
        watcher.run()  # the baseline
        per_cycle: list[dict[str, float]] = []
        retried_alerts = 0
        for cycle in range(args.cycles):
            for n in range(1, args.changes + 1):
                plan.set(f"JOB{n:03d}", STATES[(cycle + 1) % len(STATES)], NOW + 60 * (cycle + 1))
            calls_before = plan.calls
            snapshot = store.get_snapshot()
            visible = time.perf_counter()
            report = watcher.run()
            elapsed = (sink.last_post - visible) if report.posted else 0.0
            per_cycle.append(
                {
                    "tws_calls": plan.calls - calls_before,
                    "store_reads": report.store_reads,
                    "alerts": report.alerts,
                    "posted": report.posted,
                    "seconds": elapsed,
                }
            )
            # the crash: the snapshot write lost, the cycle retried (it sees the same changes again)
            store.put_snapshot(snapshot.states, expected_version=store.get_snapshot().version)
            retried_alerts += watcher.run().alerts
        twice = sum(1 for n in sink.delivered.values() if n > 1)
    worst = max(c["seconds"] for c in per_cycle)
    return {
        "bench": "alerts",
        "subscriptions": args.subscriptions,
        "connections": args.connections,
        "changes": args.changes,
        "cycles": args.cycles,
        "tws_calls_per_cycle": max(c["tws_calls"] for c in per_cycle),
        "store_reads_per_cycle": max(c["store_reads"] for c in per_cycle),
        "alerts_per_cycle": per_cycle[0]["alerts"],
        "posted_per_cycle": per_cycle[0]["posted"],
        "change_to_last_post_s_max": round(worst, 3),
        "change_to_last_post_s_median": round(
            sorted(c["seconds"] for c in per_cycle)[len(per_cycle) // 2], 3
        ),
        "duplicates": twice + retried_alerts,
        "goal_seconds": 2.0,
    }


def table(s: Mapping[str, Any]) -> str:
    rows = [
        (
            "subscriptions / connections / changes per cycle",
            f"{s['subscriptions']} / {s['connections']} / {s['changes']}",
        ),
        ("TWS calls per cycle (goal: one per kind watched)", str(s["tws_calls_per_cycle"])),
        ("store reads per cycle (goal: ~ changes + 2)", str(s["store_reads_per_cycle"])),
        ("alerts claimed / frames posted per cycle", f"{s['alerts_per_cycle']} / {s['posted_per_cycle']}"),
        (
            "change visible -> last alert posted, median / max",
            f"{s['change_to_last_post_s_median']} s / {s['change_to_last_post_s_max']} s (goal < 2 s)",
        ),
        (f"duplicates over {s['cycles']} cycles, each retried", f"{s['duplicates']} (goal 0)"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--post-ms", type=float, default=5.0, help="time one post takes (default: 5)")
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)
    summary = run(args)
    print(table(summary))
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
