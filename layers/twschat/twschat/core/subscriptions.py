"""Alert subscriptions as the platform stores them, and the store port the watcher and the chat use
(issue 18). Pure data: what a subscription alerts on is decided in :mod:`twschat.alerts.model`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "AlertSink",
    "AlertStore",
    "Condition",
    "Recipient",
    "RecipientDirectory",
    "Snapshot",
    "Subscription",
    "SubscriptionLimit",
    "WatchKind",
    "WatchRegistry",
    "target_key",
]

WatchKind = Literal["job", "stream", "workstation"]
Condition = Literal["final", "state", "change"]
"""``final``: the target reached a final state (one-shot "me avisa quando terminar"); ``state``: it
entered one of ``states`` ("se abendar de novo", "quando voltar"); ``change``: any change of state."""


def target_key(kind: str, name: str, stream: str = "") -> str:
    """``job#JOB014``, ``job#JOB002@PAYROLL``, ``stream#BILLING``, ``workstation#TWS_AGENT2``."""
    key = f"{kind}#{name.strip().upper()}"
    return f"{key}@{stream.strip().upper()}" if stream.strip() else key


@dataclass(frozen=True, slots=True)
class Subscription:
    owner: str
    subscription_id: str
    kind: WatchKind
    target: str
    """The job's short id (JOB014), the stream's or the workstation's name, as the operator named it."""
    condition: Condition
    states: tuple[str, ...] = ()
    """For ``state``: the states that alert (job: ABEND...; workstation: ONLINE/OFFLINE)."""
    stream: str = ""
    """A job subscription on one job stream's job (names repeat across streams); "" any stream."""
    one_shot: bool = False
    conversation_id: str = ""
    """Where it was asked for: its alerts are stored there too (history, follow-ups)."""
    lang: str = "pt"
    created_at: int = 0
    expires_at: int = 0
    """Epoch seconds; the subscription is gone after it (also its store TTL)."""

    @property
    def key(self) -> str:
        return target_key(self.kind, self.target, self.stream)

    @property
    def label(self) -> str:
        return f"{self.target} ({self.stream})" if self.stream else self.target


class SubscriptionLimit(Exception):
    """The user already has the most subscriptions allowed (``cap``)."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"at most {cap} subscriptions per user")
        self.cap = cap


@dataclass(frozen=True, slots=True)
class WatchRegistry:
    """Which targets anybody watches (key -> number of live subscriptions on it): one read per cycle,
    so the cycle asks the TWS only for the kinds watched and the store only for changed watched keys."""

    targets: Mapping[str, int] = field(default_factory=dict)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(k.split("#", 1)[0] for k, n in self.targets.items() if n > 0)

    def watched(self, key: str) -> bool:
        return self.targets.get(key, 0) > 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The states the last cycle saw: snapshot key -> [state, instance]; written under a version."""

    states: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    version: int = 0


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user to alert and the connections to post to."""

    owner: str
    connections: tuple[tuple[str, str], ...] = ()
    """(connection id, its conversation id) of every open connection of the user."""


class AlertStore(Protocol):
    # -- subscriptions (the user's own)
    def add_subscription(self, subscription: Subscription, *, cap: int, now: int) -> Subscription: ...

    def list_subscriptions(self, owner: str, *, now: int) -> list[Subscription]: ...

    def cancel_subscription(self, owner: str, subscription_id: str) -> bool: ...

    # -- the watcher's side
    def registry(self) -> WatchRegistry: ...

    def subscribers(self, key: str, *, now: int) -> list[Subscription]: ...

    def get_snapshot(self) -> Snapshot: ...

    def put_snapshot(self, states: Mapping[str, tuple[str, str]], *, expected_version: int) -> bool:
        """False when another cycle wrote it first (this cycle's snapshot is dropped)."""
        ...

    def claim_alert(self, alert_id: str, owner: str, *, expires_at: int) -> bool:
        """Record that ``alert_id`` goes to ``owner``; False when it already went (a retried cycle)."""
        ...


class RecipientDirectory(Protocol):
    def connections_of(self, owner: str, *, now: int) -> Recipient: ...

    def operators_connected(self, *, now: int) -> list[Recipient]: ...


class AlertSink(Protocol):
    """Delivery: post one alert frame to a connection (False: gone or failed), and keep a
    subscription's alert in its conversation."""

    def post(self, connection_id: str, frame: Mapping[str, Any]) -> bool: ...

    def store(
        self, owner: str, conversation_id: str, alert_id: str, text: str, context: Mapping[str, Any]
    ) -> None: ...
