"""Load and limits through `twschat serve`: simultaneous connects on the embedded store, the per-user
connection cap, configured agents, and DynamoDB Local restarted under a running gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.integration.conftest import dynamodb_client
from tests.integration.test_gateway_chat import TEMPLATE, T, ask, assert_reply, assert_welcome, recv, run
from twschat_dev.template import read_app

pytestmark = pytest.mark.integration

SIMULTANEOUS = 500


def test_500_simultaneous_connects_on_the_embedded_store_all_succeed(
    gateway_factory: Callable[..., Any],
) -> None:
    """Today's defect: 200 clients at once got `database is locked` -> HTTP 500 on $connect."""
    # Everybody is the same anonymous user without auth: lift the per-user cap for this test.
    gw = gateway_factory(extra_args=["--parameter-overrides", "MaxConnectionsPerUser=0"])
    gw.start()
    welcomed: list[str] = []
    failures: list[str] = []

    async def one(i: int, start: asyncio.Event) -> None:
        await start.wait()
        try:
            async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=60) as ws:
                welcomed.append(assert_welcome(await recv(ws)))
                await asyncio.sleep(0.5)  # hold it open while the others connect
        except Exception as exc:  # collected, asserted below with the gateway's output
            failures.append(f"client {i}: {type(exc).__name__}: {exc}")

    async def scenario() -> None:
        start = asyncio.Event()
        clients = [asyncio.create_task(one(i, start)) for i in range(SIMULTANEOUS)]
        start.set()
        await asyncio.gather(*clients)

    try:
        run(scenario, timeout=240)
    finally:
        assert gw.stop() == 0
    output = gw.output()
    assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}\n{output[-3000:]}"
    assert len(set(welcomed)) == SIMULTANEOUS
    assert "database is locked" not in output


def test_the_per_user_cap_refuses_the_eleventh_connection_with_429(
    gateway_factory: Callable[..., Any],
) -> None:
    gw = gateway_factory()
    gw.start()

    async def scenario() -> None:
        open_ones = [await connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) for _ in range(10)]
        try:
            with pytest.raises(InvalidStatus) as refused:
                await connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T)
            assert refused.value.response.status_code == 429
            assert b"at most 10" in refused.value.response.body
        finally:
            await open_ones[0].close()
        await asyncio.sleep(0.5)  # $disconnect runs after the close
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            assert_welcome(await recv(ws))
        for ws in open_ones[1:]:
            await ws.close()

    try:
        run(scenario)
    finally:
        assert gw.stop() == 0


def test_an_unknown_agent_is_refused_and_agent_names_ignore_case(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory()
    gw.start()

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"{gw.url}/?agent=nonexistent-agent", open_timeout=T)
        assert refused.value.response.status_code == 400
        async with connect(f"{gw.url}/?agent=TWS-General", open_timeout=T) as ws:
            assert_welcome(await recv(ws), agent="tws-general")

    try:
        run(scenario)
    finally:
        assert gw.stop() == 0


def test_dynamodb_local_restarted_in_memory_the_gateway_recreates_the_tables(
    dynamodb_endpoint: str, gateway_factory: Callable[..., Any]
) -> None:
    gw = gateway_factory(dynamodb_endpoint)
    gw.start()
    client = dynamodb_client(dynamodb_endpoint)

    async def scenario() -> None:
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            assert_reply(await ask(ws, "qual job esta em abend?"), conversation_id, "JOB002")
            # What a restart of DynamoDB Local in memory leaves: no tables at all.
            for table in read_app(TEMPLATE).tables.values():
                client.delete_table(TableName=table)
            lost = await ask(ws, "qual job esta em abend?")
            assert lost["type"] == "error" and lost["code"] == "unknown_connection", lost
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            assert_reply(await ask(ws, "qual job esta em abend?"), conversation_id, "JOB002")

    try:
        run(scenario)
    finally:
        assert gw.stop() == 0
