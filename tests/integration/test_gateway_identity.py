"""Identity and the connection lifecycle through the local gateway: `twschat serve --auth local`
with tokens from `twschat token`, the template's authorizer, and the scheduled sweeper."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from twschat_dev.auth import mint_token

pytestmark = pytest.mark.integration

T = 15


def token(data_dir: Any, user: str, *roles: str, ttl: int = 3600) -> str:
    args = [
        sys.executable,
        "-m",
        "twschat_dev.cli",
        "token",
        "--user",
        user,
        "--data-dir",
        str(data_dir),
        "--ttl",
        str(ttl),
    ]
    for role in roles:
        args += ["--role", role]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        async with connect(url, additional_headers=headers, open_timeout=T):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def recv(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), T))


def test_only_valid_tokens_connect_and_only_operators_act(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory(extra_args=["--auth", "local", "--schedule-interval", "0"]).start()
    base = f"{gw.url}/api/v1/ws/tws-general"
    ana, bia = token(gw.data_dir, "ana", "operator"), token(gw.data_dir, "bia", "viewer")
    expired = mint_token(gw.data_dir, user="ana", roles=["operator"], ttl_seconds=60, now=time.time() - 3600)
    forged = ana[:-8] + ("AAAAAAAA" if not ana.endswith("AAAAAAAA") else "BBBBBBBB")

    async def scenario() -> None:
        assert await status_of(base) == 401
        assert await status_of(f"{base}?token={expired}") == 401
        assert await status_of(f"{base}?token={forged}") == 401
        assert await status_of(base, {"Authorization": "Bearer not-a-jwt"}) == 401
        async with connect(f"{base}?token={ana}", open_timeout=T) as ws:
            welcome = await recv(ws)
            assert welcome["authMode"] == "local" and "desenvolvimento" not in welcome["message"]
            conversation_id = welcome["conversationId"]
            await ws.send("reroda o JOB002")
            assert "Confirma o rerun" in (await recv(ws))["message"]
        async with connect(base, additional_headers={"Authorization": f"Bearer {bia}"}, open_timeout=T) as ws:
            await recv(ws)
            await ws.send("reroda o JOB002")
            refusal = (await recv(ws))["message"]
            assert "viewer" in refusal and "Confirma" not in refusal
        # Bia cannot open Ana's conversation; the refusal is the one an unknown id gets.
        assert await status_of(f"{base}?conversationId={conversation_id}&token={bia}") == 403
        assert await status_of(f"{base}?conversationId=c-00000000000000000000&token={bia}") == 403
        async with connect(f"{base}?conversationId={conversation_id}&token={ana}", open_timeout=T) as ws:
            assert (await recv(ws))["continued"] is True
            await ws.send(json.dumps({"type": "history", "limit": 10}))
            history = await recv(ws)
            assert [m["role"] for m in history["messages"]] == ["user", "agent"]
            await ws.send('{"type": "conversations"}')
            assert conversation_id in [c["conversationId"] for c in (await recv(ws))["conversations"]]

    try:
        asyncio.run(asyncio.wait_for(scenario(), 120))
    finally:
        assert gw.stop() == 0
    assert ana not in gw.output() and bia not in gw.output()  # tokens never reach the logs


def test_the_sweeper_closes_idle_connections_with_a_closing_frame(
    gateway_factory: Callable[..., Any],
) -> None:
    gw = gateway_factory(
        extra_args=["--schedule-interval", "0.5", "--parameter-overrides", "IdleTimeoutSeconds=2"]
    ).start()
    base = f"{gw.url}/api/v1/ws/tws-general"

    async def scenario() -> None:
        async with connect(base, open_timeout=T) as idle, connect(base, open_timeout=T) as busy:
            conversation_id = (await recv(idle))["conversationId"]
            await recv(busy)
            closing = None
            for _ in range(12):  # the busy client keeps talking; the idle one says nothing
                await busy.send('{"type": "ping"}')
                assert (await recv(busy))["type"] == "pong"
                try:
                    closing = json.loads(await asyncio.wait_for(idle.recv(), 0.5))
                    break
                except TimeoutError:
                    continue
            assert closing is not None, "the idle connection was not closed"
            assert closing["type"] == "closing" and closing["reason"] == "idle"
            assert closing["conversationId"] == conversation_id
            await asyncio.wait_for(idle.wait_closed(), T)
            await busy.send('{"type": "ping"}')
            assert (await recv(busy))["type"] == "pong"

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        assert gw.stop() == 0


def test_the_rate_limit_through_the_gateway(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory(extra_args=["--parameter-overrides", "RateLimitPerMinute=3"]).start()

    async def scenario() -> None:
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            await recv(ws)
            answers = []
            for _ in range(4):
                await ws.send("obrigado")
                answers.append(await recv(ws))
            # A sliding window: the 4th in a few seconds is refused even if a minute turned between.
            assert [a["type"] for a in answers] == ["message", "message", "message", "error"], answers
            limited = answers[-1]
            assert limited["code"] == "rate_limited", answers
            assert 1 <= limited["retryAfter"] <= 120  # until enough of the burst slid out of 60 s
            await ws.send('{"type": "ping"}')
            assert (await recv(ws))["code"] == "rate_limited"  # the connection stays open and answers

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        assert gw.stop() == 0
