"""Which language a message is written in (Portuguese or English), and the folding it needs.

Platform code: the chat service words its own error frames in the language of the message, and the
TWS assistant's NLU detects the language of each turn with the same function, giving it the marker
words its vocabulary adds. Pure stdlib; :func:`fold` is memoized because every turn folds its text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "EN_MARKERS",
    "PT_MARKERS",
    "LanguageMarkers",
    "detect_language",
    "fold",
    "tokenize",
    "words",
]

# Anything that is not a letter, a digit or an underscore separates tokens. Apostrophes are dropped
# first so "what's" -> "whats" and "don't" -> "dont" stay one token.
_SEPARATORS = re.compile(r"[^a-z0-9_]+")
_APOSTROPHES = re.compile(r"['’`´]")
# Accented letters only Portuguese uses: one of them settles the question.
_PT_ACCENTS = "ãõçáéíóúâêôà"


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case, strip accents and turn punctuation into single spaces.

    >>> fold("Qual job está em ABEND?")
    'qual job esta em abend'
    >>> fold("TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002")
    'tws_agent2 0aaaaaaaaaaaaab2 job002'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = _APOSTROPHES.sub("", stripped)
    return _SEPARATORS.sub(" ", stripped).strip()


def tokenize(text: str) -> list[str]:
    """Folded tokens of ``text`` (see :func:`fold`)."""
    folded = fold(text)
    return folded.split() if folded else []


def words(text: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(text.split())


# Words that tell Portuguese from English. The assistant's vocabulary adds its own.
PT_MARKERS = words(
    "qual quais esta estao sao tem tinha o os as do da dos das de em no na nos nas para pra pro que "
    "por porque pq com mostra mostre mostrar lista liste listar ver veja quero preciso pode "
    "poderia voce vc sim nao obrigado obrigada valeu vlw oi ola bom boa dia tarde noite tudo bem "
    "como ambiente rodando executando reroda rerodar roda rodar libera liberar segura segurar "
    "cancela cancelar falha falhou falharam erro esse essa isso dele dela deles delas outro outra "
    "agora hoje ainda aguardando esperando atrasado atrasados ajuda sabe fazer quanto tempo meu "
    "minha e um uma "
)
EN_MARKERS = words(
    "what which whats is are the of show list me please why how does did can could you yes no thanks "
    "thank hello hi hey running failed failing jobs job stream streams down up offline online rerun "
    "hold release cancel it this that one other them those these and on in at for all any with log "
    "logs status again waiting stuck late long summary environment help good morning afternoon "
    "evening bye give an to get tell any some now right there here my your was were be been would should "
    "will have has had who where when there into from about "
) - {
    "job",
    "jobs",
    "stream",
    "streams",
    "offline",
    "online",
    "hold",
    "release",
    "rerun",
    "log",
    "logs",
    "status",
    "me",
    "no",
    "e",
}


@dataclass(frozen=True, slots=True)
class LanguageMarkers:
    """The words that count as Portuguese and as English (a word in both counts for neither)."""

    pt: frozenset[str] = PT_MARKERS
    en: frozenset[str] = EN_MARKERS


_DEFAULT_MARKERS = LanguageMarkers()


def detect_language(
    text: str | Sequence[str],
    default: str = "pt",
    *,
    tokens: Sequence[str] | None = None,
    markers: LanguageMarkers = _DEFAULT_MARKERS,
) -> str:
    """``"pt"`` or ``"en"`` by accents and marker words; ``default`` when the text does not tell.

    ``text`` is the raw message (its accents count) or already its tokens (they do not). ``tokens``
    replaces the message's own tokens when the caller has corrected them (typos fixed).
    """
    if isinstance(text, str):
        if any(ch in text for ch in _PT_ACCENTS):
            return "pt"
        counted: Sequence[str] = tokenize(text) if tokens is None else tokens
    else:
        counted = text if tokens is None else tokens
    pt = sum(1 for t in counted if t in markers.pt)
    en = sum(1 for t in counted if t in markers.en)
    if pt > en:
        return "pt"
    if en > pt:
        return "en"
    return default
