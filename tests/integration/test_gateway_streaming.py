"""Streaming through `twschat serve --responder bedrock` with the fake Bedrock: progress while tools
run, deltas in seq order, then the final message with the same messageId and the whole text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from twschat_dev.fake_bedrock import FakeBedrockServer

pytestmark = pytest.mark.integration

T = 15


async def reply_frames(ws: Any) -> list[dict[str, Any]]:
    """Every frame up to and including the reply's message frame."""
    got: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), T))
        got.append(frame)
        if frame["type"] in ("message", "error"):
            return got


def check_stream(got: list[dict[str, Any]]) -> dict[str, Any]:
    final = got[-1]
    assert final["type"] == "message", got
    assert all(f["messageId"] == final["messageId"] for f in got), got
    deltas = [f for f in got if f["type"] == "delta"]
    assert deltas, got
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    # the pieces are the start of the reply (what is still buffered at the end rides in the message)
    assert final["message"].startswith("".join(d["text"] for d in deltas))
    assert got.index(deltas[-1]) < len(got) - 1
    return final


def test_a_question_streams_then_the_whole_reply(gateway_factory: Callable[..., Any]) -> None:
    with FakeBedrockServer(port=0) as fake:
        gw = gateway_factory(extra_args=["--responder", "bedrock", "--bedrock-endpoint", fake.url]).start()

        async def scenario() -> None:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
                await asyncio.wait_for(ws.recv(), T)  # welcome
                await ws.send("quais jobs estão em abend?")
                got = await reply_frames(ws)
                print(json.dumps(got, ensure_ascii=False, indent=1))
                final = check_stream(got)
                assert "JOB002" in final["message"]
                progress = [(f["stage"], f.get("tool")) for f in got if f["type"] == "progress"]
                assert ("thinking", None) in progress and ("tool", "list_jobs") in progress
                tool_at = next(i for i, f in enumerate(got) if f.get("stage") == "tool")
                assert all(f["type"] != "delta" or i > tool_at for i, f in enumerate(got))

        try:
            asyncio.run(asyncio.wait_for(scenario(), 60))
        finally:
            assert gw.stop() == 0
        metrics = [e for e in gw.json_logs("turn metrics")]
        assert metrics and metrics[-1]["llm"]["deltas_posted"] >= 1, gw.output()[-3000:]


def test_a_slow_model_answers_past_the_integration_timeout(gateway_factory: Callable[..., Any]) -> None:
    """The fake's first token after 3 s, the gateway's integration timeout shortened to 1 s (29 s in
    AWS): $default hands the turn to the worker at once, the reply arrives, never the timeout; the
    same frame delivered again does not answer twice; a client gone mid-stream still gets it stored."""
    with FakeBedrockServer(port=0) as fake:
        gw = gateway_factory(
            extra_args=[
                "--responder",
                "bedrock",
                "--bedrock-endpoint",
                fake.url,
                "--integration-timeout",
                "1",
            ]
        ).start()

        async def scenario() -> None:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
                await asyncio.wait_for(ws.recv(), T)  # welcome
                fake.set_fault("slow-first-token", 3.0)
                await ws.send("quais jobs estão em abend?")
                got = await reply_frames(ws)
                assert all("timed out" not in json.dumps(f) for f in got), got
                final = check_stream(got)
                assert "JOB002" in final["message"]

        try:
            asyncio.run(asyncio.wait_for(scenario(), 60))
        finally:
            assert gw.stop() == 0
        outcomes = [e for e in gw.json_logs() if e.get("message") == "turn metrics"]
        assert len(outcomes) == 1
