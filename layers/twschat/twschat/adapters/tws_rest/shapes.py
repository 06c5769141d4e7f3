"""Helpers shared by the v1 and v2 dialects and the REST rendering: reading JSON items, times, statuses.

The spec's internal status words differ from conman's in a few places (``NodeStatus.internalStatus``
"Valid values are READY, HOLD, EXEC, EXEC_PLUS, ABEND, SUCC, CANCEL, ... FAILED, ... INTRO_PLUS ...":
comparison.md item 7); :data:`SPEC_TO_CONMAN` maps them to the domain's (conman) words and
:data:`CONMAN_TO_SPEC` back, so the fake serves what a master sends and the dialect reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from twschat.assistant.domain import STATUSES

__all__ = [
    "CONMAN_TO_SPEC",
    "REST_TIME_FORMAT",
    "SPEC_TO_CONMAN",
    "Kind",
    "ListRequest",
    "common_status",
    "dig",
    "int_or_none",
    "object_name",
    "parse_time",
    "rest_time",
    "status_of",
    "text",
]

logger = logging.getLogger("twschat.adapters.tws_rest.dialect")

REST_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
Kind = Literal["job", "jobstream", "workstation", "prompt", "resource"]

SPEC_TO_CONMAN: Mapping[str, str] = {
    "FAILED": "FAIL",
    "EXEC_PLUS": "EXEC",
    "INTRO_PLUS": "INTRO",
    "CANCEL": "CANCL",
    "USER_STREAM": "USER",
    "MPE_SUSP": "SUSP",
}
CONMAN_TO_SPEC: Mapping[str, str] = {"FAIL": "FAILED", "CANCL": "CANCEL", "USER": "USER_STREAM"}


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One page of a list: method, target (path and query), body (None: no body) and extra headers."""

    method: str
    target: str
    body: bytes | None
    headers: Mapping[str, str] = field(default_factory=dict)


def dig(item: Any, *path: str) -> Any:
    value: Any = item
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def object_name(value: Any) -> str:
    """A v2 object path (``/FOLDER/NAME`` or ``/NAME``) -> its name (a plain name stays as it is)."""
    return text(value).rsplit("/", 1)[-1]


def parse_time(value: Any) -> datetime | None:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` (UTC), tolerating no fraction or an explicit offset; else None."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in (REST_TIME_FORMAT, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("unparsable TWS time %r", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rest_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime(REST_TIME_FORMAT)


def status_of(item: Any, internal: Any, common: Any, canceled: Any = None) -> str:
    """The domain state: CANCELED when the plan marks it cancelled (commonStatus or the ``canceled``
    flag), else the internal one in conman's words."""
    if canceled is True or (isinstance(common, str) and common.upper() == "CANCELED"):
        return "CANCELED"
    if isinstance(internal, str):
        word = internal.upper()
        return SPEC_TO_CONMAN.get(word, word)
    return text(item.get("status")).upper() if isinstance(item, Mapping) else ""


def common_status(status: str) -> str:
    info = STATUSES.get(status)
    return info.common if info else "UNDECIDED"
