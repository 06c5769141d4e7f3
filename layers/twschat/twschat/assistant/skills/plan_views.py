"""The plan at a glance: job streams, workstations (all, offline, one) and the environment summary."""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import Answer, Msg, Part, join, lines, msg
from ..blocks import jobs_block, streams_block, summary_block, workstations_block
from ..domain import STREAM_FILTERS, JobStream, Workstation
from ..plan import TurnPlan
from ..projections import plan_summary
from .base import (
    FAILED_STATES,
    SUCCESS_STATES,
    Skill,
    Turn,
    bullet_item,
    cap_lines,
    count_states,
    job_line,
)
from .jobs import may_be_incomplete

__all__ = ["SKILLS", "ws_details"]


def _job_streams(t: Turn) -> Answer:
    intent = t.intent
    streams: Sequence[JobStream] = t.plan.streams
    if intent.workstation:
        streams = [s for s in streams if s.workstation == intent.workstation]
    if intent.stream:
        streams = [s for s in streams if s.name == intent.stream]
    wanted = STREAM_FILTERS.get(intent.state) if intent.state and intent.state != "all" else None
    if wanted is not None:
        streams = [s for s in streams if s.status in wanted]
    streams = sorted(streams, key=lambda s: (s.workstation, s.name))
    where: Part = msg("where.workstation", workstation=intent.workstation) if intent.workstation else ""
    states = f" ({'/'.join(sorted(wanted))})" if wanted else ""
    state, workstation = intent.state, intent.workstation
    if not streams:
        return t.answer(
            msg("streams.none", states=states, where=join(where)),
            "job_streams",
            state=state,
            workstation=workstation,
        )
    rows: list[Part] = []
    for s in streams:
        row = msg("streams.row", name=s.name, workstation=s.workstation, status=s.status)
        if s.start_time:
            rows.append(bullet_item(join(row, msg("streams.row_start", at=t.when(s.start_time)))))
        else:
            rows.append(bullet_item(row))
    out: list[Part] = [msg("streams.count", n=len(streams), states=states, where=join(where))]
    out += cap_lines(t, rows, msg("refine.streams_on_workstation"))
    bad = [s for s in streams if s.status in ("ABEND", "ERROR", "STUCK")]
    if bad:
        out.append(msg("streams.bad", name=bad[0].name, workstation=bad[0].workstation, status=bad[0].status))
    out += may_be_incomplete(t.plan.streams)
    block = streams_block(streams[: t.services.cap], t.services.zone, out[0])
    return t.answer(lines(*out), "job_streams", state=state, workstation=workstation, blocks=[block])


def ws_details(ws: Workstation) -> Msg:
    # None: the TWS source does not report it (a REST master has no confirmed link-state field)
    bits: list[Part] = []
    if ws.linked is not None:
        bits.append(msg("ws.linked" if ws.linked else "ws.unlinked"))
    if ws.jobman_running is not None:
        bits.append(msg("ws.jobman_running" if ws.jobman_running else "ws.jobman_down"))
    if ws.kind:
        bits.append(ws.kind)
    return msg("ws.details", name=ws.name, status=ws.status, bits=join(*bits, sep=", "))


def _offline_advice(ws: Workstation, plan: TurnPlan) -> Msg:
    affected = [j for j in plan.jobs if j.workstation == ws.name and j.status not in SUCCESS_STATES]
    advice = msg("ws.offline_advice", name=ws.name)
    if affected:
        return join(advice, msg("ws.affected_jobs", counts=count_states(affected)))
    return advice


def _workstations(t: Turn) -> Answer:
    all_ws = sorted(t.plan.workstations, key=lambda w: w.name)
    flt = t.intent.ws_filter
    shown = [w for w in all_ws if not flt or w.status == flt.upper()]
    unknown = [w.name for w in all_ws if w.status == "UNKNOWN"]
    if flt == "offline" and not shown:
        if unknown:
            return t.answer(msg("ws.state_unknown", names=", ".join(unknown)))
        return t.answer(msg("ws.none_offline", n=len(all_ws)))
    if not shown:
        return t.answer(msg("ws.none"))
    out: list[Part] = [msg("ws.count", n=len(shown), filter=flt.upper())]
    out += cap_lines(t, [bullet_item(ws_details(w)) for w in shown], msg("refine.workstation_status"))
    if not flt:
        online = sum(1 for w in all_ws if w.status == "ONLINE")
        out.append(msg("ws.online_of", online=online, total=len(all_ws)))
    if unknown and flt != "online":
        out.append(msg("ws.state_unknown", names=", ".join(unknown)))
    out += [_offline_advice(w, t.plan) for w in shown if w.status == "OFFLINE"]
    block = workstations_block(shown[: t.services.cap], out[0])
    return t.answer(lines(*out), workstation=shown[0].name if len(shown) == 1 else "", blocks=[block])


