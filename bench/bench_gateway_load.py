"""Many concurrent WebSocket clients through ``twschat serve``: lost, misrouted and failed turns, latency.

    python bench/bench_gateway_load.py [--clients 500] [--turns 20] [--store sqlite|dynamodb]
                                       [--dynamodb-endpoint URL] [--max-seconds 600] [--json]

Starts ``twschat serve`` in a subprocess on free loopback ports (SQLite store in a temporary folder
by default; ``--store dynamodb`` starts DynamoDB Local from .cache/dynamodb-local unless
``--dynamodb-endpoint`` names one), with the per-connection rate limit raised and, when the template
declares it, the per-user connection cap off (without auth every client is the same anonymous user).
The responder is the template's: the rule responder over the built-in demo plan (TWS_MODE=demo).

Every client connects at once, waits for its welcome, then sends its turns one after another,
waiting for each reply. A reply is the client's own when it comes on its connection, carries the
client's conversationId, and its inReplyTo was seen by no other client; at the end each client asks
for its history and checks that the stored user messages are the texts it sent and the stored
replies are the replies it received (same messageIds). Counted: connect failures (by reason),
failed turns (an error frame or API Gateway's "Internal server error"), lost turns (no reply within
--reply-timeout), misrouted replies, history mismatches; turn latency is send -> whole reply.
Goal: 0 lost, 0 misrouted, 0 failed, 0 connect failures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from twschat_dev import dynamodb_local
from twschat_dev.gateway import serve_command
from twschat_dev.template import load_template

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = ROOT / "template.yaml"
# Read-only questions the rule responder answers from the demo plan (nothing asks for a confirmation).
UTTERANCES = (
    "qual job esta em abend?",
    "quais workstations estão offline?",
    "status do JOB002",
    "quais jobs estão rodando agora?",
    "log do JOB002",
    "resumo do plano de hoje",
)
HISTORY_PAGE = 50  # the protocol's largest history page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] if ordered else math.nan


# ---------------------------------------------------------------------------------------- the server


class Serve:
    """``twschat serve`` in a subprocess; output goes to files (a full pipe would stall it)."""

    def __init__(self, workdir: Path, *, dynamodb_endpoint: str | None, overrides: list[str]) -> None:
        self.workdir = workdir
        self.port, self.api_port = free_port(), free_port()
        self.out = workdir / "serve.out"
        self.err = workdir / "serve.err"
        cmd = serve_command(
            TEMPLATE,
            port=self.port,
            api_port=self.api_port,
            data_dir=workdir / "data",
            dynamodb_endpoint=dynamodb_endpoint,
            extra_args=["--parameter-overrides", *overrides] if overrides else (),
        )
        self.cmd = cmd
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            # DynamoDB Local accepts any credentials; boto3 still wants some to sign with.
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "bench"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "bench"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=err, env=env)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/tws-general"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"twschat serve exited with {self.process.returncode}:\n{self.output()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.1)
        raise TimeoutError(f"twschat serve did not open port {self.port} in {timeout:.0f} s")

    def stop(self, timeout: float = 60.0) -> int:
        """SIGINT, as a developer's Ctrl-C: the gateway closes connections and runs $disconnect."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (self.out, self.err))


def template_parameters() -> set[str]:
    return set((load_template(TEMPLATE).get("Parameters") or {}).keys())


@contextlib.contextmanager
def dynamodb(store: str, endpoint: str | None) -> Iterator[str | None]:
    if store != "dynamodb":
        yield None
    elif endpoint:
        yield endpoint
    else:
        with dynamodb_local.running(ROOT / ".cache" / "dynamodb-local") as url:
            yield url


# ---------------------------------------------------------------------------------------- the clients


