"""THE action path: the only code that runs an action on the TWS plan (``TwsClient.act``).

Every responder (this rule responder, a future LLM one) goes through :class:`ActionDesk`:

- ``permission`` — :func:`may_act`, the ONE permission check (roles ``operator``/``admin`` may act,
  ``viewer`` may only look), at request time; a refusal is audited.
- ``propose`` — a :class:`~twschat.assistant.state.PendingAction` (id, proposed_at, expiry, language)
  the operator must confirm in the very next turn.
- ``confirm`` — the answer must arrive after the question was sent; ``may_act`` again; an earlier
  confirmation of this very action is found in the audit trail (never run twice); expiry; a
  justification when one is required; the target still in the plan and its state still allowing the
  action; then the ``requested`` audit record is written (conditionally, keyed by the action id)
  BEFORE the TWS is called, and the outcome after.

Generic over what an action acts on (:data:`~twschat.assistant.domain.ACTION_KINDS`): a job (rerun,
hold, release, cancel, kill, confirm SUCC/ABEND), a job stream (hold, release, cancel), a workstation
(link, unlink) or a prompt (reply yes/no). The operator's justification, when given, is kept in the
pending action and written to every audit record of it.

Outcomes are wording-free; the caller words them. The audit record and sink are platform types
(:mod:`twschat.core.audit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

from twschat.core.audit import (
    RESULT_ACCEPTED,
    RESULT_FAILED,
    RESULT_REFUSED,
    RESULT_REJECTED,
    RESULT_REQUESTED,
    AuditRecord,
    AuditSink,
)
from twschat.core.responder import Principal, ResponderRequest

from .domain import (
    ACTION_KINDS,
    ActionResult,
    Blocked,
    Job,
    JobAction,
    JobStream,
    Prompt,
    StreamAction,
    Target,
    Workstation,
    WorkstationAction,
    blocked,
)
from .exceptions import TwsFailure
from .plan import TurnPlan
from .state import PendingAction
from .tws import TwsClient, TwsError

__all__ = [
    "ACTING_ROLES",
    "KNOWN_ACTIONS",
    "REASON_NO_ROLE",
    "REASON_OK",
    "REASON_READ_ONLY",
    "REASON_UNKNOWN_ACTION",
    "ActionDesk",
    "AlreadySent",
    "ConfirmOutcome",
    "Executed",
    "Expired",
    "Gone",
    "NeedsReason",
    "NotAllowed",
    "Refused",
    "TooEarly",
    "may_act",
]

_log = logging.getLogger(__name__)

ACTING_ROLES = frozenset({"operator", "admin"})
KNOWN_ACTIONS = frozenset(ACTION_KINDS)

# Refusal reasons: stable codes (the responder words them in the user's language).
REASON_OK = "ok"
REASON_READ_ONLY = "read_only"
"""The principal only has the ``viewer`` role."""
REASON_NO_ROLE = "no_role"
"""The principal has no role that allows actions."""
REASON_UNKNOWN_ACTION = "unknown_action"


def may_act(principal: Principal, action: str) -> tuple[bool, str]:
    """``(True, "ok")`` when ``principal`` may run ``action`` (on any target), else ``(False, reason)``."""
    if action not in KNOWN_ACTIONS:
        return False, REASON_UNKNOWN_ACTION
    roles = {r.strip().lower() for r in principal.roles}
    if roles & ACTING_ROLES:
        return True, REASON_OK
    if "viewer" in roles:
        return False, REASON_READ_ONLY
    return False, REASON_NO_ROLE


# ----------------------------------------------------------------------------- confirmation outcomes
@dataclass(frozen=True, slots=True)
class TooEarly:
    """The yes was received before the question was sent: it answers nothing."""


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


@dataclass(frozen=True, slots=True)
class AlreadySent:
    record: AuditRecord


@dataclass(frozen=True, slots=True)
class Expired:
    pass


@dataclass(frozen=True, slots=True)
class Gone:
    """The target left the plan."""


@dataclass(frozen=True, slots=True)
class NeedsReason:
    """A justification is required and the pending action has none: nothing ran."""


@dataclass(frozen=True, slots=True)
class NotAllowed:
    blocked: Blocked


@dataclass(frozen=True, slots=True)
class Executed:
    job: Target
    """The target as it was when the action was sent."""
    result: ActionResult[Job] | ActionResult[JobStream] | ActionResult[Workstation] | ActionResult[Prompt]


ConfirmOutcome = TooEarly | Refused | AlreadySent | Expired | NeedsReason | Gone | NotAllowed | Executed


def describe(target: Target) -> tuple[str, str, str, str, str]:
    """``(kind, id, short id, name, workstation)`` of a target: how a pending action and the audit
    trail name it (``id`` finds it in the plan again)."""
    if isinstance(target, Job):
        return "job", target.id, target.job_id, target.name, target.workstation
    if isinstance(target, JobStream):
        return "stream", target.id or target.name, target.name, target.name, target.workstation
    if isinstance(target, Workstation):
        return "workstation", target.name, target.name, target.name, target.name
    return "prompt", target.id, target.id, target.text[:80], ""


def instance_of(target: Target) -> tuple[str, str, datetime | None]:
    """``(stream, stream instance id, its scheduled time)`` of a job or a job stream ("" otherwise): the
    instance a confirmation names and the action re-checks."""
    if isinstance(target, Job):
        return target.job_stream, target.stream_id, target.stream_start
    if isinstance(target, JobStream):
        return target.name, target.id, target.start_time
    return "", "", None


def _same_instance(pending: PendingAction, target: Target) -> bool:
    """The target found by the pending action's id still belongs to the stream instance it named."""
    _stream, stream_id, _at = instance_of(target)
    return not (pending.stream_id and stream_id) or pending.stream_id == stream_id


