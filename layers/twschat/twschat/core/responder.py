"""The responder seam: (agent, history window, message) -> reply.

Pure: no AWS, no I/O of its own except through the TWS source it is given. The chat service calls
``Responder.respond`` once per turn with the window it loaded from the store; whatever structured
context the responder wants to see again on a later turn (the jobs a reply referred to, a pending
action) goes into ``Reply.context`` and is stored beside the reply, so it survives reconnects and
cold starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["user", "agent"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One stored message as the responder sees it (oldest first in a window)."""

    role: Role
    text: str
    context: Mapping[str, Any] = field(default_factory=dict)
    created_at_ms: int = 0
    """When the message was received (user) or stored and sent (agent), epoch milliseconds; 0 unknown."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is talking. In development mode everybody is the anonymous operator."""

    user_id: str = "anonymous"
    username: str = "anonymous"
    roles: tuple[str, ...] = ("operator",)


@dataclass(frozen=True, slots=True)
class ResponderRequest:
    agent: str
    message: str
    history: Sequence[Turn] = ()
    """The recent window, oldest first, without ``message`` itself."""
    default_language: str = "pt"
    principal: Principal = field(default_factory=Principal)
    connection_id: str = ""
    conversation_id: str = ""
    received_at_ms: int = 0
    """When API Gateway received this frame (epoch ms); a confirmation counts only if it was received
    after the prompt it answers was sent (``Turn.created_at_ms``). 0 when unknown (tests, tools)."""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    language: str = "pt"
    intent: str = "unknown"
    context: Mapping[str, Any] = field(default_factory=dict)
    quick_replies: tuple[str, ...] = ()
    """Answers a client may offer as buttons (e.g. ("sim", "não") for a confirmation prompt, or a
    follow-up such as "ver o log"); each is sent as the user's text when chosen."""
    lead: str = ""
    """Model-written text that comes before ``text`` (a code-written confirmation question): the chat
    service sends it as its own ``message`` frame, without quick replies, so model text can neither
    share the question's bubble nor carry its buttons. Empty for most replies."""


class Responder(Protocol):
    def respond(self, request: ResponderRequest) -> Reply: ...


class AfterReply(Protocol):
    """Optional, beside :class:`Responder`: work a responder does once its reply is stored and posted
    (the LLM responder refreshes its running summary there). The chat service calls it off the reply's
    critical path; a failure is logged and never changes the turn."""

    def after_reply(self, request: ResponderRequest, reply: Reply) -> None: ...


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A responder's running summary of a conversation's older messages: one bounded item kept beside
    the history (see :class:`twschat.persistence.history.HistoryStore`), rewritten under a version."""

    conversation_key: str
    text: str
    version: int = 0
    """0: none stored yet; each write stores ``version + 1`` only if the stored one is still ``version``."""
    covered_key: str = ""
    """The message key of the newest message the summary covers ("" none)."""
    covered_until_ms: int = 0
    """That message's ``created_at`` (epoch ms): the responder's window starts after it."""
    messages: int = 0
    """How many messages the summary covers."""
    updated_at_ms: int = 0
