"""Cold start of every Lambda handler, measured in fresh interpreters, as ratios to `import boto3`.

Each handler module (``functions/*/app.py``) is imported in a new ``python`` process, as a Lambda
init does, several times. The reference is a bare ``import boto3``: every function that talks to
AWS pays it on its first call (the handlers import it lazily). Goal: the ``$default`` handler's
import at most 1.3x ``import boto3``, with the template's default ``Tracing=lambda`` (Lambda's
own active tracing; Powertools' Tracer, which loads the X-Ray SDK, only with ``Tracing=powertools``,
shown on its own row).

The first invocation is measured too: a fresh interpreter imports the ``$default`` handler and
answers one turn ("qual job esta em abend?") end to end — the connection update, the two puts and
the Query against DynamoDB Local (the embedded SQLite store when DynamoDB Local is not installed),
the rule responder on the demo plan, and the post to a loopback connections API — against the same
``import boto3`` baseline.

    python bench/bench_cold_start.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_APP = ROOT / "functions" / "default" / "app.py"
GOAL = 1.3

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
FIRST_TURN = (
    HANDLER
    + """
import json
event = json.loads(open({event!r}).read())
event["body"] = "qual job esta em abend?"
event["requestContext"]["requestTimeEpoch"] = int(time.time() * 1000)
event["requestContext"]["messageId"] = "bench-" + str(time.time_ns())
event["requestContext"]["connectionId"] = {connection!r}


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self):
        return 29000


result = module.lambda_handler(event, Context())
assert result["body"] == "answered", result
"""
)


def measure(body: str, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD.format(body=body)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"measurement failed:\n{out.stderr[-3000:]}")
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


class _Connections(BaseHTTPRequestHandler):
    """A connections API that accepts every post (the first turn's reply)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def first_turn_world(env: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    """Environment for one ``$default`` turn: a store holding a live connection, a connections API."""
    from twschat.core.conversation import ConnectionRecord

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Connections)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    turn_env = {
        **env,
        "CONNECTIONS_API_URL": f"http://127.0.0.1:{server.server_address[1]}/bench",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AUTH_MODE": "none",
        "TWS_MODE": "demo",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    }
    import time

    now = int(time.time())
    record = ConnectionRecord(
        "bench-conn", "tws-general", "c-bench-0000000001", "anonymous", now, now, now + 3600
    )
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        endpoint = _dynamodb_local(stack)
        if endpoint:
            from twschat.persistence.dynamodb import dynamodb_stores
            from twschat.persistence.tables import ensure_tables

            tables = {
                "connections_table": "bench-conn",
                "history_table": "bench-hist",
                "audit_table": "bench-audit",
            }
            os.environ.update({k: turn_env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
            ensure_tables(endpoint_url=endpoint, region="us-east-1", **tables)
            import boto3

            client = boto3.session.Session().client(
                "dynamodb", endpoint_url=endpoint, region_name="us-east-1"
            )
            dynamodb_stores("bench-conn", "bench-hist", client=client).connections.save_connection(record)
            turn_env.update(
                STORE_BACKEND="dynamodb",
                AWS_ENDPOINT_URL_DYNAMODB=endpoint,
                CONNECTIONS_TABLE="bench-conn",
                HISTORY_TABLE="bench-hist",
                AUDIT_TABLE="bench-audit",
            )
            store_name = "DynamoDB Local"
        else:
            from twschat.persistence.sqlite import sqlite_stores

            path = str(Path(tmp) / "bench.db")
            sqlite_stores(path).connections.save_connection(record)
            turn_env.update(STORE_BACKEND="sqlite", SQLITE_PATH=path)
            store_name = "SQLite (DynamoDB Local not installed)"
        try:
            yield turn_env, store_name
        finally:
            server.shutdown()


def _dynamodb_local(stack: contextlib.ExitStack) -> str | None:
    try:
        from twschat_dev.dynamodb_local import DynamoDBLocalUnavailable, running
    except ImportError:
        return None
    try:
        return stack.enter_context(running(ROOT / ".cache" / "dynamodb-local", timeout=60))
    except DynamoDBLocalUnavailable:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)
    # As in Lambda with the template's default Tracing=lambda: Powertools' Tracer stays unloaded.
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    sdk_traced = {**env, "POWERTOOLS_TRACE_DISABLED": "false"}
    rows: list[tuple[str, list[float]]] = [
        ("(reference) import boto3", measure("import boto3", args.runs, env)),
        ("(for scale) import pydantic", measure("import pydantic", args.runs, env)),
        (
            "(for scale) powertools Logger+Metrics",
            measure("from aws_lambda_powertools import Logger, Metrics", args.runs, env),
        ),
        (
            "(for scale) powertools Tracer()",
            measure("from aws_lambda_powertools import Tracer; Tracer()", args.runs, sdk_traced),
        ),
    ]
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        rows.append((f"functions/{app.parent.name}", measure(HANDLER.format(path=str(app)), args.runs, env)))
    rows.append(
        (
            "functions/default, Tracing=powertools",
            measure(HANDLER.format(path=str(DEFAULT_APP)), args.runs, sdk_traced),
        )
    )
    with first_turn_world(env) as (turn_env, store_name):
        first = measure(
            FIRST_TURN.format(
                path=str(DEFAULT_APP),
                event=str(ROOT / "events" / "default_text.json"),
                connection="bench-conn",
            ),
            args.runs,
            turn_env,
        )
    rows.append(("functions/default: import + first turn", first))

    reference = statistics.median(rows[0][1])
    print(f"Cold start in a fresh interpreter ({args.runs} runs each; Python {sys.version.split()[0]})")
    print(f"first turn's store: {store_name}\n")
    print(f"{'what':46} {'median ms':>10} {'max ms':>8} {'x boto3':>8}")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:46} {median:>10.0f} {max(times):>8.0f} {median / reference:>8.2f}")
    default_ratio = statistics.median(dict(rows)["functions/default"]) / reference
    verdict = "met" if default_ratio <= GOAL else "NOT met"
    print(f"\n$default import: {default_ratio:.2f}x import boto3 (goal <= {GOAL}x: {verdict})")
    print(f"$default import + first turn: {statistics.median(first) / reference:.2f}x import boto3")
    if args.json:
        summary = {
            name: {
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "x_boto3": round(statistics.median(times) / reference, 2),
            }
            for name, times in rows
        }
        print(
            json.dumps(
                {
                    "bench": "cold_start",
                    "runs": args.runs,
                    "goal_x_boto3": GOAL,
                    "default_x_boto3": round(default_ratio, 2),
                    "first_turn_store": store_name,
                    "modules": summary,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
