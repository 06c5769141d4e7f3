"""The chat service: the three routes' work, in terms of the core and the ports.

No AWS import: the store, the poster, the welcome trigger and the metrics are handed in. Each
``$default`` turn is: touch the connection (one conditional update that also returns it), store
the user's message before anything can fail, load the recent window with one bounded Query, run
the responder, store the reply before posting it, post it. A frame delivered twice finds its own
message and reply already stored and re-posts the stored reply instead of answering twice.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from twschat.config import Settings
from twschat.core import frames
from twschat.core.conversation import (
    AGENT_PATTERN,
    CONVERSATION_ID_PATTERN,
    ConnectionRecord,
    ConversationRecord,
    MessageRecord,
    messages_in_last_minute,
    new_conversation_id,
    reply_message_id,
    reply_message_key,
    seconds_until_allowed,
    user_message_key,
    window_turns,
)
from twschat.core.exceptions import StorageUnavailable
from twschat.core.inbound import ClientRequest, InputRejected, UserText, parse_frame
from twschat.core.language import detect_language
from twschat.core.ports import (
    FramePoster,
    MetricsSink,
    NullMetrics,
    PostOutcome,
    TurnDispatcher,
    WelcomeTrigger,
)
from twschat.core.responder import Principal, Reply, Responder, ResponderRequest
from twschat.core.streaming import DeltaBatcher
from twschat.persistence.accounting import StoreStats
from twschat.persistence.stores import Stores

logger = logging.getLogger("twschat.chat")

QUICK_REPLIES_KEY = "quickReplies"
"""Where a reply's suggested answers are kept in its stored context."""
LEAD_KEY = "lead"
"""Where a reply's model-written lead (``Reply.lead``) is kept: sent and redrawn as its own message,
before the reply's code-written text."""
CONFIRMATION_SUFFIX = "-q"
"""The messageId of a reply's text when it has a lead: the lead keeps the reply's messageId (its
streamed deltas carried it), the code-written question gets this suffix."""
LLM_CONTEXT_KEY = "llm"
"""Where a model-written reply keeps its calls and per-turn ``metrics`` (twschat.llm.responder.CONTEXT_KEY)."""
PROGRESS_STAGES = {"model": "thinking", "tool": "tool"}
"""A streaming responder's ``on_progress`` stages -> the progress frame's ``stage`` (others are not sent)."""

WELCOME_TEXT = {
    "pt": (
        "Olá! Sou o assistente TWS ({agent}). Posso listar jobs em ABEND, mostrar o status das "
        "workstations, explicar por que um job falhou e pedir reruns. Como posso ajudar?"
    ),
    "en": (
        "Hello! I am the TWS assistant ({agent}). I can list jobs in ABEND, show workstation status, "
        "explain why a job failed and request reruns. How can I help?"
    ),
}
WELCOME_BACK_TEXT = {
    "pt": "Bem-vindo de volta! Continuando a conversa {conversation_id}. Como posso ajudar?",
    "en": "Welcome back! Continuing conversation {conversation_id}. How can I help?",
}
CLOSING_TEXT = {
    "pt": {
        "idle": (
            "Conexão encerrada após {minutes} min sem atividade. Reconecte com "
            "conversationId={conversation_id} para continuar a conversa."
        ),
        "max_duration": (
            "A conexão está chegando ao limite de 2 horas do API Gateway e será encerrada. "
            "Reconecte com conversationId={conversation_id} para continuar a conversa."
        ),
    },
    "en": {
        "idle": (
            "Connection closed after {minutes} min without activity. Reconnect with "
            "conversationId={conversation_id} to continue the conversation."
        ),
        "max_duration": (
            "The connection is reaching API Gateway's 2-hour limit and will be closed. "
            "Reconnect with conversationId={conversation_id} to continue the conversation."
        ),
    },
}
DEV_MODE_NOTE = {
    "pt": " (modo de desenvolvimento: sem autenticação)",
    "en": " (development mode: no authentication)",
}


@dataclass(frozen=True, slots=True)
class ConnectOutcome:
    status_code: int
    reason: str = ""
    record: ConnectionRecord | None = None


