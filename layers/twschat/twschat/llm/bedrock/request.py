"""The Converse request a :class:`~twschat.llm.model.ModelRequest` becomes: the system prompt with a
cache point after its static part, the messages as Converse content blocks, the tools as ``toolSpec``,
the operator's text as ``guardContent`` when a guardrail checks it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twschat.llm.model import Message, ModelRequest, Part, TextPart, ToolCall, ToolSpec

__all__ = ["Guardrail", "converse_body", "converse_messages", "tool_config"]


@dataclass(frozen=True, slots=True)
class Guardrail:
    identifier: str
    version: str = "DRAFT"

    def config(self) -> dict[str, str]:
        return {"guardrailIdentifier": self.identifier, "guardrailVersion": self.version or "DRAFT"}


def _block(part: Part, guarded: bool) -> dict[str, Any]:
    if isinstance(part, TextPart):
        if guarded and part.operator:
            return {"guardContent": {"text": {"text": part.text}}}
        return {"text": part.text}
    if isinstance(part, ToolCall):
        return {"toolUse": {"toolUseId": part.id, "name": part.name, "input": dict(part.input)}}
    return {
        "toolResult": {
            "toolUseId": part.call_id,
            "content": [{"json": dict(part.data)}],
            "status": "success" if part.ok else "error",
        }
    }


def converse_messages(messages: Sequence[Message], *, guarded: bool = False) -> list[dict[str, Any]]:
    return [{"role": m.role, "content": [_block(p, guarded) for p in m.parts]} for m in messages]


def tool_config(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    return {
        "tools": [
            {
                "toolSpec": {
                    "name": t.name,
                    "description": t.description,
                    "inputSchema": {"json": dict(t.parameters)},
                }
            }
            for t in tools
        ]
    }


def converse_body(
    request: ModelRequest, *, guardrail: Guardrail | None = None, prompt_cache: bool = True
) -> dict[str, Any]:
    """The keyword arguments of ``converse_stream``. The guardrail checks the operator's own text
    (``guardContent``): a request without it (the running summary's) goes without the guardrail."""
    guarded = guardrail is not None and any(
        isinstance(p, TextPart) and p.operator for m in request.messages for p in m.parts
    )
    system: list[dict[str, Any]] = [{"text": request.system}]
    if prompt_cache and request.cacheable_system:
        system.append({"cachePoint": {"type": "default"}})
    if request.context:
        system.append({"text": request.context})  # after the cache point: the static prefix stays cached
    body: dict[str, Any] = {
        "modelId": request.model_id,
        "system": system,
        "messages": converse_messages(request.messages, guarded=guarded),
        "inferenceConfig": {"maxTokens": int(request.max_tokens), "temperature": float(request.temperature)},
    }
    if request.tools:
        body["toolConfig"] = tool_config(request.tools)
    if guarded and guardrail is not None:
        body["guardrailConfig"] = guardrail.config()
    return body
