"""``twschat chat``: rendering, part reassembly, the reconnect decision, and the I/O loop against a
scripted in-process WebSocket server on loopback (the real gateway: tests/integration/test_chat_client_e2e.py).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from twschat_dev import cli
from twschat_dev.client import (
    ChatClient,
    Decision,
    PartAssembler,
    build_url,
    parse_command,
    reconnect_decision,
    redact_url,
    render,
    server_zone,
)

T = 10.0  # seconds: bound on every scenario
TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln"  # a token-shaped string that must never be printed


# ---------------------------------------------------------------------------------------- render


def test_render_message_keeps_real_line_breaks_under_the_prefix() -> None:
    text = render(
        {"type": "message", "sender": "agent", "message": "1 job em ABEND:\n- Data (JOB002)\n\nfim"}
    )
    assert text == "tws> 1 job em ABEND:\n     - Data (JOB002)\n\n     fim"


def test_render_welcome_new_and_continued() -> None:
    new = render(
        {
            "type": "welcome",
            "agent": "tws-general",
            "conversationId": "c-1",
            "message": "Olá!",
            "continued": False,
        }
    )
    assert new == "[conectado: agente tws-general, conversa c-1]\ntws> Olá!"
    back = render(
        {
            "type": "welcome",
            "agent": "tws-general",
            "conversationId": "c-1",
            "message": "Bem-vindo de volta!",
            "continued": True,
        }
    )
    assert "conversa c-1, continuada]" in back and "tws> Bem-vindo de volta!" in back


def test_render_errors() -> None:
    assert render({"type": "error", "code": "empty_message", "message": "Mensagem vazia."}) == (
        "[erro empty_message] Mensagem vazia."
    )
    limited = render(
        {"type": "error", "code": "rate_limited", "message": "Muitas mensagens.", "retryAfter": 7}
    )
    assert limited == "[erro rate_limited] Muitas mensagens. (tente em 7 s)"
    already = render({"type": "error", "code": "rate_limited", "message": "Tente em 7 s.", "retryAfter": 7})
    assert already == "[erro rate_limited] Tente em 7 s."


def test_render_closing() -> None:
    idle = render({"type": "closing", "reason": "idle", "conversationId": "c-1", "message": "Reconecte."})
    assert idle == "[conexão encerrada pelo servidor: inatividade]\ntws> Reconecte."
    cap = render({"type": "closing", "reason": "max_duration", "conversationId": "c-1"})
    assert cap == "[conexão encerrada pelo servidor: limite de 2 horas]"


def test_render_pong_history_conversations() -> None:
    assert render({"type": "pong"}) == "[pong] conexão ativa"
    assert render({"type": "history", "messages": [], "nextBefore": None}) == "[histórico vazio]"
    history = render(
        {
            "type": "history",
            "messages": [
                {
                    "role": "user",
                    "message": "qual job?",
                    "createdAt": "2026-01-02T03:04:05.000Z",
                    "key": "k1",
                },
                {"role": "agent", "message": "linha 1\nlinha 2", "createdAt": "bad", "key": "k2"},
            ],
            "nextBefore": "k1",
        }
    )
    lines = history.split("\n")
    assert lines[0] == "[histórico: 2 mensagens]"
    assert lines[1].endswith(" você> qual job?") and "/" in lines[1].split()[0]  # dd/mm HH:MM
    assert lines[2] == "bad tws> linha 1" and lines[3] == "     linha 2"
    assert lines[4] == "[há mais antigas: /history 2 mais]"  # issue 17: the client keeps the cursor
    convs = render(
        {
            "type": "conversations",
            "conversationId": "c-2",
            "conversations": [
                {"conversationId": "c-2", "agent": "tws-general", "createdAt": "2026-01-02T03:04:05Z"},
                {"conversationId": "c-1", "agent": "tws-payroll", "createdAt": "2026-01-01T03:04:05Z"},
            ],
            "nextBefore": None,
        }
    )
    assert "[conversas: 2]" in convs
    assert next(line for line in convs.split("\n") if "(atual)" in line).strip().startswith("c-2")
    assert "tws-payroll" in convs and "--conversation ID" in convs
    assert render({"type": "conversations", "conversations": []}) == "[nenhuma conversa]"


def test_render_gateway_status_and_unknown_frames() -> None:
    gw = render({"message": "Internal server error", "connectionId": "x", "requestId": "r1"})
    assert gw == "[gateway] Internal server error (requestId r1)"
    assert render({"type": "surprise", "a": 1}).startswith("[frame não reconhecido] {")


def test_every_line_fits_80_columns_except_server_text() -> None:
    # The client's own chrome stays short; long lines only come from the server's text.
    frames: list[dict[str, Any]] = [
        {"type": "pong"},
        {"type": "closing", "reason": "max_duration"},
        {"type": "history", "messages": []},
        {"type": "conversations", "conversations": []},
    ]
    for frame in frames:
        assert all(len(line) <= 80 for line in render(frame).split("\n"))


# ---------------------------------------------------------------------------------------- parts


def _part(i: int, n: int, text: str, mid: str = "m-1") -> dict[str, Any]:
    return {
        "type": "message",
        "message": text,
        "messageId": mid,
        "conversationId": "c",
        "part": i,
        "parts": n,
    }


def test_parts_out_of_order_are_reassembled_once() -> None:
    parts = PartAssembler()
    assert parts.add(_part(3, 3, "C")) is None
    assert parts.add(_part(1, 3, "A\n")) is None
    assert parts.add(_part(1, 3, "A\n")) is None  # a redelivered part
    assert parts.pending == 1
    whole = parts.add(_part(2, 3, "B"))
    assert whole is not None
    assert whole["message"] == "A\nBC" and "part" not in whole and "parts" not in whole
    assert whole["messageId"] == "m-1" and parts.pending == 0
    assert parts.add(_part(2, 3, "B")) is None  # a late duplicate after completion: shown once


def test_parts_interleaved_replies_and_passthrough() -> None:
    parts = PartAssembler()
    assert parts.add(_part(2, 2, "b", "x")) is None
    assert parts.add(_part(1, 2, "1", "y")) is None
    assert parts.add(_part(2, 2, "2", "y"))["message"] == "12"  # type: ignore[index]
    assert parts.add(_part(1, 2, "a", "x"))["message"] == "ab"  # type: ignore[index]
    welcome = {"type": "welcome", "message": "oi"}
    assert parts.add(welcome) is welcome
    plain = {"type": "message", "message": "oi", "messageId": "z"}
    assert parts.add(plain) is plain
    assert parts.add(dict(plain)) is None  # the same reply redelivered
    bad = _part(5, 2, "?", "w")
    assert parts.add(bad) is bad  # malformed: shown rather than lost


def test_incomplete_replies_are_bounded() -> None:
    parts = PartAssembler(max_pending=3)
    for i in range(10):
        parts.add(_part(1, 2, "a", f"m{i}"))
    assert parts.pending == 3


# ---------------------------------------------------------------------------------------- decisions


def test_closing_reconnects_with_backoff_then_gives_up() -> None:
    first = reconnect_decision("idle", 0)
    assert first == Decision("reconnect", 0.0)
    delays = [reconnect_decision("max_duration", a).delay for a in range(5)]
    assert delays == sorted(delays) and delays[-1] <= 8
    assert reconnect_decision("max_duration", 5).action == "give_up"
    # The 2-hour cap always reconnects, even when nobody typed since the last idle reconnect.
    assert reconnect_decision("max_duration", 0, idle_without_input=3).action == "reconnect"


def test_a_second_idle_close_without_input_waits_for_the_user() -> None:
    assert reconnect_decision("idle", 0, idle_without_input=1).action == "wait_input"
    # ...but once a reconnection attempt failed, it keeps trying as usual.
    assert reconnect_decision("idle", 1, idle_without_input=1).action == "reconnect"


def test_unexpected_drop_keeps_trying_with_backoff_for_a_minute() -> None:
    """A gateway restart takes seconds: the client waits it out instead of giving up after two tries."""
    waited, attempt, delays = 0.0, 0, []
    while (decision := reconnect_decision(None, attempt, waited=waited)).action == "reconnect":
        delays.append(decision.delay)
        waited += decision.delay
        attempt += 1
    assert delays[:3] == [0.5, 1.0, 2.0] and max(delays) <= 8.0
    assert waited == 60.0
    assert decision.action == "give_up" and "não consegui reconectar em 60 s" in decision.message


def test_quick_replies_are_shown_as_hints_and_history_uses_the_servers_zone() -> None:
    prompt = render({"type": "message", "message": "Confirma?", "quickReplies": ["sim", "não"]})
    assert prompt.endswith("[responda: sim | não]")
    history = {
        "type": "history",
        "messages": [{"role": "user", "message": "oi", "createdAt": "2026-11-25T12:00:00.000Z"}],
    }
    assert "25/11 09:00 você> oi" in render(history, server_zone("America/Sao_Paulo"))
    assert "25/11 12:00 você> oi" in render(history, server_zone("UTC"))
    assert server_zone("Not/AZone") is None and server_zone(None) is None


# ---------------------------------------------------------------------------------------- URL, commands


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_build_url() -> None:
    assert build_url(None) == "ws://localhost:8030/api/v1/ws/tws-general"
    assert build_url(None, agent="tws-payroll") == "ws://localhost:8030/api/v1/ws/tws-payroll"
    stage = "wss://abc123.execute-api.us-east-1.amazonaws.com/prod"
    url = build_url(stage, conversation_id="c-19ab", token="a.b+c")
    assert url.startswith(stage + "?")
    assert _query(url) == {"agent": ["tws-general"], "conversationId": ["c-19ab"], "token": ["a.b+c"]}
    assert _query(build_url(stage, agent="tws-x"))["agent"] == ["tws-x"]
    assert _query(build_url(stage + "?agent=tws-y"))["agent"] == ["tws-y"]  # the URL's own agent stays
    path = build_url("ws://h:1/api/v1/ws/tws-general?x=1", agent="other", conversation_id="c-2")
    assert _query(path) == {"x": ["1"], "conversationId": ["c-2"]}  # the path names the agent
    assert build_url("ws://h:1").startswith("ws://h:1/?agent=")
    with pytest.raises(ValueError):
        build_url("https://example.com")
    assert redact_url(url) == url.replace("a.b%2Bc", "***")
    assert "token=***" in redact_url("ws://h/?token=abc&agent=x") and "abc" not in redact_url(
        "ws://h/?token=abc"
    )


def test_parse_command() -> None:
    assert parse_command("qual job esta em abend?\n").payload == "qual job esta em abend?"
    assert parse_command("   ").kind == "skip"
    assert json.loads(parse_command("/history").payload) == {"type": "history", "limit": 20}
    assert json.loads(parse_command("/history 5").payload) == {"type": "history", "limit": 5}
    assert json.loads(parse_command("/history 5 k#1").payload) == {
        "type": "history",
        "limit": 5,
        "before": "k#1",
    }
    assert json.loads(parse_command("/conversations").payload) == {"type": "conversations"}
    assert json.loads(parse_command("/ping").payload) == {"type": "ping"}
    assert parse_command("/quit").kind == "quit" and parse_command("/sair").kind == "quit"
    assert parse_command("/help").kind == "help"
    assert parse_command("/history abc").kind == "usage"
    assert parse_command("/histroy").kind == "usage"  # a typo is not sent to the assistant
    assert parse_command("/opt/app/log cheio?").payload == "/opt/app/log cheio?"  # a path is text


def test_the_cli_has_the_chat_command() -> None:
    args = cli.build_parser().parse_args(["chat", "ws://h:1/", "--conversation", "c-1", "--raw"])
    assert args.command == "chat" and args.conversation == "c-1" and args.raw and args.token is None


# ---------------------------------------------------------------------------------------- the I/O loop

Handler = Callable[["FakeServer", ServerConnection, int], Awaitable[None]]


@dataclass
class FakeServer:
    """A scripted WebSocket server on loopback that records every connection's query string."""

    handler: Handler
    refuse: dict[int, int] = field(default_factory=dict)  # connection number -> HTTP status
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)
    url: str = ""

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        self.queries.append(parse_qs(urlsplit(request.path).query))
        status = self.refuse.get(len(self.queries))
        if status:
            return ws.respond(HTTPStatus(status), "refused\n")
        return None

    async def _serve(self, ws: ServerConnection) -> None:
        number = len(self.queries)
        try:
            await self.handler(self, ws, number)
        finally:
            await ws.wait_closed()
            self.close_codes.append(ws.close_code)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeServer]:
        async with serve(self._serve, "127.0.0.1", 0, process_request=self._process_request) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}/api/v1/ws/tws-general"
            yield self


