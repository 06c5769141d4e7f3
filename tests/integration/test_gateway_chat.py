"""Chat through ``twschat serve`` with a real WebSocket client, the project's handlers, and both stores.

Every test runs against sqlite and against DynamoDB Local (the ``store`` parameter), except the
restart test (sqlite: the store that lives in the gateway's data folder) and the 1000-turn cost test
(DynamoDB Local: it reads DynamoDB's consumed capacity).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.integration.conftest import dynamodb_client
from twschat_dev.template import read_app

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

T = 15.0  # seconds: bound on every wait for a frame


def run(scenario: Callable[[], Awaitable[None]], timeout: float = 120) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=timeout))


async def recv(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(T):
        frame = await ws.recv()
    assert isinstance(frame, str), f"expected a text frame, got {frame!r}"
    decoded = json.loads(frame)
    assert isinstance(decoded, dict)
    return decoded


async def ask(ws: ClientConnection, text: str) -> dict[str, Any]:
    await ws.send(text)
    return await recv(ws)


def assert_reply(frame: dict[str, Any], conversation_id: str, *needles: str) -> None:
    assert frame["type"] == "message", frame
    assert frame["sender"] == "agent"
    assert frame["conversationId"] == conversation_id
    assert isinstance(frame["messageId"], str) and frame["messageId"]
    assert isinstance(frame["message"], str) and frame["message"].strip()
    for needle in needles:
        assert needle in frame["message"], f"{needle!r} not in reply {frame['message']!r}"


def assert_welcome(frame: dict[str, Any], agent: str = "tws-general") -> str:
    assert frame["type"] == "welcome", frame
    assert frame["sender"] == "agent"
    assert frame["agent"] == agent
    assert isinstance(frame["message"], str) and frame["message"].strip()
    conversation_id = frame["conversationId"]
    assert isinstance(conversation_id, str) and conversation_id
    return conversation_id


def test_welcome_then_multi_question_conversation(gateway: Any) -> None:
    async def scenario() -> None:
        async with connect(f"{gateway.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            abend = await ask(ws, "qual job esta em abend?")
            assert_reply(abend, conversation_id, "Data Processing", "JOB002")
            workstations = await ask(ws, "quais são as workstations disponíveis?")
            assert_reply(workstations, conversation_id, "TWS_AGENT2", "OFFLINE")
            thanks = await ask(ws, "obrigado pela ajuda")
            assert_reply(thanks, conversation_id)
            assert len({abend["messageId"], workstations["messageId"], thanks["messageId"]}) == 3

    run(scenario)


def test_json_message_and_query_string_url(gateway: Any) -> None:
    async def scenario() -> None:
        async with connect(f"{gateway.url}/?agent=tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            reply = await ask(ws, json.dumps({"message": "quais são as workstations disponíveis?"}))
            assert_reply(reply, conversation_id, "TWS_AGENT2")

    run(scenario)


def test_reconnect_with_conversation_id_continues(gateway: Any) -> None:
    async def scenario() -> None:
        async with connect(f"{gateway.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            assert_reply(await ask(ws, "qual job esta em abend?"), conversation_id, "JOB002")
        url = f"{gateway.url}/api/v1/ws/tws-general?conversationId={conversation_id}"
        async with connect(url, open_timeout=T) as ws:
            assert assert_welcome(await recv(ws)) == conversation_id
            assert_reply(await ask(ws, "quais são as workstations disponíveis?"), conversation_id, "OFFLINE")

    run(scenario)


BAD_FRAMES: list[tuple[str, str | bytes]] = [
    ("empty_message", ""),
    ("empty_message", "   \n\t "),
    ("message_too_long", "x" * 4001),
    ("binary_not_supported", b"\x00\x01binary"),
    ("not_an_object", "[1, 2, 3]"),
    ("missing_message", '{"text": "no message key"}'),
    ("missing_message", '{"message": 42}'),
    ("control_characters", "qual job\x00 esta em abend?"),
    ("control_characters", "\x1b[31mvermelho"),
]


def test_bad_frames_get_errors_and_the_chat_goes_on(gateway: Any) -> None:
    async def scenario() -> None:
        async with connect(f"{gateway.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            for expected, frame in BAD_FRAMES:
                await ws.send(frame)
                error = await recv(ws)
                assert error["type"] == "error", (frame, error)
                assert error["code"] == expected, (frame, error)
                assert_reply(await ask(ws, "qual job esta em abend?"), conversation_id, "JOB002")

    run(scenario)


def test_conversation_survives_gateway_restart(gateway_factory: Callable[..., Any], tmp_path: Path) -> None:
    """sqlite lives in the gateway's data folder: stop (Ctrl-C), start again, continue the conversation."""
    gw = gateway_factory()
    conversation: dict[str, str] = {}

    async def before() -> None:
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation["id"] = assert_welcome(await recv(ws))
            assert_reply(await ask(ws, "qual job esta em abend?"), conversation["id"], "JOB002")
            # stay connected: stopping the gateway must close this connection and run $disconnect
            await asyncio.to_thread(gw.stop)  # off the loop: the client must answer the close handshake
            async with asyncio.timeout(T):
                await ws.wait_closed()
            assert ws.close_code == 1001

    async def after() -> None:
        url = f"{gw.url}/api/v1/ws/tws-general?conversationId={conversation['id']}"
        async with connect(url, open_timeout=T) as ws:
            assert assert_welcome(await recv(ws)) == conversation["id"]
            assert_reply(
                await ask(ws, "quais são as workstations disponíveis?"), conversation["id"], "TWS_AGENT2"
            )

    gw.start()
    try:
        run(before)
        first = gw.output(1)
        assert "disconnected 1001" in first, first
        gw.start()
        run(after)
    finally:
        gw.stop()
    assert gw.returncodes == [0, 0], gw.output()
    assert (tmp_path / "data" / "twschat.db").is_file()


