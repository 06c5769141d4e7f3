"""`twschat serve --tws-url` answering from a TWS REST API: the fake TWS server over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from twschat_dev.fake_tws import FakeTwsServer

pytestmark = pytest.mark.integration

T = 15


async def ask(ws: Any, text: str) -> str:
    await ws.send(text)
    frame = json.loads(await asyncio.wait_for(ws.recv(), T))
    assert frame["type"] == "message", frame
    return str(frame["message"])


def test_chat_answers_and_acts_through_the_rest_client(gateway_factory: Callable[..., Any]) -> None:
    with FakeTwsServer(username="twsadmin", password="s3cret-pass") as tws:
        gw = gateway_factory(
            extra_args=["--tws-url", tws.url, "--tws-user", "twsadmin", "--tws-password", "s3cret-pass"]
        ).start()

        async def scenario() -> None:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
                await asyncio.wait_for(ws.recv(), T)  # welcome
                assert "Data Processing (JOB002)" in await ask(ws, "qual job esta em abend?")
                assert "TWS_AGENT2" in await ask(ws, "quais workstations estao offline?")
                assert "Confirma o rerun" in await ask(ws, "reroda o JOB002")
                assert "Rerun de Data Processing (JOB002)" in await ask(ws, "sim")
                tws.set_fault("500")
                failed = await ask(ws, "qual job esta em abend?")
                assert "erro interno" in failed and "JOB002" not in failed
                tws.set_fault("none")
                assert "JOB002" in await ask(ws, "status do JOB002")

        try:
            asyncio.run(asyncio.wait_for(scenario(), 90))
        finally:
            assert gw.stop() == 0
        # The rerun reached the TWS over HTTP, and the password never reached the gateway's output.
        assert tws.count("PUT", "/twsd/plan/current/job/") == 1
        assert {j["name"]: j["status"]["internalStatus"] for j in tws.plan()["jobs"]}["JOB002"] != "ABEND"
        assert "s3cret-pass" not in gw.output()
