"""What the chat plumbing adds to a ``$default`` turn over the bare calls the turn must make.

    python bench/bench_turn_overhead.py [--turns 300] [--warmup 30] [--responder echo|rule]
                                        [--endpoint http://127.0.0.1:8000] [--json]

One turn is ``ChatService.handle_message`` through the real DynamoDB stores (DynamoDB Local)
and the real ``ApiGatewayPoster`` (boto3 ``post_to_connection`` to the local gateway's connections
API, ``twschat_dev.connections_api.LocalApiServer``, on loopback). The bare calls are the five
requests that turn cannot do without, made directly with the same boto3 clients and items of the
same size: the connection update (``update_item``), the user message put (``put_item`` with the
``attribute_not_exists`` condition), the history window (``Query``, newest first, ``Limit`` =
window), the reply put, and the post. Turns and bare rounds alternate, so drift in DynamoDB Local
hits both alike. The responder's own time is measured inside each turn and taken out, so the ratio
is about the chat plumbing (parsing, item conversion, frames, the store's accounting), not the
rule engine; the default responder is an echo-like one that returns a fixed ~500-character reply
(``--responder rule`` runs the rule responder over the demo plan, as ``TWS_MODE=demo`` does), and
the rule responder is timed on its own below the table either way. Goal: turn / bare <= 1.3x.

Without --endpoint it starts DynamoDB Local from .cache/dynamodb-local (bash .ci/dynamodb-local.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "twschat"))

from twschat.adapters.connections import ApiGatewayPoster  # noqa: E402
from twschat.assistant.demo import DemoTwsClient  # noqa: E402
from twschat.assistant.responder import RuleResponder  # noqa: E402
from twschat.chat import ChatService  # noqa: E402
from twschat.config import Settings  # noqa: E402
from twschat.core.responder import Reply, Responder, ResponderRequest  # noqa: E402
from twschat.persistence.dynamodb import dynamodb_stores  # noqa: E402
from twschat.persistence.tables import ensure_tables  # noqa: E402
from twschat_dev import dynamodb_local  # noqa: E402
from twschat_dev.connections_api import ConnectionInfo, LocalApiServer  # noqa: E402

GOAL = 1.3
STAGE = "local"
USER_TEXT = "qual job esta em abend no TWS_AGENT2 agora? preciso saber antes da janela batch"
REPLY_TEXT = (
    "Jobs em ABEND (1):\n- Data Processing (JOB002) em TWS_AGENT2, stream ETL_DAILY, terminou 02:14 com RC=12\n"
    'Sugestão: veja o log ("log do JOB002"), confira as dependências e a workstation TWS_AGENT2, que está '
    'OFFLINE; depois peça o rerun ("reroda o JOB002").\n'
) * 2  # ~500 chars, a typical operator reply (as in bench_history.py)
# The calls a turn is made of, in the order it makes them; anything else a turn calls shows up too.
BARE_CALLS = ("update_item", "put_item", "query", "put_item#2", "post_to_connection")
TIMED = frozenset({"update_item", "put_item", "query", "get_item", "delete_item", "post_to_connection"})


# ---------------------------------------------------------------------------------------- helpers


class CallTimer:
    """Wraps a boto3 client and records how long each request took (the same wrapper on both
    sides, so the ratio does not count it). ``exceptions`` and everything else pass through."""

    def __init__(self, inner: Any, log: list[tuple[str, float]]) -> None:
        self._inner = inner
        self._log = log
        self._wrapped: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in TIMED:
            return attr
        wrapped = self._wrapped.get(name)
        if wrapped is None:

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return attr(*args, **kwargs)
                finally:
                    self._log.append((name, time.perf_counter() - started))

            self._wrapped[name] = wrapped
        return wrapped


class PostSink:
    """The gateway side of ``@connections``: accepts posts to the ids it knows, keeps the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.known: set[str] = set()
        self.posts: dict[str, int] = {}
        self.last: dict[str, bytes] = {}

    def post(self, connection_id: str, data: bytes) -> bool:
        with self._lock:
            if connection_id not in self.known:
                return False
            self.posts[connection_id] = self.posts.get(connection_id, 0) + 1
            self.last[connection_id] = data
        return True

    def describe(self, connection_id: str) -> ConnectionInfo | None:
        now = time.time()
        return ConnectionInfo(now, now, "127.0.0.1", "bench") if connection_id in self.known else None

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            if connection_id not in self.known:
                return False
            self.known.discard(connection_id)
        return True


