"""The conversation model: connection and message records, their keys, and the history window.

History is one item per message under a conversation key, with a sort key that orders messages by
the time API Gateway received the user's frame. The sort key is derived from the frame's
``messageId`` so that the same frame delivered twice maps to the same keys: a conditional
"put if absent" then yields one user message and one reply, however often it is retried.
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from twschat.core.responder import Role, Turn

# \Z, not $: "$" also matches before a trailing newline ("c-abcdefgh\n" would pass).
AGENT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}\Z")
CONVERSATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}\Z")
_REPLY_ID_NAMESPACE = uuid.UUID("6f1f2a52-3d0b-4c55-9a4e-4f0f0b7e1a10")

USER_SUFFIX = "0"
REPLY_SUFFIX = "1"


def new_conversation_id(now_ms: int) -> str:
    # Time first, so a user's conversations list newest-first by key alone; random after, unguessable.
    return f"c-{now_ms:011x}{secrets.token_hex(6)}"


def conversation_key(owner: str, conversation_id: str) -> str:
    """History is keyed by owner and conversation: nobody reaches another owner's messages by id."""
    return f"{owner}#{conversation_id}"


def conversations_key(owner: str) -> str:
    """The partition listing an owner's conversations; never equal to a conversation key (ids are 8+)."""
    return f"{owner}#"


def user_message_key(request_time_epoch_ms: int, message_id: str) -> str:
    # Zero-padded epoch milliseconds sort lexicographically; the messageId keeps two frames of the
    # same millisecond apart; the suffix puts the reply right after the message it answers.
    return f"{request_time_epoch_ms:013d}#{message_id}#{USER_SUFFIX}"


def reply_message_key(user_key: str) -> str:
    return user_key[: -len(USER_SUFFIX)] + REPLY_SUFFIX


def reply_message_id(conv_key: str, user_key: str) -> str:
    """A stable id for the reply, so a client can drop a reply it already has after a redelivery."""
    return str(uuid.uuid5(_REPLY_ID_NAMESPACE, f"{conv_key}|{user_key}"))


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    connection_id: str
    agent: str
    conversation_id: str
    owner: str
    connected_at: int
    """Epoch seconds."""
    last_seen_at: int
    expires_at: int
    """Epoch seconds; DynamoDB TTL backstop for connections whose $disconnect never ran."""
    domain_name: str = ""
    stage: str = ""
    username: str = ""
    roles: tuple[str, ...] = ()
    rate_window: int = 0
    """The minute (epoch seconds // 60) that ``rate_count`` counts messages in."""
    rate_count: int = 0
    rate_prev_count: int = 0
    """Messages counted in the minute before ``rate_window`` (0 if that minute had none)."""

    @property
    def conversation_key(self) -> str:
        return conversation_key(self.owner, self.conversation_id)


@dataclass(frozen=True, slots=True)
class MessageRecord:
    conversation_key: str
    message_key: str
    role: Role
    text: str
    message_id: str
    created_at: int
    """Epoch milliseconds."""
    connection_id: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    expires_at: int | None = None

    def as_turn(self) -> Turn:
        return Turn(role=self.role, text=self.text, context=self.context, created_at_ms=self.created_at)


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    owner: str
    conversation_id: str
    agent: str
    created_at: int
    """Epoch milliseconds."""
    title: str = ""
    """Its first user message on one line (:func:`conversation_title`); "" until one is stored."""


TITLE_CHARS = 60
"""A conversation's title is at most this long: a sidebar line, not the whole question."""


def conversation_title(text: str) -> str:
    """``text`` as a conversation's title: one line, whitespace collapsed, at most :data:`TITLE_CHARS`
    characters (cut with "…")."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def messages_in_last_minute(record: ConnectionRecord, now: float) -> float:
    """The sliding-window estimate of messages in the 60 s before ``now``.

    The previous minute's count weighted by how much of it still lies within the last 60 s, plus
    the current minute's: a burst at the end of one minute still counts at the start of the next,
    so the limit cannot be passed twice across a minute boundary (a fixed window lets 2x through).
    """
    elapsed = (now % 60) / 60
    previous = record.rate_prev_count if record.rate_window == int(now) // 60 else 0
    return previous * (1 - elapsed) + record.rate_count


def seconds_until_allowed(record: ConnectionRecord, now: float, limit: int) -> int:
    """Whole seconds until one more message keeps :func:`messages_in_last_minute` within ``limit``."""
    into_minute = now % 60
    left_in_minute = 60 - into_minute
    previous = record.rate_prev_count if record.rate_window == int(now) // 60 else 0
    room = limit - record.rate_count - 1
    if previous and room >= 0:
        # Still this minute, once enough of the previous minute has slid out of the window.
        wait = left_in_minute - room * 60 / previous
        if wait < left_in_minute:
            return max(1, math.ceil(wait))
    # Next minute, once enough of this minute has slid out: count * (60 - u) / 60 + 1 <= limit.
    slide = 60 * (1 - (limit - 1) / record.rate_count) if record.rate_count else 0.0
    return max(1, math.ceil(left_in_minute + max(0.0, slide)))


StaleReason = Literal["idle", "max_duration"]


@dataclass(frozen=True, slots=True)
class StaleConnection:
    """A connection the sweeper closes: idle too long, or near API Gateway's 2-hour cap."""

    connection_id: str
    conversation_id: str
    reason: StaleReason


def window_turns(window: Sequence[MessageRecord], current_key: str) -> list[Turn]:
    """The responder's view of a loaded window: oldest first, only what came before the message being
    answered (a redelivered frame's window may also hold later messages)."""
    return [m.as_turn() for m in window if m.message_key < current_key]
