"""The conversation as the model sees it, provider-neutral: stored turns as alternating messages (an
agent turn that used tools preceded by its stored calls and results, so a follow-up sees the data),
and the token budget that keeps the oldest out.

Token estimate: ``ceil(characters / 4)`` per piece (a text; a tool call's name plus its input as compact
JSON; a tool result as compact JSON) — the approximation the fake Bedrock counts with. A real tokenizer
differs (Portuguese runs a little above 4 characters a token, JSON below): the budget it drives is a
bound on the prompt's growth, not a bill.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from twschat.core.responder import Turn

from .model import Message, Part, Role, TextPart, ToolCall, ToolResult

__all__ = ["estimate_tokens", "history_messages", "message_tokens", "tool_replay", "trim_to_budget"]

CHARS_PER_TOKEN = 4


def tool_replay(calls: Sequence[Mapping[str, Any]]) -> tuple[Message, Message] | None:
    """The assistant message with the stored calls and the user message with their stored results."""
    uses: list[Part] = []
    results: list[Part] = []
    for call in calls:
        if not isinstance(call, Mapping) or not call.get("id") or not call.get("name"):
            continue
        tool_input = call.get("input")
        result = call.get("result")
        uses.append(
            ToolCall(
                str(call["id"]),
                str(call["name"]),
                dict(tool_input) if isinstance(tool_input, Mapping) else {},
            )
        )
        data = dict(result) if isinstance(result, Mapping) else {"value": result}
        results.append(ToolResult(str(call["id"]), data, ok=bool(call.get("ok", True))))
    if not uses:
        return None
    return Message("assistant", uses), Message("user", results)


def history_messages(history: Sequence[Turn], max_turns: int, context_key: str = "llm") -> list[Message]:
    """The last ``max_turns`` stored turns as messages: alternating, starting with ``user`` (consecutive
    turns of one role merged, leading agent turns dropped); an agent turn that used tools is preceded
    by its calls and their stored (compact) results, kept under ``context_key`` of its state."""
    turns = [t for t in history if t.text.strip()][-max_turns:] if max_turns > 0 else []
    messages: list[Message] = []
    for turn in turns:
        role: Role = "user" if turn.role == "user" else "assistant"
        if role == "assistant" and not messages:
            continue  # the conversation starts with the user
        if role == "assistant" and messages[-1].role == "user":
            stored = turn.context.get(context_key) if isinstance(turn.context, Mapping) else None
            calls = stored.get("calls") if isinstance(stored, Mapping) else None
            replay = tool_replay(calls) if isinstance(calls, list) else None
            if replay is not None:
                messages.extend(replay)
        if messages and messages[-1].role == role:
            messages[-1].parts.append(TextPart(turn.text))
        else:
            messages.append(Message(role, [TextPart(turn.text)]))
    return messages


def estimate_tokens(text: str) -> int:
    """``ceil(len(text) / 4)``; 0 for an empty text."""
    return -(-len(text) // CHARS_PER_TOKEN) if text else 0


def _json_tokens(data: Any) -> int:
    return estimate_tokens(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def _part_tokens(part: Part) -> int:
    if isinstance(part, TextPart):
        return estimate_tokens(part.text)
    if isinstance(part, ToolCall):
        return estimate_tokens(part.name) + _json_tokens(dict(part.input))
    # A result counts as the list of JSON blocks it travels in (what the fake Bedrock counts).
    return _json_tokens([{"json": dict(part.data)}])


def message_tokens(message: Message) -> int:
    """One message's estimated tokens: the sum over its parts."""
    return sum(_part_tokens(p) for p in message.parts)


def trim_to_budget(messages: list[Message], budget: int) -> list[Message]:
    """The newest messages whose estimated tokens fit ``budget`` (``<= 0``: no limit), still a valid
    history: starting with a user message that is not a tool results answer (a replayed tool round is
    kept or dropped whole). The oldest go first."""
    if budget <= 0:
        return messages
    kept: list[Message] = []
    total = 0
    for message in reversed(messages):
        cost = message_tokens(message)
        if total + cost > budget:
            break
        kept.append(message)
        total += cost
    kept.reverse()
    while kept and (kept[0].role != "user" or any(isinstance(p, ToolResult) for p in kept[0].parts)):
        kept.pop(0)
    return kept