TurnStatus = Literal[
    "answered",
    "redelivered",
    "rejected",
    "unknown_connection",
    "rate_limited",
    "responder_failed",
    "storage_unavailable",
    "answered_unsaved",
    "dispatched",
    "in_progress",
    "history",
    "conversations",
    "ping",
]
"""What became of a ``$default`` frame (the handler's response body and the tests' handle on it).

``answered_unsaved``: the reply was posted but could not be stored (the store failed after the
responder ran; an action in it is in the audit trail). ``dispatched``: the user's message is stored and
the turn handed to the worker (``run_turn``); ``in_progress``: a redelivered frame whose turn the worker
is still answering. ``history``/``conversations``/``ping``: a client request was answered.
"""


@dataclass(slots=True)
class TurnOutcome:
    status: TurnStatus
    frames_posted: int = 0
    gone: bool = False
    error_code: str = ""
    conversation_id: str = ""


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
        """Set: ``$default`` stores the user's message and hands the turn to the worker (replies past
        API Gateway's 29 s integration timeout); unset: the turn is answered in the route."""
        self.stores = stores
        self.responder = responder
        self.metrics: MetricsSink = metrics or NullMetrics()
        self.clock = clock
        self._bind = bind_log_keys or (lambda **_: None)
        self.auth_mode = settings.auth_mode
        self.streams = _accepts_callbacks(responder)
        """The responder takes ``on_delta``/``on_progress``: its reply is streamed as delta frames."""

    # -- $connect ----------------------------------------------------------------------------
    def connect(
        self,
        *,
        connection_id: str,
        query: Mapping[str, str] | None,
        domain_name: str,
        stage: str,
        principal: Principal | None = None,
        welcome: WelcomeTrigger | None = None,
    ) -> ConnectOutcome:
        query = query or {}
        principal = principal or Principal()
        settings = self.settings
        asked_agent = (query.get("agent") or "").strip().lower()
        if asked_agent and not AGENT_PATTERN.fullmatch(asked_agent):
            return self._refuse_connect(400, "invalid agent: use letters, digits and '-' (max 63)")
        if asked_agent and asked_agent not in settings.agents:
            return self._refuse_connect(400, f"unknown agent; available: {', '.join(settings.agents)}")
        conversation_id = query.get("conversationId")
        if conversation_id is not None and not CONVERSATION_ID_PATTERN.fullmatch(conversation_id):
            return self._refuse_connect(400, "invalid conversationId: 8-64 letters, digits, '-' or '_'")
        now_ms = int(self.clock() * 1000)
        try:
            return self._open_connection(
                connection_id=connection_id,
                asked_agent=asked_agent,
                conversation_id=conversation_id,
                domain_name=domain_name,
                stage=stage,
                principal=principal,
                welcome=welcome,
                now_ms=now_ms,
            )
        except StorageUnavailable:
            logger.exception("store unavailable at connect")
            self.metrics.add_metric("StorageErrors", "Count", 1)
            return ConnectOutcome(503, "chat storage unavailable; try again in a moment")

    def _refuse_connect(self, status_code: int, reason: str) -> ConnectOutcome:
        self.metrics.add_metric("ConnectRejected", "Count", 1)
        return ConnectOutcome(status_code, reason)

    def _open_connection(
        self,
        *,
        connection_id: str,
        asked_agent: str,
        conversation_id: str | None,
        domain_name: str,
        stage: str,
        principal: Principal,
        welcome: WelcomeTrigger | None,
        now_ms: int,
    ) -> ConnectOutcome:
        cap = self.settings.max_connections_per_user
        # Counted before this connection is stored. Two connects racing can both pass at cap - 1;
        # the cap is a guard against runaway clients, not an exact quota.
        # API Gateway closes every connection at its 2-hour cap: older records are leftovers.
        recent = now_ms // 1000 - self.settings.max_connection_seconds
        open_connections = self.stores.connections.count_open_connections
        if cap > 0 and open_connections(principal.user_id, connected_after=recent) >= cap:
            return self._refuse_connect(
                429, f"too many open connections: at most {cap} per user; close another chat tab or window"
            )
        if conversation_id is None:
            agent = asked_agent or self.settings.default_agent
            conversation_id = new_conversation_id(now_ms)
            self.stores.history.create_conversation(
                ConversationRecord(principal.user_id, conversation_id, agent, now_ms)
            )
        else:
            conversation = self.stores.history.get_conversation(principal.user_id, conversation_id)
            if conversation is None:
                # Unknown and someone else's look the same: the refusal reveals nothing about other users.
                return self._refuse_connect(403, "conversation not found")
            # A conversation keeps the agent it started with (records from before agents were
            # checked may hold any case).
            agent = conversation.agent.lower() or self.settings.default_agent
            if asked_agent and asked_agent != agent:
                return self._refuse_connect(400, f"this conversation belongs to agent {agent}")
        now = now_ms // 1000
        record = ConnectionRecord(
            connection_id=connection_id,
            agent=agent,
            conversation_id=conversation_id,
            owner=principal.user_id,
            connected_at=now,
            last_seen_at=now,
            expires_at=now + self.settings.connection_ttl_seconds,
            domain_name=domain_name,
            stage=stage,
            username=principal.username,
            roles=principal.roles,
        )
        self._bind(conversation_id=conversation_id, agent=agent)
        self.stores.connections.save_connection(record)
        self.metrics.add_metric("Connects", "Count", 1)
        if welcome is not None:
            welcome.trigger({"connectionId": connection_id, "domainName": domain_name, "stage": stage})
        logger.info("connection stored")
        return ConnectOutcome(200, record=record)

    # -- welcome (async, after $connect returned) ------------------------------------------------
    def send_welcome(
        self,
        *,
        connection_id: str,
        poster: FramePoster,
        sleep: Callable[[float], None] = time.sleep,
        delays: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.5),
    ) -> bool:
        """Post the welcome once API Gateway knows the connection (410 until ``$connect`` returned)."""
        record = self.stores.connections.get_connection(connection_id, now=int(self.clock()))
        if record is None:
            logger.warning("welcome for an unknown connection")
            return False
        self._bind(conversation_id=record.conversation_id, agent=record.agent)
        language = self._language()
        continuing = bool(self.stores.history.recent_messages(record.conversation_key, 1))
        template = WELCOME_BACK_TEXT if continuing else WELCOME_TEXT
        text = template[language].format(agent=record.agent, conversation_id=record.conversation_id)
        if self.auth_mode == "none":
            text += DEV_MODE_NOTE[language]
        frame = frames.welcome_frame(
            agent=record.agent,
            conversation_id=record.conversation_id,
            message=text,
            continued=continuing,
            authMode=self.auth_mode,
            # The zone the replies' times are written in: clients show history times in it too.
            timeZone=self.settings.time_zone,
        )
        for attempt, delay in enumerate((0.0, *delays)):
            if delay:
                sleep(delay)
            if not poster.is_connected(connection_id):
                continue
            outcome = poster.post(connection_id, frame)
            if outcome is PostOutcome.SENT:
                self.metrics.add_metric("WelcomeAttempts", "Count", attempt + 1)
                return True
            if outcome is PostOutcome.FAILED:
                self.metrics.add_metric("PostFailures", "Count", 1)
                return False
        logger.warning("connection never became postable; welcome dropped")
        self.metrics.add_metric("WelcomeDropped", "Count", 1)
        return False

    # -- $default ----------------------------------------------------------------------------
    def handle_message(
        self,
        *,
        connection_id: str,
        message_id: str,
        request_time_ms: int,
        body: str | None,
        is_base64: bool,
        poster: FramePoster,
    ) -> TurnOutcome:
        stats = self.stores.begin_turn()
        parsed = parse_frame(body, is_base64=is_base64, max_chars=self.settings.max_message_chars)
        if isinstance(parsed, InputRejected):
            # Nothing is stored for a rejected frame; the connection stays open for the next one.
            self.metrics.add_metric("InputRejected", "Count", 1)
            logger.info("frame rejected", extra={"error_code": parsed.code})
            return self._refuse(
                poster, connection_id, message_id, "rejected", parsed.code, detail=parsed.detail
            )
        # Server-written errors speak the operator's language, as far as the message tells it.
        language = (
            detect_language(parsed.text, self._language())
            if isinstance(parsed, UserText)
            else self._language()
        )
        try:
            return self._turn(parsed, connection_id, message_id, request_time_ms, poster, language, stats)
        except StorageUnavailable as failure:
            # Raised before the reply existed: nothing ran (an action's audit record is written
            # before the TWS call, and that write failing stops the action). Say so, in words.
            logger.warning(
                "store unavailable; turn not processed",
                extra={"operation": failure.operation, "detail": failure.detail},
            )
            self.metrics.add_metric("StorageErrors", "Count", 1)
            return self._refuse(
                poster, connection_id, message_id, "storage_unavailable", "storage_unavailable", language
            )

    def _turn(
        self,
        parsed: UserText | ClientRequest,
        connection_id: str,
        message_id: str,
        request_time_ms: int,
        poster: FramePoster,
        language: str,
        stats: StoreStats,
    ) -> TurnOutcome:
        now = self.clock()
        connection = self.stores.connections.touch_connection(
            connection_id,
            now=int(now),
            expires_at=int(now) + self.settings.connection_ttl_seconds,
            # Idle detection needs a fraction of the idle timeout, never more than the sweeper's minute.
            activity_resolution=max(1, min(60, self.settings.idle_timeout_seconds // 5)),
        )
        if connection is None:
            return self._refuse(
                poster, connection_id, message_id, "unknown_connection", "unknown_connection", language
            )
        self._bind(conversation_id=connection.conversation_id, agent=connection.agent)
        limit = self.settings.rate_limit_per_minute
        if messages_in_last_minute(connection, now) > limit:
            retry_after = seconds_until_allowed(connection, now, limit)
            self.metrics.add_metric("RateLimited", "Count", 1)
            return self._refuse(
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
            posted = self._post(poster, connection_id, [self._answer_request(parsed, connection, message_id)])
            return TurnOutcome(
                cast(TurnStatus, parsed.request_type), conversation_id=connection.conversation_id, **posted
            )
        conv_key = connection.conversation_key
        expires_at = self._history_expiry(now)

        user_key = user_message_key(request_time_ms, message_id)
        user_record = MessageRecord(
            conversation_key=conv_key,
            message_key=user_key,
            role="user",
            text=parsed.text,
            message_id=message_id,
            created_at=request_time_ms,
            connection_id=connection_id,
            expires_at=expires_at,
        )
        _, created = self.stores.history.add_message(user_record)
        reply_key = reply_message_key(user_key)
        if not created:
            stored_reply = self.stores.history.get_message(conv_key, reply_key)
            if stored_reply is not None:
                # A redelivery of a frame we answered: send the same reply (same messageId) again.
                self.metrics.add_metric("Redeliveries", "Count", 1)
                posted = self._post(
                    poster,
                    connection_id,
                    self._reply_frames(connection.conversation_id, stored_reply, message_id),
                )
                return TurnOutcome("redelivered", conversation_id=connection.conversation_id, **posted)
        if self.turns is not None:
            return self._hand_over(connection, message_id, request_time_ms, poster, language, created=created)
        return self._answer_turn(
            connection, parsed.text, message_id, request_time_ms, poster, language, stats
        )

    def _hand_over(
        self,
        connection: ConnectionRecord,
        message_id: str,
        request_time_ms: int,
        poster: FramePoster,
        language: str,
        *,
        created: bool,
    ) -> TurnOutcome:
        """The worker answers the turn. The user message's conditional put is the claim: only the
        delivery that created it starts a worker; a redelivery while the worker runs gets a progress
        frame with the reply's id (the worker's frames follow), never a second run."""
        assert self.turns is not None
        conversation_id = connection.conversation_id
        reply_id = reply_message_id(
            connection.conversation_key, user_message_key(request_time_ms, message_id)
        )
        if not created:
            self.metrics.add_metric("Redeliveries", "Count", 1)
            frame = frames.progress_frame(
                message_id=reply_id, stage="thinking", conversation_id=conversation_id
            )
            posted = self._post(poster, connection.connection_id, [frame])
            return TurnOutcome("in_progress", conversation_id=conversation_id, **posted)
        payload = {
            "connectionId": connection.connection_id,
            "messageId": message_id,
            "requestTimeMs": request_time_ms,
            "domainName": connection.domain_name,
            "stage": connection.stage,
        }
        if not self.turns.dispatch(payload):
            # Stored but not answered: say so; sending it again is a new turn.
            return self._refuse(
                poster,
                connection.connection_id,
                message_id,
                "responder_failed",
                "internal_error",
                language,
                conversation_id=conversation_id,
            )
        self.metrics.add_metric("TurnsDispatched", "Count", 1)
        return TurnOutcome("dispatched", conversation_id=conversation_id)

    # -- the turn worker (async, after $default returned) ----------------------------------------
    def run_turn(
        self, *, connection_id: str, message_id: str, request_time_ms: int, poster: FramePoster
    ) -> TurnOutcome:
        """Answer a turn ``$default`` stored and handed over: the same answer path, without the 29 s cap.

        Idempotent: a reply already stored (a retried or duplicated invocation) is posted again as is.
        """
        stats = self.stores.begin_turn()
        try:
            connection = self.stores.connections.get_connection(connection_id, now=int(self.clock()))
            if connection is None:
                # The client left before the worker started: the message stays; a resend answers it.
                logger.info("turn for a connection that is gone; not answered")
                return TurnOutcome("unknown_connection")
            self._bind(conversation_id=connection.conversation_id, agent=connection.agent)
            conv_key = connection.conversation_key
            user_key = user_message_key(request_time_ms, message_id)
            user = self.stores.history.get_message(conv_key, user_key)
            if user is None:
                logger.warning("turn without its stored message; not answered")
                return TurnOutcome("rejected", conversation_id=connection.conversation_id)
            stored_reply = self.stores.history.get_message(conv_key, reply_message_key(user_key))
            if stored_reply is not None:
                self.metrics.add_metric("Redeliveries", "Count", 1)
                posted = self._post(
                    poster,
                    connection_id,
                    self._reply_frames(connection.conversation_id, stored_reply, message_id),
                )
                return TurnOutcome("redelivered", conversation_id=connection.conversation_id, **posted)
            language = detect_language(user.text, self._language())
            return self._answer_turn(
                connection, user.text, message_id, request_time_ms, poster, language, stats
            )
        except StorageUnavailable as failure:
            logger.warning(
                "store unavailable; turn not processed",
                extra={"operation": failure.operation, "detail": failure.detail},
            )
            self.metrics.add_metric("StorageErrors", "Count", 1)
            return self._refuse(
                poster, connection_id, message_id, "storage_unavailable", "storage_unavailable"
            )

    def _answer_turn(
        self,
        connection: ConnectionRecord,
        text: str,
        message_id: str,
        request_time_ms: int,
        poster: FramePoster,
        language: str,
        stats: StoreStats,
    ) -> TurnOutcome:
        """Window, responder (streamed when it can), reply stored, reply posted."""
        connection_id = connection.connection_id
        conv_key = connection.conversation_key
        user_key = user_message_key(request_time_ms, message_id)
        reply_key = reply_message_key(user_key)
        expires_at = self._history_expiry(self.clock())
        window = self.stores.history.recent_messages(conv_key, self.settings.history_window)
        request = ResponderRequest(
            agent=connection.agent,
            message=text,
            history=window_turns(window, user_key),
            default_language=self.settings.default_language,
            # Roles as stored at connect: the authorizer's groups, or the development principal's.
            # A signed-in user with no known group has none, and may ask but not act.
            principal=Principal(
                user_id=connection.owner,
                username=connection.username or connection.owner,
                roles=connection.roles,
            ),
            connection_id=connection_id,
            conversation_id=connection.conversation_id,
            received_at_ms=request_time_ms,
        )
        started = time.perf_counter()
        stream = (
            _ReplyStream(
                self,
                poster,
                connection_id,
                message_id=reply_message_id(conv_key, user_key),
                conversation_id=connection.conversation_id,
            )
            if self.streams
            else None
        )
        try:
            reply: Reply = (
                self.responder.respond(request)
                if stream is None
                else self.responder.respond(  # type: ignore[call-arg]
                    request, on_delta=stream.on_delta, on_progress=stream.on_progress
                )
            )
        except StorageUnavailable:
            raise  # the service's one answer to a store outage (handle_message)
        except Exception:
            # The user's message is stored; without a stored reply, a retry of the frame answers it.
            logger.exception("responder failed")
            self.metrics.add_metric("ResponderErrors", "Count", 1)
            return self._refuse(
                poster,
                connection_id,
                message_id,
                "responder_failed",
                "internal_error",
                language,
                conversation_id=connection.conversation_id,
            )
        self.metrics.add_metric("ResponderLatency", "Milliseconds", (time.perf_counter() - started) * 1000)
        if reply.context.get("error"):
            # The TWS source failed (unreachable, slow, 401, 5xx): the operator got an explanation; count it.
            self.metrics.add_metric("TwsErrors", "Count", 1)

        reply_record = MessageRecord(
            conversation_key=conv_key,
            message_key=reply_key,
            role="agent",
            text=reply.text,
            message_id=reply_message_id(conv_key, user_key),
            created_at=int(self.clock() * 1000),
            connection_id=connection_id,
            context={
                **dict(reply.context),
                "intent": reply.intent,
                # Kept with the reply: a redelivered frame gets the same buttons back.
                **({QUICK_REPLIES_KEY: list(reply.quick_replies)} if reply.quick_replies else {}),
                **({LEAD_KEY: reply.lead} if reply.lead else {}),
            },
            expires_at=expires_at,
        )
        status: TurnStatus = "answered"
        try:
            stored_reply, _ = self.stores.history.add_message(reply_record)
        except StorageUnavailable as failure:
            # The responder ran (maybe an action, already in the audit trail): the operator must
            # see its answer even though the history could not keep it, and know it was not kept.
            logger.warning(
                "reply not stored; posting it anyway",
                extra={"operation": failure.operation, "intent": reply.intent},
            )
            self.metrics.add_metric("StorageErrors", "Count", 1)
            stored_reply, status = reply_record, "answered_unsaved"
        to_send = self._reply_frames(connection.conversation_id, stored_reply, message_id)
        if status == "answered_unsaved":
            to_send.append(
                frames.error_frame(
                    "storage_unavailable",
                    language=reply.language if reply.language in ("pt", "en") else language,
                    text_key="storage_unavailable_reply",
                    in_reply_to=message_id,
                )
            )
        if stream is not None and stream.gone:
            # The client left while the reply was streamed: it is stored; a reconnect shows it in the history.
            posted: dict[str, Any] = {"frames_posted": stream.posted, "gone": True}
        else:
            posted = self._post(poster, connection_id, to_send)
            if stream is not None:
                posted["frames_posted"] += stream.posted
        self.metrics.add_metric("Turns", "Count", 1)
        self._log_turn_metrics(reply, stream, started)
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
        after_reply = getattr(self.responder, "after_reply", None)
        if after_reply is not None and status == "answered":
            # Off the reply's critical path (it is posted): e.g. the LLM responder's summary refresh.
            try:
                after_reply(request, reply)
            except Exception:
                logger.exception("after_reply failed; the turn is not affected")
        return TurnOutcome(status, conversation_id=connection.conversation_id, **posted)

    def _refuse(
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
            code,
            language=language or self._language(),
            detail=detail,
            in_reply_to=message_id,
            **extra,
        )
        posted = self._post(poster, connection_id, [frame])
        return TurnOutcome(status, error_code=code, conversation_id=conversation_id, **posted)

    # -- $disconnect -------------------------------------------------------------------------
    def disconnect(self, *, connection_id: str) -> None:
        # History stays: a client reconnects with ?conversationId= and continues.
        try:
            self.stores.connections.delete_connection(connection_id)
        except StorageUnavailable:
            # The record expires (TTL) and the sweeper closes nothing that is gone: log, count, go on.
            logger.warning("store unavailable at disconnect; the record expires by TTL")
            self.metrics.add_metric("StorageErrors", "Count", 1)
            return
        self.metrics.add_metric("Disconnects", "Count", 1)
        logger.info("connection removed")

    # -- client requests: history, conversations, ping ------------------------------------------
    def _answer_request(
        self, request: ClientRequest, connection: ConnectionRecord, message_id: str
    ) -> frames.Frame:
        conversation_id = connection.conversation_id
        if request.request_type == "ping":
            return frames.pong_frame(conversation_id=conversation_id, in_reply_to=message_id)
        if request.request_type == "conversations":
            found = self.stores.history.list_conversations(connection.owner, request.limit, request.before)
            return frames.conversations_frame(
                conversation_id=conversation_id,
                in_reply_to=message_id,
                conversations=[
                    {"conversationId": c.conversation_id, "agent": c.agent, "createdAt": _iso(c.created_at)}
                    for c in found
                ],
                next_before=found[-1].conversation_id if len(found) == request.limit else None,
            )
        messages = self.stores.history.recent_messages(
            connection.conversation_key, request.limit, request.before
        )
        return frames.history_frame(
            conversation_id=conversation_id,
            in_reply_to=message_id,
            entries=[entry for m in messages for entry in _history_entries(m)],
            more=len(messages) == request.limit,
        )

    # -- the sweeper (scheduled) -------------------------------------------------------------
    def sweep(self, *, poster: FramePoster, batch: int = 100, max_batches: int = 5) -> dict[str, int]:
        """Close idle connections and those near API Gateway's 2-hour cap, telling each client why.

        Bounded work per run (``batch`` x ``max_batches``); whatever is left waits for the next run.
        """
        now = int(self.clock())
        settings = self.settings
        counts = {"idle": 0, "max_duration": 0, "gone": 0}
        language = self._language()
        for _ in range(max_batches):
            stale = self.stores.connections.stale_connections(
                idle_before=now - settings.idle_timeout_seconds,
                connected_before=now - (settings.max_connection_seconds - settings.closing_margin_seconds),
                limit=batch,
            )
            for connection in stale:
                text = CLOSING_TEXT[language][connection.reason].format(
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
                self.stores.connections.delete_connection(connection.connection_id)
            if len(stale) < batch:
                break
        for reason, metric in (
            ("idle", "IdleClosed"),
            ("max_duration", "MaxDurationClosed"),
            ("gone", "StaleConnections"),
        ):
            if counts[reason]:
                self.metrics.add_metric(metric, "Count", counts[reason])
        logger.info("sweep done", extra=counts)
        return counts

    # -- helpers -----------------------------------------------------------------------------
    def _language(self) -> str:
        """The language of server-initiated frames (welcome, closing): the configured one, if we speak it."""
        return self.settings.default_language if self.settings.default_language in ("pt", "en") else "pt"

    def _history_expiry(self, now: float) -> int | None:
        days = self.settings.history_retention_days
        return int(now) + days * 86400 if days > 0 else None

    @staticmethod
    def _reply_frames(conversation_id: str, reply: MessageRecord, in_reply_to: str) -> list[frames.Frame]:
        """The reply's frames; with a model-written lead, the lead's frames (no quick replies) first,
        then the code-written text with its own messageId and the buttons."""
        lead = str(reply.context.get(LEAD_KEY) or "")
        before = (
            frames.message_frames(
                text=lead,
                conversation_id=conversation_id,
                message_id=reply.message_id,
                in_reply_to=in_reply_to,
            )
            if lead
            else []
        )
        return before + frames.message_frames(
            text=reply.text,
            conversation_id=conversation_id,
            message_id=reply.message_id + CONFIRMATION_SUFFIX if lead else reply.message_id,
            in_reply_to=in_reply_to,
            quick_replies=[str(q) for q in reply.context.get(QUICK_REPLIES_KEY) or ()],
        )

    def _log_turn_metrics(self, reply: Reply, stream: _ReplyStream | None, started: float) -> None:
        """One line per model-written turn (tokens, time to first delta, frames, tools, cost), and the
        same figures as metrics."""
        llm = reply.context.get(LLM_CONTEXT_KEY)
        found = llm.get("metrics") if isinstance(llm, Mapping) else None
        if not isinstance(found, Mapping):
            return
        figures: dict[str, Any] = {
            key: found.get(key, 0)
            for key in (
                "model",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "tool_calls",
                "model_calls",
                "retries",
                "proposals_rejected",
                "cost_micro_usd",
                "latency_ms",
            )
        }
        figures["fallback"] = bool(found.get("fallback"))
        if found.get("fallback_reason"):
            figures["fallback_reason"] = found["fallback_reason"]
        first_ms: float | None = None
        if stream is not None:
            figures["deltas_posted"] = stream.batcher.seq
            figures["progress_posted"] = stream.progress_posted
            if stream.batcher.first_sent_at is not None:
                first_ms = (stream.batcher.first_sent_at - started) * 1000
                figures["time_to_first_delta_ms"] = round(first_ms, 1)
            if stream.first_token_epoch_ms is not None:
                figures["first_token_at_ms"] = stream.first_token_epoch_ms
                figures["first_delta_posted_at_ms"] = stream.first_posted_epoch_ms
        logger.info("turn metrics", extra={"llm": figures})
        add = self.metrics.add_metric
        for name, key in (
            ("LlmInputTokens", "input_tokens"),
            ("LlmOutputTokens", "output_tokens"),
            ("LlmCacheReadTokens", "cache_read_tokens"),
            ("LlmCacheWriteTokens", "cache_write_tokens"),
            ("LlmToolCalls", "tool_calls"),
            ("LlmCostMicroUsd", "cost_micro_usd"),
        ):
            value = figures.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                add(name, "Count", value)
        add("LlmFallbacks", "Count", 1 if figures["fallback"] else 0)
        # A model's proposal the operator's words did not ask for (twschat.llm.proposals): dropped.
        add("ProposalsRejected", "Count", int(found.get("proposals_rejected") or 0))
        if stream is not None:
            add("DeltasPosted", "Count", stream.batcher.seq)
        if first_ms is not None:
            add("TimeToFirstDelta", "Milliseconds", first_ms)

    def _connection_gone(self, connection_id: str) -> None:
        # The client left mid-turn: drop *this* connection's record; the history stays.
        self.stores.connections.delete_connection(connection_id)
        self.metrics.add_metric("StaleConnections", "Count", 1)
        logger.info("connection gone; record deleted")

    def _post(self, poster: FramePoster, connection_id: str, to_send: list[frames.Frame]) -> dict[str, Any]:
        posted = 0
        for frame in to_send:
            outcome = poster.post(connection_id, frame)
            if outcome is PostOutcome.GONE:
                self._connection_gone(connection_id)
                return {"frames_posted": posted, "gone": True}
            if outcome is PostOutcome.FAILED:
                self.metrics.add_metric("PostFailures", "Count", 1)
                continue
            posted += 1
        return {"frames_posted": posted, "gone": False}


class _ReplyStream:
    """A streaming responder's callbacks for one reply: delta frames (batched) and progress frames,
    all with the reply's deterministic ``messageId``. A 410 stops the stream; the turn goes on and
    its reply is stored."""

    def __init__(
        self,
        service: ChatService,
        poster: FramePoster,
        connection_id: str,
        *,
        message_id: str,
        conversation_id: str,
    ) -> None:
        self._service = service
        self._poster = poster
        self._connection_id = connection_id
        self.message_id = message_id
        self.conversation_id = conversation_id
        self.posted = 0
        self.progress_posted = 0
        self.gone = False
        self.first_token_epoch_ms: int | None = None
        self.first_posted_epoch_ms: int | None = None
        self._last_progress: tuple[str, str] | None = None
        self.batcher = DeltaBatcher(self._send_delta)

    def on_delta(self, text: str) -> None:
        if self.first_token_epoch_ms is None:
            self.first_token_epoch_ms = int(time.time() * 1000)
        self.batcher.add(text)

    def on_progress(self, stage: str, detail: str) -> None:
        shown = PROGRESS_STAGES.get(stage)
        if shown is None or self.gone or (stage, detail) == self._last_progress:
            return
        self._last_progress = (stage, detail)
        self.batcher.flush()  # the text so far goes before what comes next
        frame = frames.progress_frame(
            message_id=self.message_id,
            stage=shown,
            tool=detail if shown == "tool" else "",
            conversation_id=self.conversation_id,
        )
        if self._post(frame):
            self.progress_posted += 1

    def _send_delta(self, seq: int, text: str) -> bool:
        frame = frames.delta_frame(
            message_id=self.message_id, seq=seq, text=text, conversation_id=self.conversation_id
        )
        if self._post(frame) and self.first_posted_epoch_ms is None:
            self.first_posted_epoch_ms = int(time.time() * 1000)
        return not self.gone  # a failed post loses one piece (the final message has them all)

    def _post(self, frame: frames.Frame) -> bool:
        if self.gone:
            return False
        outcome = self._poster.post(self._connection_id, frame)
        if outcome is PostOutcome.GONE:
            self.gone = True
            self._service._connection_gone(self._connection_id)
            return False
        if outcome is PostOutcome.FAILED:
            self._service.metrics.add_metric("PostFailures", "Count", 1)
            return False
        self.posted += 1
        return True


def _accepts_callbacks(responder: Responder) -> bool:
    """Whether ``responder.respond`` takes ``on_delta`` and ``on_progress`` (a streaming responder)."""
    try:
        parameters = inspect.signature(responder.respond).parameters
    except (TypeError, ValueError):
        return False
    return "on_delta" in parameters and "on_progress" in parameters


def _history_entries(m: MessageRecord) -> list[dict[str, Any]]:
    """A stored message as history entries: a reply with a model-written lead is two, as it was sent."""
    entry: dict[str, Any] = {
        "role": m.role,
        "message": m.text,
        "messageId": m.message_id,
        "createdAt": _iso(m.created_at),
        "key": m.message_key,
        # A page redrawn after a reload can offer a still-pending prompt's buttons again.
        **({QUICK_REPLIES_KEY: m.context[QUICK_REPLIES_KEY]} if m.context.get(QUICK_REPLIES_KEY) else {}),
    }
    lead = str(m.context.get(LEAD_KEY) or "") if m.role == "agent" else ""
    if not lead:
        return [entry]
    head = {k: v for k, v in entry.items() if k != QUICK_REPLIES_KEY}
    return [{**head, "message": lead}, {**entry, "messageId": m.message_id + CONFIRMATION_SUFFIX}]


def _iso(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