class NoFunctions:
    """The Lambda Invoke half of the local API server: not used by a turn."""

    def resolve(self, name: str) -> str | None:
        return None

    def invoke(self, logical_id: str, event: Any, *, asynchronous: bool = False) -> Any:
        raise RuntimeError("no functions in this benchmark")

    def invoke_async(self, logical_id: str, event: Any) -> None:
        raise RuntimeError("no functions in this benchmark")


class EchoResponder:
    """Echo-like: a fixed operator-sized reply naming the message; no TWS, no rules."""

    def respond(self, request: ResponderRequest) -> Reply:
        return Reply(
            text=f"{REPLY_TEXT}(re: {request.message[:40]})",
            intent="jobs_abend",
            context={"jobs": ["JOB002"]},
        )


class TimedResponder:
    """Times the responder inside the turn, so its share can be taken out of the turn's time."""

    def __init__(self, inner: Responder) -> None:
        self.inner = inner
        self.last = 0.0

    def respond(self, request: ResponderRequest) -> Reply:
        started = time.perf_counter()
        try:
            return self.inner.respond(request)
        finally:
            self.last = time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


@contextlib.contextmanager
def endpoint(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with dynamodb_local.running(ROOT / ".cache" / "dynamodb-local") as started:
        yield started


# ---------------------------------------------------------------------------------------- the run


@dataclasses.dataclass
class Results:
    turn_ms: list[float] = dataclasses.field(default_factory=list)
    responder_ms: list[float] = dataclasses.field(default_factory=list)
    plumbing_ms: list[float] = dataclasses.field(default_factory=list)
    bare_ms: list[float] = dataclasses.field(default_factory=list)
    turn_calls: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    bare_calls: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    turn_outside_ms: list[float] = dataclasses.field(default_factory=list)
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)


def _by_call(log: list[tuple[str, float]]) -> dict[str, float]:
    """Per-call ms of one round; a second call of the same kind is ``name#2``."""
    out: dict[str, float] = {}
    for name, seconds in log:
        key, n = name, 1
        while key in out:
            n += 1
            key = f"{name}#{n}"
        out[key] = seconds * 1000
    return out


