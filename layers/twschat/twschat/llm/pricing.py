"""Moved to :mod:`twschat.llm.bedrock.pricing` (the provider's package); importable from here too."""

from twschat.llm.bedrock.pricing import DEFAULT_MODEL_ID, PRICES, Price, estimate_cost_micro_usd, price_for

__all__ = ["DEFAULT_MODEL_ID", "PRICES", "Price", "estimate_cost_micro_usd", "price_for"]
