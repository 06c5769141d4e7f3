"""Handing a ``$default`` turn to the turn worker asynchronously."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twschat.adapters.lambda_async import AsyncInvoker


class LambdaTurnDispatcher(AsyncInvoker):
    what = "turn worker"

    def dispatch(self, payload: Mapping[str, Any]) -> bool:
        return self.invoke(payload)
