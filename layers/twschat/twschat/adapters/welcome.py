"""Triggering the welcome function asynchronously from ``$connect`` (Lambda InvocationType=Event)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = logging.getLogger("twschat.welcome")


class LambdaWelcomeTrigger:
    def __init__(self, function_name: str, *, client: LambdaClient | None = None) -> None:
        self.function_name = function_name
        self._client = client

    @property
    def client(self) -> LambdaClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("lambda")
        return self._client

    def trigger(self, payload: Mapping[str, Any]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not self.function_name:
            logger.warning("WELCOME_FUNCTION_NAME is not set: no welcome frame will be sent")
            return
        try:
            self.client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(dict(payload)).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            # The connection still works without a welcome; say so in the logs and move on.
            logger.error("welcome invoke failed", extra={"error": type(exc).__name__})
