"""Long conversations at flat cost: the window plus a running summary vs. the whole-history pattern.

The Bedrock responder, driven through ``ChatService.handle_message`` (SQLite store, the REAL boto3
bedrock-runtime client against the in-process fake Bedrock), answers a 1,000-turn conversation with
its memory on: the last messages verbatim plus a running summary of the older ones, refreshed every
6 turns after the reply is posted. At checkpoints the SAME conversation (every stored message up to
that turn) is answered the way the public samples do it — every message, every turn — by the same
responder with no memory, no window and no token budget, on the same fake model.

"Prompt tokens" are what the model reads for the turn (every model call of the turn, tool rounds
included): ``inputTokens + cacheReadInputTokens + cacheWriteInputTokens`` as the fake counts them,
``ceil(chars / 4)`` per piece. The checkpoint figure is the turn's own and, since the memory's window
oscillates between two bounds (a sawtooth of period 6), also the mean over the 12 turns ending there.
The summary refreshes' own tokens are reported amortised per turn.

A fact stated at turn 5 ("o JOB099 é o job de faturamento crítico") is asked about at turn 500: the
fake answers from the text it was sent, here only the summary (the message left the window ~490
turns earlier).

    python bench/bench_memory.py [--turns 1000] [--recall-turn 500] [--json]

Goal: prompt tokens at turn 1,000 at most 1.2x those at turn 30 (the whole-history pattern grows
linearly), and the turn-5 fact recalled at turn 500.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twschat.assistant.demo import DemoTwsClient
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.conversation import conversation_key
from twschat.core.ports import PostOutcome
from twschat.core.responder import Reply, ResponderRequest
from twschat.llm.bedrock import BedrockModelClient
from twschat.llm.memory import ConversationMemory
from twschat.llm.responder import BedrockResponder
from twschat.llm.settings import LlmSettings
from twschat.persistence.sqlite import sqlite_stores
from twschat_dev.fake_bedrock import FakeBedrockServer
from twschat_dev.fake_bedrock import server as fake_server

FACT_TURN = 5
FACT = "o JOB099 é o job de faturamento crítico"
RECALL = "e o JOB099, o que era?"
CHECKPOINTS = (30, 100, 500, 1000)
GOAL_RATIO = 1.2
MEAN_OVER = 12
# An operator's day: reads with tools (results stored and replayed), short acknowledgements. No
# actions. The short messages use no word of 5+ letters on purpose: the fake answers those by quoting
# earlier sentences that share such a word, replies quoting replies, so a chattier script makes every
# message longer as the conversation goes on (then the token budget is what bounds the window).
SCRIPT = (
    "quais jobs estão em ABEND?",
    "e o log dele?",
    "ok, lote {i} ok",
    "como estão as workstations?",
    "ok, obg",
    "quais job streams estão atrasados?",
)
OWNER = "anonymous"


class Poster:
    def __init__(self) -> None:
        self.frames = 0

    def post(self, connection_id: str, frame: Any) -> PostOutcome:
        self.frames += 1
        return PostOutcome.SENT

    def is_connected(self, connection_id: str) -> bool:
        return True

    def close(self, connection_id: str) -> None:
        return None


class Recorder:
    """The responder as the chat service sees it (no streaming callbacks), keeping each turn's reply."""

    def __init__(self, inner: BedrockResponder) -> None:
        self.inner = inner
        self.last: Reply | None = None
        self.last_request: ResponderRequest | None = None

    def respond(self, request: ResponderRequest) -> Reply:
        self.last_request = request
        self.last = self.inner.respond(request)
        return self.last

    def after_reply(self, request: ResponderRequest, reply: Reply) -> None:
        self.inner.after_reply(request, reply)


