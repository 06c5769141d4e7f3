"""Process-wide wiring for the Lambda handlers: settings, stores, responder and clients, built once.

Everything here is created lazily and cached for the life of the execution environment, so warm
invocations reuse connections; ``reset()`` drops the cache (tests, the local gateway's reloads).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.ports import FramePoster, MetricsSink, TurnDispatcher, WelcomeTrigger
from twschat.core.responder import Responder
from twschat.persistence.stores import Stores

if TYPE_CHECKING:
    from twschat.assistant.subscriptions import SubscriptionDesk

_T = TypeVar("_T")
_BUILD_LOCK = threading.RLock()


class _once(Generic[_T]):  # a decorator, named like functools.cache
    """Cache ``build``'s result for the process, building it exactly once.

    ``functools.cache`` alone lets concurrent first calls each build (it caches after the call
    returns): under the local gateway, 200 simultaneous connects made 200 SQLite stores racing to
    set up the same file ("database is locked"). Lambda runs one event at a time per environment,
    so there the lock is never contended.
    """

    def __init__(self, build: Callable[[], _T]) -> None:
        self._build = build
        self._built: list[_T] = []
        functools.update_wrapper(self, build)

    def __call__(self) -> _T:
        if not self._built:
            with _BUILD_LOCK:  # re-entrant: responder() builds stores() inside
                if not self._built:
                    self._built.append(self._build())
        return self._built[0]

    def cache_clear(self) -> None:
        with _BUILD_LOCK:
            self._built.clear()


@_once
def settings() -> Settings:
    return Settings.from_env()


@_once
def stores() -> Stores:
    s = settings()
    if s.store_backend == "sqlite":
        from twschat.persistence.sqlite import sqlite_stores

        return sqlite_stores(s.sqlite_path)
    from twschat.config import AlertSettings
    from twschat.persistence.dynamodb import dynamodb_stores

    return dynamodb_stores(
        s.connections_table,
        s.history_table,
        audit_table=s.audit_table,
        # named so a local DynamoDB restarted in memory gets the alerts table back too
        alerts_table=AlertSettings.from_env().alerts_table,
        create_missing_tables=s.create_missing_tables,
    )


@_once
def responder() -> Responder:
    from twschat.adapters.audit import StoreAuditSink
    from twschat.responders import build_responder

    return build_responder(
        settings(), audit=StoreAuditSink(stores().audit), history=stores().history, alerts=subscriptions()
    )


def subscriptions() -> SubscriptionDesk:
    """The alert store as the subscription skills reach it (issue 18), with the cap and the TTL."""
    from twschat import watching
    from twschat.assistant.subscriptions import SubscriptionDesk

    alert = watching.alert_settings()
    return SubscriptionDesk(
        watching.alert_store(),
        cap=alert.max_subscriptions_per_user,
        ttl_seconds=alert.subscription_ttl_seconds,
    )


@_once
def welcome_trigger() -> WelcomeTrigger:
    from twschat.adapters.welcome import LambdaWelcomeTrigger

    return LambdaWelcomeTrigger(settings().welcome_function_name)


@_once
def turn_dispatcher() -> TurnDispatcher | None:
    """The worker hand-over, when the configuration asks for one (``Settings.hands_turns_to_worker``)."""
    s = settings()
    if not s.hands_turns_to_worker:
        return None
    from twschat.adapters.turns import LambdaTurnDispatcher

    return LambdaTurnDispatcher(s.turn_worker_function_name)


def poster(domain_name: str, stage: str) -> FramePoster:
    from twschat.adapters.connections import ApiGatewayPoster, connections_endpoint

    return ApiGatewayPoster(connections_endpoint(domain_name, stage, settings().connections_api_url))


def sweeper_poster() -> FramePoster:
    """The sweeper has no event to take an endpoint from: the template gives it CONNECTIONS_API_URL."""
    from twschat.adapters.connections import ApiGatewayPoster

    url = settings().connections_api_url
    if not url:
        raise RuntimeError("CONNECTIONS_API_URL is not set for the sweeper")
    return ApiGatewayPoster(url)


def chat_service(
    *, metrics: MetricsSink | None = None, bind_log_keys: Callable[..., Any] | None = None
) -> ChatService:
    """The chat service, wired: this is where a ``$default`` turn's hand-over to the worker is chosen."""
    return ChatService(
        settings(),
        stores(),
        responder(),
        metrics=metrics,
        bind_log_keys=bind_log_keys,
        turns=turn_dispatcher(),
    )


_CACHED = (settings, stores, responder, welcome_trigger, turn_dispatcher)


def reset() -> None:
    for cached in _CACHED:
        cached.cache_clear()
