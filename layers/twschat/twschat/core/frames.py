"""The frames a client receives: welcome, message (split into ordered parts past the size limit), the
delta and progress frames of a reply being streamed, error.

All are JSON text frames. Operator-facing text is Portuguese by default, English on request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .texts import ERROR_TEXT

Frame = dict[str, Any]

# API Gateway refuses a post_to_connection payload over 128 KB; keep a margin for the envelope.
MAX_FRAME_BYTES = 128 * 1024
MAX_BLOCKS_BYTES = 48 * 1024
"""A reply's ``blocks`` ride on every part of it: past this size they are left out (the builders keep
them well under it; a job log block is bounded by its own line budget)."""

# The error frames' texts live in the platform's one catalogue (core/texts.py); importable from here too.


def error_frame(
    code: str,
    *,
    language: str = "pt",
    detail: str = "",
    in_reply_to: str = "",
    text_key: str = "",
    **extra: Any,
) -> Frame:
    """An error frame: a stable ``code`` for programs, and a ``message`` for the operator.

    ``text_key`` picks a more specific wording under the same code (e.g. the reply was sent but
    not saved is still ``storage_unavailable``).
    """
    catalog = ERROR_TEXT.get(language, ERROR_TEXT["pt"])
    text = catalog.get(text_key or code, catalog["internal_error"]).replace("{detail}", detail or "?")
    frame: Frame = {"type": "error", "sender": "agent", "code": code, "message": text, **extra}
    if in_reply_to:
        frame["inReplyTo"] = in_reply_to
    return frame


def welcome_frame(*, agent: str, conversation_id: str, message: str, **extra: Any) -> Frame:
    return {
        "type": "welcome",
        "sender": "agent",
        "agent": agent,
        "conversationId": conversation_id,
        "message": message,
        **extra,
    }


def delta_frame(*, message_id: str, seq: int, text: str, conversation_id: str = "") -> Frame:
    """A piece of a reply still being written: ``seq`` 1, 2, ...; the ``message`` frame with the same
    ``messageId`` follows with the whole text (it replaces the pieces)."""
    frame: Frame = {"type": "delta", "sender": "agent", "messageId": message_id, "seq": seq, "text": text}
    if conversation_id:
        frame["conversationId"] = conversation_id
    return frame


def progress_frame(*, message_id: str, stage: str, tool: str = "", conversation_id: str = "") -> Frame:
    """What a reply still being written is doing: ``stage`` thinking (the model) or tool (``tool`` runs)."""
    frame: Frame = {"type": "progress", "sender": "agent", "messageId": message_id, "stage": stage}
    if tool:
        frame["tool"] = tool
    if conversation_id:
        frame["conversationId"] = conversation_id
    return frame


def pong_frame(*, conversation_id: str, in_reply_to: str) -> Frame:
    return {"type": "pong", "sender": "agent", "conversationId": conversation_id, "inReplyTo": in_reply_to}


def closing_frame(*, reason: str, conversation_id: str, message: str) -> Frame:
    """Sent before the server closes a connection (idle, or near API Gateway's 2-hour cap)."""
    return {
        "type": "closing",
        "sender": "agent",
        "reason": reason,
        "conversationId": conversation_id,
        "message": message,
    }


def conversations_frame(
    *, conversation_id: str, in_reply_to: str, conversations: list[dict[str, Any]], next_before: str | None
) -> Frame:
    return {
        "type": "conversations",
        "sender": "agent",
        "conversationId": conversation_id,
        "inReplyTo": in_reply_to,
        "conversations": conversations,
        "nextBefore": next_before,
    }


def history_frame(
    *, conversation_id: str, in_reply_to: str, entries: list[dict[str, Any]], more: bool
) -> Frame:
    """A page of history, oldest first, kept under the frame limit.

    Past the limit the oldest entries are dropped and ``nextBefore`` points at them, so a client
    paging back gets them next; ``more`` says whether older messages exist beyond this page.
    """
    entries = list(entries)
    frame: Frame = {
        "type": "history",
        "sender": "agent",
        "conversationId": conversation_id,
        "inReplyTo": in_reply_to,
        "messages": entries,
    }
    while entries and len(encode({**frame, "nextBefore": entries[0]["key"]})) > MAX_FRAME_BYTES:
        entries.pop(0)
        more = True
    frame["nextBefore"] = entries[0]["key"] if more and entries else None
    return frame


def encode(frame: Frame) -> bytes:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _encoded_len(ch: str) -> int:
    return len(json.dumps(ch, ensure_ascii=False).encode("utf-8")) - 2


def message_frames(
    *,
    text: str,
    conversation_id: str,
    message_id: str,
    in_reply_to: str = "",
    quick_replies: list[str] | None = None,
    blocks: list[dict[str, Any]] | None = None,
    max_bytes: int = MAX_FRAME_BYTES,
) -> list[Frame]:
    """One reply frame, or ordered parts (``part`` 1..``parts``) when it would pass ``max_bytes``.

    Nothing is cut: the parts' texts concatenated give the reply back exactly. ``quickReplies``
    (suggested answers, optional) and ``blocks`` (the answer's data, docs/blocks.md) ride on every
    part, so a client may act on whichever it has. Blocks larger than :data:`MAX_BLOCKS_BYTES` are
    left out (the text still tells everything): every part must keep room for its text.
    """
    base: Frame = {
        "type": "message",
        "sender": "agent",
        "message": text,
        "conversationId": conversation_id,
        "messageId": message_id,
    }
    if in_reply_to:
        base["inReplyTo"] = in_reply_to
    if quick_replies:
        base["quickReplies"] = list(quick_replies)
    if blocks and len(encode({"blocks": blocks})) <= min(MAX_BLOCKS_BYTES, max_bytes // 2):
        base["blocks"] = list(blocks)
    if len(encode(base)) <= max_bytes:
        return [base]
    envelope = {**base, "message": "", "part": 999999, "parts": 999999}
    budget = max_bytes - len(encode(envelope))
    if budget < 64:
        raise ValueError("max_bytes too small for a message frame")
    chunks = list(_chunks(text, budget))
    return [{**base, "message": chunk, "part": i, "parts": len(chunks)} for i, chunk in enumerate(chunks, 1)]


def _chunks(text: str, budget: int) -> Iterator[str]:
    start = 0
    size = 0
    last_newline = -1
    i = start
    while i < len(text):
        n = _encoded_len(text[i])
        if size + n > budget:
            # Prefer to break after a newline in the last fifth of the chunk: parts stay readable.
            cut = last_newline + 1 if last_newline >= start + (i - start) * 4 // 5 else i
            yield text[start:cut]
            start, size, last_newline = cut, 0, -1
            i = cut
            continue
        if text[i] == "\n":
            last_newline = i
        size += n
        i += 1
    if start < len(text):
        yield text[start:]
