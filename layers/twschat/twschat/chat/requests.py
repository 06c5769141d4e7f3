"""Client requests on ``$default`` (``history``, ``conversations``, ``ping``): a table keyed by the
request's ``type``, each entry answering with one frame. A new request type is one entry here (and
its frame in :mod:`twschat.core.frames`, its parsing in :mod:`twschat.core.inbound`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from twschat.core import frames
from twschat.core.conversation import ConnectionRecord
from twschat.core.inbound import ClientRequest

from .replies import history_entries, iso

if TYPE_CHECKING:
    from .service import ChatService

RequestHandler = Callable[["ChatService", ClientRequest, ConnectionRecord, str], frames.Frame]


def _ping(
    service: ChatService, request: ClientRequest, connection: ConnectionRecord, message_id: str
) -> frames.Frame:
    return frames.pong_frame(conversation_id=connection.conversation_id, in_reply_to=message_id)


def _conversations(
    service: ChatService, request: ClientRequest, connection: ConnectionRecord, message_id: str
) -> frames.Frame:
    found = service.stores.history.list_conversations(connection.owner, request.limit, request.before)
    return frames.conversations_frame(
        conversation_id=connection.conversation_id,
        in_reply_to=message_id,
        conversations=[
            {
                "conversationId": c.conversation_id,
                "agent": c.agent,
                "createdAt": iso(c.created_at),
                # its first question, one line ("" until one is asked): what a sidebar shows
                "title": c.title,
            }
            for c in found
        ],
        next_before=found[-1].conversation_id if len(found) == request.limit else None,
    )


def _history(
    service: ChatService, request: ClientRequest, connection: ConnectionRecord, message_id: str
) -> frames.Frame:
    messages = service.stores.history.recent_messages(
        connection.conversation_key, request.limit, request.before
    )
    return frames.history_frame(
        conversation_id=connection.conversation_id,
        in_reply_to=message_id,
        entries=[entry for m in messages for entry in history_entries(m)],
        more=len(messages) == request.limit,
    )


REQUESTS: Mapping[str, RequestHandler] = {
    "ping": _ping,
    "conversations": _conversations,
    "history": _history,
}
"""Request type -> the function answering it (every type :mod:`twschat.core.inbound` accepts)."""


def answer_request(
    service: ChatService, request: ClientRequest, connection: ConnectionRecord, message_id: str
) -> frames.Frame:
    return REQUESTS[request.request_type](service, request, connection, message_id)
