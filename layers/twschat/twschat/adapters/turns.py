"""Handing a ``$default`` turn to the turn worker asynchronously (Lambda InvocationType=Event)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = logging.getLogger("twschat.turns")


class LambdaTurnDispatcher:
    def __init__(self, function_name: str, *, client: LambdaClient | None = None) -> None:
        self.function_name = function_name
        self._client = client

    @property
    def client(self) -> LambdaClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("lambda")
        return self._client

    def dispatch(self, payload: Mapping[str, Any]) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(dict(payload)).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            logger.error("turn worker invoke failed", extra={"error": type(exc).__name__})
            return False
        return True
