"""A ConverseStream's events (as botocore decodes them: one-key dicts ``messageStart``,
``contentBlockStart``, ``contentBlockDelta``, ``contentBlockStop``, ``messageStop``, ``metadata``)
collected into one neutral :class:`~twschat.llm.model.ModelTurn`, and which Bedrock errors are worth
another attempt."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from twschat.llm.model import ModelError, ModelTurn, Part, TextPart, ToolCall, Usage

__all__ = ["RETRYABLE", "collect"]

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


def stream_error(code: str, detail: str = "") -> ModelError:
    return ModelError(code, detail, retryable=code in RETRYABLE)


def usage_of(raw: Mapping[str, Any]) -> Usage:
    return Usage(
        int(raw.get("inputTokens") or 0),
        int(raw.get("outputTokens") or 0),
        int(raw.get("cacheReadInputTokens") or 0),
        int(raw.get("cacheWriteInputTokens") or 0),
    )


def collect(events: Iterable[Mapping[str, Any]], on_delta: Callable[[str], None] | None = None) -> ModelTurn:
    """The assistant message the events spell (text deltas joined, each tool's partial JSON input
    concatenated and parsed at its ``contentBlockStop``). ``on_delta`` sees each text delta."""
    turn = ModelTurn()
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = (start.get("start") or {}).get("toolUse")
            if use is not None:
                index = int(start.get("contentBlockIndex", 0))
                blocks[index] = {"id": use.get("toolUseId", ""), "name": use.get("name", ""), "raw": ""}
        elif "contentBlockDelta" in event:
            _delta(event["contentBlockDelta"], blocks, on_delta)
        elif "contentBlockStop" in event:
            stopped = blocks.get(int(event["contentBlockStop"].get("contentBlockIndex", 0)))
            if stopped is not None and "name" in stopped and "input" not in stopped:
                stopped["input"] = _parse_input(stopped.pop("raw", ""), stopped["name"])
        elif "messageStop" in event:
            turn.stop_reason = str(event["messageStop"].get("stopReason") or "")
        elif "metadata" in event:
            turn.usage.add(usage_of(event["metadata"].get("usage") or {}))
        else:
            for key, value in event.items():
                if key.endswith("Exception"):  # an error event a client passed through undecoded
                    raise stream_error(key, str((value or {}).get("message", "")))
    turn.parts = [_part(blocks[index]) for index in sorted(blocks)]
    if turn.stop_reason in ("malformed_tool_use", "malformed_model_output"):
        raise stream_error(turn.stop_reason)
    return turn


def _delta(
    delta: Mapping[str, Any], blocks: dict[int, dict[str, Any]], on_delta: Callable[[str], None] | None
) -> None:
    index = int(delta.get("contentBlockIndex", 0))
    piece = delta.get("delta") or {}
    if "text" in piece:
        block = blocks.setdefault(index, {"text": ""})
        block["text"] = block.get("text", "") + str(piece["text"])
        if on_delta is not None and piece["text"]:
            on_delta(str(piece["text"]))
    elif "toolUse" in piece:
        block = blocks.setdefault(index, {"id": "", "name": "", "raw": ""})
        block["raw"] = block.get("raw", "") + str(piece["toolUse"].get("input", ""))


def _part(block: dict[str, Any]) -> Part:
    if "name" not in block:
        return TextPart(str(block.get("text", "")))
    if "input" not in block:
        # the stream ended without the block's stop: its input never completed
        raise stream_error("malformed_tool_use", f"tool {block['name']} input incomplete")
    return ToolCall(str(block["id"]), str(block["name"]), block["input"])


def _parse_input(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise stream_error("malformed_tool_use", f"tool {name}: input is not JSON") from exc
    if not isinstance(value, dict):
        raise stream_error("malformed_tool_use", f"tool {name}: input is not an object")
    return value
