"""The Converse wire shapes, pure: the history as Converse messages, a ConverseStream's events
collected into one assistant message, and the errors a model call may end in.

The model client (:class:`ModelClient`) is a seam: :mod:`twschat.llm.bedrock` is the boto3 one; tests
may script one. It yields the ConverseStream events as botocore decodes them (one-key dicts:
``messageStart``, ``contentBlockStart``, ``contentBlockDelta``, ``contentBlockStop``, ``messageStop``,
``metadata``) and raises :class:`ModelError` for anything that went wrong before or inside the stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from twschat.core.exceptions import TwsChatError
from twschat.core.responder import Turn

__all__ = [
    "RETRYABLE",
    "ModelClient",
    "ModelError",
    "ModelTurn",
    "Usage",
    "collect",
    "estimate_tokens",
    "history_messages",
    "message_tokens",
    "tool_replay",
    "trim_to_budget",
]

CHARS_PER_TOKEN = 4
"""The token estimate: ``ceil(characters / 4)`` per piece (a text block; a toolUse's name plus its input
as compact JSON; a toolResult's content as compact JSON) — the approximation the fake Bedrock counts
with. A real tokenizer differs (Portuguese runs a little above 4 characters a token, JSON below): the
budget it drives is a bound on the prompt's growth, not a bill."""

RETRYABLE = frozenset(
    {
        # inside the stream (botocore EventStreamError codes, lowerCamel)
        "throttlingException",
        "modelStreamErrorException",
        "internalServerException",
        "serviceUnavailableException",
        # ours
        "malformed_tool_use",
        "malformed_model_output",
    }
)
"""Worth another attempt within the time budget. Errors before the stream (``ThrottlingException``,
``ServiceUnavailableException``...) were already retried by boto3 (bounded config) and are not."""


class ModelError(TwsChatError):
    """A model call that gave no usable answer: ``code`` (the AWS error code, lowerCamel inside the
    stream, or ours: ``timeout``, ``connection``, ``malformed_tool_use``, ``tool_round_cap``,
    ``time_budget``, ``empty_answer``) and whether another attempt may help."""

    def __init__(self, code: str, detail: str = "", *, retryable: bool | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.retryable = code in RETRYABLE if retryable is None else retryable


class ModelClient(Protocol):
    def converse_stream(self, request: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        """The ConverseStream events for ``request`` (the keyword arguments of boto3's call)."""
        ...


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, raw: Mapping[str, Any]) -> None:
        self.input_tokens += int(raw.get("inputTokens") or 0)
        self.output_tokens += int(raw.get("outputTokens") or 0)
        self.cache_read_tokens += int(raw.get("cacheReadInputTokens") or 0)
        self.cache_write_tokens += int(raw.get("cacheWriteInputTokens") or 0)


@dataclass(slots=True)
class ModelTurn:
    """One assistant message: its content blocks (text and toolUse, inputs parsed), why it stopped."""

    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        return "".join(str(b["text"]) for b in self.content if "text" in b)

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        return [b["toolUse"] for b in self.content if "toolUse" in b]


def collect(events: Iterable[Mapping[str, Any]], on_delta: Callable[[str], None] | None = None) -> ModelTurn:
    """The assistant message a ConverseStream's events spell (text deltas joined, each tool's partial
    JSON input concatenated and parsed at its ``contentBlockStop``). ``on_delta`` sees each text delta
    as it arrives (the seam for streaming frames)."""
    turn = ModelTurn()
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = (start.get("start") or {}).get("toolUse")
            if use is not None:
                blocks[int(start.get("contentBlockIndex", 0))] = {
                    "toolUse": {"toolUseId": use.get("toolUseId", ""), "name": use.get("name", "")},
                    "raw": "",
                }
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            index = int(delta.get("contentBlockIndex", 0))
            piece = delta.get("delta") or {}
            if "text" in piece:
                block = blocks.setdefault(index, {"text": ""})
                block["text"] = block.get("text", "") + str(piece["text"])
                if on_delta is not None and piece["text"]:
                    on_delta(str(piece["text"]))
            elif "toolUse" in piece:
                block = blocks.setdefault(index, {"toolUse": {"toolUseId": "", "name": ""}, "raw": ""})
                block["raw"] = block.get("raw", "") + str(piece["toolUse"].get("input", ""))
        elif "contentBlockStop" in event:
            index = int(event["contentBlockStop"].get("contentBlockIndex", 0))
            stopped = blocks.get(index)
            if stopped is not None and "toolUse" in stopped:
                stopped["toolUse"]["input"] = _parse_input(stopped.pop("raw", ""), stopped["toolUse"]["name"])
        elif "messageStop" in event:
            turn.stop_reason = str(event["messageStop"].get("stopReason") or "")
        elif "metadata" in event:
            turn.usage.add(event["metadata"].get("usage") or {})
        else:
            for key, value in event.items():
                if key.endswith("Exception"):  # an error event a client passed through undecoded
                    raise ModelError(key, str((value or {}).get("message", "")))
    for index in sorted(blocks):
        block = blocks[index]
        if "toolUse" in block and "input" not in block["toolUse"]:
            # the stream ended without the block's stop: its input never completed
            raise ModelError("malformed_tool_use", f"tool {block['toolUse']['name']} input incomplete")
        turn.content.append({k: v for k, v in block.items() if k != "raw"})
    if turn.stop_reason in ("malformed_tool_use", "malformed_model_output"):
        raise ModelError(turn.stop_reason)
    return turn


def _parse_input(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ModelError("malformed_tool_use", f"tool {name}: input is not JSON") from exc
    if not isinstance(value, dict):
        raise ModelError("malformed_tool_use", f"tool {name}: input is not an object")
    return value


# ------------------------------------------------------------------------------------------ history
def tool_replay(calls: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The assistant toolUse message and the user toolResult message that replay stored calls."""
    uses: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for call in calls:
        if not isinstance(call, Mapping) or not call.get("id") or not call.get("name"):
            continue
        tool_input = call.get("input")
        result = call.get("result")
        uses.append(
            {
                "toolUse": {
                    "toolUseId": str(call["id"]),
                    "name": str(call["name"]),
                    "input": dict(tool_input) if isinstance(tool_input, Mapping) else {},
                }
            }
        )
        results.append(
            {
                "toolResult": {
                    "toolUseId": str(call["id"]),
                    "content": [{"json": dict(result) if isinstance(result, Mapping) else {"value": result}}],
                    "status": "success" if call.get("ok", True) else "error",
                }
            }
        )
    if not uses:
        return None
    return {"role": "assistant", "content": uses}, {"role": "user", "content": results}


def history_messages(
    history: Sequence[Turn], max_turns: int, context_key: str = "llm"
) -> list[dict[str, Any]]:
    """The last ``max_turns`` stored turns as Converse messages: alternating, starting with ``user``
    (consecutive turns of one role merged, leading agent turns dropped); an agent turn that used tools
    is preceded by its calls and their stored (compact) results, so a follow-up sees the data."""
    turns = [t for t in history if t.text.strip()][-max_turns:] if max_turns > 0 else []
    messages: list[dict[str, Any]] = []
    for turn in turns:
        role = "user" if turn.role == "user" else "assistant"
        if role == "assistant" and not messages:
            continue  # Converse starts with the user
        if role == "assistant" and messages[-1]["role"] == "user":
            stored = turn.context.get(context_key) if isinstance(turn.context, Mapping) else None
            calls = stored.get("calls") if isinstance(stored, Mapping) else None
            replay = tool_replay(calls) if isinstance(calls, list) else None
            if replay is not None:
                messages.extend(replay)
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].append({"text": turn.text})
        else:
            messages.append({"role": role, "content": [{"text": turn.text}]})
    return messages


# ------------------------------------------------------------------------------------------ tokens
def estimate_tokens(text: str) -> int:
    """``ceil(len(text) / 4)``; 0 for an empty text."""
    return -(-len(text) // CHARS_PER_TOKEN) if text else 0


def _json_tokens(data: Any) -> int:
    return estimate_tokens(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def message_tokens(message: Mapping[str, Any]) -> int:
    """One Converse message's estimated tokens: the sum over its blocks."""
    total = 0
    for block in message.get("content") or []:
        if "text" in block:
            total += estimate_tokens(str(block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            total += estimate_tokens(str(use.get("name", ""))) + _json_tokens(use.get("input") or {})
        elif "toolResult" in block:
            total += _json_tokens(block["toolResult"].get("content") or [])
        elif "guardContent" in block:
            total += _json_tokens(block["guardContent"])
    return total


def trim_to_budget(messages: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The newest messages whose estimated tokens fit ``budget`` (``<= 0``: no limit), still a valid
    Converse history: starting with a user message that is not a toolResult answer (a replayed tool
    round is kept or dropped whole). The oldest go first."""
    if budget <= 0:
        return messages
    kept: list[dict[str, Any]] = []
    total = 0
    for message in reversed(messages):
        cost = message_tokens(message)
        if total + cost > budget:
            break
        kept.append(message)
        total += cost
    kept.reverse()
    while kept and (
        kept[0]["role"] != "user" or any("toolResult" in b for b in kept[0].get("content") or [])
    ):
        kept.pop(0)
    return kept
