"""Who may act on the plan, and the audit trail of what was done.

``may_act`` is the ONE permission check: every action the responder executes goes through it (at
request time and again at confirmation time). Roles: ``operator`` (and ``admin``) may act,
``viewer`` may only look.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .responder import Principal

__all__ = [
    "ACTING_ROLES",
    "KNOWN_ACTIONS",
    "REASON_NO_ROLE",
    "REASON_OK",
    "REASON_READ_ONLY",
    "REASON_UNKNOWN_ACTION",
    "AuditRecord",
    "AuditSink",
    "InMemoryAuditSink",
    "may_act",
]

ACTING_ROLES = frozenset({"operator", "admin"})
KNOWN_ACTIONS = frozenset({"rerun", "hold", "release", "cancel"})

# Refusal reasons: stable codes (the responder words them in the user's language).
REASON_OK = "ok"
REASON_READ_ONLY = "read_only"
"""The principal only has the ``viewer`` role."""
REASON_NO_ROLE = "no_role"
"""The principal has no role that allows actions."""
REASON_UNKNOWN_ACTION = "unknown_action"


def may_act(principal: Principal, action: str) -> tuple[bool, str]:
    """``(True, "ok")`` when ``principal`` may run ``action`` on a job, else ``(False, reason)``."""
    if action not in KNOWN_ACTIONS:
        return False, REASON_UNKNOWN_ACTION
    roles = {r.strip().lower() for r in principal.roles}
    if roles & ACTING_ROLES:
        return True, REASON_OK
    if "viewer" in roles:
        return False, REASON_READ_ONLY
    return False, REASON_NO_ROLE


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One executed action: who, when, from where, what, on which job, and how it went."""

    at: str
    """UTC ISO-8601 timestamp of the execution."""
    user_id: str
    username: str
    action: str
    job_id: str
    """The plan id (``WKS;JSINTERNALID;JOBNAME``)."""
    result: str
    """``accepted``, ``rejected`` (the TWS refused) or ``error:<TwsError.kind>``."""
    connection_id: str = ""
    conversation_id: str = ""
    job_name: str = ""
    workstation: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditSink(Protocol):
    def record(self, record: AuditRecord) -> None: ...


class InMemoryAuditSink:
    """Keeps records in a list (tests, local mode)."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, record: AuditRecord) -> None:
        self.records.append(record)
