"""What became of a route's event: the handlers' response bodies and the tests' handle on a turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from twschat.core.conversation import ConnectionRecord


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
