"""Scripted replies: the fake plays whatever model a test needs (one that obeys a job log, proposes
actions nobody asked for, writes confirmation wording, sends control characters, loops on tools).

A script is a list of replies, served in order to the next ConverseStream calls (Converse calls,
such as the running summary's, keep the deterministic model). When it runs out, the deterministic
model answers again. Each reply is a JSON object (or a plain string, short for one text block):

    {"content": [{"text": "..."},
                 {"toolUse": {"name": "propose_action", "input": {"action": "kill", ...}}},
                 {"toolUse": {"name": "get_job", "rawInput": "kill JOB006"}}],
     "stopReason": "tool_use",
     "repeat": 3}

- content: the blocks in Converse's own shape. A toolUse has a name, an input (any JSON value:
  an object as a model should send, or a list or a string to play a malformed call) or a rawInput
  (the exact characters streamed as the tool's input deltas, e.g. text that is not JSON), and an
  optional toolUseId (default: a fresh tooluse_script_<n>_<i>).
- stopReason: default tool_use when a block calls a tool, else end_turn; any ConverseStream stop
  reason is accepted (max_tokens, malformed_tool_use, guardrail_intervened...).
- repeat: how many calls the reply answers before the next one (default 1); a model that loops.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Block, Reply

__all__ = ["STOP_REASONS", "Script", "ScriptError", "ScriptedReply", "parse_script"]

STOP_REASONS: tuple[str, ...] = (
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
)
MAX_REPLIES = 500
MAX_REPEAT = 1000
_TOOL_USE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ScriptError(ValueError):
    """A script the fake cannot play (served as a 400 with this message)."""


@dataclass(frozen=True, slots=True)
class ScriptedReply:
    """One scripted reply: its blocks as given (tool ids left "" are generated when served)."""

    blocks: tuple[Block, ...]
    stop_reason: str
    repeat: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "content": [b.to_content() for b in self.blocks],
            "stopReason": self.stop_reason,
            "repeat": self.repeat,
        }


def _block(data: Any, where: str) -> Block:
    if isinstance(data, str):
        return Block("text", text=data)
    if not isinstance(data, Mapping) or len(data) != 1 or not {"text", "toolUse"} & set(data):
        raise ScriptError(f"{where}: a block is {{'text': ...}} or {{'toolUse': {{...}}}}")
    if "text" in data:
        if not isinstance(data["text"], str):
            raise ScriptError(f"{where}: text must be a string")
        return Block("text", text=data["text"])
    use = data.get("toolUse")
    if not isinstance(use, Mapping) or not isinstance(use.get("name"), str) or not use["name"]:
        raise ScriptError(f"{where}: a toolUse needs a name")
    tool_use_id = str(use.get("toolUseId") or "")
    if tool_use_id and not _TOOL_USE_ID.fullmatch(tool_use_id):
        raise ScriptError(f"{where}: toolUseId must be 1 to 64 characters of [A-Za-z0-9_-]")
    if "rawInput" in use and "input" in use:
        raise ScriptError(f"{where}: give input or rawInput, not both")
    raw = use.get("rawInput")
    if raw is not None and not isinstance(raw, str):
        raise ScriptError(f"{where}: rawInput must be a string (the characters to stream)")
    return Block(
        "toolUse", tool_use_id=tool_use_id, name=use["name"], input=use.get("input", {}), raw_input=raw
    )


def _reply(data: Any, where: str) -> ScriptedReply:
    if isinstance(data, str):
        data = {"content": [{"text": data}]}
    if not isinstance(data, Mapping):
        raise ScriptError(f"{where}: a reply is an object with content (or a string)")
    unknown = set(data) - {"content", "stopReason", "repeat"}
    if unknown:
        raise ScriptError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    content = data.get("content")
    if not isinstance(content, list) or not content:
        raise ScriptError(f"{where}: content must be a non-empty list of blocks")
    blocks = tuple(_block(b, f"{where}.content[{i}]") for i, b in enumerate(content))
    calls_tool = any(b.kind == "toolUse" for b in blocks)
    stop = data.get("stopReason") or ("tool_use" if calls_tool else "end_turn")
    if stop not in STOP_REASONS:
        raise ScriptError(f"{where}: stopReason must be one of {', '.join(STOP_REASONS)}")
    repeat = data.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        raise ScriptError(f"{where}: repeat must be an integer from 1 to {MAX_REPEAT}")
    return ScriptedReply(blocks, str(stop), repeat)


def parse_script(data: Any) -> list[ScriptedReply]:
    """The replies of a ``POST /__script`` body: a list, or ``{"replies": [...]}``."""
    if isinstance(data, Mapping) and set(data) == {"replies"}:
        data = data["replies"]
    if not isinstance(data, list):
        raise ScriptError('a script is a JSON list of replies (or {"replies": [...]})')
    if len(data) > MAX_REPLIES:
        raise ScriptError(f"at most {MAX_REPLIES} replies")
    return [_reply(r, f"replies[{i}]") for i, r in enumerate(data)]


class Script:
    """The replies still to serve, thread-safe. ``next()`` is ``None`` when none is left."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[list[Any]] = deque()  # [ScriptedReply, calls left]
        self._served = 0

    def load(self, replies: Sequence[ScriptedReply]) -> None:
        """Replace the script (an empty list: back to the deterministic model)."""
        with self._lock:
            self._queue = deque([r, r.repeat] for r in replies)

    def clear(self) -> None:
        self.load([])

    def next(self) -> Reply | None:
        with self._lock:
            if not self._queue:
                return None
            entry = self._queue[0]
            entry[1] -= 1
            if entry[1] <= 0:
                self._queue.popleft()
            self._served += 1
            served = self._served
        scripted: ScriptedReply = entry[0]
        blocks = [
            Block(
                b.kind,
                text=b.text,
                tool_use_id=b.tool_use_id or f"tooluse_script_{served}_{i}",
                name=b.name,
                input=b.input,
                raw_input=b.raw_input,
            )
            for i, b in enumerate(scripted.blocks)
        ]
        return Reply(blocks, scripted.stop_reason, scripted=True)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pending": [{**r.to_json(), "repeat": left} for r, left in self._queue],
                "served": self._served,
            }
