"""``$connect`` (check the query, open or resume the conversation, store the connection), the welcome
posted once API Gateway knows the connection, and ``$disconnect``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from twschat.core import frames
from twschat.core.conversation import (
    AGENT_PATTERN,
    CONVERSATION_ID_PATTERN,
    ConnectionRecord,
    ConversationRecord,
    new_conversation_id,
)
from twschat.core.exceptions import StorageUnavailable
from twschat.core.ports import FramePoster, PostOutcome, WelcomeTrigger
from twschat.core.responder import Principal
from twschat.core.texts import DEV_MODE_NOTE, WELCOME_BACK_TEXT, WELCOME_TEXT

from .outcomes import ConnectOutcome

if TYPE_CHECKING:
    from .service import ChatService

logger = logging.getLogger("twschat.chat")


def connect(
    service: ChatService,
    *,
    connection_id: str,
    query: Mapping[str, str] | None,
    domain_name: str,
    stage: str,
    principal: Principal | None = None,
    welcome: WelcomeTrigger | None = None,
) -> ConnectOutcome:
    """``$connect``: 200 with the stored record, or the refusal (400, 403, 429; 503 for a store outage)."""
    query = query or {}
    principal = principal or Principal()
    settings = service.settings
    asked_agent = (query.get("agent") or "").strip().lower()
    if asked_agent and not AGENT_PATTERN.fullmatch(asked_agent):
        return _refuse(service, 400, "invalid agent: use letters, digits and '-' (max 63)")
    if asked_agent and asked_agent not in settings.agents:
        return _refuse(service, 400, f"unknown agent; available: {', '.join(settings.agents)}")
    conversation_id = query.get("conversationId")
    if conversation_id is not None and not CONVERSATION_ID_PATTERN.fullmatch(conversation_id):
        return _refuse(service, 400, "invalid conversationId: 8-64 letters, digits, '-' or '_'")
    now_ms = int(service.clock() * 1000)
    try:
        cap = _over_connection_cap(service, principal, now_ms)
        if cap:
            return cap
        opened = _open_conversation(service, principal, asked_agent, conversation_id, now_ms)
        if isinstance(opened, ConnectOutcome):
            return opened
        agent, conversation_id = opened
        now = now_ms // 1000
        record = ConnectionRecord(
            connection_id=connection_id,
            agent=agent,
            conversation_id=conversation_id,
            owner=principal.user_id,
            connected_at=now,
            last_seen_at=now,
            expires_at=now + settings.connection_ttl_seconds,
            domain_name=domain_name,
            stage=stage,
            username=principal.username,
            roles=principal.roles,
        )
        service.bind(conversation_id=conversation_id, agent=agent)
        service.stores.connections.save_connection(record)
    except StorageUnavailable as failure:
        service.storage_failed(failure, "store unavailable at connect", exc_info=True)
        return ConnectOutcome(503, "chat storage unavailable; try again in a moment")
    service.metrics.add_metric("Connects", "Count", 1)
    if welcome is not None:
        welcome.trigger({"connectionId": connection_id, "domainName": domain_name, "stage": stage})
    logger.info("connection stored")
    return ConnectOutcome(200, record=record)


def _refuse(service: ChatService, status_code: int, reason: str) -> ConnectOutcome:
    service.metrics.add_metric("ConnectRejected", "Count", 1)
    return ConnectOutcome(status_code, reason)


def _over_connection_cap(service: ChatService, principal: Principal, now_ms: int) -> ConnectOutcome | None:
    cap = service.settings.max_connections_per_user
    # Counted before this connection is stored. Two connects racing can both pass at cap - 1;
    # the cap is a guard against runaway clients, not an exact quota.
    # API Gateway closes every connection at its 2-hour cap: older records are leftovers.
    recent = now_ms // 1000 - service.settings.max_connection_seconds
    open_connections = service.stores.connections.count_open_connections
    if cap > 0 and open_connections(principal.user_id, connected_after=recent) >= cap:
        return _refuse(
            service,
            429,
            f"too many open connections: at most {cap} per user; close another chat tab or window",
        )
    return None


def _open_conversation(
    service: ChatService,
    principal: Principal,
    asked_agent: str,
    conversation_id: str | None,
    now_ms: int,
) -> tuple[str, str] | ConnectOutcome:
    """(agent, conversation id) of a new conversation or of the caller's own one, or the refusal."""
    history = service.stores.history
    default_agent = service.settings.default_agent
    if conversation_id is None:
        agent = asked_agent or default_agent
        conversation_id = new_conversation_id(now_ms)
        history.create_conversation(ConversationRecord(principal.user_id, conversation_id, agent, now_ms))
        return agent, conversation_id
    conversation = history.get_conversation(principal.user_id, conversation_id)
    if conversation is None:
        # Unknown and someone else's look the same: the refusal reveals nothing about other users.
        return _refuse(service, 403, "conversation not found")
    # A conversation keeps the agent it started with (records from before agents were checked may
    # hold any case).
    agent = conversation.agent.lower() or default_agent
    if asked_agent and asked_agent != agent:
        return _refuse(service, 400, f"this conversation belongs to agent {agent}")
    return agent, conversation_id


def send_welcome(
    service: ChatService,
    *,
    connection_id: str,
    poster: FramePoster,
    sleep: Callable[[float], None] = time.sleep,
    delays: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.5),
) -> bool:
    """Post the welcome once API Gateway knows the connection (410 until ``$connect`` returned)."""
    record = service.stores.connections.get_connection(connection_id, now=int(service.clock()))
    if record is None:
        logger.warning("welcome for an unknown connection")
        return False
    service.bind(conversation_id=record.conversation_id, agent=record.agent)
    frame = _welcome_frame(service, record)
    metrics = service.metrics
    for attempt, delay in enumerate((0.0, *delays)):
        if delay:
            sleep(delay)
        if not poster.is_connected(connection_id):
            continue
        outcome = poster.post(connection_id, frame)
        if outcome is PostOutcome.SENT:
            metrics.add_metric("WelcomeAttempts", "Count", attempt + 1)
            return True
        if outcome is PostOutcome.FAILED:
            metrics.add_metric("PostFailures", "Count", 1)
            return False
    logger.warning("connection never became postable; welcome dropped")
    metrics.add_metric("WelcomeDropped", "Count", 1)
    return False


def _welcome_frame(service: ChatService, record: ConnectionRecord) -> frames.Frame:
    language = service.language()
    continuing = bool(service.stores.history.recent_messages(record.conversation_key, 1))
    template = WELCOME_BACK_TEXT if continuing else WELCOME_TEXT
    text = template[language].format(agent=record.agent, conversation_id=record.conversation_id)
    if service.auth_mode == "none":
        text += DEV_MODE_NOTE[language]
    return frames.welcome_frame(
        agent=record.agent,
        conversation_id=record.conversation_id,
        message=text,
        continued=continuing,
        authMode=service.auth_mode,
        # The zone the replies' times are written in: clients show history times in it too.
        timeZone=service.settings.time_zone,
    )


def disconnect(service: ChatService, *, connection_id: str) -> None:
    # History stays: a client reconnects with ?conversationId= and continues.
    try:
        service.stores.connections.delete_connection(connection_id)
    except StorageUnavailable as failure:
        # The record expires (TTL) and the sweeper closes nothing that is gone: log, count, go on.
        service.storage_failed(failure, "store unavailable at disconnect; the record expires by TTL")
        return
    service.metrics.add_metric("Disconnects", "Count", 1)
    logger.info("connection removed")
