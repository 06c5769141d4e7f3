"""The LLM responder's settings, one nested dataclass (``Settings.llm``; read from the environment by
:mod:`twschat.config`). Pure: the llm package takes these without importing the configuration."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_KEEP_MESSAGES", "DEFAULT_MODEL_ID", "LlmSettings"]

DEFAULT_MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
"""Claude Haiku 4.5 through the US cross-Region inference profile (why: twschat.llm.bedrock.pricing)."""
DEFAULT_KEEP_MESSAGES = 8
"""The running summary leaves this many newest messages out of it (the model sees them verbatim)."""


@dataclass(frozen=True, slots=True)
class LlmSettings:
    model_id: str = DEFAULT_MODEL_ID
    """BEDROCK_MODEL_ID: a model or inference profile id."""
    max_tokens: int = 1024
    temperature: float = 0.2
    guardrail_id: str = ""
    guardrail_version: str = ""
    history_turns: int = 10
    """LLM_HISTORY_TURNS: stored turns sent to the model as messages (without a running summary)."""
    history_token_budget: int = 6000
    """The history sent is trimmed to this many estimated tokens (0: no budget)."""
    summary_model_id: str = ""
    """LLM_SUMMARY_MODEL_ID: the model that refreshes the running summary ("": ``model_id``)."""
    summary_every_turns: int = 6
    """LLM_SUMMARY_EVERY_TURNS: refresh the running summary every this many turns (0: no summary)."""
    max_tool_rounds: int = 4
    time_budget_seconds: float = 20.0
    """LLM_TIME_BUDGET_SECONDS: past it, no new model call (the rules answer)."""
    max_attempts: int = 2
    """Model calls per round when the error is retryable (the first included)."""
    prompt_cache: bool = True
