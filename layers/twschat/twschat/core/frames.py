"""The frames a client receives: welcome, message (split into ordered parts past the size limit), the
delta and progress frames of a reply being streamed, error.

All are JSON text frames. Operator-facing text is Portuguese by default, English on request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Frame = dict[str, Any]

# API Gateway refuses a post_to_connection payload over 128 KB; keep a margin for the envelope.
MAX_FRAME_BYTES = 128 * 1024

ERROR_TEXT: dict[str, dict[str, str]] = {
    "pt": {
        "binary_not_supported": 'Mensagens binárias não são aceitas. Envie texto ou JSON {"message": "..."}.',
        "empty_message": "Mensagem vazia. Escreva sua pergunta, por exemplo: qual job está em abend?",
        "message_too_long": "Mensagem longa demais ({detail} caracteres). Resuma ou divida a pergunta.",
        "invalid_text": "A mensagem tem caracteres inválidos (Unicode malformado). Copie o texto de novo e reenvie.",
        "control_characters": "A mensagem tem caracteres de controle. Envie apenas texto.",
        "invalid_json": 'JSON inválido. Envie texto simples ou {"message": "sua pergunta"}.',
        "not_an_object": 'O JSON precisa ser um objeto: {"message": "sua pergunta"}.',
        "missing_message": 'Falta o campo "message" (texto) no JSON: {"message": "sua pergunta"}.',
        "unknown_type": "Tipo de requisição desconhecido ({detail}). Use message, history, conversations ou ping.",
        "unknown_connection": "Conexão não encontrada. Reconecte para continuar a conversa.",
        "invalid_request": 'Requisição inválida ({detail}). Ex.: {"type": "history", "limit": 20}.',
        "rate_limited": "Muitas mensagens em pouco tempo. Tente de novo em {detail} s.",
        "storage_unavailable": "O histórico do chat está indisponível agora (armazenamento fora do ar ou "
        "sobrecarregado): sua mensagem não foi processada e nada foi executado. Envie de novo em alguns "
        "instantes; se persistir, avise o suporte do chat.",
        "storage_unavailable_reply": "A resposta acima foi enviada, mas o histórico do chat está "
        "indisponível e ela não foi salva. Se pedir de novo, confira antes o status do job.",
        "too_many_connections": "Você já tem {detail} conexões abertas. Feche outra aba ou janela do chat.",
        "internal_error": "Não consegui processar sua mensagem agora. Ela foi registrada; tente de novo.",
    },
    "en": {
        "binary_not_supported": 'Binary messages are not accepted. Send text or JSON {"message": "..."}.',
        "empty_message": "Empty message. Type your question, e.g.: which jobs are in abend?",
        "message_too_long": "Message too long ({detail} characters). Shorten or split it.",
        "invalid_text": "The message has invalid characters (malformed Unicode). Copy the text again and resend.",
        "control_characters": "The message has control characters. Send plain text only.",
        "invalid_json": 'Invalid JSON. Send plain text or {"message": "your question"}.',
        "not_an_object": 'The JSON must be an object: {"message": "your question"}.',
        "missing_message": 'The JSON lacks a string "message" field: {"message": "your question"}.',
        "unknown_type": "Unknown request type ({detail}). Use message, history, conversations or ping.",
        "unknown_connection": "Connection not found. Reconnect to continue the conversation.",
        "invalid_request": 'Invalid request ({detail}). E.g. {"type": "history", "limit": 20}.',
        "rate_limited": "Too many messages in a short time. Try again in {detail} s.",
        "storage_unavailable": "The chat history is unavailable right now (storage down or overloaded): "
        "your message was not processed and nothing was run. Send it again in a moment; if it persists, "
        "tell the chat's support.",
        "storage_unavailable_reply": "The answer above was sent, but the chat history is unavailable and "
        "it was not saved. Before asking again, check the job's status.",
        "too_many_connections": "You already have {detail} open connections. Close another chat tab or window.",
        "internal_error": "I could not process your message now. It was recorded; please try again.",
    },
}


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
    max_bytes: int = MAX_FRAME_BYTES,
) -> list[Frame]:
    """One reply frame, or ordered parts (``part`` 1..``parts``) when it would pass ``max_bytes``.

    Nothing is cut: the parts' texts concatenated give the reply back exactly. ``quickReplies``
    (suggested answers, optional) ride on every part, so a client may act on whichever it has.
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
