"""Time per message of the rule responder, TWS I/O excluded, beside the TWS calls it makes.

    python bench/bench_responder.py [--rounds N] [--json]

Engine: ``RuleResponder`` over a pre-fetched in-memory plan (no I/O at all), so the figure is the
rule engine alone (folding, matching, intent, formatting). TWS: the time the same message spends in
the ``DemoTwsClient`` calls it makes (the demo client is in-memory too; a real master adds network
round-trips of tens to hundreds of milliseconds per call). Utterances: the conversation suite's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "twschat"), str(ROOT / "tests" / "unit")]

from conversation_cases import EN_CASES, PT_CASES  # noqa: E402

from twschat.assistant.demo import DemoTwsClient  # noqa: E402
from twschat.assistant.domain import ActionResult, Job, JobAction, JobStream, Workstation  # noqa: E402
from twschat.assistant.responder import RuleResponder  # noqa: E402
from twschat.core.responder import ResponderRequest  # noqa: E402

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


class Prefetched:
    """The demo plan fetched once; every call is a plain attribute read."""

    def __init__(self) -> None:
        demo = DemoTwsClient(clock=lambda: NOW)
        self.jobs, self.ws, self.streams = demo.list_jobs(), demo.list_workstations(), demo.list_job_streams()
        self.logs = {j.id: demo.job_log(j) for j in self.jobs if j.start_time is not None}

    def list_workstations(self) -> Sequence[Workstation]:
        return self.ws

    def list_job_streams(self) -> Sequence[JobStream]:
        return self.streams

    def list_jobs(self) -> Sequence[Job]:
        return self.jobs

    def job_log(self, job: Job) -> str:
        return self.logs.get(job.id, "")

    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult:
        return ActionResult(action, job, True, "")


class Timed:
    """Wraps the demo client and adds up the time spent in its calls."""

    def __init__(self, inner: DemoTwsClient) -> None:
        self.inner = inner
        self.spent = 0.0
        self.calls = 0

    def _timed(self, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.spent += time.perf_counter() - start
            self.calls += 1

    def list_workstations(self) -> Sequence[Workstation]:
        return self._timed(self.inner.list_workstations)  # type: ignore[no-any-return]

    def list_job_streams(self) -> Sequence[JobStream]:
        return self._timed(self.inner.list_job_streams)  # type: ignore[no-any-return]

    def list_jobs(self) -> Sequence[Job]:
        return self._timed(self.inner.list_jobs)  # type: ignore[no-any-return]

    def job_log(self, job: Job) -> str:
        return self._timed(self.inner.job_log, job)  # type: ignore[no-any-return]

    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult:
        return self._timed(self.inner.act, action, job)  # type: ignore[no-any-return]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=30, help="timed passes over the utterances (default 30)"
    )
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args()

    cases = PT_CASES + EN_CASES
    engine = RuleResponder(Prefetched(), clock=lambda: NOW)
    timed = Timed(DemoTwsClient(clock=lambda: NOW))
    with_demo = RuleResponder(timed, clock=lambda: NOW)

    def request(text: str) -> ResponderRequest:
        return ResponderRequest(agent="tws", message=text)

    for case in cases:  # warm-up: caches filled as in a warm Lambda
        engine.respond(request(case.text))
        with_demo.respond(request(case.text))

    eng: dict[str, list[float]] = defaultdict(list)
    tws: dict[str, list[float]] = defaultdict(list)
    calls: dict[str, list[int]] = defaultdict(list)
    for _ in range(args.rounds):
        for case in cases:
            req = request(case.text)
            start = time.perf_counter()
            engine.respond(req)
            eng[case.intent].append(time.perf_counter() - start)
            timed.spent, timed.calls = 0.0, 0
            with_demo.respond(req)
            tws[case.intent].append(timed.spent)
            calls[case.intent].append(timed.calls)

    def row(name: str, e: list[float], t: list[float], c: list[int]) -> str:
        em, ep, tm, tp = median(e) * 1e6, pct(e, 0.95) * 1e6, median(t) * 1e6, pct(t, 0.95) * 1e6
        ratio = f"{em / tm:6.1f}x" if tm > 0 else "     -"
        return (
            f"{name:22} {len(e) // args.rounds:>4} {em:>9.1f} {ep:>9.1f} {sum(c) / len(c):>6.1f} "
            f"{tm:>9.1f} {tp:>9.1f} {ratio:>8}"
        )

    header = (
        f"{'intent':22} {'msgs':>4} {'eng p50':>9} {'eng p95':>9} {'calls':>6} {'tws p50':>9} {'tws p95':>9} "
        f"{'eng/tws':>8}"
    )
    print(f"rule engine vs demo TWS calls, µs per message ({len(cases)} utterances x {args.rounds} rounds)")
    print(header)
    print("-" * len(header))
    for intent in sorted(eng):
        print(row(intent, eng[intent], tws[intent], calls[intent]))
    print("-" * len(header))
    all_e = [x for v in eng.values() for x in v]
    all_t = [x for v in tws.values() for x in v]
    all_c = [x for v in calls.values() for x in v]
    print(row("ALL", all_e, all_t, all_c))
    print(
        f"\nrule engine median {median(all_e) * 1e6:.1f} µs, p95 {pct(all_e, 0.95) * 1e6:.1f} µs "
        f"(target: well under 1000 µs); demo TWS calls median {median(all_t) * 1e6:.1f} µs per message."
    )
    if args.json:
        summary = {
            "bench": "responder",
            "utterances": len(cases),
            "rounds": args.rounds,
            "engine_us_p50": round(median(all_e) * 1e6, 1),
            "engine_us_p95": round(pct(all_e, 0.95) * 1e6, 1),
            "tws_us_p50": round(median(all_t) * 1e6, 1),
            "target_us": 1000,
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
