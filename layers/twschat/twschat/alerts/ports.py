"""What a watcher cycle needs from storage and delivery: the ports live in the core
(:mod:`twschat.core.subscriptions`), beside the subscriptions the stores keep."""

from twschat.core.subscriptions import (
    AlertSink,
    AlertStore,
    Recipient,
    RecipientDirectory,
    Snapshot,
    SubscriptionLimit,
    WatchRegistry,
)

__all__ = [
    "AlertSink",
    "AlertStore",
    "Recipient",
    "RecipientDirectory",
    "Snapshot",
    "SubscriptionLimit",
    "WatchRegistry",
]
