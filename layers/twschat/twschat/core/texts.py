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
