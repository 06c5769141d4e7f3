"""One watcher cycle: read what is watched, diff against the last snapshot, deliver each alert once.

Cost per cycle, whatever the number of subscribers:
- TWS: one list per kind of target watched (jobs, job streams, workstations) — team alerts watch jobs
  and workstations; nothing at all when nobody subscribes and team alerts are off.
- store: one read of the watch registry, one of the snapshot, one conditional write of the snapshot,
  one subscriber query per CHANGED watched target, and one conditional claim per alert and recipient.
- posts: in parallel on a bounded pool.

Exactly once: the alert id is deterministic (:func:`~.model.alert_id`); each (alert, recipient) is
claimed with a conditional write before it is posted, so a cycle retried after a crash, or two cycles
overlapping, never deliver the same alert twice. The snapshot is written after the deliveries under its
version: a crash before it makes the next cycle see the same changes (and skip what was claimed).

A target seen for the first time (a new plan's job, a kind just watched) sets the baseline and alerts
nobody: a deployment or a new subscription does not replay the plan's existing ABENDs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from twschat.assistant.domain import Job
from twschat.assistant.tws import TwsClient
from twschat.core.conversation import conversation_key
from twschat.core.subscriptions import AlertSink, AlertStore, Recipient, RecipientDirectory, Subscription

from .model import (
    TEAM_JOB_STATES,
    Change,
    Observation,
    observe_job,
    observe_stream,
    observe_workstation,
    wants,
)
from .texts import alert_text, next_steps

__all__ = ["CycleReport", "WatchCycle", "alert_frame"]

_log = logging.getLogger(__name__)

ALERT_KIND = {"job": "job_state", "workstation": "workstation_state", "stream": "stream_state"}
LOG_LINES_PER_CYCLE = 5
"""Team alerts read the log's error line for at most this many new ABENDs per cycle (cheaply)."""


@dataclass(slots=True)
class CycleReport:
    tws_calls: int = 0
    store_reads: int = 0
    changes: int = 0
    alerts: int = 0
    posted: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: str = ""
    alert_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Delivery:
    change: Change
    owner: str
    text: str
    lang: str
    subscription: Subscription | None = None


