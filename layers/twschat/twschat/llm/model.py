"""The provider-neutral model seam: what the LLM responder says to a model and hears back.

A provider (:mod:`twschat.llm.bedrock` is the one there is) turns a :class:`ModelRequest` into its wire
request, streams the answer (each text piece to ``on_delta`` as it arrives) and returns one
:class:`ModelTurn`; anything that went wrong before or inside the stream is a :class:`ModelError`. The
responder, the tools, the memory and the history speak only these types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from twschat.core.exceptions import TwsChatError

__all__ = [
    "Message",
    "ModelError",
    "ModelProvider",
    "ModelRequest",
    "ModelTurn",
    "Part",
    "TextPart",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Usage",
]

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    operator: bool = False
    """The operator's own message of this turn (a provider may pass it through its guardrail)."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    input: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    data: Mapping[str, Any]
    """Compact JSON: DATA for the model, never instructions."""
    ok: bool = True


Part = TextPart | ToolCall | ToolResult


@dataclass(slots=True)
class Message:
    """One message of the conversation sent to the model; ``parts`` in order."""

    role: Role
    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: its name, what it is for, its input's JSON schema."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ModelRequest:
    model_id: str
    system: str
    """The static instructions (a provider may cache them: they are the same every turn)."""
    messages: Sequence[Message]
    tools: Sequence[ToolSpec] = ()
    max_tokens: int = 1024
    temperature: float = 0.2
    context: str = ""
    """Per-conversation system text after the static part (the running summary): never cached."""
    cacheable_system: bool = True
    """The system text is the same on every call (a provider may cache it); False for one-off calls."""


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens


@dataclass(slots=True)
class ModelTurn:
    """One assistant message: its parts (text and tool calls, inputs parsed) and why it stopped."""

    parts: list[Part] = field(default_factory=list)
    stop_reason: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [p for p in self.parts if isinstance(p, ToolCall)]


RETRYABLE_CODES = frozenset({"malformed_tool_use", "malformed_model_output"})
"""Our codes worth another attempt (a provider passes ``retryable`` for its own)."""


class ModelError(TwsChatError):
    """A model call that gave no usable answer: ``code`` (the provider's error code, or ours:
    ``timeout``, ``connection``, ``malformed_tool_use``, ``tool_round_cap``, ``time_budget``,
    ``empty_answer``) and whether another attempt may help."""

    def __init__(self, code: str, detail: str = "", *, retryable: bool | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.retryable = code in RETRYABLE_CODES if retryable is None else retryable


@runtime_checkable
class ModelProvider(Protocol):
    def stream_turn(self, request: ModelRequest, on_delta: Callable[[str], None] | None = None) -> ModelTurn:
        """The model's answer to ``request``; ``on_delta`` sees each text piece as it arrives."""
        ...

    def cost_micro_usd(self, model_id: str, usage: Usage) -> int:
        """What ``usage`` cost on ``model_id``, in millionths of a dollar (0: no price known)."""
        ...
