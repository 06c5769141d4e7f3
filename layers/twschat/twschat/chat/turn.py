"""A chat turn, ONE pipeline for ``$default`` and the turn worker:

    claim -> redelivered? -> hand over or answer -> store -> post

``$default`` touches the connection (one conditional update that also returns it), checks the rate,
answers a client request from :mod:`.requests`, or claims the turn: the user's message is stored with a
conditional put before anything can fail, and only the delivery that created it goes on. A redelivered
frame finds its stored reply and gets it again (same ``messageId``), or, while the worker still answers
it, a progress frame. The worker finds the message ``$default`` stored and goes through the same steps
(it never hands over). Answering is :mod:`.answer`. The keys of a turn are computed once
(:class:`TurnKeys`); a store outage anywhere before the reply exists is told by
:func:`storage_refusal`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from twschat.core import frames
from twschat.core.conversation import (
    MessageRecord,
    messages_in_last_minute,
    seconds_until_allowed,
)
from twschat.core.exceptions import StorageUnavailable
from twschat.core.inbound import ClientRequest, InputRejected, UserText, parse_frame
from twschat.core.language import detect_language
from twschat.core.ports import FramePoster
from twschat.persistence.accounting import StoreStats

from .answer import answer_turn, unanswered
from .claim import ClaimedTurn, TurnKeys, claim
from .outcomes import TurnOutcome, TurnStatus
from .replies import reply_frames
from .requests import answer_request

if TYPE_CHECKING:
    from .service import ChatService

logger = logging.getLogger("twschat.chat")


# -- the two entries ---------------------------------------------------------------------------------
def handle_message(
    service: ChatService,
    *,
    connection_id: str,
    message_id: str,
    request_time_ms: int,
    body: str | None,
    is_base64: bool,
    poster: FramePoster,
) -> TurnOutcome:
    """``$default``: one frame (a turn or a client request)."""
    stats = service.stores.begin_turn()
    parsed = parse_frame(body, is_base64=is_base64, max_chars=service.settings.max_message_chars)
    if isinstance(parsed, InputRejected):
        # Nothing is stored for a rejected frame; the connection stays open for the next one.
        service.metrics.add_metric("InputRejected", "Count", 1)
        logger.info("frame rejected", extra={"error_code": parsed.code})
        return service.refuse(
            poster, connection_id, message_id, "rejected", parsed.code, detail=parsed.detail
        )
    # Server-written errors speak the operator's language, as far as the message tells it.
    language = (
        detect_language(parsed.text, service.language())
        if isinstance(parsed, UserText)
        else service.language()
    )
    return _guarded(
        service,
        poster,
        connection_id,
        message_id,
        language,
        lambda: _route_frame(
            service, parsed, connection_id, message_id, request_time_ms, poster, language, stats
        ),
    )


def run_turn(
    service: ChatService, *, connection_id: str, message_id: str, request_time_ms: int, poster: FramePoster
) -> TurnOutcome:
    """The turn worker: a turn ``$default`` stored and handed over, through the same pipeline without
    the 29 s cap. Idempotent: a reply already stored is posted again as is."""
    stats = service.stores.begin_turn()

    def worker_turn() -> TurnOutcome:
        connection = service.stores.connections.get_connection(connection_id, now=int(service.clock()))
        if connection is None:
            # The client left before the worker started: the message stays; a resend answers it.
            logger.info("turn for a connection that is gone; not answered")
            return TurnOutcome("unknown_connection")
        service.bind(conversation_id=connection.conversation_id, agent=connection.agent)
        keys = TurnKeys.of(connection, message_id, request_time_ms)
        user = service.stores.history.get_message(keys.conversation_key, keys.user_key)
        if user is None:
            logger.warning("turn without its stored message; not answered")
            return TurnOutcome("rejected", conversation_id=connection.conversation_id)
        language = detect_language(user.text, service.language())
        # $default claimed it; the worker may be a retry: the same pipeline, never handed over again.
        turn = ClaimedTurn(connection, keys, user.text, language, stats)
        return _pipeline(service, turn, poster, created=False, hand_over=False)

    return _guarded(service, poster, connection_id, message_id, None, worker_turn)


# -- the pipeline ------------------------------------------------------------------------------------
def _route_frame(
    service: ChatService,
    parsed: UserText | ClientRequest,
    connection_id: str,
    message_id: str,
    request_time_ms: int,
    poster: FramePoster,
    language: str,
    stats: StoreStats,
) -> TurnOutcome:
    now = service.clock()
    settings = service.settings
    connection = service.stores.connections.touch_connection(
        connection_id,
        now=int(now),
        expires_at=int(now) + settings.connection_ttl_seconds,
        # Idle detection needs a fraction of the idle timeout, never more than the sweeper's minute.
        activity_resolution=max(1, min(60, settings.idle_timeout_seconds // 5)),
    )
    if connection is None:
        return service.refuse(
            poster, connection_id, message_id, "unknown_connection", "unknown_connection", language
        )
    service.bind(conversation_id=connection.conversation_id, agent=connection.agent)
    limit = settings.rate_limit_per_minute
    if messages_in_last_minute(connection, now) > limit:
        retry_after = seconds_until_allowed(connection, now, limit)
        service.metrics.add_metric("RateLimited", "Count", 1)
        return service.refuse(
            poster,
            connection_id,
            message_id,
            "rate_limited",
            "rate_limited",
            language,
            detail=str(retry_after),
            retryAfter=retry_after,
        )
    if isinstance(parsed, ClientRequest):
        posted = service.post(
            poster, connection_id, [answer_request(service, parsed, connection, message_id)]
        )
        return TurnOutcome(
            cast(TurnStatus, parsed.request_type), conversation_id=connection.conversation_id, **posted
        )
    keys = TurnKeys.of(connection, message_id, request_time_ms)
    created = claim(service, keys, parsed.text, now)
    turn = ClaimedTurn(connection, keys, parsed.text, language, stats)
    return _pipeline(service, turn, poster, created=created, hand_over=service.turns is not None)


def _pipeline(
    service: ChatService, turn: ClaimedTurn, poster: FramePoster, *, created: bool, hand_over: bool
) -> TurnOutcome:
    """After the claim: a redelivery gets its stored reply; the turn is handed over or answered."""
    keys = turn.keys
    if not created:
        stored_reply = service.stores.history.get_message(keys.conversation_key, keys.reply_key)
        if stored_reply is not None:
            return _redeliver(service, keys, stored_reply, poster)
    if hand_over:
        return _hand_over(service, turn, poster, created=created)
    return answer_turn(service, turn, poster)


def _redeliver(
    service: ChatService, keys: TurnKeys, stored_reply: MessageRecord, poster: FramePoster
) -> TurnOutcome:
    """A frame (or a worker run) we answered already: the same reply, same messageId, again."""
    service.metrics.add_metric("Redeliveries", "Count", 1)
    to_send = reply_frames(keys.conversation_id, stored_reply, keys.message_id)
    posted = service.post(poster, keys.connection_id, to_send)
    return TurnOutcome("redelivered", conversation_id=keys.conversation_id, **posted)


def _hand_over(service: ChatService, turn: ClaimedTurn, poster: FramePoster, *, created: bool) -> TurnOutcome:
    """The worker answers. Only the delivery that created the user's message starts one; a redelivery
    while it runs gets a progress frame with the reply's id (the worker's frames follow)."""
    assert service.turns is not None
    keys = turn.keys
    if not created:
        service.metrics.add_metric("Redeliveries", "Count", 1)
        frame = frames.progress_frame(
            message_id=keys.reply_id, stage="thinking", conversation_id=keys.conversation_id
        )
        posted = service.post(poster, keys.connection_id, [frame])
        return TurnOutcome("in_progress", conversation_id=keys.conversation_id, **posted)
    payload = {
        "connectionId": keys.connection_id,
        "messageId": keys.message_id,
        "requestTimeMs": keys.request_time_ms,
        "domainName": turn.connection.domain_name,
        "stage": turn.connection.stage,
    }
    if not service.turns.dispatch(payload):
        # Stored but not answered: say so; sending it again is a new turn.
        return unanswered(service, poster, keys, turn.language)
    service.metrics.add_metric("TurnsDispatched", "Count", 1)
    return TurnOutcome("dispatched", conversation_id=keys.conversation_id)


# -- store outages -----------------------------------------------------------------------------------
def _guarded(
    service: ChatService,
    poster: FramePoster,
    connection_id: str,
    message_id: str,
    language: str | None,
    step: Callable[[], TurnOutcome],
) -> TurnOutcome:
    try:
        return step()
    except StorageUnavailable as failure:
        return storage_refusal(service, failure, poster, connection_id, message_id, language)


def storage_refusal(
    service: ChatService,
    failure: StorageUnavailable,
    poster: FramePoster,
    connection_id: str,
    message_id: str,
    language: str | None,
) -> TurnOutcome:
    """The one answer to a store outage before the reply existed: nothing ran (an action's audit
    record is written before the TWS call, and that write failing stops the action). Said in words."""
    service.storage_failed(failure, "store unavailable; turn not processed")
    return service.refuse(
        poster, connection_id, message_id, "storage_unavailable", "storage_unavailable", language
    )