def _of_instance(record: AuditRecord, target: Target) -> bool:
    """Whether an audit record (found by the target's name) is about this very instance: its plan id,
    or (a job) an id in its job stream instance — a v1 id ``WKS;JSINTERNALID;JOB`` names the stream
    instance, and a rerun's new id keeps it; a v2 id (UUID) is the job's across reruns."""
    _kind, ident, _short, name, _ws = describe(target)
    if record.job_id in ("", ident, name):
        return True
    _stream, stream_id, _at = instance_of(target)
    return isinstance(target, Job) and bool(stream_id) and stream_id in record.job_id.split(";")


def find(plan: TurnPlan, kind: str, ident: str) -> Target | None:
    """The target a pending action names, as the plan shows it now (None: no longer in the plan)."""
    if kind == "job":
        return plan.job(ident)
    if kind == "stream":
        return next((s for s in plan.streams if (s.id or s.name) == ident), None)
    if kind == "workstation":
        return plan.workstation(ident)
    if kind == "prompt":
        return next((p for p in prompts(plan) if p.id == ident), None)
    return None


def prompts(plan: TurnPlan) -> tuple[Prompt, ...]:
    """The plan's prompts (none when the TWS source cannot list them)."""
    lister = getattr(plan.tws, "list_prompts", None)
    if lister is None:
        return ()
    try:
        return tuple(lister())
    except TwsError as err:
        raise TwsFailure(err, "prompts") from err


