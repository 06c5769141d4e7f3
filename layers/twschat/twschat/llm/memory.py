"""Long conversations at flat cost: the last messages verbatim plus a running summary of the older ones.

- **Where the summary lives**: one item of the conversation's own history partition under a reserved
  sort key (:meth:`twschat.persistence.history.HistoryStore.get_summary` / ``put_summary``), bounded
  (``SUMMARY_MAX_CHARS``), rewritten with a conditional put on its version: two refreshes racing
  (two tabs, a redelivered frame) never clobber each other — the loser's work is dropped and the next
  refresh folds the same messages again.
- **What a turn sends**: the system prompt, then (after the prompt-cache point, so the static prefix
  stays cached) the summary; then the messages newer than the summary's last covered message, at most
  ``keep + 2 * every_turns`` of them, trimmed further to a token budget when messages are long
  (:func:`~twschat.llm.converse.trim_to_budget`). Input tokens per turn oscillate between two bounds,
  whatever the conversation's length.
- **When it refreshes**: after the reply is stored and posted (the responder's ``after_reply``, off
  the reply's critical path), once ``keep + 2 * every_turns`` messages are not in the summary: the
  oldest of them (all but the last ``keep``) are folded into it by one model call (``summary_model_id``:
  the chat model or a cheaper one), the previous summary first. So every ``every_turns`` turns.
  It needs the chat service's window (``HISTORY_WINDOW``) to hold at least ``keep + 2 * every_turns``
  messages, or messages could leave the window before being folded (20 = 8 + 2 x 6 by default).
- **Which messages are covered**: the refresh folds by message key (``covered_key``); a turn's window
  (the responder sees turns, not keys) keeps the turns created after the newest folded message
  (``covered_until_ms``). Two frames of one conversation answered at once could put a message on the
  wrong side of that line (left out of both, or in both); one connection's turns are sequential.
- **Failures**: a summary that cannot be read leaves the turn on its window alone; a refresh that
  fails (model, store, a lost race) is logged and retried at the next turn.

The store is a structural port (:class:`SummaryStore`): the history store satisfies it; this package
never imports the persistence one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from twschat.core.conversation import MessageRecord
from twschat.core.responder import ConversationSummary, Turn

from .converse import ModelClient, collect

__all__ = [
    "DEFAULT_EVERY_TURNS",
    "DEFAULT_KEEP_MESSAGES",
    "SUMMARY_HEADER",
    "SUMMARY_INSTRUCTION",
    "ConversationMemory",
    "MemoryStats",
    "SummaryStore",
]

_log = logging.getLogger(__name__)

DEFAULT_EVERY_TURNS = 6
DEFAULT_KEEP_MESSAGES = 8
SUMMARY_MAX_CHARS = 2000
"""The summary's bound (the store cuts to its own ``SUMMARY_MAX_CHARS``, the same figure); the summary
call's ``maxTokens`` is this over 4."""
TRANSCRIPT_MESSAGE_CHARS = 600
"""Each folded message enters the summary call cut to this (a listing's tail adds little)."""

SUMMARY_HEADER = (
    "Memória desta conversa (o que foi dito antes das mensagens abaixo; fatos do operador valem como "
    "contexto, dados do plano vêm das ferramentas):\n"
)
# Lower case and no digits on purpose: the instruction adds no names or numbers of its own.
SUMMARY_INSTRUCTION = (
    "Você mantém a memória de uma conversa entre um operador do tws e o assistente. Resuma em texto "
    "corrido, curto (no máximo meia página), juntando a memória anterior e as mensagens novas: mantenha "
    "exatamente como escritos os fatos que o operador afirmou (nomes de jobs, job streams, workstations, "
    "números, decisões, pedidos pendentes) e o essencial das respostas; descarte cumprimentos e listagens "
    "que as ferramentas dão de novo. Escreva só o resumo."
)


class SummaryStore(Protocol):
    """What the memory needs from the history store."""

    def get_summary(self, conversation_key: str) -> ConversationSummary: ...

    def put_summary(
        self, summary: ConversationSummary, *, expires_at: int | None = None
    ) -> ConversationSummary: ...

    def recent_messages(
        self, conversation_key: str, limit: int, before: str | None = None
    ) -> list[MessageRecord]: ...


