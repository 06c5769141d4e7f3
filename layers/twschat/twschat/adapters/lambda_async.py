"""Invoking another of the stack's functions asynchronously (Lambda InvocationType=Event).

``$connect`` starts the welcome this way (API Gateway refuses posts until ``$connect`` returns), and
``$default`` hands a Bedrock turn to the turn worker (a reply may take longer than API Gateway's
29 s). One client per invoker, built on first use: functions that never invoke never pay for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = logging.getLogger("twschat.invoke")


class AsyncInvoker:
    what = "async"
    """Names the target in log lines ("welcome invoke failed")."""

    def __init__(self, function_name: str, *, client: LambdaClient | None = None) -> None:
        self.function_name = function_name
        self._client = client

    @property
    def client(self) -> LambdaClient:
        if self._client is None:
            import boto3

            self._client = boto3.client("lambda")
        return self._client

    def invoke(self, payload: Mapping[str, Any]) -> bool:
        """Queue one invocation; False (logged) when Lambda refused or could not be reached."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(dict(payload)).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            logger.error(f"{self.what} invoke failed", extra={"error": type(exc).__name__})
            return False
        return True
