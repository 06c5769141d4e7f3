"""Small-typo matching for the NLU: edit distance, typo budgets, the closest known word.

Folding and tokens come from :mod:`twschat.core.language` (the platform's language detection needs
them too). Pure stdlib and deterministic; fuzzy lookups are memoized so a warm Lambda answers a
message in microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from twschat.core.language import fold, tokenize, words

__all__ = [
    "best_match",
    "edit_distance",
    "fold",
    "fuzzy_equal",
    "max_typos",
    "tokenize",
    "words",
]


def max_typos(word: str) -> int:
    """How many edits a word of this length may carry and still be recognized."""
    n = len(word)
    if n < 4:
        return 0
    if n < 8:
        return 1
    return 2


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at ``limit + 1``.

    Transpositions count as one edit ("abned" -> "abend" is 1). Returns ``limit + 1`` as soon as the
    distance is known to exceed ``limit`` so callers can treat it as "too far".
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    if la == 0 or lb == 0:
        return min(max(la, lb), limit + 1)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ai = a[i - 1]
        row_min = cur[0]
        for j in range(1, lb + 1):
            cost = 0 if ai == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[lb], limit + 1)


def _digits(word: str) -> str:
    return "".join(ch for ch in word if ch.isdigit())


def fuzzy_equal(token: str, target: str) -> bool:
    """True when ``token`` is ``target`` with at most :func:`max_typos` edits.

    Digits must agree exactly: ``tws_agent1`` never matches ``tws_agent2``.
    """
    if token == target:
        return True
    budget = max_typos(target)
    if budget == 0 or min(len(token), len(target)) < 4:
        return False
    if _digits(token) != _digits(target):
        return False
    return edit_distance(token, target, budget) <= budget


@lru_cache(maxsize=8192)
def _best_match_cached(token: str, candidates: tuple[str, ...]) -> str | None:
    if token in candidates:
        return token
    if len(token) < 4:
        return None
    token_digits = _digits(token)
    best: str | None = None
    best_d = 99
    tie = False
    for cand in candidates:
        budget = max_typos(cand)
        if budget == 0 or abs(len(cand) - len(token)) > budget:
            continue
        if _digits(cand) != token_digits:
            continue
        # A different first letter *and* a different last letter is almost never a typo.
        if cand[0] != token[0] and cand[-1] != token[-1]:
            continue
        d = edit_distance(token, cand, budget)
        if d > budget:
            continue
        if d < best_d:
            best, best_d, tie = cand, d, False
        elif d == best_d and cand != best:
            # a transposition keeps the length: prefer the same-length candidate ("rodnado" -> "rodando")
            same_new, same_old = len(cand) == len(token), best is not None and len(best) == len(token)
            if same_new and not same_old:
                best, tie = cand, False
            elif same_new == same_old:
                tie = True
    return None if tie else best


def best_match(token: str, candidates: Sequence[str] | Iterable[str]) -> str | None:
    """The unique closest candidate within the typo budget, or None (no match or a tie)."""
    cands = candidates if isinstance(candidates, tuple) else tuple(candidates)
    return _best_match_cached(token, cands)
