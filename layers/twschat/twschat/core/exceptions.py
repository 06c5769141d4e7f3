"""Typed errors of the chat platform, in one module (as Powertools' idempotency utility keeps its own).

Adapters translate their backend's failures into these, so the core and the service handle one
vocabulary: a DynamoDB throttle after boto3's retries and a locked SQLite file are both
``StorageUnavailable`` to the service, which answers the operator with ``storage_unavailable``.
"""

from __future__ import annotations


class TwsChatError(Exception):
    """Base of every error this package raises on purpose."""


class StorageUnavailable(TwsChatError):
    """The store could not be read or written now (throttled past the retry budget, down, missing).

    Raised by the store adapters only after their own retries; callers do not retry it again within
    the turn. ``operation`` names what failed (``add_message``, ``touch_connection``, ...).
    """

    def __init__(self, operation: str, detail: str = "") -> None:
        super().__init__(f"storage unavailable during {operation}" + (f": {detail}" if detail else ""))
        self.operation = operation
        self.detail = detail
