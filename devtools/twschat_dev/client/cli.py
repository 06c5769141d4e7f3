"""``twschat chat``: the command line, and the terminal's line editor."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twschat_dev.chat_memory import ConversationMemory, token_user
from twschat_dev.client.render import (
    _AGENT_PATH,
    DEFAULT_AGENT,
    RECONNECT_FOR_S,
    build_url,
    redact_url,
    url_agent,
)
from twschat_dev.client.session import ChatClient, LineSource

HISTORY_FILE_ENV = "TWSCHAT_CHAT_HISTORY"


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
