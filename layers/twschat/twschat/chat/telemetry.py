"""One ``turn metrics`` log line per model-written turn (tokens, time to first delta, frames, tools,
cost), and the same figures as CloudWatch metrics."""

from __future__ import annotations

import logging
from typing import Any

from twschat.core.ports import MetricsSink
from twschat.core.responder import Reply

from .streaming import ReplyStream

logger = logging.getLogger("twschat.chat")

_FIGURES = (
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "tool_calls",
    "model_calls",
    "retries",
    "proposals_rejected",
    "cost_micro_usd",
    "latency_ms",
)
_COUNTED = (
    ("LlmInputTokens", "input_tokens"),
    ("LlmOutputTokens", "output_tokens"),
    ("LlmCacheReadTokens", "cache_read_tokens"),
    ("LlmCacheWriteTokens", "cache_write_tokens"),
    ("LlmToolCalls", "tool_calls"),
    ("LlmCostMicroUsd", "cost_micro_usd"),
)


def log_turn_metrics(metrics: MetricsSink, reply: Reply, stream: ReplyStream | None, started: float) -> None:
    telemetry = reply.telemetry
    if telemetry is None:
        return
    found = telemetry.to_dict()
    figures: dict[str, Any] = {key: found[key] for key in _FIGURES}
    figures["fallback"] = telemetry.fallback
    if telemetry.fallback_reason:
        figures["fallback_reason"] = telemetry.fallback_reason
    first_ms = _stream_figures(figures, stream, started)
    logger.info("turn metrics", extra={"llm": figures})
    add = metrics.add_metric
    for name, key in _COUNTED:
        value = figures.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            add(name, "Count", value)
    add("LlmFallbacks", "Count", 1 if figures["fallback"] else 0)
    # A model's proposal the operator's words did not ask for (twschat.llm.proposals): dropped.
    add("ProposalsRejected", "Count", telemetry.proposals_rejected)
    if stream is not None:
        add("DeltasPosted", "Count", stream.batcher.seq)
    if first_ms is not None:
        add("TimeToFirstDelta", "Milliseconds", first_ms)


def _stream_figures(figures: dict[str, Any], stream: ReplyStream | None, started: float) -> float | None:
    """The stream's frames and timings into ``figures``; the time to the first delta (ms), if any."""
    if stream is None:
        return None
    figures["deltas_posted"] = stream.batcher.seq
    figures["progress_posted"] = stream.progress_posted
    first_ms: float | None = None
    if stream.batcher.first_sent_at is not None:
        first_ms = (stream.batcher.first_sent_at - started) * 1000
        figures["time_to_first_delta_ms"] = round(first_ms, 1)
    if stream.first_token_epoch_ms is not None:
        figures["first_token_at_ms"] = stream.first_token_epoch_ms
        figures["first_delta_posted_at_ms"] = stream.first_posted_epoch_ms
    return first_ms
