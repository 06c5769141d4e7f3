"""A stored reply and its frames: what is kept beside the reply's text, and how it is sent again.

One home for the stored reply's shape, so the first post, a redelivery and the history all draw the
same frames from the same record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from twschat.core import frames
from twschat.core.conversation import MessageRecord

QUICK_REPLIES_KEY = "quickReplies"
"""Where a reply's suggested answers are kept in its stored context."""
LEAD_KEY = "lead"
"""Where a reply's model-written lead (``Reply.lead``) is kept: sent and redrawn as its own message,
before the reply's code-written text."""
BLOCKS_KEY = "blocks"
"""Where a reply's structured blocks (``Reply.blocks``, docs/blocks.md) are kept: a redelivered frame
and a reloaded page's history draw them again. They go with the code-written text, never the lead."""
CONFIRMATION_SUFFIX = "-q"
"""The messageId of a reply's text when it has a lead: the lead keeps the reply's messageId (its
streamed deltas carried it), the code-written question gets this suffix."""


def reply_frames(conversation_id: str, reply: MessageRecord, in_reply_to: str) -> list[frames.Frame]:
    """The reply's frames; with a model-written lead, the lead's frames (no quick replies) first,
    then the code-written text with its own messageId and the buttons."""
    lead = str(reply.context.get(LEAD_KEY) or "")
    before = (
        frames.message_frames(
            text=lead, conversation_id=conversation_id, message_id=reply.message_id, in_reply_to=in_reply_to
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
        blocks=stored_blocks(reply),
    )


def stored_blocks(m: MessageRecord) -> list[dict[str, Any]]:
    """The blocks kept with an agent's reply (none for a user's message or a malformed record)."""
    kept = m.context.get(BLOCKS_KEY) if m.role == "agent" else None
    if not isinstance(kept, list | tuple):
        return []
    return [dict(b) for b in kept if isinstance(b, dict) and isinstance(b.get("kind"), str)]


def history_entries(m: MessageRecord) -> list[dict[str, Any]]:
    """A stored message as history entries: a reply with a model-written lead is two, as it was sent."""
    entry: dict[str, Any] = {
        "role": m.role,
        "message": m.text,
        "messageId": m.message_id,
        "createdAt": iso(m.created_at),
        "key": m.message_key,
        # A page redrawn after a reload can offer a still-pending prompt's buttons again.
        **({QUICK_REPLIES_KEY: m.context[QUICK_REPLIES_KEY]} if m.context.get(QUICK_REPLIES_KEY) else {}),
    }
    blocks = stored_blocks(m)
    if blocks:
        entry[BLOCKS_KEY] = blocks
    lead = str(m.context.get(LEAD_KEY) or "") if m.role == "agent" else ""
    if not lead:
        return [entry]
    head = {k: v for k, v in entry.items() if k not in (QUICK_REPLIES_KEY, BLOCKS_KEY)}
    return [{**head, "message": lead}, {**entry, "messageId": m.message_id + CONFIRMATION_SUFFIX}]


def iso(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
