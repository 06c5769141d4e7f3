"""Number agreement shared by the catalogues: the singular or the plural by a count, "the only one" vs
"all N", and a label joined with its scope. The words stay in each catalogue; only the choice is here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["all_of", "by_count", "scoped"]


def by_count(p: Mapping[str, Any], one: str, many: str, key: str = "n") -> str:
    """``one`` or ``many`` by the count ``p[key]`` (0 reads like 1: "Nenhum job concluído")."""
    count = p.get(key, 1)
    return one if not isinstance(count, int) or count <= 1 else many


def all_of(p: Mapping[str, Any], one: str, many: str, none: str = ".") -> str:
    """``one`` for 1 ("a única"), ``many`` formatted with ``n`` for more ("todas as {n}"), ``none`` for
    0: never "todas as 1" / "all 0"."""
    n = p["n"]
    return none if not n else one if n == 1 else many.format(n=n)


def scoped(label: str, where: str) -> str:
    """The label and the scope together: "no stream BILLING" alone when the label is empty."""
    return (label + where).strip()