def run(args: argparse.Namespace, url: str) -> tuple[Results, int]:
    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    # The adapters' own production settings (standard retries, short timeouts), on both sides.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    log: list[tuple[str, float]] = []
    raw_ddb = session.client("dynamodb", endpoint_url=url, config=config)
    ensure_tables(connections_table="bench-connections", history_table="bench-history", client=raw_ddb)
    ddb = CallTimer(raw_ddb, log)

    sink = PostSink()
    api = LocalApiServer(sink, NoFunctions(), stage=STAGE, port=0)
    api.start()
    try:
        raw_api = session.client(
            "apigatewaymanagementapi", endpoint_url=f"http://127.0.0.1:{api.port}/{STAGE}", config=config
        )
        # The timing wrappers stand in for the typed boto3 clients (same methods, same exceptions).
        poster = ApiGatewayPoster(
            f"http://127.0.0.1:{api.port}/{STAGE}", client=cast(Any, CallTimer(raw_api, log))
        )
        store = dynamodb_stores("bench-connections", "bench-history", client=cast(Any, ddb))
        # No rate limit in the way of a tight loop; everything else as deployed.
        settings = dataclasses.replace(Settings(), rate_limit_per_minute=10**9)
        inner: Responder = (
            EchoResponder()
            if args.responder == "echo"
            else RuleResponder(DemoTwsClient(), tz=settings.time_zone)
        )
        responder = TimedResponder(inner)
        service = ChatService(settings, store, responder)
        for cid in ("bench-turn", "bench-bare"):
            sink.known.add(cid)
            outcome = service.connect(
                connection_id=cid, query={"agent": "tws-general"}, domain_name="127.0.0.1", stage=STAGE
            )
            if outcome.status_code != 200:
                raise RuntimeError(f"$connect refused: {outcome.status_code} {outcome.reason}")
        body = json.dumps({"message": USER_TEXT}, ensure_ascii=False)

        def turn(i: int) -> tuple[float, float, dict[str, float], str]:
            log.clear()
            started = time.perf_counter()
            outcome = service.handle_message(
                connection_id="bench-turn",
                message_id=f"t{i:06d}{uuid.uuid4().hex[:8]}",
                request_time_ms=int(time.time() * 1000),
                body=body,
                is_base64=False,
                poster=poster,
            )
            elapsed = time.perf_counter() - started
            return elapsed * 1000, responder.last * 1000, _by_call(log), outcome.status

        # One turn first: its stored items and posted frame are the bare calls' payloads, so both
        # sides move the same bytes.
        turn(0)
        scanned = raw_ddb.scan(TableName="bench-history").get("Items", [])
        user_item = next(i for i in scanned if i.get("role", {}).get("S") == "user")
        reply_item = next(i for i in scanned if i.get("role", {}).get("S") == "agent")
        frame = sink.last["bench-turn"]
        bare_post = CallTimer(raw_api, log)
        bare_conv = {"S": "bench#bare-conversation"}

        def bare(i: int) -> tuple[float, dict[str, float]]:
            log.clear()
            now = int(time.time())
            key = f"{int(time.time() * 1000):013d}#b{i:06d}{uuid.uuid4().hex[:8]}#"
            started = time.perf_counter()
            ddb.update_item(
                TableName="bench-connections",
                Key={"connectionId": {"S": "bench-bare"}},
                UpdateExpression="SET expiresAt = :exp ADD rateCount :one",
                ConditionExpression="attribute_exists(connectionId)",
                ExpressionAttributeValues={":exp": {"N": str(now + 3600)}, ":one": {"N": "1"}},
                ReturnValues="ALL_NEW",
                ReturnConsumedCapacity="TOTAL",
            )
            ddb.put_item(
                TableName="bench-history",
                Item={**user_item, "conversationKey": bare_conv, "messageKey": {"S": key + "0"}},
                ConditionExpression="attribute_not_exists(messageKey)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
            ddb.query(
                TableName="bench-history",
                KeyConditionExpression="conversationKey = :ck",
                ExpressionAttributeValues={":ck": bare_conv},
                ScanIndexForward=False,
                Limit=settings.history_window,
                ConsistentRead=True,
                ReturnConsumedCapacity="TOTAL",
            )
            ddb.put_item(
                TableName="bench-history",
                Item={**reply_item, "conversationKey": bare_conv, "messageKey": {"S": key + "1"}},
                ConditionExpression="attribute_not_exists(messageKey)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
            bare_post.post_to_connection(ConnectionId="bench-bare", Data=frame)
            return (time.perf_counter() - started) * 1000, _by_call(log)

        results = Results()
        deadline = time.monotonic() + args.max_seconds
        done = 0
        for i in range(1, args.warmup + args.turns + 1):
            if time.monotonic() > deadline:
                print(
                    f"stopped at the {args.max_seconds:.0f} s bound after {done} timed turns", file=sys.stderr
                )
                break
            # Alternate which side goes first, so neither always follows the other's writes.
            if i % 2:
                t_ms, r_ms, t_calls, status = turn(i)
                b_ms, b_calls = bare(i)
            else:
                b_ms, b_calls = bare(i)
                t_ms, r_ms, t_calls, status = turn(i)
            if i <= args.warmup:
                continue
            done += 1
            results.statuses[status] = results.statuses.get(status, 0) + 1
            results.turn_ms.append(t_ms)
            results.responder_ms.append(r_ms)
            results.plumbing_ms.append(t_ms - r_ms)
            results.bare_ms.append(b_ms)
            results.turn_outside_ms.append(t_ms - r_ms - sum(t_calls.values()))
            for name, ms in t_calls.items():
                results.turn_calls.setdefault(name, []).append(ms)
            for name, ms in b_calls.items():
                results.bare_calls.setdefault(name, []).append(ms)
        posted = sink.posts.get("bench-turn", 0) - 1  # minus the first, untimed turn
        return results, posted - args.warmup
    finally:
        api.stop()


def time_rule_responder(rounds: int) -> list[float]:
    """The rule responder alone over the demo plan (TWS_MODE=demo), same utterance, µs."""
    responder = RuleResponder(DemoTwsClient(), tz=Settings().time_zone)
    request = ResponderRequest(agent="tws-general", message=USER_TEXT)
    for _ in range(20):
        responder.respond(request)
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        responder.respond(request)
        out.append((time.perf_counter() - started) * 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="timed turns (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed turns first (default %(default)s)")
    parser.add_argument("--responder", choices=("echo", "rule"), default="echo")
    parser.add_argument("--endpoint", help="a running DynamoDB Local (default: start one)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="bound on the timed loop")
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)

    with endpoint(args.endpoint) as url:
        res, posted = run(args, url)
    n = len(res.turn_ms)
    if n == 0:
        print("no timed turns", file=sys.stderr)
        return 1
    rule_us = time_rule_responder(max(200, args.turns))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    ratio_p50 = med(res.plumbing_ms) / med(res.bare_ms)
    ratio_p95 = pct(res.plumbing_ms, 0.95) / pct(res.bare_ms, 0.95)
    print(
        f"$default turn (ChatService.handle_message, DynamoDB Local + ApiGatewayPoster to a loopback "
        f"connections API) vs the bare calls it makes; {n} turns after {args.warmup} warm-up; "
        f"responder: {args.responder}; window {Settings().history_window}\n"
    )
    head = f"{'per turn, ms':44} {'median':>8} {'p95':>8}"
    print(head)
    print("-" * len(head))
    rows = [
        ("bare calls (update, put, query, put, post)", res.bare_ms),
        ("turn, whole", res.turn_ms),
        ("  of which responder", res.responder_ms),
        ("turn without the responder", res.plumbing_ms),
        ("  of which outside the five calls", res.turn_outside_ms),
    ]
    for name, values in rows:
        print(f"{name:44} {med(values):>8.2f} {pct(values, 0.95):>8.2f}")
    print("-" * len(head))
    print(
        f"{'ratio: turn without responder / bare':44} {ratio_p50:>7.2f}x {ratio_p95:>7.2f}x   (goal <= {GOAL}x)"
    )
    print()
    print(f"{'call, median ms (p95)':24} {'bare':>16} {'in the turn':>16}")
    for name in sorted(set(res.bare_calls) | set(res.turn_calls), key=_call_order):
        b, t = res.bare_calls.get(name), res.turn_calls.get(name)
        cells = [f"{med(v):>7.2f} ({pct(v, 0.95):>6.2f})" if v else f"{'-':>16}" for v in (b, t)]
        extra = f"  [{len(t)}/{n} turns]" if t and len(t) != n else ""
        print(f"{name:24} {cells[0]:>16} {cells[1]:>16}{extra}")
    print()
    print(
        f"rule responder alone (demo plan, same utterance): median {med(rule_us):.0f} µs, "
        f"p95 {pct(rule_us, 0.95):.0f} µs over {len(rule_us)} calls"
    )
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(res.statuses.items()))
    print(f"turn outcomes: {statuses}; replies posted for timed turns: {posted}/{n}")
    verdict = "met" if ratio_p50 <= GOAL else "NOT met"
    print(f"turn-overhead ratio (median): {ratio_p50:.2f}x, goal <= {GOAL}x {verdict}")
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "turn_overhead",
                    "turns": n,
                    "responder": args.responder,
                    "bare_ms_p50": round(med(res.bare_ms), 3),
                    "bare_ms_p95": round(pct(res.bare_ms, 0.95), 3),
                    "turn_ms_p50": round(med(res.turn_ms), 3),
                    "turn_ms_p95": round(pct(res.turn_ms, 0.95), 3),
                    "responder_ms_p50": round(med(res.responder_ms), 3),
                    "plumbing_ms_p50": round(med(res.plumbing_ms), 3),
                    "plumbing_ms_p95": round(pct(res.plumbing_ms, 0.95), 3),
                    "ratio_p50": round(ratio_p50, 3),
                    "ratio_p95": round(ratio_p95, 3),
                    "goal": GOAL,
                    "goal_met": ratio_p50 <= GOAL,
                    "statuses": res.statuses,
                    "replies_posted": posted,
                    "rule_responder_us_p50": round(med(rule_us), 1),
                }
            )
        )
    return 0


def _call_order(name: str) -> tuple[int, str]:
    return (BARE_CALLS.index(name) if name in BARE_CALLS else len(BARE_CALLS), name)


if __name__ == "__main__":
    sys.exit(main())
