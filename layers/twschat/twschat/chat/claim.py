"""A turn's identity and its claim: the keys computed once, the turn as the pipeline carries it, and
the conditional put of the user's message that only one delivery of a frame wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twschat.core.conversation import (
    ConnectionRecord,
    MessageRecord,
    conversation_title,
    reply_message_id,
    reply_message_key,
    user_message_key,
)
from twschat.core.exceptions import StorageUnavailable
from twschat.persistence.accounting import StoreStats

if TYPE_CHECKING:
    from .service import ChatService


@dataclass(frozen=True, slots=True)
class TurnKeys:
    """Where one turn lives, computed once: the user's message and the reply's keys and the reply's
    deterministic ``messageId`` (a redelivery, the worker and the stream all use the same)."""

    connection_id: str
    conversation_id: str
    conversation_key: str
    message_id: str
    request_time_ms: int
    user_key: str
    reply_key: str
    reply_id: str

    @classmethod
    def of(cls, connection: ConnectionRecord, message_id: str, request_time_ms: int) -> TurnKeys:
        conversation_key = connection.conversation_key
        user_key = user_message_key(request_time_ms, message_id)
        return cls(
            connection_id=connection.connection_id,
            conversation_id=connection.conversation_id,
            conversation_key=conversation_key,
            message_id=message_id,
            request_time_ms=request_time_ms,
            user_key=user_key,
            reply_key=reply_message_key(user_key),
            reply_id=reply_message_id(conversation_key, user_key),
        )


@dataclass(frozen=True, slots=True)
class ClaimedTurn:
    """A turn past its claim, as the pipeline carries it: whose connection, its keys, the operator's
    text, the language server-written errors use, and the turn's store accounting."""

    connection: ConnectionRecord
    keys: TurnKeys
    text: str
    language: str
    stats: StoreStats


def title_if_first(service: ChatService, turn: ClaimedTurn, window: Sequence[MessageRecord]) -> None:
    """The conversation's first user message titles it: ``window`` (the turn's history, already read)
    holds only this turn's message. A title is not worth a turn: a store failure is logged only."""
    if [m.message_key for m in window] != [turn.keys.user_key]:
        return
    try:
        service.stores.history.set_conversation_title(
            turn.connection.owner, turn.keys.conversation_id, conversation_title(turn.text)
        )
    except StorageUnavailable as failure:
        service.storage_failed(failure, "conversation title not stored")


def claim(service: ChatService, keys: TurnKeys, text: str, now: float) -> bool:
    """Store the user's message (a conditional put): True if this delivery created it."""
    _, created = service.stores.history.add_message(
        MessageRecord(
            conversation_key=keys.conversation_key,
            message_key=keys.user_key,
            role="user",
            text=text,
            message_id=keys.message_id,
            created_at=keys.request_time_ms,
            connection_id=keys.connection_id,
            expires_at=service.history_expiry(now),
        )
    )
    return created
