"""What ``twschat chat`` shows and reads, all pure: URLs, frames rendered for a human, reply parts put
back together, the local ``/commands``, and what to do when a connection ends."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Frame = dict[str, Any]

DEFAULT_AGENT = "tws-general"
DEFAULT_BASE = "ws://localhost:8030/api/v1/ws/"
PROMPT = "você> "
AGENT_PREFIX = "tws> "
INDENT = " " * len(AGENT_PREFIX)
CLOSING_RETRIES = 5  # after a closing frame: the server asked us to come back
BACKOFF_S = (0.0, 1.0, 2.0, 4.0, 8.0)
# After an unexpected drop (a gateway restart, a network blip): keep trying for this long, with
# these waits between attempts (the last repeats), then say how to resume by hand.
RECONNECT_FOR_S = 60.0
DROP_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
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
    if kind == "alert":
        # pushed between turns (issue 18): printed above the line being typed (patch_stdout, cli.py)
        head = f"[aviso {_when(frame.get('at'), zone)}] "
        shown = _block(head, text, INDENT)
        hints = [q for q in frame.get("quickReplies") or () if isinstance(q, str)]
        if hints:
            shown += "\n" + INDENT + "[próximos passos: " + " | ".join(hints) + "]"
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
        return _render_conversations(frame, zone)
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


def _render_conversations(frame: Frame, zone: tzinfo | None = None) -> str:
    """The owner's conversations, their times in the server's zone (as history and replies) and
    their titles (the first question)."""
    found = [c for c in frame.get("conversations") or [] if isinstance(c, dict)]
    if not found:
        return "[nenhuma conversa]"
    current = frame.get("conversationId")
    out = [f"[conversas: {len(found)}]"]
    for c in found:
        mark = "  (atual)" if c.get("conversationId") == current else ""
        title = c.get("title")
        about = f"  {title}" if isinstance(title, str) and title else ""
        out.append(
            f"  {c.get('conversationId', '?')}  {c.get('agent', '?')}  {_when(c.get('createdAt'), zone)}{about}{mark}"
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
