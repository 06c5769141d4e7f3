"""Triggering the welcome function asynchronously from ``$connect``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from twschat.adapters.lambda_async import AsyncInvoker

logger = logging.getLogger("twschat.welcome")


class LambdaWelcomeTrigger(AsyncInvoker):
    what = "welcome"

    def trigger(self, payload: Mapping[str, Any]) -> None:
        if not self.function_name:
            logger.warning("WELCOME_FUNCTION_NAME is not set: no welcome frame will be sent")
            return
        # A failure is logged by invoke: the connection still works without a welcome.
        self.invoke(payload)
