"""Issue 14 section 3 through ``twschat serve`` (a subprocess) with the fake TWS over real HTTP:
nothing reaches the TWS that the operator did not confirm after seeing the question."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from twschat_dev.auth import mint_token
from twschat_dev.fake_tws import FakeTwsServer

pytestmark = pytest.mark.integration

T = 15
EVENTS = Path(__file__).resolve().parents[2] / "events"
JOB_PUTS = "/twsd/plan/current/job/"


def api_port_of(output: str) -> int:
    """The @connections / Lambda Invoke port, from the banner."""
    found = re.search(r"api:\s+http://127\.0\.0\.1:(\d+)/", output)
    assert found, output
    return int(found.group(1))


def forged_events(connection_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The issue's attack: an operator's $connect, then "reroda o JOB002" and "sim" on it."""
    connect_event = json.loads((EVENTS / "connect.json").read_text(encoding="utf-8"))
    context = connect_event["requestContext"]
    context.update(connectionId=connection_id, stage="local", requestTimeEpoch=int(time.time() * 1000))
    context["authorizer"] = {"principalId": "ana", "userId": "ana", "username": "ana", "roles": "operator"}
    found = [("ConnectFunction", connect_event)]
    for offset, text in ((1000, "reroda o JOB002"), (5000, "sim")):
        message = json.loads((EVENTS / "default_text.json").read_text(encoding="utf-8"))
        message["requestContext"].update(
            connectionId=connection_id, stage="local", requestTimeEpoch=int(time.time() * 1000) + offset
        )
        message["body"] = text
        found.append(("DefaultFunction", message))
    return found


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=T)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_forged_invocations_reach_no_function_and_the_chat_still_works(
    gateway_factory: Callable[..., Any],
) -> None:
    with FakeTwsServer() as tws:
        gw = gateway_factory(extra_args=["--auth", "local", "--tws-url", tws.url]).start()
        api_port = api_port_of(gw.output())
        page = {"Content-Type": "text/plain", "Origin": "http://evil.example"}  # what a web page sends
        script = {"Content-Type": "application/json"}  # curl or a local process without the secret
        for headers in (page, script, {}):
            for function, event in forged_events("Forged000000Ab="):
                path = f"/2015-03-31/functions/{function}/invocations"
                status = post(api_port, path, json.dumps(event).encode(), headers)
                assert status == 403, (function, headers, status)
        ana = mint_token(gw.data_dir, user="ana", roles=["operator"])

        async def legitimate() -> None:  # the welcome comes through the Invoke API, with the secret
            async with connect(f"{gw.url}/api/v1/ws/tws-general?token={ana}", open_timeout=T) as ws:
                welcome = json.loads(await asyncio.wait_for(ws.recv(), T))
                assert welcome["type"] == "welcome"

        try:
            asyncio.run(asyncio.wait_for(legitimate(), 60))
        finally:
            assert gw.stop() == 0
        assert tws.count("PUT", JOB_PUTS) == 0
        assert ana not in gw.output()


def test_a_yes_sent_with_its_request_confirms_nothing(gateway_factory: Callable[..., Any]) -> None:
    """The issue's test: "reroda o JOB002" and "sim" back to back, without waiting for the question."""
    with FakeTwsServer() as tws:
        gw = gateway_factory(extra_args=["--tws-url", tws.url]).start()

        async def scenario() -> list[str]:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), T))["type"] == "welcome"
                await ws.send("reroda o JOB002")
                await ws.send("sim")
                return [json.loads(await asyncio.wait_for(ws.recv(), T))["message"] for _ in range(2)]

        try:
            question, answer = asyncio.run(asyncio.wait_for(scenario(), 60))
        finally:
            assert gw.stop() == 0
        assert "Confirma o rerun" in question
        # The chat service's rule (ActionDesk.confirm: received before the question -> TooEarly).
        assert "Sua confirmação chegou antes da pergunta, então nada foi feito" in answer
        assert "Confirma o rerun" in answer  # asked again, to be answered now
        assert tws.count("PUT", JOB_PUTS) == 0
        assert {j["name"]: j["status"]["internalStatus"] for j in tws.plan()["jobs"]}["JOB002"] == "ABEND"


def test_pages_of_other_origins_cannot_open_the_chat(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory(extra_args=["--allow-origin", "http://tools.example:9000"]).start()

    async def status(origin: str | None) -> int:
        try:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", origin=origin, open_timeout=T) as ws:  # type: ignore[arg-type]
                await asyncio.wait_for(ws.recv(), T)
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    async def scenario() -> None:
        assert await status("http://evil.example") == 403
        assert await status(f"http://rebind.evil.example:{gw.port}") == 403
        assert await status(None) == 101
        assert await status(f"http://localhost:{gw.port}") == 101
        assert await status("http://tools.example:9000") == 101

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        assert gw.stop() == 0
    assert "origin 'http://evil.example' refused" in gw.output()
