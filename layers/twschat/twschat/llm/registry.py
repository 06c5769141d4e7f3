"""The model's tools as ONE registry: each entry holds a tool's neutral spec (what the model is told)
and the :class:`~.tools.ToolBox` method that runs it, registered together by the :func:`tool` decorator
on that method (:mod:`.tools`); the action tool is an entry without a handler (the responder runs it
through the rule skills: :mod:`.rounds`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twschat.assistant.domain import ACTION_KINDS

from .model import ToolSpec

if TYPE_CHECKING:
    from .tools import ToolBox, ToolOutcome

__all__ = ["ACTION_TOOL", "TOOLS", "Tool", "object_schema", "read_tools", "tool", "tool_specs"]

ACTION_TOOL = "propose_action"


def object_schema(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


_NOTHING = object_schema({}, [])

Handler = Callable[["ToolBox", Mapping[str, Any]], "ToolOutcome"]


@dataclass(frozen=True, slots=True)
class Tool:
    """One registry entry: what the model is told about a tool, and the method that runs it."""

    spec: ToolSpec
    handler: Handler | None
    """None for the action tool: the responder runs it (through the rule skills), never the box."""
    needs_prompts: bool = False
    """Offered only when the TWS source lists prompts."""


TOOLS: dict[str, Tool] = {}
"""Every tool, by name, in the order the model is told about them (the action tool last)."""


def tool(
    name: str, description: str, parameters: dict[str, Any], *, needs_prompts: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated :class:`ToolBox` method as the tool ``name``: spec and handler together."""

    def register(handler: Handler) -> Handler:
        TOOLS[name] = Tool(ToolSpec(name, description, parameters), handler, needs_prompts)
        return handler

    return register


def tool_specs(*, with_prompts: bool = True, with_action: bool = True) -> list[ToolSpec]:
    """The tools offered to the model (generated from the domain when the module loads)."""
    return [
        t.spec
        for t in TOOLS.values()
        if (t.handler is not None or with_action) and (with_prompts or not t.needs_prompts)
    ]


def read_tools() -> tuple[str, ...]:
    """The names of the tools that read (every entry with a handler)."""
    return tuple(name for name, t in TOOLS.items() if t.handler is not None)


TOOLS[ACTION_TOOL] = Tool(
    ToolSpec(
        ACTION_TOOL,
        "Propose an action on the plan (rerun/reroda, hold, release, cancel, kill, confirm, job stream "
        "hold/release/cancel, workstation link/unlink, prompt reply). It only PROPOSES: the operator "
        "is asked to confirm and the action runs only if they answer yes in their next message. "
        "Use it only when the operator asked for that action in their own message.",
        object_schema(
            {
                "action": {
                    "type": "string",
                    "enum": list(ACTION_KINDS),
                    "description": "the action; what it acts on: "
                    + ", ".join(f"{a}={k}" for a, k in ACTION_KINDS.items()),
                },
                "target_name": {
                    "type": "string",
                    "description": "what it acts on: a job id (e.g. JOB002), a job stream or workstation "
                    "name, or a prompt id",
                },
                "reason": {"type": "string", "description": "the operator's reason, if they gave one"},
            },
            ["action", "target_name"],
        ),
    ),
    handler=None,
)