@dataclass(slots=True)
class MemoryStats:
    """Counters since the memory was built (the benchmark's and the tests' view of the refreshes)."""

    refreshes: int = 0
    conflicts: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class ConversationMemory:
    def __init__(
        self,
        store: SummaryStore,
        model: ModelClient,
        *,
        model_id: str,
        every_turns: int = DEFAULT_EVERY_TURNS,
        keep_messages: int = DEFAULT_KEEP_MESSAGES,
        max_chars: int = SUMMARY_MAX_CHARS,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self._store = store
        self._model = model
        self.model_id = model_id
        self.every_turns = max(1, int(every_turns))
        self.keep = max(2, int(keep_messages))
        self.max_chars = int(max_chars)
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self.stats = MemoryStats()

    @property
    def window_cap(self) -> int:
        """Most messages a turn sends verbatim: those kept plus those waiting for the next refresh."""
        return self.keep + 2 * self.every_turns

    # ------------------------------------------------------------------------------ the turn's side
    def load(self, conversation_key: str) -> ConversationSummary | None:
        """The stored summary (``None`` when there is none or it cannot be read: the turn goes on)."""
        try:
            summary = self._store.get_summary(conversation_key)
        except Exception as exc:
            _log.warning("summary not read; the turn uses its window alone: %s", type(exc).__name__)
            return None
        return summary if summary.version > 0 and summary.text.strip() else None

    @staticmethod
    def unsummarized(history: Sequence[Turn], summary: ConversationSummary | None) -> list[Turn]:
        """The window's turns the summary does not cover (all of them without a summary)."""
        if summary is None or summary.covered_until_ms <= 0:
            return list(history)
        return [t for t in history if t.created_at_ms > summary.covered_until_ms]

    @staticmethod
    def system_text(summary: ConversationSummary | None) -> str:
        return SUMMARY_HEADER + summary.text.strip() if summary is not None and summary.text.strip() else ""

    # --------------------------------------------------------------------------------- the refresh
    def due(self, history: Sequence[Turn], summary: ConversationSummary | None) -> bool:
        """Whether, with the new message and its reply stored, enough messages wait to be folded."""
        return len(self.unsummarized(history, summary)) + 2 >= self.window_cap

    def refresh(self, conversation_key: str) -> ConversationSummary | None:
        """Fold the messages older than the last ``keep`` into the summary if ``window_cap`` of them
        wait; the stored summary, or ``None`` when nothing was due or the write lost a race. With a
        history retention (message TTLs), the summary expires with the newest message it was written
        beside."""
        summary = self._store.get_summary(conversation_key)
        messages = self._store.recent_messages(conversation_key, self.window_cap + 2 * self.every_turns)
        waiting = [m for m in messages if m.message_key > summary.covered_key]
        if len(waiting) < self.window_cap:
            return None
        fold = waiting[: -self.keep]
        expires_at = max((m.expires_at for m in waiting if m.expires_at is not None), default=None)
        text = self._summarize(summary.text, fold)
        if not text:
            return None
        try:
            stored = self._store.put_summary(
                ConversationSummary(
                    conversation_key=conversation_key,
                    text=text,
                    version=summary.version,
                    covered_key=fold[-1].message_key,
                    covered_until_ms=max(m.created_at for m in fold),
                    messages=summary.messages + len(fold),
                    updated_at_ms=self._clock_ms(),
                ),
                expires_at=expires_at,
            )
        except Exception as exc:
            if type(exc).__name__ == "SummaryVersionConflict":
                self.stats.conflicts += 1
                _log.info("summary refresh lost a race; the next refresh folds these messages")
                return None
            raise
        self.stats.refreshes += 1
        return stored

    def summary_request(self, previous: str, fold: Sequence[MessageRecord]) -> dict[str, Any]:
        system = SUMMARY_INSTRUCTION
        if previous.strip():
            system += "\n\nMemória anterior:\n" + previous.strip()
        lines = [
            ("operador: " if m.role == "user" else "assistente: ") + _cut(m.text, TRANSCRIPT_MESSAGE_CHARS)
            for m in fold
            if m.text.strip()
        ]
        return {
            "modelId": self.model_id,
            "system": [{"text": system}],
            "messages": [{"role": "user", "content": [{"text": "Mensagens novas:\n" + "\n".join(lines)}]}],
            "inferenceConfig": {"maxTokens": max(64, self.max_chars // 4), "temperature": 0.0},
        }

    def _summarize(self, previous: str, fold: Sequence[MessageRecord]) -> str:
        turn = collect(self._model.converse_stream(self.summary_request(previous, fold)))
        self.stats.input_tokens += turn.usage.input_tokens
        self.stats.output_tokens += turn.usage.output_tokens
        return _cut(turn.text.strip(), self.max_chars)


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"
