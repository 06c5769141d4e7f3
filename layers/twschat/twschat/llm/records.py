"""What the LLM responder keeps of a turn in its stored state: the tool calls with compact results
(replayed to the model on later turns, so "e o log dele?" works after a reconnect), and the turn's
figures (:class:`~twschat.core.responder.ModelTelemetry`)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from twschat.core.responder import ModelTelemetry

from .model import Usage

__all__ = ["CONTEXT_KEY", "STORED_CALLS", "STORED_LOG_CHARS", "STORED_RESULT_CHARS", "TurnFigures"]

CONTEXT_KEY = "llm"
"""Where the responder's calls and figures are kept in its stored state."""
STORED_CALLS = 8
"""At most this many tool calls kept in a reply's context (the latest)."""
STORED_RESULT_CHARS = 3000
"""A stored tool result larger than this (as compact JSON) is cut (a log to its last characters)."""
STORED_LOG_CHARS = 1500


def compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def storable(value: Any) -> Any:
    """JSON the history store keeps as is: no floats (DynamoDB), strings bounded."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value[:STORED_RESULT_CHARS]
    if isinstance(value, Mapping):
        return {str(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return str(value)[:STORED_RESULT_CHARS]


def stored_result(data: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(data)
    if isinstance(result.get("log"), str) and len(result["log"]) > STORED_LOG_CHARS:
        result["log"] = result["log"][-STORED_LOG_CHARS:]
        result["log_truncated"] = True
    if len(compact(result)) > STORED_RESULT_CHARS:
        result = {"summary": compact(result)[:STORED_RESULT_CHARS], "truncated": True}
    return dict(storable(result))


class TurnFigures:
    """The figures of one turn as it runs: tokens, calls, rounds, retries, rejected proposals."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.tool_calls = 0
        self.rounds = 0
        self.model_calls = 0
        self.retries = 0
        self.proposals_rejected = 0
        self.errors: list[str] = []
        self.started = time.monotonic()

    def telemetry(
        self, model_id: str, cost_micro_usd: int, *, fallback: bool, reason: str = ""
    ) -> ModelTelemetry:
        u = self.usage
        return ModelTelemetry(
            model=model_id,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
            tool_calls=self.tool_calls,
            tool_rounds=self.rounds,
            model_calls=self.model_calls,
            retries=self.retries,
            proposals_rejected=self.proposals_rejected,
            fallback=fallback,
            cost_micro_usd=cost_micro_usd,
            latency_ms=int((time.monotonic() - self.started) * 1000),
            fallback_reason=reason,
            errors=tuple(self.errors[-5:]),
        )

    def stored(self, calls: list[dict[str, Any]], telemetry: ModelTelemetry) -> dict[str, Any]:
        """The state kept under :data:`CONTEXT_KEY`: the latest calls and the turn's figures."""
        return {"calls": calls[-STORED_CALLS:], "metrics": telemetry.to_dict()}
