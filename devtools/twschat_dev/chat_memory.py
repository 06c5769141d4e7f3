"""The conversation ``twschat chat`` resumes by default: the last one per server, agent and user.

Like the web page (which keeps it in the browser), the terminal client continues the last
conversation it had with the same server and agent as the same user, unless ``--new``. Kept in
``~/.twschat/chat_conversations.json`` (or ``$TWSCHAT_CHAT_STATE``): ids only, never a token. The
user in the key comes from the token's claims, read without verifying them: it only keeps two
users of one machine from resuming each other's conversation (which the server would refuse anyway).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from pathlib import Path

STATE_ENV = "TWSCHAT_CHAT_STATE"
MAX_ENTRIES = 50
"""Servers remembered; the oldest are forgotten."""


def default_path() -> Path:
    return Path(os.environ.get(STATE_ENV) or Path.home() / ".twschat" / "chat_conversations.json")


def token_user(token: str | None) -> str:
    """The username (else ``sub``) a JWT names, unverified; '' for no token or not a JWT."""
    if not token or token.count(".") != 2:
        return ""
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return ""
    if not isinstance(claims, dict):
        return ""
    for name in ("cognito:username", "username", "sub"):
        if isinstance(claims.get(name), str):
            return str(claims[name])
    return ""


class ConversationMemory:
    """``recall`` and ``keep`` the conversation id of one (server URL, user) key."""

    def __init__(self, server_url: str, user: str = "", path: Path | None = None) -> None:
        self.key = f"{server_url}|{user}"
        self.path = path or default_path()

    def _load(self) -> dict[str, str]:
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}

    def recall(self) -> str | None:
        return self._load().get(self.key)

    def keep(self, conversation_id: str) -> None:
        entries = self._load()
        entries.pop(self.key, None)
        entries[self.key] = conversation_id  # last: the most recent
        kept = dict(list(entries.items())[-MAX_ENTRIES:])
        # Best effort: a read-only home only means the next run starts a new conversation.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            tmp.write_text(json.dumps(kept, indent=1), encoding="utf-8")
            tmp.replace(self.path)

    def forget(self) -> None:
        entries = self._load()
        if entries.pop(self.key, None) is not None:
            with contextlib.suppress(OSError):
                self.path.write_text(json.dumps(entries, indent=1), encoding="utf-8")
