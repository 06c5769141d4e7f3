"""Amazon Bedrock as the model provider (ConverseStream), behind :mod:`twschat.llm.model`:

- :mod:`.request` the Converse request a ``ModelRequest`` becomes (cache point, guardrail, toolSpec)
- :mod:`.events` a stream's events collected into a ``ModelTurn``; which errors are retryable
- :mod:`.provider` :class:`BedrockProvider` over any ConverseStream transport
- :mod:`.client` :class:`BedrockModelClient`: the provider over boto3 (the only module importing boto3,
  when first built)
- :mod:`.pricing` the default model, its price, a turn's estimated cost
"""

from .client import CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS, BedrockModelClient
from .provider import BedrockProvider, ConverseTransport
from .request import Guardrail

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "MAX_ATTEMPTS",
    "READ_TIMEOUT_SECONDS",
    "BedrockModelClient",
    "BedrockProvider",
    "ConverseTransport",
    "Guardrail",
]
