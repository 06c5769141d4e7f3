"""The default model and what a turn costs.

**Default model: Claude Haiku 4.5 through the US cross-Region inference profile**
``us.anthropic.claude-haiku-4-5-20251001-v1:0`` (``BEDROCK_MODEL_ID`` to change it). Why: fast and
cheap, good at tool use and Portuguese, Converse/ConverseStream with tools and prompt caching
(``cachePoint`` in system, messages and tools; at least 4,096 tokens per checkpoint), 200K context, 64K
output; the profile id is the one the AWS model card lists (the in-Region id
``anthropic.claude-haiku-4-5-20251001-v1:0`` is not invocable on demand). Sources (search tool, docs
corpus): docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-4-5.html
(ids, caching), platform.claude.com/docs/.../models/haiku-4-5/overview (price).

**Price per 1M tokens (USD, on-demand):** input $1.00, output $5.00; cache write $1.25 (5 minutes) and
cache read $0.10 (Anthropic's 1.25x / 0.1x of the input price). A typical turn here (tool specs +
system ≈ 2.5K tokens, 10 turns of history ≈ 1.5K, one tool round with a compact result ≈ 1K; the
prompt is sent twice per tool round) is about 8K input and 200 output tokens: ≈ $0.009 per turn, ≈
$0.005 once the tools and system are cached. Verify against https://aws.amazon.com/bedrock/pricing/
for the Region in use.

A cheaper newer option the docs corpus lists is Claude Haiku 5.5 ($0.10 input / $0.50 output per 1M up
to 100K-token prompts; Bedrock id ``us.anthropic.claude-haiku-5-5`` per the Vercel AI SDK release
notes — confirm with ``aws bedrock list-inference-profiles`` before switching).

:func:`estimate_cost_micro_usd` returns millionths of a dollar (an integer: the history store keeps no
floats), 0 for a model it has no price for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_MODEL_ID", "PRICES", "Price", "estimate_cost_micro_usd", "price_for"]

from twschat.llm.settings import DEFAULT_MODEL_ID


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float


PRICES: Mapping[str, Price] = {
    "anthropic.claude-haiku-4-5-20251001-v1:0": Price(1.00, 5.00, 1.25, 0.10),
    "anthropic.claude-haiku-5-5": Price(0.10, 0.50, 0.125, 0.01),
}


def price_for(model_id: str) -> Price | None:
    """The price of ``model_id``, an inference profile (``us.``/``eu.``/``global.``...) or an ARN."""
    base = model_id.rsplit("/", 1)[-1]
    if base in PRICES:
        return PRICES[base]
    head, _, rest = base.partition(".")
    if rest and len(head) <= 6 and rest in PRICES:  # a geographic prefix: us, eu, apac, jp, global...
        return PRICES[rest]
    return None


def estimate_cost_micro_usd(
    model_id: str, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0
) -> int:
    price = price_for(model_id)
    if price is None:
        return 0
    dollars_per_million = (
        input_tokens * price.input
        + output_tokens * price.output
        + cache_read * price.cache_read
        + cache_write * price.cache_write
    )
    return round(dollars_per_million)  # (tokens x USD per 1M tokens) is already in micro-dollars
