"""Time per call of the TWS REST client against the fake TWS server (loopback HTTP), beside the
in-memory demo client, and — when the rule engine is there — one chat turn through each.

    python bench/bench_tws_rest.py [--calls 200] [--page-size 500] [--json]

Loopback HTTP with a new connection per call (as the client does): this is the client's own overhead
(HTTP framing, JSON parsing, paging), not a real master's latency, which adds network RTT, TLS and
the engine's query time on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from twschat.adapters.tws_rest import RestTwsClient, TwsCredentials
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.tws import TwsClient
from twschat_dev.fake_tws import FakeTwsServer


def timings(fn: Callable[[], Any], calls: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1_000_000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def cases(tws: TwsClient) -> dict[str, Callable[[], Any]]:
    job = next(j for j in tws.list_jobs() if j.job_id == "JOB002")
    out: dict[str, Callable[[], Any]] = {
        "list_jobs": tws.list_jobs,
        "list_workstations": tws.list_workstations,
        "list_job_streams": tws.list_job_streams,
        "job_log(JOB002)": lambda: tws.job_log(job),
    }
    try:
        from twschat.assistant.responder import RuleResponder
        from twschat.core.responder import ResponderRequest
    except ImportError:
        return out
    responder = RuleResponder(tws)
    for message in ("qual job esta em abend?", "quais workstations estão offline?"):
        request = ResponderRequest(agent="tws-general", message=message)
        out[f"turn: {message}"] = lambda request=request: responder.respond(request)  # type: ignore[misc]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args()

    with FakeTwsServer(username="bench", password="bench") as server:
        rest = RestTwsClient(
            server.url, credentials=TwsCredentials("bench", "bench"), page_size=args.page_size
        )
        demo = DemoTwsClient()
        rest_cases, demo_cases = cases(rest), cases(demo)
        print(f"{args.calls} calls each; µs per call (median / p95); REST = loopback HTTP to the fake TWS")
        print(f"{'call':<42} {'demo (in memory)':>17} {'REST client':>17} {'ratio':>7}")
        summary: dict[str, dict[str, float]] = {}
        for name, fn in rest_cases.items():
            d = timings(demo_cases[name], args.calls)
            r = timings(fn, args.calls)
            dm, rm = statistics.median(d), statistics.median(r)
            print(
                f"{name:<42} {dm:>8.1f} / {p95(d):>6.1f} {rm:>8.0f} / {p95(r):>6.0f} "
                f"{rm / dm if dm else float('inf'):>6.0f}x"
            )
            summary[name] = {"demo_us_p50": round(dm, 1), "rest_us_p50": round(rm, 1)}
        print(f"HTTP requests served by the fake: {server.count()}")
        if args.json:
            print(json.dumps({"bench": "tws_rest", "calls": args.calls, "per_call": summary}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
