"""The responder seam: (agent, history window, message) -> reply.

Pure: no AWS, no I/O of its own except through the TWS source it is given. The chat service calls
``Responder.respond`` once per turn with the window it loaded from the store. The reply is a typed
contract: the text and its buttons, the responder's own state (``Reply.context``: opaque to the
platform, stored beside the reply and handed back in ``WindowMessage.context`` on later turns, so it survives
reconnects and cold starts), the model's per-turn figures (``Reply.telemetry``) and the TWS failure it
explains (``Reply.error_code``). The platform reads the typed fields, never the state.

Optional capabilities are protocols the platform checks by type (``isinstance``):
:class:`StreamingResponder` (its text reaches the client as it is written) and :class:`AfterReply`
(work once the reply is stored and posted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["user", "agent"]
DeltaCallback = Callable[[str], None]
"""A piece of the reply's text, as the model writes it."""
ProgressCallback = Callable[[str, str], None]
"""(stage, detail): ``model`` (thinking), ``tool`` (its name), ``retry``/``fallback`` (a code)."""


@dataclass(frozen=True, slots=True)
class WindowMessage:
    """One stored message as the responder sees it (oldest first in a window)."""

    role: Role
    text: str
    context: Mapping[str, Any] = field(default_factory=dict)
    created_at_ms: int = 0
    """When the message was received (user) or stored and sent (agent), epoch milliseconds; 0 unknown."""


Turn = WindowMessage
"""The former name of :class:`WindowMessage` (kept: callers and tests use it)."""


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
class ModelTelemetry:
    """What a model-written (or model-attempted) turn cost and did: the turn's log line and metrics.

    :meth:`to_dict` is the JSON the LLM responder also keeps in its stored state (its keys and order
    are what stored replies hold)."""

    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    tool_calls: int = 0
    tool_rounds: int = 0
    model_calls: int = 0
    retries: int = 0
    proposals_rejected: int = 0
    """A model's proposal the operator's words did not ask for (dropped, counted)."""
    fallback: bool = False
    """The rules answered (the model could not)."""
    cost_micro_usd: int = 0
    latency_ms: int = 0
    fallback_reason: str = ""
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "tool_calls": self.tool_calls,
            "tool_rounds": self.tool_rounds,
            "model_calls": self.model_calls,
            "retries": self.retries,
            "proposals_rejected": self.proposals_rejected,
            "fallback": self.fallback,
            "cost_micro_usd": self.cost_micro_usd,
            "latency_ms": self.latency_ms,
        }
        if self.fallback_reason:
            out["fallback_reason"] = self.fallback_reason
        if self.errors:
            out["errors"] = list(self.errors)
        return out


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    language: str = "pt"
    intent: str = "unknown"
    context: Mapping[str, Any] = field(default_factory=dict)
    """The responder's state: opaque to the platform, stored beside the reply as it is (JSON, no
    floats) and given back as ``Turn.context`` on later turns."""
    quick_replies: tuple[str, ...] = ()
    """Answers a client may offer as buttons (e.g. ("sim", "não") for a confirmation prompt, or a
    follow-up such as "ver o log"); each is sent as the user's text when chosen."""
    lead: str = ""
    """Model-written text that comes before ``text`` (a code-written confirmation question): the chat
    service sends it as its own ``message`` frame, without quick replies, so model text can neither
    share the question's bubble nor carry its buttons. Empty for most replies."""
    telemetry: ModelTelemetry | None = None
    """A model's per-turn figures (None: no model was involved)."""
    error_code: str = ""
    """The TWS failure the reply explains (``unreachable``, ``timeout``, ``auth``... ``internal``); the
    platform counts it (``TwsErrors``). Empty for an ordinary answer."""
    blocks: tuple[Mapping[str, Any], ...] = ()
    """The answer's data as structured blocks (docs/blocks.md: ``jobs``, ``log``, ``confirmation``...),
    JSON values only, built from what the TWS returned, never from model text. Sent on the ``message``
    frame (every part) and kept with the reply, so the history redraws them; ``text`` still tells all."""


class Responder(Protocol):
    def respond(self, request: ResponderRequest) -> Reply: ...


@runtime_checkable
class StreamingResponder(Protocol):
    """Optional, beside :class:`Responder`: a responder whose text reaches the client as it is written.
    The chat service calls ``respond_streamed`` instead of ``respond`` with callbacks that post delta
    and progress frames (the reply's ``messageId``); the final reply is still returned whole."""

    def respond_streamed(
        self, request: ResponderRequest, *, on_delta: DeltaCallback, on_progress: ProgressCallback
    ) -> Reply: ...


@runtime_checkable
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
