"""Cold-start import time of every Lambda handler, measured in fresh interpreters.

Each handler module (``functions/*/app.py``) is imported in a new ``python`` process, as a Lambda
init does, several times; the table shows the median and worst import time side by side with a bare
interpreter start and with the heaviest shared imports alone, so regressions show as ratios.

    python bench/bench_cold_start.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LOAD = """
import importlib.util, sys, time
start = time.perf_counter()
{body}
print((time.perf_counter() - start) * 1000)
"""
HANDLER = """
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def measure(body: str, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD.format(body=body)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)
    # As in Lambda: tracing on (the X-Ray SDK loads), a region, no credentials needed for imports.
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    rows: list[tuple[str, list[float]]] = [
        ("(baseline) pydantic", measure("import pydantic", args.runs, env)),
        ("(baseline) boto3", measure("import boto3", args.runs, env)),
        (
            "(baseline) powertools Logger+Metrics+Tracer",
            measure("from aws_lambda_powertools import Logger, Metrics, Tracer; Tracer()", args.runs, env),
        ),
    ]
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        rows.append((f"functions/{app.parent.name}", measure(HANDLER.format(path=str(app)), args.runs, env)))
    reference = statistics.median(rows[0][1])
    print(
        f"Handler import time in a fresh interpreter ({args.runs} runs each; Python {sys.version.split()[0]})\n"
    )
    print(f"{'module':46} {'median ms':>10} {'max ms':>8} {'x pydantic':>11}")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:46} {median:>10.0f} {max(times):>8.0f} {median / reference:>11.1f}")
    if args.json:
        summary = {
            name: {
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "x_pydantic": round(statistics.median(times) / reference, 2),
            }
            for name, times in rows
        }
        print(json.dumps({"bench": "cold_start", "runs": args.runs, "modules": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
