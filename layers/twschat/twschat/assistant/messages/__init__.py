"""The message catalogues (one module per language, the same keys in each) and the renderer.

A catalogue maps a message code to a ``str.format`` template or to a function of the rendered
parameters; it also words times (``time``) and durations (``duration``). :func:`render` turns a
:class:`~twschat.assistant.answer.Msg` into text: nested messages first, then :class:`When` and
:class:`Minutes` values, then the code's entry. Imports only :mod:`..answer` and the catalogues.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..answer import JOIN, Minutes, Msg, When
from . import alerts, en, pt

__all__ = ["CATALOGS", "LANGUAGES", "Entry", "render"]

Entry = str | Callable[[Mapping[str, Any]], str]

CATALOGS: Mapping[str, Mapping[str, Entry]] = {
    "pt": {**pt.MESSAGES, **alerts.PT},
    "en": {**en.MESSAGES, **alerts.EN},
}
LANGUAGES: tuple[str, ...] = tuple(CATALOGS)


def render(message: Msg | str, lang: str) -> str:
    """The text of ``message`` in ``lang`` (``pt`` when the language has no catalogue)."""
    catalog = CATALOGS.get(lang, CATALOGS["pt"])
    return _render(message, catalog)


def _render(message: Msg | str, catalog: Mapping[str, Entry]) -> str:
    if isinstance(message, str):
        return message
    if message.code == JOIN:
        sep = str(message.params.get("sep", ""))
        return sep.join(_render(part, catalog) for part in message.params.get("parts", ()))
    values = {key: _value(value, catalog) for key, value in message.params.items()}
    entry = catalog[message.code]
    return entry(values) if callable(entry) else entry.format(**values)


def _value(value: Any, catalog: Mapping[str, Entry]) -> Any:
    if isinstance(value, Msg):
        return _render(value, catalog)
    if isinstance(value, When | Minutes):
        entry = catalog["time" if isinstance(value, When) else "duration"]
        assert callable(entry)
        return entry({"value": value})
    return value
