"""``twschat chat``'s session (:class:`ChatClient`): connect, read lines, send, wait for answers,
render, reconnect; lines from stdin (:class:`StdinLines`).

Longer than 400 lines: one class, the connection's life (welcome, answers, closing frames, drops,
resuming) shares its state (the socket, the receiver task, the answer queue)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol, TextIO
from urllib.parse import quote

from twschat_dev.chat_memory import ConversationMemory
from twschat_dev.client.render import (
    HELP,
    PROMPT,
    RECONNECT_FOR_S,
    Command,
    Frame,
    PartAssembler,
    build_url,
    is_answer,
    parse_command,
    reconnect_decision,
    redact_url,
    render,
    server_zone,
)

ANSWER_TIMEOUT_S = 35.0  # > API Gateway's 29 s integration timeout
WELCOME_TIMEOUT_S = 10.0
OPEN_TIMEOUT_S = 15.0
CLOSE_TIMEOUT_S = 2.0
# API Gateway closes the connection (1009) on a client frame over 32 KB: check before sending.
MAX_FRAME_BYTES = 32 * 1024


# ---------------------------------------------------------------------------------------- I/O


class LineSource(Protocol):
    async def next_line(self, prompt: str) -> str | None:
        """The next line (without its newline), or None at end of input."""
        ...


class StdinLines:
    """Lines from stdin, read in a daemon thread (works for a terminal, a pipe and a file; the
    thread never blocks interpreter exit). Shows ``prompt`` first when stdin is a terminal."""

    def __init__(self, stream: TextIO | None = None, out: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.out = out or sys.stdout
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.prompting = False

    async def next_line(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(value: str | None) -> None:
            if not future.done():
                future.set_result(value)

        def read() -> None:
            if self.interactive:
                self.prompting = True
                self.out.write(prompt)
                self.out.flush()
            try:
                line: str | None = self.stream.readline()
            except (OSError, ValueError):
                line = ""
            self.prompting = False
            if not line:
                if self.interactive:
                    self.out.write("\n")
                    self.out.flush()
                line = None
            with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting
                loop.call_soon_threadsafe(deliver, line.rstrip("\r\n") if line is not None else None)

        threading.Thread(target=read, name="twschat-stdin", daemon=True).start()
        return await future


class ConnectRefused(Exception):
    """The server refused the WebSocket handshake with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class GiveUp(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(slots=True)
class _Ended:
    closing_reason: str | None
    code: int | None


def refusal_message(status: int, *, conversation_id: str | None, token_given: bool = True) -> str:
    if status == 401 and not token_given:
        return (
            "este servidor exige um token (HTTP 401): gere um com twschat token --user NOME --role operator "
            "(ou entre pelo Cognito) e passe --token ou TWSCHAT_TOKEN"
        )
    if status == 401:
        return "token recusado/expirado (HTTP 401): gere outro token e passe --token ou TWSCHAT_TOKEN"
    if status == 403:
        if conversation_id:
            return f"conversa não encontrada (HTTP 403): {conversation_id} não existe ou não é sua"
        return "acesso negado (HTTP 403)"
    if status == 400:
        return "conexão recusada (HTTP 400): agent ou conversationId inválido"
    if status == 404:
        return "endereço não encontrado (HTTP 404): confira a URL (ex.: ws://localhost:8030/api/v1/ws/tws-general)"
    return f"conexão recusada (HTTP {status})"


FATAL_STATUSES = frozenset({400, 401, 403, 404})


class ChatClient:
    """The I/O loop: connect, read lines, send, wait for answers, render, reconnect."""

    def __init__(
        self,
        url: str | None,
        *,
        agent: str | None = None,
        conversation_id: str | None = None,
        token: str | None = None,
        raw: bool = False,
        lines: LineSource | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        answer_timeout: float = ANSWER_TIMEOUT_S,
        welcome_timeout: float = WELCOME_TIMEOUT_S,
        open_timeout: float = OPEN_TIMEOUT_S,
        reconnect_for: float = RECONNECT_FOR_S,
        memory: ConversationMemory | None = None,
    ) -> None:
        self.url = url
        self.memory = memory
        """Where the conversation to resume by default is kept (``twschat chat`` without --new)."""
        self._cursors: dict[str, str] = {}
        """``nextBefore`` of the last history / conversations page: what ``/history N mais`` sends."""
        self.agent = agent
        self.conversation_id = conversation_id or None
        self.token = token or None
        self.raw = raw
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.lines: LineSource = lines or StdinLines(out=self.out)
        self.sleep = sleep
        self.answer_timeout = answer_timeout
        self.welcome_timeout = welcome_timeout
        self.open_timeout = open_timeout
        self.reconnect_for = reconnect_for
        self.zone: tzinfo | None = None
        """The server's time zone (from the welcome): history times are shown in it."""
        self.assembler = PartAssembler()
        self.ws: Any = None
        self.connections = 0
        self._receiver: asyncio.Task[_Ended] | None = None
        self._answers: asyncio.Queue[Frame] = asyncio.Queue()
        self._welcome: asyncio.Event = asyncio.Event()
        self._pending_line: asyncio.Task[str | None] | None = None
        self._idle_without_input = 0
        self._waiting_input = False  # idle twice in a row: reconnect on the next line
        self._reconnect_asked = False

    # -- output
    def _print(self, text: str) -> None:
        prompting = bool(getattr(self.lines, "prompting", False))
        self.out.write(("\n" if prompting else "") + text + "\n" + (PROMPT if prompting else ""))
        self.out.flush()

    def notice(self, text: str) -> None:
        """The client's own status lines: stdout with the transcript, stderr with --raw."""
        if self.raw:
            self.err.write(f"twschat chat: {text}\n")
            self.err.flush()
        else:
            self._print(f"[{text}]")

    def fail(self, text: str) -> None:
        self.err.write(f"twschat chat: {self._scrub(text)}\n")
        self.err.flush()

    def _describe(self, exc: BaseException) -> str:
        text = str(exc)
        return self._scrub(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)

    def _scrub(self, text: str) -> str:
        text = redact_url(text)
        if self.token:
            for form in {self.token, quote(self.token, safe="")}:
                text = text.replace(form, "***")
        return text

    # -- connection
    async def connect(self) -> None:
        """Open a connection (with the current conversationId) and wait, bounded, for the welcome."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        url = build_url(self.url, agent=self.agent, conversation_id=self.conversation_id, token=self.token)
        try:
            ws = await connect(
                url,
                open_timeout=self.open_timeout,
                close_timeout=CLOSE_TIMEOUT_S,
                user_agent_header="twschat-chat",
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            message = refusal_message(
                status, conversation_id=self.conversation_id, token_given=self.token is not None
            )
            raise ConnectRefused(status, message) from None
        self.ws = ws
        self.connections += 1
        self._welcome = asyncio.Event()
        self._answers = asyncio.Queue()
        self._receiver = asyncio.create_task(self._receive(ws))
        welcome = asyncio.ensure_future(self._welcome.wait())
        try:
            await asyncio.wait(
                {welcome, self._receiver}, timeout=self.welcome_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            welcome.cancel()
        if self._receiver.done() and not self._welcome.is_set():
            ended = self._receiver.result()
            self._receiver, self.ws = None, None
            raise ConnectionError(f"o servidor fechou a conexão antes das boas-vindas (código {ended.code})")

    async def _receive(self, ws: Any) -> _Ended:
        from websockets.exceptions import ConnectionClosed

        closing_reason: str | None = None
        try:
            async for data in ws:
                if isinstance(data, bytes):
                    self.notice(f"frame binário ignorado ({len(data)} bytes)")
                    continue
                try:
                    frame = json.loads(data)
                except ValueError:
                    frame = None
                if not isinstance(frame, dict):
                    self._print(data if self.raw else f"[texto do servidor] {data}")
                    continue
                if self.raw:
                    self._print(data)
                shown = self.assembler.add(frame)
                if shown is None:
                    continue
                if not self.raw:
                    if shown.get("type") == "welcome":
                        self.zone = server_zone(shown.get("timeZone")) or self.zone
                    try:
                        text = render(shown, self.zone)
                    except Exception:  # a frame shaped like nothing we know: show it as it came
                        text = "[frame não reconhecido] " + data
                    self._print(text)
                kind = shown.get("type")
                if kind in ("history", "conversations"):
                    cursor = shown.get("nextBefore")
                    self._cursors.pop(str(kind), None)
                    if isinstance(cursor, str):
                        self._cursors[str(kind)] = cursor
                if kind == "welcome":
                    if isinstance(shown.get("conversationId"), str):
                        self.conversation_id = shown["conversationId"]
                        if self.memory is not None:
                            self.memory.keep(shown["conversationId"])
                    self._welcome.set()
                elif kind == "closing":
                    closing_reason = str(shown.get("reason") or "closing")
                    if isinstance(shown.get("conversationId"), str):
                        self.conversation_id = shown["conversationId"]
                elif kind == "error" and shown.get("code") == "unknown_connection":
                    # The server lost this connection's record: a new connection is the fix.
                    self._reconnect_asked = True
                if is_answer(shown):
                    self._answers.put_nowait(shown)
                if self._reconnect_asked:
                    await ws.close(1000)
        except ConnectionClosed:
            pass
        return _Ended(closing_reason, ws.close_code)

    async def _after_close(self) -> None:
        """The receiver ended: reconnect as :func:`reconnect_decision` says, or raise GiveUp."""
        assert self._receiver is not None
        ended = self._receiver.result()
        self._receiver = None
        self.ws = None
        reason = ended.closing_reason
        if reason is None and self._reconnect_asked:
            reason = "unknown_connection"
        self._reconnect_asked = False
        if reason is None:
            self.notice(f"conexão perdida (código {ended.code})")
        await self._reconnect(reason)

    def resume_command(self) -> str:
        """The exact command that resumes this conversation later (never with the token itself)."""
        words = ["twschat", "chat"]
        if self.url:
            words.append(redact_url(self.url))
        if self.agent:
            words += ["--agent", self.agent]
        if self.conversation_id:
            words += ["--conversation", self.conversation_id]
        if self.token:
            words += ["--token", '"$TWSCHAT_TOKEN"']
        return " ".join(words)

    async def _reconnect(self, reason: str | None) -> None:
        """Reconnect with the same conversationId, with bounded retries and backoff."""
        attempt = 0
        waited = 0.0
        while True:
            decision = reconnect_decision(
                reason,
                attempt,
                idle_without_input=self._idle_without_input,
                waited=waited,
                reconnect_for=self.reconnect_for,
            )
            if decision.action == "wait_input":
                self._waiting_input = True
                self.notice(decision.message)
                return
            if decision.action == "give_up":
                raise GiveUp(f"{decision.message}. Para retomar a conversa: {self.resume_command()}")
            await self.sleep(decision.delay)
            waited += decision.delay
            self.notice(f"reconectando à conversa {self.conversation_id or '(nova)'}...")
            try:
                await self.connect()
            except ConnectRefused as exc:
                if exc.status in FATAL_STATUSES:
                    raise GiveUp(exc.message, code=2) from None
                self.notice(exc.message)
            except Exception as exc:
                self.notice(f"falha ao reconectar: {self._describe(exc)}")
            else:
                if reason == "idle":
                    self._idle_without_input += 1
                return
            attempt += 1

    # -- input
    async def _next_line(self) -> str | None:
        """The next input line, handling the connection's end meanwhile (closing frames, drops)."""
        if self._pending_line is None:
            self._pending_line = asyncio.create_task(self.lines.next_line(PROMPT))
        while True:
            waiters: set[asyncio.Future[Any]] = {self._pending_line}
            if self._receiver is not None:
                waiters.add(self._receiver)
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if self._receiver is not None and self._receiver.done():
                await self._after_close()
                continue
            line_task, self._pending_line = self._pending_line, None
            return line_task.result()

    async def _send_and_wait(self, payload: str) -> None:
        """Send one frame and wait (bounded) for its answer; a drop meanwhile reconnects."""
        from websockets.exceptions import ConnectionClosed

        self._idle_without_input = 0
        if self._waiting_input or self.ws is None:
            self._waiting_input = False
            await self._reconnect("resume")
        while not self._answers.empty():
            self._answers.get_nowait()
        try:
            await self.ws.send(payload)
        except ConnectionClosed:
            # Not sent: reconnect and send once more on the new connection.
            assert self._receiver is not None
            await asyncio.wait({self._receiver})
            await self._after_close()
            if self.ws is None:
                self._waiting_input = False
                await self._reconnect("resume")
            await self.ws.send(payload)
        assert self._receiver is not None
        answer = asyncio.ensure_future(self._answers.get())
        try:
            done, _ = await asyncio.wait(
                {answer, self._receiver}, timeout=self.answer_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not answer.done():
                answer.cancel()
        if answer in done:
            return
        if self._receiver.done():
            self.notice("a conexão caiu antes da resposta; a mensagem pode não ter sido processada")
            await self._after_close()
            return
        self.notice(f"sem resposta em {self.answer_timeout:.0f} s")

    # -- the whole session
    async def run(self) -> int:
        try:
            try:
                await self._connect_resuming()
            except ConnectRefused as exc:
                self.fail(exc.message)
                return 2 if exc.status in FATAL_STATUSES else 1
            except Exception as exc:
                where = redact_url(build_url(self.url, agent=self.agent))
                self.fail(f"não consegui conectar a {where}: {self._describe(exc)}")
                return 1
            while True:
                line = await self._next_line()
                if line is None:
                    return 0
                command = parse_command(line)
                if command.kind == "quit":
                    return 0
                if command.kind == "skip":
                    continue
                if command.kind in ("help", "usage"):
                    self._print(HELP if command.kind == "help" else f"[{command.payload}]")
                    continue
                if command.kind == "more":
                    page = self._next_page(command.payload)
                    if page is None:
                        self._print("[não há mais o que mostrar]")
                        continue
                    command = Command("send", page)
                size = len(command.payload.encode("utf-8"))
                if size > MAX_FRAME_BYTES:
                    # API Gateway would close the connection (1009) on a frame this big.
                    self._print(
                        f"[mensagem longa demais: {size / 1024:.0f} KB, o limite é "
                        f"{MAX_FRAME_BYTES // 1024} KB; resuma ou divida em partes] (não enviada)"
                    )
                    continue
                await self._send_and_wait(command.payload)
        except GiveUp as exc:
            self.fail(exc.message)
            return exc.code
        finally:
            await self.close()

    async def _connect_resuming(self) -> None:
        """Connect; without a conversation asked for, resume the remembered one, and when the server
        refuses it (gone, another user's), say so and start a new one."""
        remembered = None
        if self.conversation_id is None and self.memory is not None:
            remembered = self.conversation_id = self.memory.recall()
        try:
            await self.connect()
        except ConnectRefused as exc:
            if remembered is None or exc.status not in (400, 403) or self.memory is None:
                raise
            self.fail(
                f"a conversa anterior {remembered} não pôde ser retomada ({exc.message}); "
                "começando uma nova (--new sempre começa uma nova)"
            )
            self.memory.forget()
            self.conversation_id = None
            await self.connect()

    def _next_page(self, payload: str) -> str | None:
        """The page after the last one shown of this kind, with the cursor only the client keeps."""
        request = json.loads(payload)
        cursor = self._cursors.get(request["type"])
        if cursor is None:
            return None
        return json.dumps({**request, "before": cursor})

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(1000)
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.cancel()
            with contextlib.suppress(BaseException):
                await receiver
        if self._pending_line is not None:
            self._pending_line.cancel()
