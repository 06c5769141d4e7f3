"""The alert watcher's composition root (WatchFunction, and ``twschat serve``'s schedule): the TWS
source, the alert store, the recipients and the poster, built once per cold start."""

from __future__ import annotations

import time
from typing import Any

from twschat import runtime
from twschat.alerts.cycle import CycleReport, WatchCycle
from twschat.config import AlertSettings
from twschat.core.ports import FramePoster
from twschat.core.subscriptions import AlertStore

__all__ = ["alert_settings", "alert_store", "watch_cycle"]

_cache: dict[str, Any] = {}


def alert_settings() -> AlertSettings:
    if "settings" not in _cache:
        _cache["settings"] = AlertSettings.from_env()
    return _cache["settings"]


def alert_store() -> AlertStore:
    """The alert store beside the deployment's other stores (same backend, same file or client)."""
    if "store" not in _cache:
        _cache["store"] = _build_store()
    return _cache["store"]


def _build_store() -> AlertStore:
    stores = runtime.stores()
    table = alert_settings().alerts_table
    connections = stores.connections
    from twschat.persistence.sqlite.connections import SQLiteConnectionStore

    if isinstance(connections, SQLiteConnectionStore):
        from twschat.persistence.sqlite.alerts import SQLiteAlertStore

        return SQLiteAlertStore(connections.db, connections.accounting)
    from twschat.persistence.dynamodb.alerts import DynamoDBAlertStore
    from twschat.persistence.dynamodb.connections import DynamoDBConnectionStore

    assert isinstance(connections, DynamoDBConnectionStore)
    return DynamoDBAlertStore(connections.dynamodb, table, connections.accounting)


def watch_cycle(poster: FramePoster | None = None) -> WatchCycle:
    from twschat.adapters.alerts import ConnectionsDirectory, PostingAlertSink
    from twschat.responders import build_tws_client

    settings = runtime.settings()
    stores = runtime.stores()
    if "tws" not in _cache:
        _cache["tws"] = build_tws_client(settings)
    retention = settings.history_retention_days
    sink = PostingAlertSink(
        poster or runtime.sweeper_poster(),
        stores.history,
        connections=stores.connections,
        clock_ms=lambda: int(time.time() * 1000),
        expires_at=lambda: int(time.time()) + retention * 86400 if retention > 0 else None,
    )
    return WatchCycle(
        _cache["tws"],
        alert_store(),
        ConnectionsDirectory(stores.connections, max_connection_seconds=settings.max_connection_seconds),
        sink,
        team_alerts=alert_settings().team_alerts == "abend",
        clock=time.time,
        default_language=settings.default_language,
    )


def run_once(poster: FramePoster | None = None) -> CycleReport:
    return watch_cycle(poster).run()


def reset() -> None:
    _cache.clear()