async def welcome(ws: ServerConnection, conversation_id: str, continued: bool = False) -> None:
    text = "Bem-vindo de volta!" if continued else "Olá!"
    await ws.send(
        json.dumps(
            {
                "type": "welcome",
                "agent": "tws-general",
                "conversationId": conversation_id,
                "message": text,
                "continued": continued,
            }
        )
    )


def reply(text: str, mid: str = "m-1", **extra: Any) -> str:
    return json.dumps({"type": "message", "sender": "agent", "message": text, "messageId": mid, **extra})


class ScriptedLines:
    """Input lines for the client; a callable entry is awaited first (e.g. 'until X was printed')."""

    def __init__(self, *items: str | Callable[[], Awaitable[None]]) -> None:
        self.items = list(items)
        self.prompting = False

    async def next_line(self, prompt: str) -> str | None:
        while self.items:
            item = self.items.pop(0)
            if isinstance(item, str):
                return item
            await item()
        return None


def printed(out: io.StringIO, needle: str) -> Callable[[], Awaitable[None]]:
    async def wait() -> None:
        while needle not in out.getvalue():
            await asyncio.sleep(0.01)

    return wait


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def run_client(server: FakeServer, *lines: Any, **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    async def scenario() -> int:
        async with server.running():
            client = ChatClient(
                server.url,
                lines=ScriptedLines(*[line(out) if callable(line) else line for line in lines]),
                out=out,
                err=err,
                sleep=no_sleep,
                welcome_timeout=2,
                **kwargs,
            )
            code = await client.run()
            await asyncio.sleep(0.05)  # let the server record the close
            return code

    code = asyncio.run(asyncio.wait_for(scenario(), T))
    return code, out.getvalue(), err.getvalue()


def test_a_question_is_answered_and_eof_closes_with_1000() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-1")
        async for data in ws:
            srv.received.append(str(data))
            await ws.send(reply("1 job em ABEND:\n- Data Processing (JOB002)", mid=f"m{len(srv.received)}"))

    server = FakeServer(handler)
    code, out, err = run_client(server, "qual job esta em abend?", "", "obrigado", token=TOKEN)
    assert code == 0, err
    assert server.received == ["qual job esta em abend?", "obrigado"]  # blank lines are not sent
    assert "tws> 1 job em ABEND:\n     - Data Processing (JOB002)\n" in out
    assert server.close_codes == [1000]
    assert server.queries[0]["token"] == [TOKEN]
    assert TOKEN not in out + err


def test_multi_part_reply_is_printed_whole_and_counts_as_one_answer() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-1")
        async for data in ws:
            srv.received.append(str(data))
            if data == '{"type": "ping"}':
                await ws.send(json.dumps({"type": "pong"}))
                continue
            for i in (2, 3, 1):
                await ws.send(
                    reply(["AAA\n", "BBB", "CCC"][i - 1], mid=f"m{len(srv.received)}", part=i, parts=3)
                )

    server = FakeServer(handler)
    code, out, _ = run_client(server, "log do JOB002", "/ping")
    assert code == 0
    assert "tws> AAA\n     BBBCCC\n[pong] conexão ativa\n" in out and out.count("tws> AAA") == 1


def test_closing_frame_reconnects_with_the_same_conversation() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        if n == 1:
            await welcome(ws, "c-77")
            srv.received.append(str(await ws.recv()))
            await ws.send(reply("resposta 1", mid="a"))
            await asyncio.sleep(0.05)
            closing = {"type": "closing", "reason": "idle", "conversationId": "c-77", "message": "Reconecte."}
            await ws.send(json.dumps(closing))
            await ws.close(1000)
            return
        await welcome(ws, "c-77", continued=True)
        async for data in ws:
            srv.received.append(str(data))
            await ws.send(reply("resposta 2", mid="b"))

    server = FakeServer(handler)
    code, out, err = run_client(
        server, "pergunta 1", lambda out: printed(out, "Bem-vindo de volta"), "pergunta 2", token=TOKEN
    )
    assert code == 0, err
    assert len(server.queries) == 2
    assert "conversationId" not in server.queries[0]
    assert server.queries[1]["conversationId"] == ["c-77"] and server.queries[1]["token"] == [TOKEN]
    order = [
        "resposta 1",
        "[conexão encerrada pelo servidor: inatividade]",
        "[reconectando à conversa c-77...]",
        "tws> Bem-vindo de volta!",
        "resposta 2",
    ]
    positions = [out.index(s) for s in order]
    assert positions == sorted(positions), out
    assert server.received == ["pergunta 1", "pergunta 2"]
    assert TOKEN not in out + err


def test_a_second_idle_close_waits_for_input_then_reconnects() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-9", continued=n > 1)
        if n < 3:  # the first two connections are closed for inactivity at once
            await ws.send(json.dumps({"type": "closing", "reason": "idle", "conversationId": "c-9"}))
            await ws.close(1000)
            return
        async for data in ws:
            srv.received.append(str(data))
            await ws.send(reply("ok", mid="m"))

    server = FakeServer(handler)
    code, _, err = run_client(server, lambda out: printed(out, "próxima mensagem"), "oi")
    assert code == 0, err
    assert len(server.queries) == 3 and server.received == ["oi"]
    assert server.queries[2]["conversationId"] == ["c-9"]


def test_unexpected_drop_reconnects_then_gives_up() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        if n == 1:
            await welcome(ws, "c-5")
            await ws.recv()
            await ws.close(1011, "boom")  # no closing frame, no answer
            return
        await ws.close(1011)

    server = FakeServer(handler, refuse={3: 503})
    code, out, err = run_client(server, "pergunta", "nunca enviada", reconnect_for=3.5)
    assert code == 1
    assert "a conexão caiu antes da resposta" in out
    assert len(server.queries) == 4  # the first connection, then attempts after waiting 0.5, 1 and 2 s
    assert all(q["conversationId"] == ["c-5"] for q in server.queries[1:])
    assert "não consegui reconectar em 4 s" in err
    assert f"Para retomar a conversa: twschat chat {server.url} --conversation c-5" in err


def test_a_line_over_the_frame_limit_is_not_sent() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-6")
        async for data in ws:
            srv.received.append(str(data))
            await ws.send(reply("ok"))

    server = FakeServer(handler)
    code, out, _ = run_client(server, "x" * 40_000, "curta")
    assert code == 0
    assert "mensagem longa demais: 39 KB, o limite é 32 KB" in out
    assert server.received == ["curta"]  # the long one never left, the connection stayed usable
    assert server.close_codes == [1000]


@pytest.mark.parametrize(
    ("status", "conversation", "needle"),
    [
        (401, None, "token recusado/expirado"),
        (403, "c-404", "conversa não encontrada"),
        (403, None, "acesso negado"),
    ],
)
def test_refused_at_connect_exits_2_without_retry(status: int, conversation: str | None, needle: str) -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:  # pragma: no cover
        await ws.close()

    server = FakeServer(handler, refuse={1: status})
    code, out, err = run_client(server, "oi", token=TOKEN, conversation_id=conversation)
    assert code == 2
    assert needle in err and len(server.queries) == 1
    assert TOKEN not in out + err


def test_refused_on_reconnect_exits_2() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-3")
        await ws.send(json.dumps({"type": "closing", "reason": "max_duration", "conversationId": "c-3"}))
        await ws.close(1000)

    server = FakeServer(handler, refuse={2: 401})
    code, _, err = run_client(server, "oi", token=TOKEN)  # issue 17: without one, "a token is needed"
    assert code == 2 and "token recusado/expirado" in err


def test_raw_mode_prints_the_frames_json_and_local_commands_stay_local() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-1")
        async for data in ws:
            srv.received.append(str(data))
            if json.loads(data).get("type") == "history":
                await ws.send(json.dumps({"type": "history", "messages": [], "nextBefore": None}))

    server = FakeServer(handler)
    code, out, _ = run_client(server, "/help", "/history 3", "/quit", "não enviada", raw=True)
    assert code == 0
    assert server.received == ['{"type": "history", "limit": 3}']
    frames = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [f["type"] for f in frames] == ["welcome", "history"]
    assert "/conversations" in out  # the help text


def test_no_answer_is_bounded() -> None:
    async def handler(srv: FakeServer, ws: ServerConnection, n: int) -> None:
        await welcome(ws, "c-1")
        async for data in ws:
            srv.received.append(str(data))

    server = FakeServer(handler)
    code, out, _ = run_client(server, "oi", "/ping", answer_timeout=0.2)
    assert code == 0 and out.count("sem resposta") == 2 and len(server.received) == 2


def test_conversations_in_the_servers_time_zone_with_their_title() -> None:
    from twschat_dev.client.render import server_zone

    frame = {
        "type": "conversations",
        "conversationId": "c-2",
        "conversations": [
            {
                "conversationId": "c-2",
                "agent": "tws-general",
                "createdAt": "2026-01-02T03:04:05Z",
                "title": "qual job esta em abend?",
            },
            {
                "conversationId": "c-1",
                "agent": "tws-general",
                "createdAt": "2026-01-01T13:00:00Z",
                "title": "",
            },
        ],
    }
    shown = render(frame, server_zone("America/Sao_Paulo"))
    assert "02/01 00:04" in shown and "01/01 10:00" in shown  # UTC-3, as the messages are
    assert "qual job esta em abend?" in shown and "03:04" not in shown
