"""The alert store as the skills reach it (issue 18): the port the composition root hands in, with the
per-user cap and how long a subscription lives. Pure: the store is a
:class:`~twschat.core.subscriptions.AlertStore` (SQLite or DynamoDB, chosen by ``twschat.watching``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from twschat.core.subscriptions import AlertStore

__all__ = ["SubscriptionDesk", "expiry"]


@dataclass(frozen=True, slots=True)
class SubscriptionDesk:
    store: AlertStore
    cap: int = 20
    """MaxSubscriptionsPerUser: the refusal names it."""
    ttl_seconds: int = 0
    """0: until the end of the plan day (midnight in the zone); else this long."""
    new_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex[:16])


def expiry(now: datetime, zone: tzinfo, ttl_seconds: int) -> int:
    """When a subscription made at ``now`` ends (epoch seconds): ``now + ttl`` or the next midnight in
    ``zone`` (the plan day's end)."""
    if ttl_seconds > 0:
        return int(now.timestamp()) + ttl_seconds
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return int(midnight.timestamp())