class ActionDesk:
    def __init__(
        self,
        tws: TwsClient,
        audit: AuditSink | None,
        now: Callable[[], datetime],
        new_id: Callable[[], str],
        ttl_seconds: int,
        require_justification: bool = False,
    ) -> None:
        self._tws = tws
        self.audit = audit
        self._now = now
        self._new_id = new_id
        self._ttl = ttl_seconds
        self.require_justification = require_justification
        """``REQUIRE_JUSTIFICATION``: no action runs without the operator's reason."""

    # ------------------------------------------------------------------------------------ asking
    def permission(
        self,
        request: ResponderRequest,
        action: str,
        about: Callable[[], Target | None],
        justification: str = "",
    ) -> str:
        """:data:`REASON_OK`, or why the principal may not ask for ``action`` (audited, about ``about()``)."""
        allowed, reason = may_act(request.principal, action)
        if not allowed:
            record = self._record(request, action, RESULT_REFUSED, reason, job=about())
            self._record_refusal(replace(record, justification=justification))
        return reason

    def propose(self, action: str, job: Target, lang: str, justification: str = "") -> PendingAction:
        """The pending action for ``job`` (any target); without the ``justification`` a desk that
        requires one marks it as waiting for the reason."""
        now = int(self._now().timestamp())
        kind, ident, short, name, workstation = describe(job)
        stream, stream_id, stream_time = instance_of(job)
        return PendingAction(
            id=self._new_id(),
            action=action,
            job=ident,
            job_id=short,
            name=name,
            workstation=workstation,
            lang=lang,
            proposed_at=now,
            expires_at=now + self._ttl,
            kind=kind,
            justification=justification,
            awaiting_reason=self.require_justification and not justification,
            stream=stream,
            stream_id=stream_id,
            stream_time=stream_time.isoformat() if stream_time is not None else "",
        )

    def expired(self, pending: PendingAction) -> bool:
        return int(self._now().timestamp()) > pending.expires_at

    def minutes_left(self, pending: PendingAction) -> int:
        return max(1, (pending.expires_at - int(self._now().timestamp())) // 60)

    # -------------------------------------------------------------------------------- confirming
    def confirm(
        self, request: ResponderRequest, pending: PendingAction, asked_at_ms: int, plan: TurnPlan, lang: str
    ) -> ConfirmOutcome:
        """Run ``pending`` if everything still holds (see the module docstring); ``lang`` words a TWS failure."""
        action = pending.action
        if request.received_at_ms and asked_at_ms and request.received_at_ms < asked_at_ms:
            # A "sim" typed (or pasted) before the question reached the operator answers nothing.
            return TooEarly()
        allowed, reason = may_act(request.principal, action)
        if not allowed:
            self._record_refusal(self._record(request, action, RESULT_REFUSED, reason, pending=pending))
            return Refused(reason)
        # Was this very action already sent (its reply lost when the store failed mid-turn)? Asked
        # first, so neither the expiry nor the job's new state can make us say "nothing was done".
        already = self._requested_before(pending)
        if already is not None:
            return AlreadySent(already)
        if self.expired(pending):
            return Expired()
        if pending.awaiting_reason or (self.require_justification and not pending.justification.strip()):
            return NeedsReason()
        if ACTION_KINDS.get(action) != pending.kind:
            return Gone()  # a stored pending action whose target kind does not fit its action
        job = find(plan, pending.kind, pending.job)
        if job is None or not _same_instance(pending, job):
            return Gone()
        ruled_out = blocked(action, job)
        if ruled_out is not None:
            return NotAllowed(ruled_out)
        requested = self._record(request, action, RESULT_REQUESTED, job=job, pending=pending)
        if self.audit is not None:
            # The conditional write is the at-most-once guard. StorageUnavailable propagates: an action
            # that cannot be put on record does not run.
            existing = self.audit.begin(requested)
            if existing is not None:
                return AlreadySent(existing)
        try:
            result = self._send(action, job, pending.justification)
        except TwsError as err:
            self._finish(requested, RESULT_FAILED, str(err))
            raise TwsFailure(err, "act", lang) from err
        self._finish(requested, RESULT_ACCEPTED if result.accepted else RESULT_REJECTED, result.detail)
        return Executed(job, result)

    def _send(
        self, action: str, target: Target, justification: str = ""
    ) -> ActionResult[Job] | ActionResult[JobStream] | ActionResult[Workstation] | ActionResult[Prompt]:
        """THE call to the TWS, by the kind of target (``action`` fits it: checked by ``confirm``), with
        the operator's reason (the TWS puts it in its own audit where its API takes one)."""
        why = {"justification": justification}
        if isinstance(target, Job):
            return self._tws.act(cast(JobAction, action), target, **why)
        if isinstance(target, JobStream):
            return self._tws.act_stream(cast(StreamAction, action), target, **why)
        if isinstance(target, Workstation):
            return self._tws.act_workstation(cast(WorkstationAction, action), target, **why)
        return self._tws.reply_prompt(target, action == "reply_yes", **why)

    # ----------------------------------------------------------------------------------- records
    def records_for(self, job: Target) -> list[AuditRecord]:
        """The target's audit records since yesterday (UTC), newest first: a job's (same workstation or
        unknown), a job stream's or a workstation's (records of that kind of target only)."""
        assert self.audit is not None
        kind, _ident, _short, name, workstation = describe(job)
        wanted = "" if kind == "job" else kind
        since = (self._now().astimezone(UTC) - timedelta(days=1)).date().isoformat()
        return [
            r
            for r in self.audit.for_job(name, since)
            if r.target_kind == wanted and r.workstation in ("", workstation) and _of_instance(r, job)
        ]

    def latest_executed(self, job: Target) -> AuditRecord | None:
        """The target's latest action that was not refused, since yesterday.

        Best effort: the prompt and the advice stand without it, and a store that cannot be read
        stops the action at confirmation time, before anything runs.
        """
        if self.audit is None:
            return None
        try:
            records = [r for r in self.records_for(job) if r.result != RESULT_REFUSED]
        except Exception:
            _log.warning("audit read failed for the recent-action note", exc_info=True)
            return None
        return records[0] if records else None

    def _requested_before(self, pending: PendingAction) -> AuditRecord | None:
        """The record of an earlier confirmation of this very pending action, if there was one."""
        if self.audit is None:
            return None
        since = datetime.fromtimestamp(pending.proposed_at or 0, UTC).date().isoformat()
        records = self.audit.for_job(pending.name, since)
        return next((r for r in records if r.action_id == pending.id and r.result != RESULT_REFUSED), None)

    def _record(
        self,
        request: ResponderRequest,
        action: str,
        result: str,
        detail: str = "",
        *,
        job: Target | None = None,
        pending: PendingAction | None = None,
    ) -> AuditRecord:
        """A record of ``action`` by the request's principal, about ``job`` (any target; else the
        pending one's), with the pending action's justification."""
        if job is not None:
            kind, plan_id, _short, name, workstation = describe(job)
        elif pending is not None:
            kind, plan_id, name, workstation = pending.kind, pending.job, pending.name, pending.workstation
        else:
            kind = plan_id = name = workstation = ""
        proposed = pending.proposed_at if pending is not None else None
        return AuditRecord(
            at=self._now().astimezone(UTC).isoformat(timespec="seconds"),
            user_id=request.principal.user_id,
            username=request.principal.username,
            action=action,
            job_id=plan_id,
            result=result,
            connection_id=request.connection_id,
            conversation_id=request.conversation_id,
            job_name=name,
            workstation=workstation,
            detail=detail,
            action_id=pending.id if pending is not None else "",
            proposed_at=(
                datetime.fromtimestamp(proposed, UTC).isoformat(timespec="seconds")
                if proposed is not None
                else ""
            ),
            justification=pending.justification if pending is not None else "",
            target_kind="" if kind in ("", "job") else kind,
        )

    def _record_refusal(self, record: AuditRecord) -> None:
        if self.audit is None:
            return
        try:
            self.audit.record(record)
        except Exception:  # the refusal stands whether or not it could be recorded
            _log.exception("audit of a refusal failed: action %s by %s", record.action, record.user_id)

    def _finish(self, requested: AuditRecord, result: str, detail: str) -> None:
        if self.audit is None:
            return
        try:
            self.audit.finish(replace(requested, result=result, detail=detail))
        except Exception:
            # The action ran: its outcome is answered all the same, and the "requested" record stays as
            # the evidence that it was sent. Logged by id, never with the TWS detail or credentials.
            _log.exception(
                "audit finish failed: action %s (%s) result %s", requested.action_id, requested.action, result
            )
