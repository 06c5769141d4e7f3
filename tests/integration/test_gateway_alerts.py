"""Alerts end to end (issue 18): `twschat serve --auth local --tws-url <fake TWS> --watch-interval 1`
with TeamAlerts=abend; the fake TWS's plan changed at run time through ``POST /__plan``."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from twschat_dev.fake_tws import FakeTwsServer

from .test_gateway_identity import token

pytestmark = pytest.mark.integration

T = 15
CYCLE = 1.0


def set_state(tws: FakeTwsServer, **change: str) -> None:
    root = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(tws.url))
    request = urllib.request.Request(root + "/__plan", json.dumps(change).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


async def frame(ws: Any, timeout: float = T) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def ask(ws: Any, text: str) -> str:
    await ws.send(text)
    while True:
        got = await frame(ws)
        if got["type"] == "message":
            return str(got["message"])


async def alert(ws: Any) -> dict[str, Any]:
    """The next alert frame (within a few watch cycles)."""
    while True:
        got = await frame(ws, timeout=6 * CYCLE + 5)
        if got["type"] == "alert":
            return got


async def nothing_but_pong(ws: Any) -> None:
    """No alert was pushed to ``ws``: the next frame is the answer to this ping."""
    await ws.send('{"type": "ping"}')
    assert (await frame(ws))["type"] == "pong"


def test_alerts_reach_the_subscriber_and_team_alerts_the_operators(
    gateway_factory: Callable[..., Any],
) -> None:
    with FakeTwsServer(username="twsadmin", password="s3cret-pass") as tws:
        gw = gateway_factory(
            extra_args=[
                *("--auth", "local", "--watch-interval", str(CYCLE), "--schedule-interval", "0"),
                *("--tws-url", tws.url, "--tws-user", "twsadmin", "--tws-password", "s3cret-pass"),
                *("--parameter-overrides", "TeamAlerts=abend"),
            ]
        ).start()
        ana, bia = token(gw.data_dir, "ana", "operator"), token(gw.data_dir, "bia", "viewer")
        base = f"{gw.url}/api/v1/ws/tws-general"

        async def scenario() -> str:
            async with (
                connect(f"{base}?token={ana}", open_timeout=T) as ana1,
                connect(f"{base}?token={ana}", open_timeout=T) as ana2,
                connect(f"{base}?token={bia}", open_timeout=T) as bia1,
            ):
                conversation_id = (await frame(ana1))["conversationId"]
                await frame(ana2), await frame(bia1)  # welcomes
                assert "JOB014" in await ask(ana1, "me avisa quando o JOB014 terminar")
                assert "TWS_AGENT2" in await ask(bia1, "avise quando a TWS_AGENT2 voltar")  # a viewer may
                assert "(1)" in await ask(bia1, "cancela todos os avisos")
                await asyncio.sleep(3 * CYCLE)  # a baseline cycle
                set_state(tws, job="JOB014", status="SUCC")
                first, second = await alert(ana1), await alert(ana2)  # every connection of the user
                assert first["alertId"] == second["alertId"] and first["kind"] == "job_state"
                assert (first["current"], first["target"]["name"]) == ("SUCC", "JOB014")
                assert first["subscriptionId"] and first["conversationId"] == conversation_id
                # team alerts: a new ABEND reaches the operator, not the viewer
                set_state(tws, job="JOB014", status="ABEND")
                team = await alert(ana1)
                assert "subscriptionId" not in team and team["current"] == "ABEND"
                # the cancelled subscription sends nothing; nor does the viewer get the team's alert
                set_state(tws, workstation="TWS_AGENT2", status="ONLINE")
                await asyncio.sleep(3 * CYCLE)
                await nothing_but_pong(bia1)
                # the one-shot ended
                assert "não tem avisos" in await ask(ana1, "quais avisos eu tenho?")
            # offline: the stored alert is in the conversation's history when ana comes back, and the
            # follow-ups see it ("reroda esse" is about the job the alert was about)
            async with connect(
                f"{base}?conversationId={conversation_id}&token={ana}", open_timeout=T
            ) as back:
                await frame(back)
                await back.send('{"type": "history"}')
                history = await frame(back)
                return json.dumps(history, ensure_ascii=False) + "\n" + await ask(back, "reroda esse")

        try:
            seen = asyncio.run(asyncio.wait_for(scenario(), 120))
        finally:
            assert gw.stop() == 0
        history, rerun = seen.split("\n", 1)
        assert "Aviso: o job JOB014" in history and "para SUCC" in history
        assert "Confirma o rerun" in rerun and "JOB014" in rerun


def test_team_alerts_off_sends_nothing_without_a_subscription(gateway_factory: Callable[..., Any]) -> None:
    with FakeTwsServer(username="twsadmin", password="s3cret-pass") as tws:
        gw = gateway_factory(
            extra_args=[
                *("--auth", "local", "--watch-interval", str(CYCLE), "--schedule-interval", "0"),
                *("--tws-url", tws.url, "--tws-user", "twsadmin", "--tws-password", "s3cret-pass"),
            ]
        ).start()
        ana = token(gw.data_dir, "ana", "operator")

        async def scenario() -> None:
            async with connect(f"{gw.url}/api/v1/ws/tws-general?token={ana}", open_timeout=T) as ws:
                await frame(ws)
                # a subscription on another job makes the watcher read the jobs every cycle
                assert "JOB009" in await ask(ws, "me avisa quando o JOB009 terminar")
                await asyncio.sleep(3 * CYCLE)
                set_state(tws, job="JOB014", status="ABEND")
                set_state(tws, workstation="TWS_AGENT1", status="OFFLINE")
                await asyncio.sleep(3 * CYCLE)
                await nothing_but_pong(ws)

        try:
            asyncio.run(asyncio.wait_for(scenario(), 60))
        finally:
            assert gw.stop() == 0
        assert (
            tws.count("GET", "/twsd/plan/current/job/query")
            + tws.count("POST", "/twsd/plan/current/job/query")
            >= 3
        )
