"""The alert watcher's composition root (WatchFunction, and ``twschat serve``'s schedule): the TWS
source, the alert store, the recipients and the poster, built once per cold start."""

from __future__ import annotations

import time

from twschat import runtime
from twschat.alerts.cycle import CycleReport, WatchCycle
from twschat.assistant.tws import TwsClient
from twschat.config import AlertSettings
from twschat.core.ports import FramePoster
from twschat.core.subscriptions import AlertStore

__all__ = ["alert_settings", "alert_store", "watch_cycle"]


@runtime._once
def alert_settings() -> AlertSettings:
    return AlertSettings.from_env()


@runtime._once
def alert_store() -> AlertStore:
    """The alert store beside the deployment's other stores (same backend, same file or client)."""
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

    settings = runtime.settings()
    stores = runtime.stores()
    retention = settings.history_retention_days
    sink = PostingAlertSink(
        poster or runtime.sweeper_poster(),
        stores.history,
        connections=stores.connections,
        clock_ms=lambda: int(time.time() * 1000),
        expires_at=lambda: int(time.time()) + retention * 86400 if retention > 0 else None,
    )
    return WatchCycle(
        tws_client(),
        alert_store(),
        ConnectionsDirectory(stores.connections, max_connection_seconds=settings.max_connection_seconds),
        sink,
        team_alerts=alert_settings().team_alerts == "abend",
        clock=time.time,
        default_language=settings.default_language,
    )


@runtime._once
def tws_client() -> TwsClient:
    """The watcher's TWS source, built once per cold start (the demo plan keeps its state between runs)."""
    from twschat.responders import build_tws_client

    return build_tws_client(runtime.settings())


def run_once(poster: FramePoster | None = None) -> CycleReport:
    return watch_cycle(poster).run()


def reset() -> None:
    for cached in (alert_settings, alert_store, tws_client):
        cached.cache_clear()
