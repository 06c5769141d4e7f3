"""Bedrock behind the neutral seam: a :class:`~twschat.llm.model.ModelRequest` becomes a ConverseStream
request (:mod:`.request`), its events one :class:`~twschat.llm.model.ModelTurn` (:mod:`.events`).

The transport is anything with ``converse_stream(request) -> events``: boto3's client
(:class:`~.client.BedrockModelClient`), or a script in the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from twschat.llm.model import ModelRequest, ModelTurn, Usage

from .events import collect
from .pricing import estimate_cost_micro_usd
from .request import Guardrail, converse_body

__all__ = ["BedrockProvider", "ConverseTransport"]


class ConverseTransport(Protocol):
    def converse_stream(self, request: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        """The ConverseStream events for ``request`` (the keyword arguments of boto3's call)."""
        ...


class BedrockProvider:
    def __init__(
        self, transport: ConverseTransport, *, guardrail: Guardrail | None = None, prompt_cache: bool = True
    ) -> None:
        self._transport = transport
        self.guardrail = guardrail
        self.prompt_cache = prompt_cache

    def stream_turn(self, request: ModelRequest, on_delta: Callable[[str], None] | None = None) -> ModelTurn:
        body = converse_body(request, guardrail=self.guardrail, prompt_cache=self.prompt_cache)
        return collect(self._transport.converse_stream(body), on_delta)

    def cost_micro_usd(self, model_id: str, usage: Usage) -> int:
        return estimate_cost_micro_usd(
            model_id,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
        )
