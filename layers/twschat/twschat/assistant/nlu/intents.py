"""The intents the NLU recognizes, and what one recognized message carries (:class:`Intent`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import Job

__all__ = ["INTENTS", "LISTING_INTENTS", "STATE_INTENT", "Intent"]

INTENTS: tuple[str, ...] = (
    "greeting",
    "thanks",
    "goodbye",
    "help",
    "jobs_failed",
    "jobs_running",
    "jobs_waiting",
    "jobs_ready",
    "jobs_success",
    "jobs_cancelled",
    "jobs_late",
    "jobs_list",
    "job_status",
    "job_log",
    "job_streams",
    "workstations",
    "workstations_offline",
    "workstation_status",
    "plan_summary",
    # -- reads (dependencies, schedule)
    "job_dependencies",
    "job_successors",
    "due_jobs",
    "prompts",
    # -- reads (resources)
    "resources",
    "resource_waiting",
    "action_rerun",
    "action_hold",
    "action_release",
    "action_cancel",
    # -- actions (kill, confirm, streams, workstations, prompts, justification)
    "action_kill",
    "action_confirm_succ",
    "action_confirm_abend",
    "action_stream_hold",
    "action_stream_release",
    "action_stream_cancel",
    "action_link",
    "action_unlink",
    "action_reply_yes",
    "action_reply_no",
    "action_reason",
    "action_negated",
    "action_history",
    "action_advice",
    "confirm_yes",
    "confirm_no",
    "confirm_unclear",
    # -- alerts (issue 18): subscriptions to state changes, answered by the rules in every responder
    "alert_subscribe",
    "alert_list",
    "alert_cancel",
    "alert_cancel_all",
    "unknown",
)

STATE_INTENT: dict[str, str] = {
    "abend": "jobs_failed",
    "failed": "jobs_failed",
    "running": "jobs_running",
    "waiting": "jobs_waiting",
    "hold": "jobs_waiting",
    "sched": "jobs_waiting",
    "ready": "jobs_ready",
    "success": "jobs_success",
    "cancelled": "jobs_cancelled",
    "late": "jobs_late",
    "all": "jobs_list",
}
LISTING_INTENTS = frozenset(
    {
        "jobs_failed",
        "jobs_running",
        "jobs_waiting",
        "jobs_ready",
        "jobs_success",
        "jobs_cancelled",
        "jobs_late",
        "jobs_list",
        "job_streams",
        "workstation_status",
    }
)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    language: str = "pt"
    state: str = ""
    """A key of :data:`~twschat.assistant.domain.JOB_FILTERS` for job / stream listings."""
    action: str = ""
    jobs: tuple[Job, ...] = ()
    """Jobs the message named (by name, id or plan id)."""
    candidates: tuple[Job, ...] = ()
    """Jobs a partial name could mean ("o backup") when it is ambiguous."""
    missing: tuple[str, ...] = ()
    """Job ids the message named that are not in the plan (folded, e.g. ``job999``)."""
    workstation: str = ""
    missing_workstation: str = ""
    stream: str = ""
    ws_filter: str = ""
    """``offline`` / ``online`` for workstation listings."""
    referent: str = ""
    """``this`` / ``other`` / ``them`` / ``first`` / ``second`` / ``last`` when the message points back."""
    followup: bool = False
    """An elliptical follow-up ("e na TWS_AGENT1?"): repeat the previous question with this change."""
    generic: bool = False
    """A question about TWS in general (answered with what the assistant can do)."""
    period: str = ""
    """``today`` when the message asks about today only ("hoje", "today"): by the date in the zone."""
    hours: int = 0
    """``due_jobs``: the next N hours ("nas próximas 2 horas")."""
    reason: str = ""
    """The operator's justification for an action ("porque o banco voltou" -> "o banco voltou")."""
    prompt: str = ""
    """The prompt an action or a ``prompts`` question names (folded: "prompt 2" -> "2")."""
    asks_why: bool = False
    """``job_log``: the message asks why the job failed (the diagnosis), not for its log."""
    said_language: bool = False
    """The message itself said its language (marker words, accents), not the conversation's default."""
    time: str = ""
    """A clock time the message gives (``HH:MM``): which job stream instance it means ("o das 07:48")."""
    watch: str = ""
    """``alert_subscribe``: what to watch, ``kind|condition|states`` (``job|final|``,
    ``job|state|ABEND,FAIL``, ``workstation|state|ONLINE``, ``stream|change|``); see :mod:`.alerts`."""
    resource: str = ""
    """The resource a ``resources`` / ``resource_waiting`` question names (folded: "etl_db_slots")."""
