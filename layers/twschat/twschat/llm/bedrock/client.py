"""The boto3 transport: ConverseStream on ``bedrock-runtime`` (boto3 imported when first built), and
through :class:`~.provider.BedrockProvider` a :class:`~twschat.llm.model.ModelProvider` itself.

boto3 honours ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (``twschat serve --bedrock-endpoint`` points it at
``twschat fake-bedrock``). Errors before the stream (a ``ClientError``: throttling, timeouts, 5xx,
access denied, validation) are retried by boto3 itself, "standard" mode with a bounded number of
attempts and short timeouts, then surface here as :class:`~twschat.llm.model.ModelError` that the
responder does not retry again; errors inside the stream (``EventStreamError`` with a lowerCamel code)
become retryable ones when the code says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from twschat.llm.model import ModelError

from .events import stream_error
from .provider import BedrockProvider
from .request import Guardrail

__all__ = ["CONNECT_TIMEOUT_SECONDS", "MAX_ATTEMPTS", "READ_TIMEOUT_SECONDS", "BedrockModelClient"]

MAX_ATTEMPTS = 2
"""boto3 attempts for errors before the stream (the first call included)."""
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 8.0
"""Longest silence between two reads (the first token included) before the call is given up."""


class BedrockModelClient(BedrockProvider):
    """The provider over boto3's client (its own transport: :meth:`converse_stream`)."""

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        client: Any = None,
        guardrail: Guardrail | None = None,
        prompt_cache: bool = True,
    ) -> None:
        super().__init__(self, guardrail=guardrail, prompt_cache=prompt_cache)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "total_max_attempts": max(1, max_attempts)},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            )
            kwargs: dict[str, Any] = {"config": config}
            if region:
                kwargs["region_name"] = region
            if endpoint_url:
                kwargs["endpoint_url"] = endpoint_url
            client = boto3.client("bedrock-runtime", **kwargs)
        self._client = client

    def converse_stream(self, request: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        from botocore.exceptions import ClientError

        try:
            response = self._client.converse_stream(**request)
        except ClientError as exc:
            raise _from_client_error(exc, stage="request") from exc
        except Exception as exc:  # timeouts, connection errors, after boto3's own retries
            raise ModelError(_transport_code(exc), type(exc).__name__, retryable=False) from exc
        return _events(response["stream"])


def _events(stream: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        yield from stream
    except ClientError as exc:  # EventStreamError: an error event inside the stream
        raise _from_client_error(exc, stage="stream") from exc
    except ModelError:
        raise
    except Exception as exc:  # a read timeout or a dropped connection mid-stream
        raise ModelError(_transport_code(exc), type(exc).__name__, retryable=False) from exc


def _from_client_error(exc: Any, *, stage: str) -> ModelError:
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    code = str(error.get("Code") or "ClientError")
    message = str(error.get("Message") or "")[:200]
    if stage == "request":
        return ModelError(code, message, retryable=False)  # boto3 already retried what it could
    return stream_error(code, message)


def _transport_code(exc: BaseException) -> str:
    return "timeout" if "timeout" in type(exc).__name__.lower() else "connection"