class WatchCycle:
    def __init__(
        self,
        tws: TwsClient,
        store: AlertStore,
        directory: RecipientDirectory,
        sink: AlertSink,
        *,
        team_alerts: bool = False,
        clock: Callable[[], float],
        default_language: str = "pt",
        workers: int = 8,
        claim_ttl_seconds: int = 7 * 86400,
    ) -> None:
        self._tws = tws
        self._store = store
        self._directory = directory
        self._sink = sink
        self._team = team_alerts
        self._clock = clock
        self._lang = default_language
        self._workers = max(1, workers)
        self._claim_ttl = claim_ttl_seconds
        self._jobs: dict[str, Job] = {}

    def run(self) -> CycleReport:
        report = CycleReport()
        now = int(self._clock())
        registry = self._store.registry()
        report.store_reads += 1
        kinds = set(registry.kinds) | ({"job", "workstation"} if self._team else set())
        if not kinds:
            report.skipped = "nothing watched"
            return report
        observed = self._observe(kinds, report)
        snapshot = self._store.get_snapshot()
        report.store_reads += 1
        changes = [
            Change(o, prev[0], prev[1])
            for o in observed
            if (prev := snapshot.states.get(o.snapshot_key)) is not None
            and (prev[0], prev[1]) != (o.state, o.instance)
        ]
        report.changes = len(changes)
        deliveries: list[_Delivery] = []
        for change in changes:
            deliveries += self._for_subscribers(change, registry.watched, now, report)
        team = [c for c in changes if self._team and _team_worthy(c)]
        operators = self._directory.operators_connected(now=now) if team else []
        deliveries += self._for_team(team, operators)
        self._deliver(deliveries, operators, now, report)
        states = dict(snapshot.states)
        states.update({o.snapshot_key: (o.state, o.instance) for o in observed})
        if not self._store.put_snapshot(states, expected_version=snapshot.version):
            _log.info("another cycle wrote the snapshot first; its deliveries were claimed the same way")
        return report

    # -- reading -------------------------------------------------------------------------------
    def _observe(self, kinds: set[str], report: CycleReport) -> list[Observation]:
        observed: list[Observation] = []
        if "job" in kinds:
            jobs = list(self._tws.list_jobs())
            self._jobs = {j.id: j for j in jobs}
            observed += [observe_job(j) for j in jobs]
            report.tws_calls += 1
        if "stream" in kinds:
            observed += [observe_stream(s) for s in self._tws.list_job_streams()]
            report.tws_calls += 1
        if "workstation" in kinds:
            observed += [observe_workstation(w) for w in self._tws.list_workstations()]
            report.tws_calls += 1
        return observed

    def _for_subscribers(
        self, change: Change, watched: Callable[[str], bool], now: int, report: CycleReport
    ) -> list[_Delivery]:
        out: list[_Delivery] = []
        for key in change.current.keys:
            if not watched(key):
                continue
            subscribers = self._store.subscribers(key, now=now)
            report.store_reads += 1
            for sub in subscribers:
                if wants(sub, change):
                    out.append(_Delivery(change, sub.owner, alert_text(change, sub.lang), sub.lang, sub))
        return out

    def _for_team(self, changes: list[Change], operators: list[Recipient]) -> list[_Delivery]:
        out: list[_Delivery] = []
        for n, change in enumerate(changes):
            line = self._error_line(change) if n < LOG_LINES_PER_CYCLE else ""
            text = alert_text(change, self._lang, team=True, error_line=line)
            out += [_Delivery(change, op.owner, text, self._lang) for op in operators]
        return out

    def _error_line(self, change: Change) -> str:
        if change.current.kind != "job":
            return ""
        job = self._jobs.get(change.current.instance)
        if job is None:
            return ""
        try:
            log = self._tws.job_log(job)
        except Exception:
            return ""
        lines = [x.strip() for x in log.splitlines() if x.strip()]
        hit = next(
            (x for x in reversed(lines) if any(w in x.upper() for w in ("ERROR", "ERRO", "ABEND", "FAIL"))),
            "",
        )
        return hit[:200]

    # -- delivering ----------------------------------------------------------------------------
    def _deliver(
        self, deliveries: list[_Delivery], operators: list[Recipient], now: int, report: CycleReport
    ) -> None:
        # The team's recipients were read once; a subscriber's connections once per cycle.
        recipients = {op.owner: op for op in operators} if operators else {}
        owners: dict[str, Recipient] = {}
        claimed: list[tuple[_Delivery, Recipient]] = []
        for d in deliveries:
            alert = d.change.alert_id
            if not self._store.claim_alert(alert, d.owner, expires_at=now + self._claim_ttl):
                report.duplicates += 1
                continue
            if d.subscription is None:
                recipient = recipients[d.owner]
            else:
                if d.owner not in owners:
                    owners[d.owner] = self._directory.connections_of(d.owner, now=now)
                recipient = owners[d.owner]
            claimed.append((d, recipient))
            report.alerts += 1
            report.alert_ids.append(alert)
        jobs: list[tuple[str, Mapping[str, Any]]] = []
        for d, recipient in claimed:
            if d.subscription is not None and d.subscription.conversation_id:
                self._keep(d, now)
                report.stored += 1
            for connection_id, conversation_id in recipient.connections:
                jobs.append((connection_id, alert_frame(d, conversation_id, now)))
            if d.subscription is not None and d.subscription.one_shot:
                self._store.cancel_subscription(d.owner, d.subscription.subscription_id)
        if jobs:
            with ThreadPoolExecutor(max_workers=min(self._workers, len(jobs))) as pool:
                report.posted += sum(pool.map(lambda job: self._sink.post(*job), jobs))

    def _keep(self, d: _Delivery, now: int) -> None:
        sub = d.subscription
        assert sub is not None
        c = d.change.current
        context: dict[str, Any] = {
            "lang": d.lang,
            "intent": "alert",
            **({"jobs": [c.instance], "focus": c.instance} if c.kind == "job" and c.instance else {}),
            **({"workstation": c.name} if c.kind == "workstation" else {}),
            "alert": {"alertId": d.change.alert_id, "subscriptionId": sub.subscription_id},
            "quickReplies": list(next_steps(d.change, d.lang)),
        }
        try:
            self._sink.store(
                d.owner, conversation_key(d.owner, sub.conversation_id), d.change.alert_id, d.text, context
            )
        except Exception:
            _log.exception("alert not stored in its conversation; it is still posted")


def _team_worthy(change: Change) -> bool:
    c = change.current
    if c.kind == "job":
        return c.state in TEAM_JOB_STATES and change.previous not in TEAM_JOB_STATES
    if c.kind == "workstation":
        return c.state == "OFFLINE" and change.previous != "OFFLINE"
    return False


def alert_frame(d: _Delivery, conversation_id: str, now: int) -> dict[str, Any]:
    c = d.change.current
    frame: dict[str, Any] = {
        "type": "alert",
        "sender": "agent",
        "alertId": d.change.alert_id,
        "kind": ALERT_KIND[c.kind],
        "conversationId": d.subscription.conversation_id if d.subscription is not None else conversation_id,
        "message": d.text,
        "target": {
            "kind": c.kind,
            "name": c.name,
            **({"stream": c.stream} if c.stream else {}),
            **({"workstation": c.workstation} if c.workstation else {}),
            **({"instance": c.instance} if c.instance else {}),
        },
        "previous": d.change.previous,
        "current": c.state,
        "at": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
    }
    if d.subscription is not None:
        frame["subscriptionId"] = d.subscription.subscription_id
    steps = next_steps(d.change, d.lang)
    if steps:
        frame["quickReplies"] = list(steps)
    return frame
