"""``twschat chat``: a terminal client for operators, for the local gateway and the deployed API.

::

    twschat chat                                   # ws://localhost:8030/api/v1/ws/tws-general
    twschat chat wss://abc.execute-api.us-east-1.amazonaws.com/prod --token "$TOKEN"
    printf 'qual job esta em abend?\\nobrigado\\n' | twschat chat

Each line read from stdin is sent as a text frame and the client waits for its answer (bounded)
before reading the next one, so a pipe gives a tidy transcript and the command exits after the last
answer. Lines that start with a known ``/command`` are handled locally (``/help``). Frames are rendered
for a human by :func:`render` (pure; ``--raw`` prints the frames' JSON instead), replies split into
parts are put back together by :class:`PartAssembler`, and what to do when the connection ends is
decided by :func:`reconnect_decision` (pure): a ``closing`` frame (idle, or API Gateway's 2-hour cap)
or an unexpected drop reconnects with the same ``conversationId``, so a long conversation survives
both. HTTP 400/401/403 at connect end the command with exit code 2, no retry.

The token (``--token`` or ``TWSCHAT_TOKEN``) goes in the ``token`` query parameter, as browsers must
send it; it is never printed (URLs in messages are redacted).

Stdlib and websockets' asyncio client only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twschat_dev.chat_memory import ConversationMemory, token_user

__all__ = [
    "ANSWER_TYPES",
    "DEFAULT_AGENT",
    "ChatClient",
    "ConnectRefused",
    "Decision",
    "PartAssembler",
    "build_url",
    "parse_command",
    "reconnect_decision",
    "redact_url",
    "register",
    "render",
    "run",
]

Frame = dict[str, Any]

DEFAULT_AGENT = "tws-general"
DEFAULT_BASE = "ws://localhost:8030/api/v1/ws/"
PROMPT = "você> "
AGENT_PREFIX = "tws> "
INDENT = " " * len(AGENT_PREFIX)
ANSWER_TIMEOUT_S = 35.0  # > API Gateway's 29 s integration timeout
WELCOME_TIMEOUT_S = 10.0
OPEN_TIMEOUT_S = 15.0
CLOSE_TIMEOUT_S = 2.0
CLOSING_RETRIES = 5  # after a closing frame: the server asked us to come back
BACKOFF_S = (0.0, 1.0, 2.0, 4.0, 8.0)
# After an unexpected drop (a gateway restart, a network blip): keep trying for this long, with
# these waits between attempts (the last repeats), then say how to resume by hand.
RECONNECT_FOR_S = 60.0
DROP_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
# API Gateway closes the connection (1009) on a client frame over 32 KB: check before sending.
MAX_FRAME_BYTES = 32 * 1024
HISTORY_FILE_ENV = "TWSCHAT_CHAT_HISTORY"
MORE_WORDS = ("mais", "more")
"""``/history 20 mais``: the next (older) page."""

ANSWER_TYPES = frozenset({"message", "error", "history", "conversations", "pong"})
"""Frame types that answer something we sent (``welcome`` and ``closing`` come unasked)."""

_AGENT_PATH = re.compile(r"/api/v1/ws/([^/]+)/?$")
_TOKEN_PARAM = re.compile(r"([?&]token=)[^&#]*")


# ---------------------------------------------------------------------------------------- URL


def build_url(
    url: str | None,
    *,
    agent: str | None = None,
    conversation_id: str | None = None,
    token: str | None = None,
) -> str:
    """The URL to connect to: ``url`` (default: the local gateway for ``agent``) with ``agent``
    (only when the path names none), ``conversationId`` and ``token`` in the query string.

    Raises ValueError for a URL that is not ``ws://`` or ``wss://``.
    """
    if not url:
        url = DEFAULT_BASE + quote(agent or DEFAULT_AGENT, safe="")
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError("a URL deve começar com ws:// ou wss:// (ex.: ws://localhost:8030)")
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {k for k, _ in query}
    if not _AGENT_PATH.search(parts.path) and (agent or "agent" not in names):
        query = [(k, v) for k, v in query if k != "agent"] + [("agent", agent or DEFAULT_AGENT)]
    if conversation_id:
        query = [(k, v) for k, v in query if k != "conversationId"] + [("conversationId", conversation_id)]
    if token:
        query = [(k, v) for k, v in query if k != "token"] + [("token", token)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def url_agent(url: str) -> str | None:
    """The agent a URL names, in its path or its query string."""
    parts = urlsplit(url)
    match = _AGENT_PATH.search(parts.path)
    if match:
        return unquote(match.group(1))
    return dict(parse_qsl(parts.query)).get("agent")


def redact_url(url: str) -> str:
    """``url`` with the token's value replaced by ``***`` (for messages)."""
    return _TOKEN_PARAM.sub(r"\1***", url)


