"""The watcher's edges: who to alert (the connections store) and how (the connections API poster, and
the history for a subscription's conversation)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from twschat.core.conversation import MessageRecord
from twschat.core.ports import FramePoster, PostOutcome
from twschat.core.subscriptions import Recipient
from twschat.persistence.connections import ConnectionStore
from twschat.persistence.history import HistoryStore

__all__ = ["ConnectionsDirectory", "PostingAlertSink", "alert_message_key"]

logger = logging.getLogger("twschat.alerts")


def alert_message_key(created_ms: int, alert_id: str) -> str:
    """Where an alert sits in its conversation: by time, and deterministic per alert (a retried store
    finds it there and writes nothing)."""
    return f"{created_ms:013d}#{alert_id}#alert"


class ConnectionsDirectory:
    """Recipients from the connections table: a user's open connections; every connected operator."""

    def __init__(self, connections: ConnectionStore, *, max_connection_seconds: int = 7200) -> None:
        self._connections = connections
        self._max = max_connection_seconds

    def connections_of(self, owner: str, *, now: int) -> Recipient:
        found = self._connections.open_connections(now=now, connected_after=now - self._max, owner=owner)
        return Recipient(owner, tuple((c.connection_id, c.conversation_id) for c in found))

    def operators_connected(self, *, now: int) -> list[Recipient]:
        by_owner: dict[str, list[tuple[str, str]]] = {}
        for c in self._connections.open_connections(now=now, connected_after=now - self._max):
            if "operator" in c.roles:
                by_owner.setdefault(c.owner, []).append((c.connection_id, c.conversation_id))
        return [Recipient(owner, tuple(conns)) for owner, conns in sorted(by_owner.items())]


class PostingAlertSink:
    def __init__(
        self,
        poster: FramePoster,
        history: HistoryStore,
        *,
        connections: ConnectionStore | None = None,
        clock_ms: Callable[[], int],
        expires_at: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._poster = poster
        self._history = history
        self._connections = connections
        self._clock_ms = clock_ms
        self._expires_at = expires_at

    def post(self, connection_id: str, frame: Mapping[str, Any]) -> bool:
        outcome = self._poster.post(connection_id, dict(frame))
        if outcome is PostOutcome.GONE and self._connections is not None:
            # As after a turn's 410: the record goes, the history stays.
            self._connections.delete_connection(connection_id)
        return outcome is PostOutcome.SENT

    def store(
        self, owner: str, conversation_key: str, alert_id: str, text: str, context: Mapping[str, Any]
    ) -> None:
        created = self._clock_ms()
        record = MessageRecord(
            conversation_key=conversation_key,
            message_key=alert_message_key(created, alert_id),
            role="agent",
            text=text,
            message_id=alert_id,
            created_at=created,
            context=dict(context),
            expires_at=self._expires_at(),
        )
        self._history.add_message(record)
