"""Who may act on the plan, and the audit trail of what was done.

``may_act`` is the ONE permission check: every action the responder executes goes through it (at
request time and again at confirmation time). Roles: ``operator`` (and ``admin``) may act,
``viewer`` may only look.

Every attempt, allowed or refused, is recorded in the audit trail (:mod:`twschat.core.audit`).
"""

from __future__ import annotations

from twschat.core.responder import Principal

__all__ = [
    "ACTING_ROLES",
    "KNOWN_ACTIONS",
    "REASON_NO_ROLE",
    "REASON_OK",
    "REASON_READ_ONLY",
    "REASON_UNKNOWN_ACTION",
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
