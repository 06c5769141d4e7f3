"""Per-turn DynamoDB cost: one item per message (tws-chat) vs. the single-item history pattern.

Both run against a real DynamoDB engine (DynamoDB Local) in one run, and the table printed shows,
at checkpoints of a long conversation, what one turn costs each way: capacity units read and
written (as DynamoDB reports them), items and bytes read, and latency — with the ratios side by
side. The single-item pattern (LangChain's DynamoDBChatMessageHistory, aws-genai-llm-chatbot) reads
the whole list, appends, and writes it all back; it grows every turn and fails at 400 KB.

    python bench/bench_history.py [--turns 1000] [--endpoint http://127.0.0.1:8000] [--json]

Without --endpoint it starts DynamoDB Local from .cache/dynamodb-local (bash .ci/dynamodb-local.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError

from twschat.core.conversation import MessageRecord, reply_message_key, user_message_key
from twschat.persistence.connections import connection_from_item
from twschat.persistence.dynamodb import dynamodb_stores
from twschat.persistence.history import message_to_item
from twschat.persistence.stores import Stores
from twschat.persistence.tables import ensure_tables
from twschat_dev import dynamodb_local

USER_TEXT = "qual job esta em abend no TWS_AGENT2 agora? preciso saber antes da janela batch"  # ~80 chars
REPLY_TEXT = (
    "Jobs em ABEND (1):\n- Data Processing (JOB002) em TWS_AGENT2, stream ETL_DAILY, terminou 02:14 com RC=12\n"
    'Sugestão: veja o log ("log do JOB002"), confira as dependências e a workstation TWS_AGENT2, que está '
    'OFFLINE; depois peça o rerun ("reroda o JOB002").\n'
) * 2  # ~500 chars, a typical operator reply
WINDOW = 20


@dataclass
class TurnCost:
    rcu: float = 0.0
    wcu: float = 0.0
    items_read: int = 0
    bytes_read: int = 0
    ms: float = 0.0
    failed: str = ""


def _cu(response: dict) -> float:
    return float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))


def per_message_turn(store: Stores, turn: int) -> TurnCost:
    store.begin_turn()
    started = time.perf_counter()
    conv = "bench#c-per-message"
    user_key = user_message_key(1_795_608_000_000 + turn * 1000, f"m{turn}")
    store.connections.touch_connection("bench-conn", now=turn, expires_at=turn + 3600)
    store.history.add_message(MessageRecord(conv, user_key, "user", USER_TEXT, f"m{turn}", turn))
    window = store.history.recent_messages(conv, WINDOW)
    store.history.add_message(
        MessageRecord(
            conv,
            reply_message_key(user_key),
            "agent",
            REPLY_TEXT,
            f"r{turn}",
            turn,
            context={"intent": "jobs_abend", "jobs": ["JOB002"]},
        )
    )
    elapsed = (time.perf_counter() - started) * 1000
    size = sum(len(json.dumps(message_to_item(m), ensure_ascii=False).encode()) for m in window)
    return TurnCost(
        store.stats.read_capacity, store.stats.write_capacity, store.stats.items_read, size, elapsed
    )


def single_item_turn(client, table: str, turn: int) -> TurnCost:
    started = time.perf_counter()
    got = client.get_item(
        TableName=table,
        Key={"sessionId": {"S": "c-single"}},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    history = got.get("Item", {}).get("history", {"L": []})["L"]
    bytes_read = len(json.dumps(got.get("Item", {})).encode())
    history = [
        *history,
        {"M": {"role": {"S": "user"}, "text": {"S": USER_TEXT}}},
        {"M": {"role": {"S": "agent"}, "text": {"S": REPLY_TEXT}}},
    ]
    cost = TurnCost(rcu=_cu(got), items_read=1 if "Item" in got else 0, bytes_read=bytes_read)
    try:
        put = client.put_item(
            TableName=table,
            Item={"sessionId": {"S": "c-single"}, "history": {"L": history}},
            ReturnConsumedCapacity="TOTAL",
        )
        cost.wcu = _cu(put)
    except ClientError as exc:
        cost.failed = exc.response["Error"]["Message"][:60]
    cost.ms = (time.perf_counter() - started) * 1000
    return cost


@contextlib.contextmanager
def endpoint(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with dynamodb_local.running() as started:
        yield started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--endpoint", help="a running DynamoDB Local (default: start one)")
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)
    checkpoints = sorted(
        {c for c in (1, 10, 100, 250, 400, 500, 1000, 2000, 5000) if c <= args.turns} | {args.turns}
    )
    with endpoint(args.endpoint) as url:
        client = boto3.client(
            "dynamodb",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        ensure_tables(connections_table="bench-connections", history_table="bench-history", client=client)
        client.create_table(
            TableName="bench-single",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sessionId", "AttributeType": "S"}],
        )
        store = dynamodb_stores("bench-connections", "bench-history", client=client)
        store.connections.save_connection(
            connection_from_item(
                {
                    "connectionId": "bench-conn",
                    "agent": "tws-general",
                    "conversationId": "c-per-message",
                    "owner": "bench",
                    "connectedAt": 0,
                    "lastSeenAt": 0,
                    "expiresAt": 2**31,
                }
            )
        )
        rows: list[tuple[int, TurnCost, TurnCost]] = []
        single_failed_at = 0
        ours_ms: list[float] = []
        for turn in range(1, args.turns + 1):
            ours = per_message_turn(store, turn)
            ours_ms.append(ours.ms)
            single = (
                single_item_turn(client, "bench-single", turn)
                if not single_failed_at
                else TurnCost(failed="-")
            )
            if single.failed and not single_failed_at:
                single_failed_at = turn
            if turn in checkpoints:
                rows.append((turn, ours, single))

    print(
        f"Per-turn DynamoDB cost over a {args.turns}-turn conversation (DynamoDB Local, window {WINDOW}, "
        f"user ~{len(USER_TEXT)} chars, reply ~{len(REPLY_TEXT)} chars)\n"
    )
    head = (
        f"{'turn':>6} | {'per-message: RCU':>16} {'WCU':>5} {'items':>5} {'KB read':>7} {'ms':>6} | "
        f"{'single-item: RCU':>16} {'WCU':>5} {'KB read':>7} {'ms':>6} | {'RCU x':>6} {'WCU x':>6}"
    )
    print(head)
    print("-" * len(head))
    for turn, ours, single in rows:
        if single.failed:
            single_cols = f"{'FAILED (item > 400 KB)':>38}"
            ratios = f"{'-':>6} {'-':>6}"
        else:
            single_cols = (
                f"{single.rcu:>16.1f} {single.wcu:>5.0f} {single.bytes_read / 1024:>7.1f} {single.ms:>6.1f}"
            )
            ratios = f"{single.rcu / ours.rcu:>6.1f} {single.wcu / ours.wcu:>6.1f}"
        print(
            f"{turn:>6} | {ours.rcu:>16.1f} {ours.wcu:>5.0f} {ours.items_read:>5} {ours.bytes_read / 1024:>7.1f} "
            f"{ours.ms:>6.1f} | {single_cols} | {ratios}"
        )
    print()
    print(
        f"per-message median turn latency: {statistics.median(ours_ms):.1f} ms "
        f"(p95 {statistics.quantiles(ours_ms, n=20)[18]:.1f} ms) over {len(ours_ms)} turns"
    )
    if single_failed_at:
        print(
            f"single-item history stopped working at turn {single_failed_at}: the item passed DynamoDB's 400 KB"
        )
    if args.json:
        checkpoints_out = [
            {
                "turn": turn,
                "rcu": ours.rcu,
                "wcu": ours.wcu,
                "items_read": ours.items_read,
                "single_rcu": None if single.failed else single.rcu,
                "single_wcu": None if single.failed else single.wcu,
            }
            for turn, ours, single in rows
        ]
        summary = {
            "bench": "history",
            "turns": args.turns,
            "turn_ms_p50": round(statistics.median(ours_ms), 2),
            "turn_ms_p95": round(statistics.quantiles(ours_ms, n=20)[18], 2),
            "single_item_failed_at": single_failed_at or None,
            "checkpoints": checkpoints_out,
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
