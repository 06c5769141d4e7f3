"""The platform's own words, pt and en, in one catalogue (the assistant's are in
:mod:`twschat.assistant.messages`): the welcome, the closing notice, the error frames' texts, and the
LLM responder's one-line notes. Each is a ``{language: text}`` mapping; ``{name}`` fields are filled by
the caller. The modules that used to hold them re-export them under their old names."""

from __future__ import annotations

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
    # no raw "c-…" id: the frame's conversationId carries it for clients; people read the conversation
    "pt": "Bem-vindo de volta! Continuando a conversa. Como posso ajudar?",
    "en": "Welcome back! Continuing the conversation. How can I help?",
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
"""The error frames' ``message`` by ``code`` (or a ``text_key`` under it); ``{detail}`` filled in."""

# The LLM responder's one-line notes.
FALLBACK_NOTE = {
    "pt": "(O assistente de IA não respondeu agora; esta resposta vem das regras.)",
    "en": "(The AI assistant did not answer just now; this answer comes from the rules.)",
}

# A model's propose_action the operator's words did not ask for (llm.proposals): said in one line.
PROPOSAL_REJECTED_NOTE = {
    "pt": "(Nenhuma ação foi preparada: uma ação só é proposta quando você mesmo a pede, por exemplo "
    '"reroda o JOB002".)',
    "en": "(No action was prepared: an action is only proposed when you ask for it yourself, for example "
    '"rerun JOB002".)',
}