# ---------------------------------------------------------------------------------------- rendering


def _block(prefix: str, text: str, indent: str | None = None) -> str:
    """``prefix`` on the first line, the following lines indented (default: to match)."""
    lines = text.split("\n")
    indent = " " * len(prefix) if indent is None else indent
    return "\n".join([prefix + lines[0], *(indent + line if line else "" for line in lines[1:])])


def server_zone(name: object) -> tzinfo | None:
    """The zone the server writes times in (the welcome's ``timeZone``), if this machine knows it."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _when(value: Any, zone: tzinfo | None = None) -> str:
    """``createdAt`` (ISO 8601, UTC) as ``dd/mm HH:MM`` in ``zone`` — the server's, so that history
    and replies (whose text the server writes in its ``TIME_ZONE``) agree; this machine's when the
    server did not say. Anything else as it came."""
    if not isinstance(value, str) or not value:
        return "?"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%d/%m %H:%M")


def render(frame: Frame, zone: tzinfo | None = None) -> str:
    """A received frame as text for a terminal (one or more lines, no trailing newline)."""
    kind = frame.get("type")
    text = frame.get("message")
    text = text if isinstance(text, str) else ""
    if kind == "message":
        shown = _block(AGENT_PREFIX, text)
        hints = [q for q in frame.get("quickReplies") or () if isinstance(q, str)]
        if hints:  # the web page shows these as buttons; here they are what one may type
            shown += "\n" + INDENT + "[responda: " + " | ".join(hints) + "]"
        return shown
    if kind == "welcome":
        head = f"[conectado: agente {frame.get('agent', '?')}, conversa {frame.get('conversationId', '?')}"
        if frame.get("continued"):
            head += ", continuada"
        return head + "]\n" + _block(AGENT_PREFIX, text)
    if kind == "error":
        line = f"[erro {frame.get('code', '?')}] {text}".rstrip()
        retry = frame.get("retryAfter")
        if retry is not None and str(retry) not in text:
            line += f" (tente em {retry} s)"
        return line
    if kind == "closing":
        reason = {"idle": "inatividade", "max_duration": "limite de 2 horas"}.get(
            str(frame.get("reason")), str(frame.get("reason", "?"))
        )
        head = f"[conexão encerrada pelo servidor: {reason}]"
        return head + ("\n" + _block(AGENT_PREFIX, text) if text else "")
    if kind == "pong":
        return "[pong] conexão ativa"
    if kind == "history":
        return _render_history(frame, zone)
    if kind == "conversations":
        return _render_conversations(frame)
    if kind is None and text:  # API Gateway's own frames: {"message": "Forbidden", "requestId": ...}
        request_id = frame.get("requestId")
        return f"[gateway] {text}" + (f" (requestId {request_id})" if request_id else "")
    return "[frame não reconhecido] " + json.dumps(frame, ensure_ascii=False)


def _render_history(frame: Frame, zone: tzinfo | None = None) -> str:
    messages = [m for m in frame.get("messages") or [] if isinstance(m, dict)]
    if not messages:
        return "[histórico vazio]"
    out = [f"[histórico: {len(messages)} mensage{'m' if len(messages) == 1 else 'ns'}]"]
    for m in messages:
        who = "tws> " if m.get("role") == "agent" else "você> "
        body = m.get("message")
        out.append(
            _block(f"{_when(m.get('createdAt'), zone)} {who}", body if isinstance(body, str) else "", INDENT)
        )
    if frame.get("nextBefore"):  # the cursor stays in the client: /history N mais sends it
        out.append(f"[há mais antigas: /history {len(messages)} mais]")
    return "\n".join(out)


def _render_conversations(frame: Frame) -> str:
    found = [c for c in frame.get("conversations") or [] if isinstance(c, dict)]
    if not found:
        return "[nenhuma conversa]"
    current = frame.get("conversationId")
    out = [f"[conversas: {len(found)}]"]
    for c in found:
        mark = "  (atual)" if c.get("conversationId") == current else ""
        out.append(
            f"  {c.get('conversationId', '?')}  {c.get('agent', '?')}  {_when(c.get('createdAt'))}{mark}"
        )
    if frame.get("nextBefore"):
        out.append(f"[há mais: /conversations {len(found)} mais]")
    out.append("[retomar uma conversa: twschat chat --conversation ID]")
    return "\n".join(out)


def is_answer(frame: Frame) -> bool:
    """True for a frame that answers what we sent (API Gateway's typeless status frames included)."""
    kind = frame.get("type")
    return kind in ANSWER_TYPES or (kind is None and isinstance(frame.get("message"), str))


class PartAssembler:
    """Puts multi-part replies (``part`` 1..``parts``, same ``messageId``) back together, in order.

    :meth:`add` returns the frame to show: the frame itself when it is not a part, ``None`` while
    parts are missing, the whole reply (``part``/``parts`` removed) when the last one arrives. A part
    or a reply delivered twice (API Gateway redelivers; the server answers with the same
    ``messageId``) is shown once. Bounded: at most ``max_pending`` incomplete replies are kept.
    """

    def __init__(self, max_pending: int = 16, remember: int = 256) -> None:
        self.max_pending = max_pending
        self.remember = remember
        self._pending: OrderedDict[str, dict[int, Frame]] = OrderedDict()
        self._done: OrderedDict[str, None] = OrderedDict()

    def add(self, frame: Frame) -> Frame | None:
        if frame.get("type") != "message":
            return frame
        message_id = frame.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            return frame
        if message_id in self._done:
            return None  # a redelivered reply (or one of its parts): already shown
        part, parts = frame.get("part"), frame.get("parts")
        if part is None and parts is None:
            self._finish(message_id)
            return frame
        if (
            not isinstance(part, int)
            or not isinstance(parts, int)
            or isinstance(part, bool)
            or isinstance(parts, bool)
            or not 1 <= part <= parts
        ):
            return frame  # malformed: show what came rather than lose it
        bucket = self._pending.setdefault(message_id, {})
        bucket[part] = frame
        if len(bucket) < parts:
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
            return None
        del self._pending[message_id]
        self._finish(message_id)
        whole = {k: v for k, v in bucket[1].items() if k not in ("part", "parts")}
        whole["message"] = "".join(str(bucket[i].get("message", "")) for i in range(1, parts + 1))
        return whole

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _finish(self, message_id: str) -> None:
        self._done[message_id] = None
        while len(self._done) > self.remember:
            self._done.popitem(last=False)


# ---------------------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after the connection ended."""

    action: str  # "reconnect", "wait_input" (reconnect when the user sends something), "give_up"
    delay: float = 0.0
    message: str = ""


def reconnect_decision(
    closing_reason: str | None,
    attempt: int,
    *,
    idle_without_input: int = 0,
    waited: float = 0.0,
    reconnect_for: float = RECONNECT_FOR_S,
) -> Decision:
    """After a connection ended: reconnect (after ``delay``), wait for input, or give up.

    ``closing_reason``: the ``reason`` of the closing frame the server sent first (``idle``,
    ``max_duration``), or None for an unexpected drop. ``attempt``: reconnection attempts already
    failed since then. ``idle_without_input``: how many times in a row we reconnected after an idle
    close with nothing typed since; a second idle close in a row waits for the user instead of
    reconnecting every few minutes while nobody is there. ``waited``: seconds already spent waiting
    between attempts since the drop; a drop (a gateway restart) is retried for ``reconnect_for``.
    """
    if closing_reason is not None:
        if closing_reason == "idle" and idle_without_input >= 1 and attempt == 0:
            return Decision("wait_input", message="reconecto quando você enviar a próxima mensagem")
        if attempt < CLOSING_RETRIES:
            return Decision("reconnect", BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
        return Decision("give_up", message=f"não consegui reconectar após {attempt} tentativas")
    if waited < reconnect_for:
        delay = DROP_BACKOFF_S[min(attempt, len(DROP_BACKOFF_S) - 1)]
        return Decision("reconnect", min(delay, reconnect_for - waited))
    return Decision(
        "give_up",
        message=f"conexão perdida; não consegui reconectar em {reconnect_for:.0f} s ({attempt} tentativas)",
    )


# ---------------------------------------------------------------------------------------- commands

HELP = """\
Comandos (o resto é enviado ao assistente):
  /history [N] [mais]        últimas N mensagens desta conversa (1-50, padrão 20); mais: as anteriores
  /conversations [N] [mais]  suas conversas; mais: as seguintes
  /ping                      testa a conexão
  /quit                      sai (também Ctrl-D ou Ctrl-C)
  /help                      esta ajuda"""

_COMMANDS = {
    "/history": "history",
    "/historico": "history",
    "/conversations": "conversations",
    "/conversas": "conversations",
    "/ping": "ping",
    "/quit": "quit",
    "/exit": "quit",
    "/sair": "quit",
    "/help": "help",
    "/ajuda": "help",
    "/?": "help",
}


@dataclass(frozen=True, slots=True)
class Command:
    kind: str  # "send", "skip", "quit", "help", "usage"
    payload: str = ""


def parse_command(line: str) -> Command:
    """One input line: a local command, a frame to send, or nothing.

    A known ``/command`` is handled here; a lone unknown ``/word`` gets a hint (a typo should not go
    to the assistant); anything else, ``/opt/app/log cheio?`` included, is sent as typed.
    """
    text = line.rstrip("\r\n")
    if not text.strip():
        return Command("skip")
    words = text.split()
    name = words[0].lower()
    kind = _COMMANDS.get(name)
    if kind is None:
        if re.fullmatch(r"/[a-z]+", name) and len(words) == 1:
            return Command("usage", f"comando desconhecido: {words[0]} (veja /help)")
        return Command("send", text)
    if kind in ("quit", "help", "ping"):
        return Command(kind, json.dumps({"type": "ping"}) if kind == "ping" else "")
    request: dict[str, Any] = {"type": kind}
    args = words[1:]
    more = bool(args) and args[-1].lower() in MORE_WORDS  # the next page: the client knows the cursor
    if more:
        args = args[:-1]
    if len(args) > 2 - more or (args and not args[0].isdigit()):
        return Command("usage", f"uso: {words[0]} [N] [mais]  (N: 1-50)")
    if args:
        request["limit"] = int(args[0])
    elif kind == "history":
        request["limit"] = 20
    if len(args) == 2:
        request["before"] = args[1]
    return Command("more" if more else "send", json.dumps(request))


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


class TerminalLines:
    """Lines typed at a terminal, with line editing (arrows, Home/End, Ctrl-W...) and history
    (Up/Down, Ctrl-R; kept across sessions in ``~/.twschat/chat_history`` or $TWSCHAT_CHAT_HISTORY).

    prompt_toolkit draws the prompt; whatever the client prints meanwhile goes above it (the client
    runs inside ``patch_stdout``), so an answer arriving while one types does not mangle the line.
    """

    def __init__(self, history_file: Path | None = None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        path = history_file or Path(
            os.environ.get(HISTORY_FILE_ENV) or Path.home() / ".twschat" / "chat_history"
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            history: FileHistory | InMemoryHistory = FileHistory(str(path))
        except OSError:  # a read-only home: edit and recall within this session only
            history = InMemoryHistory()
        self.session: Any = PromptSession(history=history)

    async def next_line(self, prompt: str) -> str | None:
        try:
            line: str = await self.session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: leave
            return None
        return line


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


# ---------------------------------------------------------------------------------------- CLI


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "chat",
        help="chat from the terminal (local gateway or the deployed API)",
        description="Chat with the TWS assistant from a terminal. Reads lines from stdin (a terminal "
        "or a pipe), prints the answers; /help lists the local commands. Reconnects with the same "
        "conversationId when the server closes an idle connection or one near the 2-hour limit. "
        "Exit codes: 0 done, 1 could not connect or reconnect, 2 refused (token, conversation).",
    )
    parser.add_argument(
        "url",
        nargs="?",
        default=os.environ.get("TWSCHAT_URL") or None,
        help="ws:// or wss:// URL (default: $TWSCHAT_URL, else ws://localhost:8030/api/v1/ws/AGENT)",
    )
    parser.add_argument(
        "--agent",
        default=None,
        help=f"agent, when the URL names none in its path (default: {DEFAULT_AGENT})",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--conversation",
        metavar="ID",
        help="continue this conversation (conversationId); default: the last one with this server",
    )
    which.add_argument("--new", action="store_true", help="start a new conversation instead of the last one")
    parser.add_argument(
        "--token",
        default=None,
        help="ID token, sent as the token query parameter (default: $TWSCHAT_TOKEN); never printed",
    )
    parser.add_argument("--raw", action="store_true", help="print the frames' JSON instead of rendering them")
    parser.add_argument(
        "--reconnect-for",
        type=float,
        default=RECONNECT_FOR_S,
        metavar="SECONDS",
        help=f"after the connection drops, keep reconnecting this long (default {RECONNECT_FOR_S:.0f})",
    )
    parser.set_defaults(func=run)


def _client(args: argparse.Namespace, token: str | None, lines: LineSource | None) -> ChatClient:
    memory = ConversationMemory(redact_url(build_url(args.url, agent=args.agent)), token_user(token))
    if getattr(args, "new", False):
        memory.forget()
    return ChatClient(
        args.url,
        agent=args.agent,
        conversation_id=args.conversation,
        token=token,
        raw=args.raw,
        lines=lines,
        reconnect_for=args.reconnect_for,
        memory=memory,
    )


def run(args: argparse.Namespace) -> int:
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    token = args.token or os.environ.get("TWSCHAT_TOKEN") or None
    try:
        build_url(args.url, agent=args.agent)
    except ValueError as exc:
        print(f"twschat chat: {exc}", file=sys.stderr)
        return 2
    named = url_agent(args.url) if args.url else None
    if args.agent and named and named != args.agent and _AGENT_PATH.search(urlsplit(args.url).path):
        print(
            f"twschat chat: a URL já escolhe o agente {named}; --agent {args.agent} ignorado", file=sys.stderr
        )
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not args.raw
    try:
        if interactive:
            from prompt_toolkit.patch_stdout import patch_stdout

            with patch_stdout(raw=True):
                # Built inside patch_stdout: the client prints through its proxy, above the prompt.
                client = _client(args, token, TerminalLines())
                return asyncio.run(client.run())
        return asyncio.run(_client(args, token, None).run())
    except KeyboardInterrupt:
        # asyncio.run cancelled the session, whose finally closed the socket with 1000.
        sys.stdout.write("\n")
        sys.stdout.flush()
        return 130