TURNS = 1000


def test_thousand_turns_read_cost_stays_flat(
    dynamodb_endpoint: str, gateway_factory: Callable[..., Any]
) -> None:
    """One item per message + Query of the last N: what a turn reads must not grow with the conversation."""
    # 1,000 turns in a few seconds: lift the per-connection rate limit for this measurement only.
    gw = gateway_factory(
        dynamodb_endpoint, extra_args=["--parameter-overrides", "RateLimitPerMinute=1000000"]
    )
    questions = ["qual job esta em abend?", "quais são as workstations disponíveis?", "obrigado pela ajuda"]
    durations: list[float] = []

    async def scenario() -> None:
        async with connect(f"{gw.url}/api/v1/ws/tws-general", open_timeout=T) as ws:
            conversation_id = assert_welcome(await recv(ws))
            for turn in range(TURNS):
                start = time.perf_counter()
                reply = await ask(ws, f"{questions[turn % 3]} (turno {turn + 1})")
                durations.append(time.perf_counter() - start)
                assert reply["type"] == "message" and reply["conversationId"] == conversation_id, reply

    gw.start()
    try:
        run(scenario, timeout=900)
    finally:
        assert gw.stop() == 0
    turns = gw.json_logs("turn stored")
    assert len(turns) == TURNS, f"expected {TURNS} 'turn stored' log lines, found {len(turns)}"
    for entry in turns:
        assert isinstance(entry["history_items_read"], int)
        assert isinstance(entry["store_writes"], int)
        assert isinstance(entry["history_read_capacity"], float | int)
    t10, t100, t1000 = turns[9], turns[99], turns[-1]
    figures = {
        key: (t10[key], t100[key], t1000[key])
        for key in ("history_items_read", "history_read_capacity", "store_writes")
    }
    first, last = durations[:100], durations[-100:]
    print(
        f"\n{TURNS} turns on DynamoDB Local, (turn 10, turn 100, turn 1000): {figures}; "
        f"mean turn {1000 * sum(first) / len(first):.1f} ms (first 100) "
        f"vs {1000 * sum(last) / len(last):.1f} ms (last 100)"
    )
    # Turn 10 reads a window that is not full yet (fewer than HISTORY_WINDOW earlier messages); from
    # then on a turn reads at most the window, the same every turn, however long the conversation.
    window = int(read_app(TEMPLATE).environment()["HISTORY_WINDOW"])
    reads = [entry["history_items_read"] for entry in turns]
    capacity = [entry["history_read_capacity"] for entry in turns]
    writes = [entry["store_writes"] for entry in turns]
    assert max(reads) <= window + 1, figures
    assert t1000["history_items_read"] <= max(t10["history_items_read"], window), figures
    assert len(set(reads[99:])) == 1, f"items read vary after turn 100: {sorted(set(reads[99:]))}"
    # Bytes read: a Query's read capacity is its items' total size in 4 KB units, so a turn reads at
    # most the window's largest possible size, whatever the conversation's length. (Comparing turns
    # with each other was flaky: longer replies cross a 4 KB boundary, 2.0 vs 3.0 units.)
    largest_item = max(len(json.dumps(item)) for item in _conversation_items(dynamodb_endpoint))
    bound = math.ceil((window + 1) * largest_item / 4096)
    assert max(capacity) <= bound, (max(capacity), bound, figures)
    # Writes per turn: the connection touch, the message, the reply — plus one on the first message of
    # each minute, when the rate-limit window starts over (the conditional update that failed counts).
    # The conversation's first message also titles it (one conditional update, once).
    assert writes[0] <= 5 and set(writes[1:]) <= {3, 4}, figures
    assert writes[1:].count(4) <= int(sum(durations) / 60) + 2, figures


def _conversation_items(endpoint: str) -> list[dict[str, Any]]:
    """Every history item on the endpoint, as DynamoDB returns it (attribute names and typed values):
    its JSON length bounds the item's size as DynamoDB counts it."""
    client = dynamodb_client(endpoint)
    table = read_app(TEMPLATE).tables["HistoryTable"]
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    return items
