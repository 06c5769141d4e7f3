"""English: the same keys as :mod:`.pt` (a unit test holds them equal). Imports only :mod:`..answer` and :mod:`.forms`.

Two refinement hints still show the Portuguese example (``refine.ask_which``,
``refine.workstation_status``), as the responder always did; change them with the tests that pin them.

Over 400 lines on purpose: one flat table, the same keys as :mod:`.pt`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..answer import When
from .forms import all_of, by_count, scoped

__all__ = ["MESSAGES"]


def _time(p: Mapping[str, Any]) -> str:
    value: When = p["value"]
    return value.local.strftime("%H:%M" if value.today else "%Y-%m-%d %H:%M")


def _duration(p: Mapping[str, Any]) -> str:
    n: int = p["value"].n
    return f"{n} min" if n < 60 else f"{n // 60}h{n % 60:02d}m"


MESSAGES: dict[str, str | Callable[[Mapping[str, Any]], str]] = {
    "time": _time,
    "duration": _duration,
    # ------------------------------------------------------------------------------- small talk
    "greeting": 'Hello! I am the TWS assistant. Ask, for example, "which jobs are in abend?" or '
    '"how is the environment?".',
    "thanks": "You're welcome! If you need anything else from TWS, just ask.",
    "goodbye": "Bye! Have a good shift.",
    "help": (
        "I can query the TWS plan and help with operations:\n"
        '- jobs by state: "which jobs are in abend?", "running jobs", "jobs on hold", "late jobs"\n'
        '- one job: "status of JOB002", "log of JOB002", "why did JOB002 fail?"\n'
        '- job streams: "show the job streams"\n'
        '- workstations: "which workstations are offline?", "status of TWS_AGENT2"\n'
        '- summary: "how is the environment?"\n'
        '- actions (with confirmation): "rerun JOB002", "hold JOB008", "release JOB007", "cancel JOB009"'
    ),
    "help.generic": "About TWS: I work with the current plan (jobs, job streams and workstations). ",
    "unknown": "I did not understand. I can list jobs by state, show a job's status and log, job streams, "
    "workstations and an environment summary, and rerun/hold/release/cancel jobs with confirmation. "
    'Try, for example: "which jobs are in abend?" or "help".',
    "internal_error": "I hit an internal error while answering. Please try again or rephrase.",
    # ---------------------------------------------------------------------------- TWS failures
    "tws_error.unreachable": "I could not reach TWS while {what}. Check that the master is up and "
    "the network/VPN, then try again in a moment.",
    "tws_error.timeout": "TWS took too long to answer while {what}. Try again in a moment; if it "
    "keeps happening the master may be overloaded.",
    "tws_error.unauthorized": "TWS rejected the credentials while {what} (unauthorized). Check the "
    "user/API key configured for the chat.",
    "tws_error.not_found": "TWS did not find what I asked for while {what} (it may have left the plan). "
    "Check the name/id and try again.",
    "tws_error.server": "TWS answered with an internal error while {what}. Try again; if it persists, "
    "check the master's logs.",
    "tws_error.bad_response": "TWS answered in an unexpected format while {what}. Try again; if it persists, "
    "tell the chat's support.",
    "what.jobs": "listing the jobs",
    "what.workstations": "listing the workstations",
    "what.streams": "listing the job streams",
    "what.log": "fetching the job log",
    "what.act": "running the action",
    "what.prompts": "listing the prompts",
    # ----------------------------------------------------------------------------- job lines
    "job.line": "{name} ({job_id}) — {parts}",
    "job.where": "{status} on {workstation}",
    "job.stream": "stream {stream}",
    "job.stream_at": "stream {stream} ({at})",
    "job.since": "since {at} ({running})",
    "job.rc": "rc {rc}",
    "job.ended": "ended {at}",
    "more": "... and {extra} more — refine with {refine}",
    "refine.ask_which": '"status do JOB00X"',
    "refine.job_status": '"status of JOB00X"',
    "refine.jobs_on_workstation": '"jobs in abend on TWS_AGENT1"',
    "refine.streams_on_workstation": '"job streams on TWS_AGENT1"',
    "refine.workstation_status": '"status da TWS_X"',
    "refine.jobs_abend": '"jobs in abend"',
    # ------------------------------------------------------------------------------ referents
    "target.missing": 'I did not find {ids} in the current plan. List the jobs with "sj" or '
    '"which jobs are in abend?".',
    "target.which_job": 'Which job? Give its name or id, for example: "status of JOB002" or "log of JOB002".',
    "which.ambiguous": "More than one job matches. Which one?",
    "which.head": "Which one?",
    # one job name in several job stream instances: which instance?
    "which.instances": lambda p: (
        f"{p['id']} exists in {p['count']} {by_count(p, 'stream', 'streams', 'count')}: {p['options']}. Which one?"
    ),
    "which.instance": "{stream} ({status}, {at})",
    "which.instance_plain": "{stream} ({status})",
    "which.and": " and ",
    "which.and_more": " and {extra} more",
    "which.stream_instances": lambda p: (
        f"Job stream {p['name']} has {p['count']} {by_count(p, 'instance', 'instances', 'count')}: "
        f"{p['options']}. Which one?"
    ),
    "which.stream_instance": "{at} ({status})",
    "which.tail": 'E.g. "status of {id}" or "the first one".',
    # ----------------------------------------------------------------------------------- jobs
    "state.abend": "in ABEND",
    "state.failed": "failed (ABEND/FAIL/ERROR)",
    "state.running": "running",
    "state.waiting": "waiting (HOLD/SCHED/...)",
    "state.hold": "on HOLD",
    "state.sched": "scheduled (SCHED)",
    "state.ready": "ready (READY)",
    "state.success": "completed successfully",
    "state.cancelled": "cancelled",
    "state.late": "late",
    "late.running": "Running for more than {m} min (or well past the estimated duration):",
    "late.not_started": "Not started by their time:",
    "late.due": " — due {at}",
    "late.ask_why": 'To see what holds them: "why is {id} waiting?".',
    "state.all": "in the plan",
    "where.workstation": " on {workstation}",
    "where.stream": " in stream {stream}",
    "where.among_previous": " (among the previous ones)",
    "jobs.none": lambda p: f"No jobs {scoped(p['label'], p['where'])}.",
    "jobs.but_failed": "But these jobs failed:",
    "jobs.count": lambda p: f"{p['n']} {by_count(p, 'job', 'jobs')} {scoped(p['label'], p['where'])}:",
    "jobs.also_failed": "Also failed:",
    "advice.failed": 'Advice: check the log ("log of {id}"), check its dependencies (predecessors, resources, '
    'files) and, once the cause is fixed, ask for a rerun ("rerun {id}").',
    "advice.failed_offline": " Note: {workstations} is OFFLINE — link it before the rerun.",
    "advice.late": 'Advice: check the log ("log of {id}") to see whether it is stuck (lock, resource, '
    "file wait) and compare with its usual duration; if it hangs, consider a kill in conman.",
    "advice.release_held": 'HOLD waits on dependencies; to release it by hand: "release {id}".',
    "advice.job_late": "It has been running for more than {m} min: check the log "
    '("log of {id}") to see whether it is stuck.',
    "advice.job_hold": 'Waiting on dependencies. To release it by hand: "release {id}".',
    "advice.job_sched": "Waiting for its start time (AT).",
    "advice.job_intro_offline": 'Waiting for {workstation} (OFFLINE) to link before it starts: "link {workstation}".',
    "advice.job_intro": "In INTRO: TWS has submitted the job and {workstation} has not started it yet; if it "
    'stays in INTRO for more than a few minutes, check the agent ("status of {workstation}").',
    "log.not_run": "{name} ({job_id}) has not run yet (status {status}): there is no log.",
    "log.none": "TWS has no log for {name} ({job_id}) (status {status}).",
    "log.head": "Log of {name} ({job_id}) — {status} on {workstation}",
    "log.last_lines": lambda p: " (last line):" if p["n"] == 1 else f" (last {p['n']} lines):",
    "log.error_found": "Error found: {error}",
    "log.rerun_hint": 'Once the cause is fixed, ask for a rerun: "rerun {id}".',
    # -- why a job failed: the diagnosis (skills/diagnosis.py)
    "why.errors": "Error in the log:",
    "why.no_error": "The log has no recognizable error line.",
    "why.cause.tablespace": "Likely cause: tablespace {name} is full (the database could not extend the table).",
    "why.cause.unlinked": "Likely cause: workstation {workstation} is not linked (TWS could not launch the job).",
    "why.cause.file": "Likely cause: a file the job uses was not found.",
    "why.cause.credentials": "Likely cause: credentials refused (the job's user/password).",
    "why.next.tablespace": 'Next step: ask the DBA to extend tablespace {name}; then "rerun {id}".',
    "why.next.unlinked": 'Next step: "link {workstation}"; once linked, "rerun {id}".',
    "why.next.file": 'Next step: check that the file arrived where the job expects it; then "rerun {id}".',
    "why.next.credentials": 'Next step: fix the user/password the job uses; then "rerun {id}".',
    "why.next.unknown": 'See the full log ("log of {id}"); once the cause is fixed, ask "rerun {id}".',
    # ------------------------------------------------------------------ streams, workstations
    "streams.none": "No job streams{states}{where} in the plan.",
    "streams.count": lambda p: f"{p['n']} job stream{'s' if p['n'] != 1 else ''}{p['states']}{p['where']}:",
    "streams.row": "{name} ({workstation}) — {status}",
    "streams.row_start": ", start {at}",
    "streams.bad": '{name} on {workstation} is {status}: see the failed jobs ("which jobs are in abend?").',
    "ws.linked": "linked",
    "ws.unlinked": "unlinked",
    "ws.jobman_running": "jobman running",
    "ws.jobman_down": "jobman down",
    "ws.details": "{name} — {status} ({bits})",
    "ws.offline_advice": '{name} is OFFLINE: check the agent/netman on the host and link it (conman "link {name}").',
    "ws.affected_jobs": " Affected jobs on it: {counts}.",
    "ws.none_offline": lambda p: (
        "No workstation is OFFLINE" + all_of(p, ": the only one is ONLINE.", ": all {n} are ONLINE.")
    ),
    "ws.none": "No workstations found.",
    "ws.count": lambda p: (
        f"{p['n']} workstation{'s' if p['n'] != 1 else ''}" + (f" {p['filter']}" if p["filter"] else "") + ":"
    ),
    "ws.state_unknown": 'Link state not reported by the TWS API for: {names} (check with conman "sc").',
    "ws.online_of": "{online} of {total} ONLINE.",
    "ws.not_found": "I did not find that workstation in the plan. Workstations: {names}.",
    "ws.jobs_on_it": "Jobs on it: {counts}.",
    "ws.failed": "Failed:",
    "summary.failed": "{n} failed",
    "summary.running": "{n} running",
    "summary.waiting": "{n} waiting",
    "summary.head": lambda p: (
        f"Plan summary: {p['total']} {by_count(p, 'job', 'jobs', 'total')} — {p['parts']}."
    ),
    "summary.workstations": "Workstations: {online} of {total} ONLINE",
    "summary.attention": "Needs attention:",
    "summary.ask_log": 'Ask "log of JOBxxx" to see the cause.',
    "summary.nothing": "Nothing needs attention right now.",
    # -------------------------------------------------------------------------------- actions
    "action.rerun.what": "rerun",
    "action.rerun.title": "Rerun",
    "action.rerun.sent": "sent",
    "action.rerun.verb": "rerun",
    "action.hold.what": "putting on HOLD",
    "action.hold.title": "Hold",
    "action.hold.sent": "sent",
    "action.hold.verb": "hold",
    "action.release.what": "releasing",
    "action.release.title": "Release",
    "action.release.sent": "sent",
    "action.release.verb": "release",
    "action.cancel.what": "cancelling",
    "action.cancel.title": "Cancel",
    "action.cancel.sent": "sent",
    "action.cancel.verb": "cancel",
    "ask.rerun": "rerun {id}",
    "ask.hold": "hold {id}",
    "ask.release": "release {id}",
    "ask.cancel": "cancel {id}",
    "blocked.rerun.running": "{name} is running ({s}): it cannot be rerun now.",
    "blocked.rerun.not_started": "{name} has not run yet ({s}): there is nothing to rerun.",
    "blocked.rerun.held": '{name} is on HOLD and has not run yet: to let it run, release it: "release {id}".',
    "blocked.hold.already_held": "{name} is already on HOLD.",
    "blocked.hold.started": "{name} is {s}: only a job that has not started can be put on HOLD.",
    "blocked.release.not_held": "{name} is not on HOLD (it is {s}): nothing to release.",
    "blocked.cancel.already_cancelled": "{name} is already cancelled.",
    "blocked.cancel.finished": "{name} already finished ({s}): nothing to cancel.",
    "blocked.cancel.running": '{name} is running ({s}): to stop a running job, ask "kill {id}".',
    # -- actions (kill, confirm, streams, workstations, prompts, justification)
    "action.kill.what": "killing",
    "action.kill.title": "Kill",
    "action.kill.sent": "sent",
    "action.kill.verb": "kill",
    "action.confirm_succ.what": "marking as SUCC",
    "action.confirm_succ.title": "SUCC confirmation",
    "action.confirm_succ.sent": "sent",
    "action.confirm_succ.verb": "confirm SUCC for",
    "action.confirm_abend.what": "marking as ABEND",
    "action.confirm_abend.title": "ABEND confirmation",
    "action.confirm_abend.sent": "sent",
    "action.confirm_abend.verb": "confirm ABEND for",
    "action.stream_hold.what": "putting on HOLD the job stream",
    "action.stream_hold.title": "Hold of job stream",
    "action.stream_hold.sent": "sent",
    "action.stream_hold.verb": "hold the job stream",
    "action.stream_release.what": "releasing the job stream",
    "action.stream_release.title": "Release of job stream",
    "action.stream_release.sent": "sent",
    "action.stream_release.verb": "release the job stream",
    "action.stream_cancel.what": "cancelling the job stream",
    "action.stream_cancel.title": "Cancel of job stream",
    "action.stream_cancel.sent": "sent",
    "action.stream_cancel.verb": "cancel the job stream",
    "action.link.what": "linking the workstation",
    "action.link.title": "Link of workstation",
    "action.link.sent": "sent",
    "action.link.verb": "link the workstation",
    "action.unlink.what": "unlinking the workstation",
    "action.unlink.title": "Unlink of workstation",
    "action.unlink.sent": "sent",
    "action.unlink.verb": "unlink the workstation",
    "action.reply_yes.what": "replying YES to prompt",
    "action.reply_yes.title": "YES reply to prompt",
    "action.reply_yes.sent": "sent",
    "action.reply_yes.verb": "reply to the prompt",
    "action.reply_no.what": "replying NO to prompt",
    "action.reply_no.title": "NO reply to prompt",
    "action.reply_no.sent": "sent",
    "action.reply_no.verb": "reply to the prompt",
    "ask.kill": "kill {id}",
    "ask.confirm_succ": "confirm {id} succ",
    "ask.confirm_abend": "confirm {id} abend",
    "ask.stream_hold": "hold stream {id}",
    "ask.stream_release": "release stream {id}",
    "ask.stream_cancel": "cancel stream {id}",
    "ask.link": "link {id}",
    "ask.unlink": "unlink {id}",
    "ask.reply_yes": "reply yes to prompt {id}",
    "ask.reply_no": "reply no to prompt {id}",
    "blocked.kill.not_running": "{name} is not running (it is {s}): only a running job can be killed.",
    "blocked.confirm_succ.already": "{name} is already {s}.",
    "blocked.confirm_succ.cancelled": "{name} is cancelled ({s}): nothing to confirm.",
    "blocked.confirm_succ.running": '{name} is still running ({s}): wait for it to end or ask "kill {id}".',
    "blocked.confirm_abend.already": "{name} is already {s}.",
    "blocked.confirm_abend.cancelled": "{name} is cancelled ({s}): nothing to confirm.",
    "blocked.confirm_abend.running": '{name} is still running ({s}): wait for it to end or ask "kill {id}".',
    "blocked.stream_hold.already_held": "Job stream {name} is already on HOLD.",
    "blocked.stream_hold.finished": "Job stream {name} already ended ({s}): nothing to hold.",
    "blocked.stream_release.not_held": "Job stream {name} is not on HOLD (it is {s}): nothing to release.",
    "blocked.stream_cancel.already_cancelled": "Job stream {name} is already cancelled.",
    "blocked.stream_cancel.finished": "Job stream {name} already ended ({s}): nothing to cancel.",
    "blocked.link.already_linked": "{name} is already linked ({s}).",
    "blocked.unlink.already_unlinked": "{name} is already unlinked ({s}).",
    "blocked.reply_yes.already_answered": "Prompt {name} was already answered ({s}).",
    "blocked.reply_no.already_answered": "Prompt {name} was already answered ({s}).",
    "confirm.question_plain": "Confirm {what} {label}? Reply yes or no (expires in {minutes} min).",
    "confirm.reason": " Reason: {reason}.",
    "reason.ask": "For {what} {label}, what is the reason? (it goes to the audit trail)",
    "confirm.sent_plain": "{title} {label} {sent} to TWS. Status now: {status}.",
    "confirm.instance": ", stream {stream} ({at})",
    "confirm.instance_plain": ", stream {stream}",
    "confirm.stream_at": " ({at})",
    "confirm.follow_ws": ' Follow it with "status of {name}".',
    "confirm.refused_by_tws_plain": "TWS refused {what} {label}: {detail}.",
    "target.which_stream": 'Which job stream? Say its name, e.g. "hold stream BILLING". Job streams: {names}.',
    "target.which_workstation": 'Which workstation? Say its name, e.g. "link TWS_AGENT2". Workstations: {names}.',
    "target.which_prompt": 'Which prompt? Say its number, e.g. "reply yes to prompt 1". Prompts: {ids}.',
    "target.no_prompt": "There are no prompts in the current plan.",
    "refusal": "I cannot {verb} that job: {why}. Ask an operator (operator role) to do it.",
    "refusal.read_only": "your profile is read-only (viewer)",
    "refusal.no_role": "your user does not have the operator role",
    "refusal.other": "action not allowed",
    "confirm.question": "Confirm {what} {label} on {workstation}{instance}? Reply yes or no (expires in {minutes} min).",
    "confirm.rerun_offline": "Note: {workstation} is OFFLINE; the job stays in INTRO until the workstation links.",
    "confirm.nothing_pending": "There is no action waiting for confirmation, so nothing was done. "
    'Ask again, e.g. "rerun JOB002".',
    "confirm.too_early": "Your confirmation arrived before the question was sent, so nothing was done. ",
    "confirm.unclear": "I need a yes or a no. ",
    "confirm.gone": "{label} is no longer in the current plan; nothing was done.",
    "confirm.expired": "The confirmation for {what} {label} expired; nothing was done. "
    "Ask again if you still want it.",
    "confirm.sent": "{title} of {name} ({job_id}) on {workstation} {sent} to TWS. Status now: {status}.",
    "confirm.starts_when_linked": " {workstation} is OFFLINE: the job starts once it links.",
    "confirm.follow": ' Follow it with "status of {id}".',
    "confirm.refused_by_tws": "TWS refused {what} {name} ({job_id}): {detail}.",
    "nothing_done": " Nothing was done.",
    "already.head": "{title} of {label} was already {sent} to TWS, confirmed by {who} at {when}; I did not send it "
    "again.",
    "already.accepted": "TWS accepted it.",
    "already.rejected": "TWS refused it: {detail}.",
    "already.failed": 'The TWS call failed ({detail}): it may or may not have run — check with "status of {id}".',
    "already.unknown": 'Its outcome was not recorded (unknown): check with "status of {id}" before asking again.',
    "decline.dropped": "OK, I dropped the request for {what} {label}. Nothing was done.",
    "decline.nothing_pending": "OK. There was no pending action.",
    "negated.job": "OK, I will not {verb} {label}.",
    "negated.nothing": "OK, I will not {verb} anything.",
    "negated.dropped": " I dropped the pending request.",
    "negated.dropped_other": " The pending request for {what} {label} was dropped too; ask again if you "
    "still want it.",
    # ----------------------------------------------------------------------------- audit trail
    "result.accepted": "accepted by TWS",
    "result.rejected": "refused by TWS",
    "result.failed": "failed",
    "result.requested": "sent, outcome unknown",
    "result.refused": "denied (no permission)",
    "record.line": "{at} {who}: {action} on {workstation} — {result}",
    "recent_note": "Note: latest action recorded on it: {line}.",
    "history.unavailable": "The action record is not available in this installation.",
    "history.none_of_action": lambda p: (
        f"No {p['title'].lower()} of {p['label']} recorded today or yesterday."
    ),
    "history.none": "No action on {label} recorded today or yesterday.",
    "label.stream": "job stream {name}",
    "label.workstation": "workstation {name}",
    "label.prompt": "prompt {name}",
    "history.head": "Actions recorded on {label} (today and yesterday, newest first):",
    "history.more": "... {n} more.",
    "advice.log_error": "Error in the log: {error}",
    "advice.rerun_failed": "Before a rerun, make sure the cause was fixed (log, dependencies, resources).",
    "advice.rerun_succeeded": "It already completed successfully: a rerun runs it all again.",
    "advice.ask": 'Your call. If you want it, ask explicitly: "{ask}" (I will ask for confirmation).',
    # -- reads (streams, dependencies, prompts, schedule)
    "where.today": " today (plan since {since})",
    "deps.head": lambda p: (
        f"{p['name']} ({p['job_id']}) — {p['status']} on {p['workstation']} — waits for "
        f"{p['n']} {'dependency' if p['n'] == 1 else 'dependencies'}:"
    ),
    "deps.none": "{name} ({job_id}) — {status}: it has no dependencies in the plan.",
    "deps.all_met": lambda p: (
        f"{p['name']} ({p['job_id']}) — {p['status']}: "
        + all_of(
            p, "its only dependency is already satisfied.", "all {n} dependencies are already satisfied.", "."
        )
    ),
    "deps.unknown": "TWS did not report the dependencies of {name} ({job_id}) (status {status}); "
    'check with conman ("sj {job_id};deps").',
    "deps.met": "Already satisfied: {names}.",
    "deps.job": "predecessor {name} ({id}), stream {stream} — {status}",
    "deps.stream": "predecessor job stream {name} — {status}",
    "deps.prompt": 'prompt {id}: "{text}" — {status}, waiting for a reply',
    "deps.prompt_answered": 'prompt {id}: "{text}" — answered {status}: the job does not start on it',
    "deps.resource": "resource {name}: needs {quantity}, {available} available",
    "deps.time": "time: AT {at} (in {ahead})",
    "deps.file": "file {name}",
    "deps.advice_failed": 'Predecessor {id} is {status}: see "log of {id}" and, once fixed, ask "rerun {id}".',
    "deps.advice_prompt": 'Pending prompts: see them with "show pending prompts".',
    "succ.head": lambda p: (
        f"{p['n']} {'job depends' if p['n'] == 1 else 'jobs depend'} on {p['name']} ({p['job_id']}):"
    ),
    "succ.none": "No job in the plan depends on {name} ({job_id}).",
    "succ.unknown": "TWS did not report the successors of {name} ({job_id}).",
    "succ.blocked": "While {id} is {status}, they do not start.",
    "due.head": lambda p: (
        f"{p['n']} {'job' if p['n'] == 1 else 'jobs'} due in the next {p['hours']} h (until {p['until']}):"
    ),
    "due.none": "No job due in the next {hours} h (until {until}).",
    "due.at": "{at} ",
    "due.overdue": 'Past their time and still waiting: {ids} (ask "why is {id} waiting?").',
    "prompts.head": lambda p: f"{p['n']} prompt{'s' if p['n'] != 1 else ''} waiting for an answer:",
    "prompts.row": 'prompt {id}: "{text}" — {status}',
    "prompts.hint": 'To answer: "{yes}" or "{no}" (I will ask for confirmation).',
    "prompts.none_waiting": "No prompt is waiting for an answer.",
    "prompts.answered": "Already answered: {ids}.",
    "prompts.answered_one": "This prompt was already answered ({status}): there is nothing to reply.",
    "prompts.not_found": "I did not find prompt {id} in the plan. Prompts: {ids}.",
    "prompts.unknown": 'TWS did not report the plan\'s prompts; check with conman ("sp").',
    "prompts.may_be_incomplete": "Note: TWS answered a full page, so the list may be incomplete; check "
    'with conman ("sp").',
    "refine.prompt": '"show prompt N"',
    "list.may_be_incomplete": "Note: TWS answered a full page, so the list may be incomplete; narrow it by "
    'workstation or stream (e.g. "jobs on TWS_AGENT1", "jobs of stream BILLING").',
    # ---------------------------------------------------------------------- suggested answers
    "quick.yes": "yes",
    "quick.no": "no",
    "quick.log": "log of {id}",
    # ------------------------------------------------------------------ resources (conman "sr")
    "what.resources": "listing the resources",
    "resources.head": lambda p: f"{p['n']} resource{'s' if p['n'] != 1 else ''} in the plan:",
    "resources.head_exhausted": lambda p: (
        f"{p['n']} exhausted resource{'s' if p['n'] != 1 else ''} (no unit free):"
    ),
    "resources.row": "{name} ({workstation}): {available} of {quantity} free; in use by: {holders}",
    "resources.none": "The plan has no resources.",
    "resources.none_exhausted": "No resource is exhausted: the plan's {n} resources have units free.",
    "resources.holders": lambda p: f"In use by {p['n']} job{'s' if p['n'] != 1 else ''}:",
    "resources.no_holder": "No job is using this resource now.",
    "resources.held": "{line}; holds {n}",
    "resources.holder": "{job} (stream {stream}); holds {n}",
    "resources.waiting": lambda p: (
        f"{p['n']} job{'s' if p['n'] != 1 else ''} not started yet need{'s' if p['n'] == 1 else ''} "
        f"{p['name']}:"
    ),
    "resources.none_waiting": "No job is waiting for {name}.",
    "resources.waiting_unknown": "TWS did not say which jobs wait for this resource.",
    "resources.advice_exhausted": "They start only when units of {name} are freed (when the jobs "
    "holding it end).",
    "resources.not_found": "I could not find resource {name} in the plan. Resources: {names}.",
    "resources.which": "Which resource? Resources: {names}.",
    "resources.unknown": 'TWS did not report the plan\'s resources; check with conman ("sr").',
    "resources.may_be_incomplete": "Note: TWS answered a full page, so the list may be incomplete.",
    "refine.resource": '"how is resource NAME"',
    "ask.resource_waiting": "who is waiting for resource {name}?",
}
