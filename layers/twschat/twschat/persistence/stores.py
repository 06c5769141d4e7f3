"""The stores one deployment uses, as one value: what the runtime builds and the chat service takes."""

from __future__ import annotations

from dataclasses import dataclass

from twschat.persistence.accounting import StoreStats
from twschat.persistence.audit import AuditStore
from twschat.persistence.connections import ConnectionStore
from twschat.persistence.history import HistoryStore


@dataclass(frozen=True, slots=True)
class Stores:
    connections: ConnectionStore
    history: HistoryStore
    audit: AuditStore

    def __post_init__(self) -> None:
        # A turn touches all three (the connection, its messages, an action's audit record): its
        # logged figures must count every one of them, so they count into one accounting.
        if not (self.connections.accounting is self.history.accounting is self.audit.accounting):
            raise ValueError("the stores of one bundle must share one TurnAccounting")

    @property
    def stats(self) -> StoreStats:
        """The figures of the turn running on this thread, across the three stores."""
        return self.connections.accounting.stats

    def begin_turn(self) -> StoreStats:
        """Start counting a new turn on this thread, across the three stores, and return its figures."""
        return self.connections.accounting.begin_turn()

    def close(self) -> None:
        for store in (self.connections, self.history, self.audit):
            store.close()