def _workstation_status(t: Turn) -> Answer:
    plan = t.plan
    ws = plan.workstation(t.intent.workstation) if t.intent.workstation else None
    if ws is None:
        names = ", ".join(sorted(w.name for w in plan.workstations))
        return t.answer(msg("ws.not_found", names=names), "workstation_status")
    jobs = [j for j in plan.jobs if j.workstation == ws.name]
    out: list[Part] = [ws_details(ws)]
    if jobs:
        out.append(msg("ws.jobs_on_it", counts=count_states(jobs)))
    if ws.status == "OFFLINE":
        out.append(_offline_advice(ws, plan))
    failed = sorted((j for j in jobs if j.status in FAILED_STATES), key=lambda j: j.job_id)
    if failed:
        out.append(msg("ws.failed"))
        out += [job_line(t, j) for j in failed]
    blocks = [workstations_block([ws]), jobs_block(failed, t.services.zone, msg("ws.failed"))]
    return t.answer(
        lines(*out), "workstation_status", workstation=ws.name, jobs=[j.id for j in failed], blocks=blocks
    )


def _summary(t: Turn) -> Answer:
    summary = plan_summary(t.plan, t.services.now(), t.services.long_minutes)
    jobs = summary.jobs
    workstations = sorted(summary.workstations, key=lambda w: w.name)
    failed = sorted(summary.of("failed"), key=lambda j: j.job_id)
    running = summary.of("running")
    waiting = summary.of("waiting")
    ready = summary.of("ready")
    done = summary.of("success")
    cancelled = summary.of("cancelled")
    late = sorted(summary.late, key=lambda j: j.job_id)
    offline = [w for w in workstations if w.status == "OFFLINE"]
    parts = join(
        join(msg("summary.failed", n=len(failed)), f" ({count_states(failed)})" if failed else ""),
        msg("summary.running", n=len(running)),
        join(msg("summary.waiting", n=len(waiting)), f" ({count_states(waiting)})" if waiting else ""),
        f"{len(ready)} READY",
        f"{len(done)} SUCC",
        f"{len(cancelled)} CANCL",
        sep=", ",
    )
    online = sum(1 for w in workstations if w.status == "ONLINE")
    unknown = [w.name for w in workstations if w.status == "UNKNOWN"]
    out: list[Part] = [
        msg("summary.head", total=len(jobs), parts=parts),
        join(
            msg("summary.workstations", online=online, total=len(workstations)),
            f"; OFFLINE: {', '.join(w.name for w in offline)}." if offline else ".",
        ),
    ]
    if unknown:
        out.append(msg("ws.state_unknown", names=", ".join(unknown)))
    attention = [job_line(t, j) for j in failed] + [job_line(t, j) for j in late]
    if attention:
        out.append(msg("summary.attention"))
        out += cap_lines(t, attention, msg("refine.jobs_abend"))
        out.append(msg("summary.ask_log"))
    else:
        out.append(msg("summary.nothing"))
    out += may_be_incomplete(t.plan.jobs)
    ids = [j.id for j in failed] + [j.id for j in late]
    blocks = [
        summary_block(jobs, late=len(late)),
        jobs_block(
            failed[: t.services.cap],
            t.services.zone,
            msg("summary.attention"),
            truncated=len(failed) > t.services.cap,
        ),
    ]
    return t.answer(lines(*out), "plan_summary", jobs=ids[: t.services.cap], blocks=blocks)


SKILLS: dict[str, Skill] = {
    "job_streams": _job_streams,
    "workstations": _workstations,
    "workstations_offline": _workstations,
    "workstation_status": _workstation_status,
    "plan_summary": _summary,
}
