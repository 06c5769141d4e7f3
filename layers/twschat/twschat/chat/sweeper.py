"""The sweeper (scheduled): close idle connections and those near API Gateway's 2-hour cap, telling
each client why and which ``conversationId`` to reconnect with.

Bounded work per run (``batch`` x ``max_batches``); whatever is left waits for the next run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from twschat.core import frames
from twschat.core.ports import FramePoster, PostOutcome
from twschat.core.texts import CLOSING_TEXT

if TYPE_CHECKING:
    from .service import ChatService

logger = logging.getLogger("twschat.chat")

_METRICS = (("idle", "IdleClosed"), ("max_duration", "MaxDurationClosed"), ("gone", "StaleConnections"))


def sweep(
    service: ChatService, *, poster: FramePoster, batch: int = 100, max_batches: int = 5
) -> dict[str, int]:
    """Close what is stale, each client told why first; the counts per reason."""
    now = int(service.clock())
    settings = service.settings
    connections = service.stores.connections
    counts = {"idle": 0, "max_duration": 0, "gone": 0}
    texts = CLOSING_TEXT[service.language()]
    for _ in range(max_batches):
        stale = connections.stale_connections(
            idle_before=now - settings.idle_timeout_seconds,
            connected_before=now - (settings.max_connection_seconds - settings.closing_margin_seconds),
            limit=batch,
        )
        for connection in stale:
            text = texts[connection.reason].format(
                minutes=settings.idle_timeout_seconds // 60, conversation_id=connection.conversation_id
            )
            frame = frames.closing_frame(
                reason=connection.reason, conversation_id=connection.conversation_id, message=text
            )
            if poster.post(connection.connection_id, frame) is PostOutcome.GONE:
                counts["gone"] += 1
            else:
                poster.close(connection.connection_id)
                counts[connection.reason] += 1
            # $disconnect deletes it too; deleting here keeps the next Query from seeing it again.
            connections.delete_connection(connection.connection_id)
        if len(stale) < batch:
            break
    for reason, metric in _METRICS:
        if counts[reason]:
            service.metrics.add_metric(metric, "Count", counts[reason])
    logger.info("sweep done", extra=counts)
    return counts
