"""Streaming through the local gateway with the fake Bedrock: time from the model's first token (the
responder's first on_delta, logged by the chat service as first_token_at_ms) to the client's first
delta frame (goal: under 50 ms locally), and frames per reply (deltas + message) for short and long
answers. ``--json``: one summary line."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from twschat_dev.fake_bedrock import FakeBedrockServer
from twschat_dev.gateway import serve_command

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "short": "quais jobs estão em abend?",
    "long": "como está o ambiente? quais jobs e workstations?",
}


async def one(url: str, text: str) -> tuple[int, float | None, int]:
    async with connect(url, open_timeout=15) as ws:
        await asyncio.wait_for(ws.recv(), 15)
        await ws.send(text)
        frames, first = 0, None
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame.get("type") == "delta" and first is None:
                first = time.time() * 1000
            if frame.get("type") in ("delta", "message"):
                frames += 1
            if frame.get("type") == "message":
                return frames, first, len(frame["message"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import socket

    def port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    with FakeBedrockServer(port=0) as fake, tempfile.TemporaryDirectory() as tmp:
        ws_port = port()
        cmd = serve_command(ROOT / "template.yaml", port=ws_port, api_port=port(), data_dir=Path(tmp))
        log = Path(tmp) / "gw.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*cmd, "--responder", "bedrock", "--bedrock-endpoint", fake.url], stdout=out, stderr=out
            )
        try:
            time.sleep(3)
            url = f"ws://localhost:{ws_port}/api/v1/ws/tws-general"
            results: dict[str, list[tuple[int, float | None, int]]] = {k: [] for k in QUESTIONS}
            for _ in range(args.turns):
                for kind, text in QUESTIONS.items():
                    results[kind].append(asyncio.run(one(url, text)))
        finally:
            proc.send_signal(2)
            proc.wait(30)
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        tokens = [e["llm"]["first_token_at_ms"] for e in lines if e.get("message") == "turn metrics"]
    firsts = [r[1] for rs in results.values() for r in rs]
    gaps = [f - t for f, t in zip(firsts, tokens, strict=False) if f is not None]
    summary: dict[str, Any] = {
        "bench": "streaming",
        "turns": sum(len(v) for v in results.values()),
        "first_token_to_client_ms_p50": round(statistics.median(gaps), 1) if gaps else None,
        "first_token_to_client_ms_max": round(max(gaps), 1) if gaps else None,
        "frames_per_reply": {k: statistics.mean(r[0] for r in v) for k, v in results.items()},
        "reply_chars": {k: statistics.mean(r[2] for r in v) for k, v in results.items()},
    }
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=1))
    return 0


def headline(summary: dict[str, Any]) -> str:
    return (
        f"first token -> client delta p50 {summary['first_token_to_client_ms_p50']} ms; "
        f"frames/reply {summary['frames_per_reply']}"
    )


if __name__ == "__main__":
    sys.exit(main())
