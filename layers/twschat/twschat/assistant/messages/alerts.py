"""The alert subscriptions' wording (issue 18), pt and en with the same keys; merged into the
catalogues by :mod:`.` (kept apart so the main catalogues' wording fixes do not meet these)."""

from __future__ import annotations

__all__ = ["EN", "PT"]

PT: dict[str, str] = {
    "alert.unavailable": "Avisos não estão disponíveis nesta instalação.",
    "alert.subscribed": "Combinado: {what}.",
    "alert.when.final": "aviso quando {label} terminar (uma vez, no estado final)",
    "alert.when.state": "aviso sempre que o estado de {label} mudar para um destes: {states}",
    "alert.when.change": "aviso a cada mudança de estado de {label}",
    "alert.until": "Vale até {at}. Também chega em outras abas suas e fica no histórico.",
    "alert.already_final": "O job {label} já terminou: está em {status} (fim {at}). Não há o que avisar.",
    "alert.limit": "Não criei o aviso: você já tem {cap} avisos ativos, o máximo por usuário "
    '(MaxSubscriptionsPerUser). Cancele um ("para de me avisar do JOB014") e peça de novo.',
    "alert.list.none": "Você não tem avisos ativos.",
    "alert.list.head": "Seus avisos ({count}):",
    "alert.list.line": "- {what} (até {until})",
    "alert.cancelled": "Pronto: não aviso mais sobre {labels}.",
    "alert.cancel.none": "Você não tem aviso sobre {name}. Seus avisos: {labels}.",
    "alert.cancel.which": "Qual aviso devo cancelar? Seus avisos: {labels}.",
    "alert.cancelled_all": "Cancelei todos os seus avisos ({count}).",
    "alert.quick.list": "quais avisos eu tenho?",
}

EN: dict[str, str] = {
    "alert.unavailable": "Alerts are not available in this installation.",
    "alert.subscribed": "Done: {what}.",
    "alert.when.final": "I will tell you when {label} finishes (once, in its final state)",
    "alert.when.state": "I will tell you whenever {label} changes to one of these states: {states}",
    "alert.when.change": "I will tell you on every state change of {label}",
    "alert.until": "Valid until {at}. It also reaches your other tabs and stays in the history.",
    "alert.already_final": "Job {label} has already finished: it is {status} (ended {at}). "
    "Nothing to tell you.",
    "alert.limit": "I did not add the alert: you already have {cap} active alerts, the most per user "
    '(MaxSubscriptionsPerUser). Cancel one ("stop notifying me about JOB014") and ask again.',
    "alert.list.none": "You have no active alerts.",
    "alert.list.head": "Your alerts ({count}):",
    "alert.list.line": "- {what} (until {until})",
    "alert.cancelled": "Done: no more alerts about {labels}.",
    "alert.cancel.none": "You have no alert about {name}. Your alerts: {labels}.",
    "alert.cancel.which": "Which alert should I cancel? Your alerts: {labels}.",
    "alert.cancelled_all": "I cancelled all your alerts ({count}).",
    "alert.quick.list": "which alerts do I have?",
}
