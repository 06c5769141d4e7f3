"""Typed errors of the persistence package, in one module.

Each "written once" put raises its own ``...AlreadyExists`` when the key is taken, carrying the
stored record when the backend returned it; the store bases turn that into their public answer (the
first message back, ``False`` for a conversation, the first audit record). Backend failures are not
here: adapters raise :class:`twschat.core.exceptions.StorageUnavailable`, the service's one word for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twschat.core.exceptions import TwsChatError

if TYPE_CHECKING:
    from twschat.core.audit import AuditRecord
    from twschat.core.conversation import ConversationRecord, MessageRecord


class AlreadyExists(TwsChatError):
    """A conditional put found an item under its key."""


class MessageAlreadyExists(AlreadyExists):
    """The message put found a message under that key; ``existing`` is it when the backend said."""

    def __init__(self, existing: MessageRecord | None = None) -> None:
        super().__init__("message already stored")
        self.existing = existing


class ConversationAlreadyExists(AlreadyExists):
    """The conversation put found a conversation under that id; ``existing`` is it when the backend said."""

    def __init__(self, existing: ConversationRecord | None = None) -> None:
        super().__init__("conversation already stored")
        self.existing = existing


class AuditRecordAlreadyExists(AlreadyExists):
    """The audit put found a record under that key (the action was requested before)."""

    def __init__(self, existing: AuditRecord | None = None) -> None:
        super().__init__("audit record already stored")
        self.existing = existing
