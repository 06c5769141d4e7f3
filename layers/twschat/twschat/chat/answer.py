"""Answering a claimed turn: the window, the responder (streamed when it streams), the reply stored
before it is posted, then posted; the turn's log line and metrics; the responder's after-reply work."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from twschat.core import frames
from twschat.core.conversation import ConnectionRecord, MessageRecord, window_turns
from twschat.core.exceptions import StorageUnavailable
from twschat.core.ports import FramePoster
from twschat.core.responder import AfterReply, Principal, Reply, ResponderRequest, StreamingResponder

from .claim import title_if_first
from .outcomes import TurnOutcome, TurnStatus
from .replies import BLOCKS_KEY, LEAD_KEY, QUICK_REPLIES_KEY, reply_frames
from .streaming import ReplyStream
from .telemetry import log_turn_metrics

if TYPE_CHECKING:
    from .claim import ClaimedTurn, TurnKeys
    from .service import ChatService

logger = logging.getLogger("twschat.chat")


def answer_turn(service: ChatService, turn: ClaimedTurn, poster: FramePoster) -> TurnOutcome:
    """The window, the responder, the reply stored, the reply posted."""
    keys, language, stats = turn.keys, turn.language, turn.stats
    window = service.stores.history.recent_messages(keys.conversation_key, service.settings.history_window)
    title_if_first(service, turn, window)
    request = _request(service, turn.connection, keys, turn.text, window)
    started = time.perf_counter()
    stream = (
        ReplyStream(
            poster,
            keys.connection_id,
            message_id=keys.reply_id,
            conversation_id=keys.conversation_id,
            metrics=service.metrics,
            on_gone=service.connection_gone,
        )
        if service.streams
        else None
    )
    try:
        reply = _respond(service, request, stream)
    except StorageUnavailable:
        raise  # the service's one answer to a store outage (turn.storage_refusal)
    except Exception:
        # The user's message is stored; without a stored reply, a retry of the frame answers it.
        logger.exception("responder failed")
        service.metrics.add_metric("ResponderErrors", "Count", 1)
        return unanswered(service, poster, keys, language)
    service.metrics.add_metric("ResponderLatency", "Milliseconds", (time.perf_counter() - started) * 1000)
    if reply.error_code:
        # The TWS source failed (unreachable, slow, 401, 5xx): the operator got an explanation; count it.
        service.metrics.add_metric("TwsErrors", "Count", 1)
    stored_reply, status = _store_reply(service, keys, reply)
    outcome = _post_reply(service, keys, stored_reply, reply, status, poster, language, stream)
    service.metrics.add_metric("Turns", "Count", 1)
    log_turn_metrics(service.metrics, reply, stream, started)
    logger.info(
        "turn stored" if status == "answered" else "turn answered, reply not stored",
        extra={
            "history_items_read": stats.items_read,
            "history_read_capacity": round(stats.read_capacity, 3),
            "store_writes": stats.writes,
            "store_write_capacity": round(stats.write_capacity, 3),
            "window_messages": len(window),
            "intent": reply.intent,
        },
    )
    if status == "answered":
        _after_reply(service, request, reply)
    return outcome


def unanswered(service: ChatService, poster: FramePoster, keys: TurnKeys, language: str) -> TurnOutcome:
    """The user's message is stored and no reply will come for it (the responder failed, the worker
    could not be started): ``internal_error``; a resend of the frame is answered."""
    return service.refuse(
        poster,
        keys.connection_id,
        keys.message_id,
        "responder_failed",
        "internal_error",
        language,
        conversation_id=keys.conversation_id,
    )


def _request(
    service: ChatService,
    connection: ConnectionRecord,
    keys: TurnKeys,
    text: str,
    window: list[MessageRecord],
) -> ResponderRequest:
    return ResponderRequest(
        agent=connection.agent,
        message=text,
        history=window_turns(window, keys.user_key),
        default_language=service.settings.default_language,
        # Roles as stored at connect: the authorizer's groups, or the development principal's.
        # A signed-in user with no known group has none, and may ask but not act.
        principal=Principal(
            user_id=connection.owner,
            username=connection.username or connection.owner,
            roles=connection.roles,
        ),
        connection_id=keys.connection_id,
        conversation_id=keys.conversation_id,
        received_at_ms=keys.request_time_ms,
    )


def _respond(service: ChatService, request: ResponderRequest, stream: ReplyStream | None) -> Reply:
    responder = service.responder
    if stream is not None and isinstance(responder, StreamingResponder):
        return responder.respond_streamed(request, on_delta=stream.on_delta, on_progress=stream.on_progress)
    return responder.respond(request)


def reply_record(service: ChatService, keys: TurnKeys, reply: Reply) -> MessageRecord:
    """The reply as stored: its text and its context, with the platform's keys beside the responder's."""
    return MessageRecord(
        conversation_key=keys.conversation_key,
        message_key=keys.reply_key,
        role="agent",
        text=reply.text,
        message_id=keys.reply_id,
        created_at=int(service.clock() * 1000),
        connection_id=keys.connection_id,
        context={
            **dict(reply.context),
            "intent": reply.intent,
            # Kept with the reply: a redelivered frame gets the same buttons back.
            **({QUICK_REPLIES_KEY: list(reply.quick_replies)} if reply.quick_replies else {}),
            **({LEAD_KEY: reply.lead} if reply.lead else {}),
            # Kept with the reply too: a reloaded page redraws the tables, not only the text.
            **({BLOCKS_KEY: [dict(b) for b in reply.blocks]} if reply.blocks else {}),
        },
        expires_at=service.history_expiry(service.clock()),
    )


def _store_reply(service: ChatService, keys: TurnKeys, reply: Reply) -> tuple[MessageRecord, TurnStatus]:
    record = reply_record(service, keys, reply)
    try:
        stored, _ = service.stores.history.add_message(record)
    except StorageUnavailable as failure:
        # The responder ran (maybe an action, already in the audit trail): the operator must see its
        # answer even though the history could not keep it, and know it was not kept.
        service.storage_failed(failure, "reply not stored; posting it anyway", intent=reply.intent)
        return record, "answered_unsaved"
    return stored, "answered"


def _post_reply(
    service: ChatService,
    keys: TurnKeys,
    stored_reply: MessageRecord,
    reply: Reply,
    status: TurnStatus,
    poster: FramePoster,
    language: str,
    stream: ReplyStream | None,
) -> TurnOutcome:
    to_send = reply_frames(keys.conversation_id, stored_reply, keys.message_id)
    if status == "answered_unsaved":
        to_send.append(
            frames.error_frame(
                "storage_unavailable",
                language=reply.language if reply.language in ("pt", "en") else language,
                text_key="storage_unavailable_reply",
                in_reply_to=keys.message_id,
            )
        )
    if stream is not None and stream.gone:
        # The client left while the reply was streamed: it is stored; a reconnect shows it in the history.
        posted: dict[str, Any] = {"frames_posted": stream.posted, "gone": True}
    else:
        posted = service.post(poster, keys.connection_id, to_send)
        if stream is not None:
            posted["frames_posted"] += stream.posted
    return TurnOutcome(status, conversation_id=keys.conversation_id, **posted)


def _after_reply(service: ChatService, request: ResponderRequest, reply: Reply) -> None:
    responder = service.responder
    if not isinstance(responder, AfterReply):
        return
    # Off the reply's critical path (it is posted): e.g. the LLM responder's summary refresh.
    try:
        responder.after_reply(request, reply)
    except Exception:
        logger.exception("after_reply failed; the turn is not affected")