class Clock:
    """Seconds; each reading moves 1 ms on, so a reply is always stored after the message it answers."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


def prompt_tokens(reply: Reply) -> int:
    metrics = (reply.context.get("llm") or {}).get("metrics") or {}
    return int(
        metrics.get("input_tokens", 0)
        + metrics.get("cache_read_tokens", 0)
        + metrics.get("cache_write_tokens", 0)
    )


def message_for(turn: int, recall_turn: int) -> str:
    if turn == FACT_TURN:
        return FACT
    if turn == recall_turn:
        return RECALL
    return SCRIPT[turn % len(SCRIPT)].format(i=turn)


def run(
    turns: int = 1000, recall_turn: int = 500, checkpoints: tuple[int, ...] = CHECKPOINTS
) -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    checkpoints = tuple(sorted({c for c in checkpoints if c <= turns} | {turns}))
    started = time.perf_counter()
    # The fake writes a stream in many small chunks: without TCP_NODELAY each call waits ~40 ms on
    # delayed ACKs (loopback), which would measure the kernel, not the design.
    fake_server._Handler.disable_nagle_algorithm = True
    with FakeBedrockServer(port=0) as fake, tempfile.TemporaryDirectory() as tmp:
        stores = sqlite_stores(Path(tmp) / "chat.db")
        model = BedrockModelClient(region="us-east-1", endpoint_url=fake.url)
        memory = ConversationMemory(stores.history, model, model_id="fake-summary-model")
        responder = Recorder(BedrockResponder(DemoTwsClient(), model, memory=memory))
        # The whole-history pattern: the same responder, no memory, no window, no budget.
        whole = BedrockResponder(
            DemoTwsClient(), model, LlmSettings(history_turns=10**9, history_token_budget=0)
        )
        settings = dataclasses.replace(Settings(), rate_limit_per_minute=10**9)
        clock = Clock(1_795_608_000.0)
        service = ChatService(settings, stores, responder, clock=clock)
        poster = Poster()
        outcome = service.connect(connection_id="bench", query={}, domain_name="local", stage="dev")
        assert outcome.record is not None, outcome.reason
        conv_id = outcome.record.conversation_id
        conv_key = conversation_key(OWNER, conv_id)
        per_turn: dict[int, int] = {}
        baseline: dict[int, int] = {}
        recall: dict[str, Any] = {}
        turn_seconds: list[float] = []
        for turn in range(1, turns + 1):
            clock.now += 2.0
            text = message_for(turn, recall_turn)
            t0 = time.perf_counter()
            result = service.handle_message(
                connection_id="bench",
                message_id=f"m{turn:06d}",
                request_time_ms=int(clock.now * 1000),
                body=json.dumps({"message": text}, ensure_ascii=False),
                is_base64=False,
                poster=poster,
            )
            turn_seconds.append(time.perf_counter() - t0)
            reply = responder.last
            if result.status != "answered" or reply is None:
                raise RuntimeError(f"turn {turn}: {result.status} {result.error_code}")
            per_turn[turn] = prompt_tokens(reply)
            if turn == recall_turn:
                request = responder.last_request
                assert request is not None
                summary = memory.load(conv_key)
                recall = {
                    "turn": turn,
                    "question": text,
                    "answer": reply.text[:300],
                    "recalled": "JOB099" in reply.text,
                    "in_summary": summary is not None and "JOB099" in summary.text,
                    "in_window": any("JOB099" in t.text for t in request.history),
                }
            if turn in checkpoints:
                # The same conversation up to this turn, every message sent: the samples' pattern.
                everything = stores.history.recent_messages(conv_key, 2 * turn + 2)[:-2]
                req = ResponderRequest(
                    "tws-general",
                    text,
                    tuple(m.as_turn() for m in everything),
                    conversation_id=conv_id,
                )
                baseline[turn] = prompt_tokens(whole.respond(req))
        stores.close()
        fake_stats = fake.stats()
    rows = []
    for c in checkpoints:
        window = [per_turn[t] for t in range(max(1, c - MEAN_OVER + 1), c + 1)]
        rows.append(
            {
                "turn": c,
                "memory": per_turn[c],
                "memory_mean": round(statistics.fmean(window), 1),
                "whole_history": baseline[c],
                "ratio_whole_to_memory": round(baseline[c] / per_turn[c], 2) if per_turn[c] else None,
            }
        )
    first, last = rows[0], rows[-1]
    refresh_tokens = memory.stats.input_tokens + memory.stats.output_tokens
    return {
        "turns": turns,
        "checkpoints": rows,
        "flat_ratio": round(last["memory"] / first["memory"], 3),
        "flat_ratio_mean": round(last["memory_mean"] / first["memory_mean"], 3),
        "whole_growth": round(last["whole_history"] / first["whole_history"], 2),
        "goal_ratio": GOAL_RATIO,
        "refreshes": memory.stats.refreshes,
        "refresh_conflicts": memory.stats.conflicts,
        "refresh_failures": memory.stats.failures,
        "refresh_tokens_per_turn": round(refresh_tokens / turns, 1),
        "recall": recall,
        "model_requests": fake_stats["requests"]["total"],
        "turn_ms_p50": round(statistics.median(turn_seconds) * 1000, 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def goal_met(summary: Mapping[str, Any]) -> bool:
    return bool(
        summary["flat_ratio"] <= summary["goal_ratio"]
        and summary["flat_ratio_mean"] <= summary["goal_ratio"]
        and (not summary["recall"] or summary["recall"]["recalled"])
    )


def table(s: Mapping[str, Any]) -> str:
    lines = [
        f"Bedrock responder through ChatService, {s['turns']} turns (SQLite store, fake Bedrock via boto3); "
        "prompt tokens per turn (input + cache read + cache write, ceil(chars/4) per piece)",
        "",
        "| turn | memory (this design) | memory, mean of 12 turns | whole history (samples) | whole / memory |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in s["checkpoints"]:
        lines.append(
            f"| {r['turn']} | {r['memory']} | {r['memory_mean']} | {r['whole_history']} | "
            f"{r['ratio_whole_to_memory']}x |"
        )
    rc = s["recall"]
    lines += [
        "",
        f"- memory: last checkpoint / first = {s['flat_ratio']}x (12-turn means {s['flat_ratio_mean']}x); "
        f"goal <= {s['goal_ratio']}x. Whole history: {s['whole_growth']}x over the same span.",
        f"- summary refreshes: {s['refreshes']} (conflicts {s['refresh_conflicts']}, failures "
        f"{s['refresh_failures']}), their tokens amortised: {s['refresh_tokens_per_turn']} per turn.",
    ]
    if rc:
        lines.append(
            f"- recall at turn {rc['turn']} of the turn-{FACT_TURN} fact ({FACT!r}): "
            f"{'recalled' if rc['recalled'] else 'NOT recalled'} (in the summary: {rc['in_summary']}, in the "
            f"window: {rc['in_window']}); answer: {rc['answer'][:160]!r}"
        )
    lines.append(
        f"- {s['model_requests']} model requests; turn median {s['turn_ms_p50']} ms; {s['seconds']} s in all."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--recall-turn", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)
    summary = run(args.turns, min(args.recall_turn, args.turns))
    print(table(summary))
    if args.json:
        print(json.dumps({"bench": "memory", **summary, "goal_met": goal_met(summary)}, ensure_ascii=False))
    return 0 if goal_met(summary) else 1


if __name__ == "__main__":
    sys.exit(main())
