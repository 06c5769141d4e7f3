"""The connection store: one record per open WebSocket, its rate window, and the sweeper's reads.

The base states what every backend shares — the item layout (camelCase attributes, the same in
DynamoDB and SQLite), the sliding rate-window rule and the sweep over both stale conditions — and
each adapter implements the primitive operations for its backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from twschat.core.conversation import ConnectionRecord, StaleConnection, StaleReason
from twschat.persistence.accounting import AccountedStore

# The connections table's sweep indexes share one constant partition key: the sweeper asks
# "who was last seen before T" / "who connected before T" with one bounded Query each.
SWEEP_KEY = "connections"
IDLE_INDEX = "byLastSeen"
AGE_INDEX = "byConnectedAt"
# Connections by owner: counts a user's open connections for the per-user cap at $connect.
OWNER_INDEX = "byOwner"

STALE_CONDITIONS: tuple[tuple[StaleReason, str], ...] = (
    ("max_duration", "connectedAt"),
    ("idle", "lastSeenAt"),
)
"""The sweeper's two reasons, each with the attribute (and index) its cutoff applies to."""


class ConnectionStore(AccountedStore, ABC):
    @abstractmethod
    def save_connection(self, record: ConnectionRecord) -> None: ...

    @abstractmethod
    def get_connection(self, connection_id: str, *, now: int) -> ConnectionRecord | None:
        """The live record, or ``None`` (none, or expired at ``now``: TTL deletion lags by hours).

        ``now`` comes from the caller's clock: a store never reads the wall clock, so a test that
        moves the service's clock moves the store's too.
        """

    @abstractmethod
    def count_open_connections(self, owner: str, *, connected_after: int) -> int:
        """How many connection records ``owner`` has that connected after ``connected_after``.

        By connection time, not expiry: API Gateway closes every connection after 2 hours, so older
        records are leftovers; and the owner index then needs only keys, which a turn's update of
        the record never writes (a projected ``expiresAt`` would add an index write to every turn).
        """

    @abstractmethod
    def touch_connection(
        self, connection_id: str, *, now: int, expires_at: int, activity_resolution: int = 60
    ) -> ConnectionRecord | None:
        """Record activity on a live connection and count it in the current minute's rate window.

        Returns the updated record (``rate_count`` includes this message); ``None`` when there is
        no record. When the minute changes, the finished minute's count moves to ``rate_prev_count``
        (zero if that minute was not the previous one): the sliding-window estimate
        (:func:`~twschat.core.conversation.messages_in_last_minute`) needs both, at no extra write.
        ``lastSeenAt`` (the idle index's key) moves only when it is older than ``activity_resolution``
        seconds or the minute changed: most turns cost one write, not three.
        """

    @abstractmethod
    def delete_connection(self, connection_id: str) -> None: ...

    @abstractmethod
    def open_connections(
        self, *, now: int, connected_after: int, owner: str | None = None
    ) -> list[ConnectionRecord]:
        """The live connections of ``owner`` (the alert watcher posts to each; a handful: the cap),
        or, with no owner, every live connection (team alerts pick the operators among them; the
        table holds open connections only, so one bounded read of it)."""

    def stale_connections(
        self, *, idle_before: int, connected_before: int, limit: int
    ) -> list[StaleConnection]:
        """Up to ``limit`` connections last seen before ``idle_before`` or connected before
        ``connected_before`` (epoch seconds) — one bounded read per condition."""
        cutoffs = {"connectedAt": connected_before, "lastSeenAt": idle_before}
        found: dict[str, StaleConnection] = {}
        for reason, attribute in STALE_CONDITIONS:
            for item in self._stale_connections_by(attribute, cutoffs[attribute], limit):
                connection_id = str(item["connectionId"])
                found.setdefault(
                    connection_id, StaleConnection(connection_id, str(item.get("conversationId", "")), reason)
                )
        return list(found.values())[:limit]

    @abstractmethod
    def _stale_connections_by(self, attribute: str, cutoff: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` items (``connectionId`` and ``conversationId`` at least) whose
        ``attribute`` is below ``cutoff``: one bounded read."""

    @staticmethod
    def next_rate_window(old: Mapping[str, Any], window: int) -> dict[str, int]:
        """The rate attributes after a message in minute ``window``, from the stored item ``old``.

        Written once for both backends: same minute counts one more; the next minute carries the
        finished minute's count as the previous one; a later minute starts from nothing.
        """
        old_window = int(old.get("rateWindow", 0))
        old_count = int(old.get("rateCount", 0))
        if old_window == window:
            return {
                "rateWindow": window,
                "rateCount": old_count + 1,
                "ratePrevCount": int(old.get("ratePrevCount", 0)),
            }
        return {
            "rateWindow": window,
            "rateCount": 1,
            "ratePrevCount": old_count if old_window == window - 1 else 0,
        }


# -- item layout shared by the adapters --------------------------------------------------------
def connection_to_item(record: ConnectionRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sweepKey": SWEEP_KEY,
        "connectionId": record.connection_id,
        "agent": record.agent,
        "conversationId": record.conversation_id,
        "owner": record.owner,
        "connectedAt": record.connected_at,
        "lastSeenAt": record.last_seen_at,
        "expiresAt": record.expires_at,
        "domainName": record.domain_name,
        "stage": record.stage,
        "username": record.username,
        "rateWindow": record.rate_window,
        "rateCount": record.rate_count,
        "ratePrevCount": record.rate_prev_count,
    }
    if record.roles:
        item["roles"] = list(record.roles)
    return item


def connection_from_item(item: Mapping[str, Any]) -> ConnectionRecord:
    return ConnectionRecord(
        connection_id=str(item["connectionId"]),
        agent=str(item["agent"]),
        conversation_id=str(item["conversationId"]),
        owner=str(item["owner"]),
        connected_at=int(item["connectedAt"]),
        last_seen_at=int(item["lastSeenAt"]),
        expires_at=int(item["expiresAt"]),
        domain_name=str(item.get("domainName", "")),
        stage=str(item.get("stage", "")),
        username=str(item.get("username", "")),
        roles=tuple(str(r) for r in item.get("roles", ())),
        rate_window=int(item.get("rateWindow", 0)),
        rate_count=int(item.get("rateCount", 0)),
        rate_prev_count=int(item.get("ratePrevCount", 0)),
    )
