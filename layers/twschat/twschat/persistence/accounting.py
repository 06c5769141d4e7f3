"""Per-turn accounting shared by the stores one turn uses (connections, history, audit)."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(slots=True)
class StoreStats:
    """What one turn cost the stores; the chat service logs it per turn."""

    items_read: int = 0
    read_capacity: float = 0.0
    writes: int = 0
    write_capacity: float = 0.0
    queries: int = 0


class TurnAccounting:
    """The figures of the turn running on each thread.

    One instance serves every store of a bundle, so a turn's figures cover all the tables it
    touched; and every concurrent turn of a process (the local gateway runs handlers on worker
    threads) counts into its own figures, so logs never mix turns.
    """

    def __init__(self) -> None:
        self._turn = threading.local()

    @property
    def stats(self) -> StoreStats:
        """The figures of the turn running on this thread (since its ``begin_turn``)."""
        stats: StoreStats | None = getattr(self._turn, "stats", None)
        if stats is None:
            stats = self._turn.stats = StoreStats()
        return stats

    def begin_turn(self) -> StoreStats:
        """Start counting a new turn on this thread and return its figures."""
        stats = self._turn.stats = StoreStats()
        return stats


class AccountedStore:
    """What every store kind shares: the accounting it counts into, and ``close``."""

    def __init__(self, accounting: TurnAccounting | None = None) -> None:
        self.accounting = accounting or TurnAccounting()

    @property
    def stats(self) -> StoreStats:
        return self.accounting.stats

    def close(self) -> None:
        """Release what the store holds (nothing, unless the backend keeps a handle open)."""
