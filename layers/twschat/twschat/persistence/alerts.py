"""Alert subscriptions, the watch registry, the watcher's snapshot and the delivery claims (issue 18).

One table, keys ``pk``/``sk`` (:data:`ALERTS_KEY`), items by kind:

- a subscription: ``pk = user#<owner>``, ``sk = sub#<id>``, ``targetKey`` (the sparse index
  :data:`TARGET_INDEX`: the subscribers of one target, one Query), ``expiresAt`` (TTL);
- the watch registry: ``pk = watch``, ``sk = target#<key>``, ``n`` live subscriptions on that target
  (added on subscribe, taken on cancel): one Query tells the watcher what to read;
- the snapshot: ``pk = watch``, ``sk = ~snapshot`` (after every ``target#``), the states the last cycle
  saw under a ``version`` (conditional put);
- a delivery claim: ``pk = alert#<alertId>``, ``sk = to#<owner>`` (conditional put, TTL).

Adapters: :class:`twschat.persistence.sqlite.alerts.SQLiteAlertStore`,
:class:`twschat.persistence.dynamodb.alerts.DynamoDBAlertStore`; both satisfy
:class:`twschat.alerts.ports.AlertStore` and share the item mapping here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twschat.core.subscriptions import Subscription

__all__ = [
    "ALERTS_KEY",
    "REGISTRY_PK",
    "SNAPSHOT_SK",
    "TARGET_INDEX",
    "subscription_from_item",
    "subscription_to_item",
]

ALERTS_KEY = ("pk", "sk")
TARGET_INDEX = "byTarget"
REGISTRY_PK = "watch"
SNAPSHOT_SK = "~snapshot"
TARGET_PREFIX = "target#"


def user_pk(owner: str) -> str:
    return f"user#{owner}"


def subscription_to_item(s: Subscription) -> dict[str, Any]:
    return {
        "pk": user_pk(s.owner),
        "sk": f"sub#{s.subscription_id}",
        "targetKey": s.key,
        "owner": s.owner,
        "subscriptionId": s.subscription_id,
        "kind": s.kind,
        "target": s.target,
        "condition": s.condition,
        "states": list(s.states),
        "stream": s.stream,
        "oneShot": s.one_shot,
        "conversationId": s.conversation_id,
        "lang": s.lang,
        "createdAt": s.created_at,
        "expiresAt": s.expires_at,
    }


def subscription_from_item(item: Mapping[str, Any]) -> Subscription:
    return Subscription(
        owner=str(item["owner"]),
        subscription_id=str(item["subscriptionId"]),
        kind=item["kind"],
        target=str(item["target"]),
        condition=item["condition"],
        states=tuple(str(x) for x in item.get("states") or ()),
        stream=str(item.get("stream") or ""),
        one_shot=bool(item.get("oneShot")),
        conversation_id=str(item.get("conversationId") or ""),
        lang=str(item.get("lang") or "pt"),
        created_at=int(item.get("createdAt") or 0),
        expires_at=int(item.get("expiresAt") or 0),
    )


def live(subscriptions: list[Subscription], now: int) -> list[Subscription]:
    """TTL deletion lags by hours: an expired subscription is as good as gone."""
    return sorted(
        (s for s in subscriptions if s.expires_at > now), key=lambda s: (s.created_at, s.subscription_id)
    )