@dataclass
class Tally:
    connected: int = 0
    connect_failures: Counter[str] = field(default_factory=Counter)
    welcome_missing: int = 0
    sent: int = 0
    answered: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    misrouted: int = 0
    duplicate: int = 0
    not_sent: int = 0
    history_checked: int = 0
    history_mismatch: int = 0
    history_examples: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)
    replied_to: dict[str, int] = field(default_factory=dict)
    """inReplyTo -> the client that received it: the same id on two clients is a misrouted reply."""
    examples: list[str] = field(default_factory=list)
    first_send: float = math.inf
    last_reply: float = 0.0

    def note(self, text: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(text)


async def _recv(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        raw = await ws.recv()
    frame = json.loads(raw)
    return frame if isinstance(frame, dict) else {"type": "?", "raw": frame}


async def run_client(idx: int, url: str, args: argparse.Namespace, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        ws = await connect(
            url, open_timeout=args.connect_timeout, close_timeout=5, ping_interval=None, max_size=2**20
        )
    except InvalidStatus as exc:
        tally.connect_failures[f"HTTP {exc.response.status_code}"] += 1
        body = exc.response.body.decode("utf-8", "replace").strip() if exc.response.body else ""
        tally.note(f"client {idx}: connect refused {exc.response.status_code} {body[:120]}")
        tally.not_sent += args.turns
        return
    except Exception as exc:
        tally.connect_failures[type(exc).__name__] += 1
        tally.note(f"client {idx}: connect failed {type(exc).__name__}: {str(exc)[:120]}")
        tally.not_sent += args.turns
        return
    tally.connected += 1
    sent_turns: list[tuple[str, str]] = []  # (text, reply messageId)
    try:
        conversation_id = ""
        try:
            while not conversation_id:
                frame = await _recv(ws, args.reply_timeout)
                if frame.get("type") == "welcome":
                    conversation_id = str(frame.get("conversationId", ""))
        except TimeoutError:
            tally.welcome_missing += 1
            tally.note(f"client {idx}: no welcome in {args.reply_timeout:.0f} s")
            tally.not_sent += args.turns
            return
        tally.connect_ms.append((time.perf_counter() - started) * 1000)
        for turn in range(args.turns):
            text = f"{UTTERANCES[(idx + turn) % len(UTTERANCES)]} (bench c{idx:04d} t{turn:03d})"
            sent_at = time.perf_counter()
            tally.first_send = min(tally.first_send, sent_at)
            await ws.send(json.dumps({"message": text}, ensure_ascii=False))
            tally.sent += 1
            outcome = await _await_reply(ws, idx, conversation_id, args, tally)
            if outcome is None:
                tally.lost += 1
                tally.note(f"client {idx} turn {turn}: no reply in {args.reply_timeout:.0f} s")
                # A late reply would be taken for the next turn's: stop this client here.
                tally.not_sent += args.turns - turn - 1
                return
            kind, detail = outcome
            if kind == "answered":
                tally.answered += 1
                now = time.perf_counter()
                tally.latencies_ms.append((now - sent_at) * 1000)
                tally.last_reply = max(tally.last_reply, now)
                sent_turns.append((text, detail))
            else:
                tally.failed[detail] += 1
                tally.note(f"client {idx} turn {turn}: failed ({detail})")
        await _check_history(ws, idx, conversation_id, sent_turns, args, tally)
    except Exception as exc:
        tally.failed[f"client {type(exc).__name__}"] += 1
        tally.note(f"client {idx}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        with contextlib.suppress(Exception):
            await ws.close()


async def _await_reply(
    ws: ClientConnection, idx: int, conversation_id: str, args: argparse.Namespace, tally: Tally
) -> tuple[str, str] | None:
    """The reply to the message just sent: ("answered", reply messageId) or ("failed", why); None if lost."""
    parts: dict[int, str] = {}
    deadline = time.monotonic() + args.reply_timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            frame = await _recv(ws, left)
        except TimeoutError:
            return None
        kind = frame.get("type")
        if kind is None and frame.get("message") in ("Internal server error", "Forbidden"):
            return "failed", f"gateway: {frame['message']}"  # API Gateway's own frame: the handler failed
        if kind in ("welcome", "closing"):
            if kind == "closing":
                return "failed", "closing"
            continue
        in_reply_to = str(frame.get("inReplyTo", ""))
        if frame.get("conversationId") not in (None, conversation_id):
            tally.misrouted += 1
            tally.note(
                f"client {idx}: reply for conversation {frame.get('conversationId')} on its connection"
            )
            continue
        if in_reply_to:
            owner = tally.replied_to.setdefault(in_reply_to, idx)
            if owner != idx:
                tally.misrouted += 1
                tally.note(f"client {idx}: inReplyTo {in_reply_to} also delivered to client {owner}")
                continue
        if kind == "error":
            return "failed", f"error {frame.get('code', '?')}"
        if kind == "message":
            total = int(frame.get("parts", 1) or 1)
            parts[int(frame.get("part", 1) or 1)] = str(frame.get("message", ""))
            if len(parts) >= total:
                return "answered", str(frame.get("messageId", ""))
            continue
        tally.note(f"client {idx}: unexpected frame {str(frame)[:120]}")


async def _check_history(
    ws: ClientConnection,
    idx: int,
    conversation_id: str,
    sent_turns: list[tuple[str, str]],
    args: argparse.Namespace,
    tally: Tally,
) -> None:
    """The stored conversation is exactly this client's: its texts, and the replies it received."""
    stored: list[dict[str, Any]] = []
    before: str | None = None
    for _ in range(math.ceil(2 * args.turns / HISTORY_PAGE) + 1):
        request: dict[str, Any] = {"type": "history", "limit": HISTORY_PAGE}
        if before:
            request["before"] = before
        await ws.send(json.dumps(request))
        while True:
            frame = await _recv(ws, args.reply_timeout)
            if frame.get("type") == "history":
                break
        if frame.get("conversationId") != conversation_id:
            tally.misrouted += 1
            tally.note(f"client {idx}: history of conversation {frame.get('conversationId')}")
            return
        stored = list(frame.get("messages", [])) + stored
        before = frame.get("nextBefore")
        if not before:
            break
    user_texts = [m.get("message") for m in stored if m.get("role") == "user"]
    reply_ids = [m.get("messageId") for m in stored if m.get("role") == "agent"]
    tally.history_checked += 1
    expected_texts = [t for t, _ in sent_turns]
    expected_ids = [r for _, r in sent_turns]
    # Failed turns store the user's message and maybe no reply: compare only what was answered.
    if [t for t in user_texts if t in expected_texts] != expected_texts or [
        r for r in reply_ids if r in expected_ids
    ] != expected_ids:
        tally.history_mismatch += 1
        if len(tally.history_examples) < 5:
            tally.history_examples.append(
                f"client {idx}: stored {len(user_texts)} user/{len(reply_ids)} agent, "
                f"expected {len(expected_texts)} answered turns"
            )
    foreign = [t for t in user_texts if f"(bench c{idx:04d} " not in str(t)]
    if foreign:
        tally.misrouted += len(foreign)
        tally.note(f"client {idx}: history holds another client's message {str(foreign[0])[:80]}")


async def drive(url: str, args: argparse.Namespace) -> tuple[Tally, float, bool]:
    tally = Tally()
    started = time.perf_counter()
    tasks = [asyncio.create_task(run_client(i, url, args, tally)) for i in range(args.clients)]
    timed_out = False
    try:
        async with asyncio.timeout(args.max_seconds):
            await asyncio.gather(*tasks)
    except TimeoutError:
        timed_out = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return tally, time.perf_counter() - started, timed_out


# ---------------------------------------------------------------------------------------- report


def server_log_counts(text: str) -> dict[str, int]:
    lines = text.splitlines()
    return {
        "ERROR log lines": sum(1 for line in lines if '"level":"ERROR"' in line.replace(" ", "")),
        "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
        "'database is locked'": sum(1 for line in lines if "database is locked" in line),
        "refused handshakes": sum(1 for line in lines if "handshake refused" in line),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--turns", type=int, default=20, help="turns per client")
    parser.add_argument("--store", choices=("sqlite", "dynamodb"), default="sqlite")
    parser.add_argument("--dynamodb-endpoint", help="with --store dynamodb: a running DynamoDB Local")
    parser.add_argument("--connect-timeout", type=float, default=60.0, help="per client (s)")
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="per reply or welcome (s)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run (s)")
    parser.add_argument("--keep-logs", action="store_true", help="print the server log folder, keep it")
    parser.add_argument("--json", action="store_true", help="also print a one-line JSON summary")
    args = parser.parse_args(argv)

    declared = template_parameters()
    overrides = ["RateLimitPerMinute=100000"]
    if "MaxConnectionsPerUser" in declared:
        overrides.append("MaxConnectionsPerUser=0")
    workdir = Path(tempfile.mkdtemp(prefix="twschat-load-"))
    with dynamodb(args.store, args.dynamodb_endpoint) as endpoint:
        serve = Serve(workdir, dynamodb_endpoint=endpoint, overrides=overrides)
        try:
            serve.wait_ready(60)
            tally, seconds, timed_out = asyncio.run(drive(serve.url, args))
        finally:
            code = serve.stop()
    logs = serve.output()
    counts = server_log_counts(logs)
    if args.keep_logs:
        print(f"server logs: {serve.out} {serve.err}")
    else:
        for path in (serve.out, serve.err):
            path.unlink(missing_ok=True)

    expected = args.clients * args.turns
    failed = sum(tally.failed.values())
    print(
        f"twschat serve ({args.store} store, rule responder over the demo plan), {args.clients} concurrent "
        f"clients x {args.turns} turns, {os.cpu_count()} CPUs, client and server on this machine"
    )
    print(f"overrides: {' '.join(overrides)}\n")
    head = f"{'':34} {'count':>8}"
    print(head)
    print("-" * 43)
    conn_fail = sum(tally.connect_failures.values())
    rows: list[tuple[str, int | str]] = [
        ("clients connected", f"{tally.connected}/{args.clients}"),
        ("connect failures", conn_fail),
        ("welcomes missing", tally.welcome_missing),
        ("turns sent", f"{tally.sent}/{expected}"),
        ("turns answered", tally.answered),
        ("failed turns", failed),
        ("lost turns", tally.lost),
        ("misrouted replies", tally.misrouted),
        ("turns not sent (client stopped)", tally.not_sent),
        ("history checks / mismatches", f"{tally.history_checked}/{tally.history_mismatch}"),
    ]
    for name, value in rows:
        print(f"{name:34} {value!s:>8}")
    print("-" * 43)
    lat = tally.latencies_ms
    print(
        f"turn latency ms: p50 {pct(lat, 0.5):.1f}, p95 {pct(lat, 0.95):.1f}, p99 {pct(lat, 0.99):.1f}, "
        f"max {max(lat) if lat else math.nan:.1f} ({len(lat)} answered turns)"
    )
    print(
        f"connect + welcome ms: p50 {pct(tally.connect_ms, 0.5):.0f}, p95 {pct(tally.connect_ms, 0.95):.0f}, "
        f"p99 {pct(tally.connect_ms, 0.99):.0f}"
    )
    print(
        f"total time {seconds:.1f} s{' (STOPPED at --max-seconds)' if timed_out else ''}; "
        f"{tally.answered / seconds if seconds else 0:.0f} answered turns/s"
    )
    if tally.answered and tally.last_reply > tally.first_send:
        # Closed loop: each client waits for its reply, so once the CPUs are saturated latency is
        # mostly queueing (Little's law: clients in flight / throughput), not the cost of one turn.
        rate = tally.answered / (tally.last_reply - tally.first_send)
        print(
            f"turn phase: {rate:.0f} turns/s; closed loop, so {tally.connected} clients / {rate:.0f} turns/s "
            f"= {tally.connected / rate * 1000:.0f} ms of the latency is queueing when saturated"
        )
    print("server log: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; exit code {code}")
    if tally.connect_failures:
        print(
            "connect failures by reason: " + ", ".join(f"{k} x{v}" for k, v in tally.connect_failures.items())
        )
    if tally.failed:
        print("failed turns by reason: " + ", ".join(f"{k} x{v}" for k, v in tally.failed.items()))
    for line in tally.examples + tally.history_examples:
        print(f"  e.g. {line}")
    clean = conn_fail == 0 and failed == 0 and tally.lost == 0 and tally.misrouted == 0 and not timed_out
    clean = clean and tally.history_mismatch == 0 and tally.answered == expected
    print(
        f"gateway load: lost {tally.lost}, misrouted {tally.misrouted}, failed {failed}, connect failures "
        f"{conn_fail} -> goal (all 0) {'met' if clean else 'NOT met'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "gateway_load",
                    "store": args.store,
                    "clients": args.clients,
                    "turns": args.turns,
                    "connected": tally.connected,
                    "connect_failures": dict(tally.connect_failures),
                    "welcomes_missing": tally.welcome_missing,
                    "sent": tally.sent,
                    "answered": tally.answered,
                    "failed": dict(tally.failed),
                    "lost": tally.lost,
                    "misrouted": tally.misrouted,
                    "not_sent": tally.not_sent,
                    "history_mismatch": tally.history_mismatch,
                    "latency_ms_p50": round(pct(lat, 0.5), 1),
                    "latency_ms_p95": round(pct(lat, 0.95), 1),
                    "latency_ms_p99": round(pct(lat, 0.99), 1),
                    "total_s": round(seconds, 1),
                    "timed_out": timed_out,
                    "server_log": counts,
                    "goal_met": clean,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
