"""The chat service: the routes' work, in terms of the core and the ports (no AWS import).

:class:`ChatService` holds what every route needs (settings, stores, the responder, metrics, the clock,
the worker hand-over the composition root chose) and the few things every route does the same way:
post frames to a connection (a 410 drops its record), refuse a frame with one error frame, and map a
store outage to its log line, metric and frame. Each route's work is in its own module: :mod:`.connect`
($connect, the welcome, $disconnect), :mod:`.turn` ($default and the turn worker: ONE pipeline),
:mod:`.requests` (history, conversations, ping), :mod:`.sweeper`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from twschat.config import Settings
from twschat.core import frames
from twschat.core.exceptions import StorageUnavailable
from twschat.core.ports import FramePoster, MetricsSink, NullMetrics, PostOutcome, TurnDispatcher
from twschat.core.responder import Responder, StreamingResponder
from twschat.persistence.stores import Stores

from . import connect as connect_route
from . import sweeper, turn
from .outcomes import TurnOutcome, TurnStatus

logger = logging.getLogger("twschat.chat")


class ChatService:
    def __init__(
        self,
        settings: Settings,
        stores: Stores,
        responder: Responder,
        *,
        metrics: MetricsSink | None = None,
        clock: Callable[[], float] = time.time,
        bind_log_keys: Callable[..., None] | None = None,
        turns: TurnDispatcher | None = None,
    ) -> None:
        self.settings = settings
        self.turns = turns
        """Set (by the composition root, :mod:`twschat.runtime`): ``$default`` stores the user's message
        and hands the turn to the worker (replies past API Gateway's 29 s integration timeout); unset:
        the turn is answered in the route."""
        self.stores = stores
        self.responder = responder
        self.metrics: MetricsSink = metrics or NullMetrics()
        self.clock = clock
        self.bind = bind_log_keys or (lambda **_: None)
        self.auth_mode = settings.auth_mode
        self.streams = isinstance(responder, StreamingResponder)
        """A :class:`~twschat.core.responder.StreamingResponder`: its reply is streamed as delta frames."""

    # -- the routes: each is its module's function, bound here as a method ---------------------------
    connect = connect_route.connect
    send_welcome = connect_route.send_welcome
    disconnect = connect_route.disconnect
    handle_message = turn.handle_message
    run_turn = turn.run_turn
    sweep = sweeper.sweep

    # -- what every route does the same way ------------------------------------------------------
    def language(self) -> str:
        """The language of server-initiated frames (welcome, closing): the configured one, if we speak it."""
        return self.settings.default_language if self.settings.default_language in ("pt", "en") else "pt"

    def history_expiry(self, now: float) -> int | None:
        days = self.settings.history_retention_days
        return int(now) + days * 86400 if days > 0 else None

    def storage_failed(
        self, failure: StorageUnavailable, what: str, *, exc_info: bool = False, **extra: Any
    ) -> None:
        """A store outage, logged and counted the one way (what the client is told is the route's:
        :func:`.turn.storage_refusal` for a turn, 503 for a connect, nothing for a disconnect)."""
        logger.warning(
            what,
            exc_info=exc_info,
            extra={"operation": failure.operation, "detail": failure.detail, **extra},
        )
        self.metrics.add_metric("StorageErrors", "Count", 1)

    def refuse(
        self,
        poster: FramePoster,
        connection_id: str,
        message_id: str,
        status: TurnStatus,
        code: str,
        language: str | None = None,
        *,
        detail: str = "",
        conversation_id: str = "",
        **extra: Any,
    ) -> TurnOutcome:
        """Answer a frame with one error frame: the one way every refusal of a turn is told."""
        frame = frames.error_frame(
            code, language=language or self.language(), detail=detail, in_reply_to=message_id, **extra
        )
        posted = self.post(poster, connection_id, [frame])
        return TurnOutcome(status, error_code=code, conversation_id=conversation_id, **posted)

    def connection_gone(self, connection_id: str) -> None:
        # The client left mid-turn: drop *this* connection's record; the history stays.
        self.stores.connections.delete_connection(connection_id)
        self.metrics.add_metric("StaleConnections", "Count", 1)
        logger.info("connection gone; record deleted")

    def post(self, poster: FramePoster, connection_id: str, to_send: list[frames.Frame]) -> dict[str, Any]:
        posted = 0
        for frame in to_send:
            outcome = poster.post(connection_id, frame)
            if outcome is PostOutcome.GONE:
                self.connection_gone(connection_id)
                return {"frames_posted": posted, "gone": True}
            if outcome is PostOutcome.FAILED:
                self.metrics.add_metric("PostFailures", "Count", 1)
                continue
            posted += 1
        return {"frames_posted": posted, "gone": False}
