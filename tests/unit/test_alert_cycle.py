"""The watcher cycle (issue 18) on the SQLite alert store: subscriptions alert on their transitions, once,
on every connection of their owner and nobody else's; one-shot ones end; a retried cycle delivers
nothing twice; TWS calls per cycle do not grow with subscribers; team alerts reach operators only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from twschat.alerts.cycle import WatchCycle
from twschat.assistant.domain import Job, JobStream, Workstation
from twschat.core.subscriptions import AlertStore, Recipient, Subscription, SubscriptionLimit
from twschat.persistence.sqlite.alerts import SQLiteAlertStore
from twschat.persistence.sqlite.base import SQLiteDatabase

NOW = 1_795_608_000


class Plan:
    """A TWS source whose states a test changes (domain objects, as the TWS clients return them)."""

    def __init__(self) -> None:
        self.jobs = {
            f"JOB{i:03d}": Job(
                f"WS;S{i % 5};JOB{i:03d}", f"Job {i}", f"JOB{i:03d}", "EXEC", "WS", f"STREAM{i % 5}"
            )
            for i in range(1, 101)
        }
        self.workstations = {"TWS_AGENT2": Workstation("TWS_AGENT2", "ONLINE", True)}
        self.calls = 0

    def set(self, job_id: str, status: str, rc: int | None = None) -> None:
        self.jobs[job_id] = replace(self.jobs[job_id], status=status, return_code=rc)

    def list_jobs(self) -> Sequence[Job]:
        self.calls += 1
        return tuple(self.jobs.values())

    def list_workstations(self) -> Sequence[Workstation]:
        self.calls += 1
        return tuple(self.workstations.values())

    def list_job_streams(self) -> Sequence[JobStream]:
        self.calls += 1
        return ()

    def job_log(self, job: Job) -> str:
        return "step 1 ok\nORA-01653: unable to extend table\nstep 2 ERROR: exit 12\n"


class Directory:
    def __init__(self, connections: Mapping[str, list[tuple[str, str]]], operators: set[str]) -> None:
        self.connections = connections
        self.operators = operators

    def connections_of(self, owner: str, *, now: int) -> Recipient:
        return Recipient(owner, tuple(self.connections.get(owner, [])))

    def operators_connected(self, *, now: int) -> list[Recipient]:
        return [self.connections_of(o, now=now) for o in sorted(self.operators) if o in self.connections]


class Sink:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.stored: list[tuple[str, str, str, str]] = []

    def post(self, connection_id: str, frame: Mapping[str, Any]) -> bool:
        self.posted.append((connection_id, dict(frame)))
        return True

    def store(
        self, owner: str, conversation_key: str, alert_id: str, text: str, context: Mapping[str, Any]
    ) -> None:
        self.stored.append((owner, conversation_key, alert_id, text))


@pytest.fixture(params=["sqlite", "dynamodb-moto"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AlertStore]:
    """The same contract on both backends (DynamoDB Local in tests/integration/test_gateway_alerts.py)."""
    if request.param == "sqlite":
        yield SQLiteAlertStore(SQLiteDatabase(tmp_path / "alerts.db"))
        return
    from moto import mock_aws

    from twschat.persistence.dynamodb import DynamoDBTables
    from twschat.persistence.dynamodb.alerts import DynamoDBAlertStore
    from twschat.persistence.tables import ensure_tables

    with mock_aws():
        ensure_tables(
            connections_table="conn", history_table="hist", alerts_table="alerts", region="us-east-1"
        )
        yield DynamoDBAlertStore(DynamoDBTables("conn", "hist", alerts_table="alerts"), "alerts")


def sub(owner: str, target: str, n: int = 0, **kwargs: Any) -> Subscription:
    base = {
        "condition": "final",
        "one_shot": True,
        "conversation_id": f"c-{owner}",
        "created_at": NOW,
        "expires_at": NOW + 3600,
    }
    return Subscription(owner, f"s{n}-{owner}-{target}", "job", target, **{**base, **kwargs})  # type: ignore[arg-type]


def cycle(
    plan: Plan, store: AlertStore, directory: Directory, sink: Sink, *, team: bool = False
) -> WatchCycle:
    return WatchCycle(plan, store, directory, sink, team_alerts=team, clock=lambda: NOW)  # type: ignore[arg-type]


def test_a_one_shot_subscription_alerts_every_connection_of_its_owner_once(store: AlertStore) -> None:
    plan, sink = Plan(), Sink()
    directory = Directory({"ana": [("k1", "c-ana"), ("k2", "c-x")], "bia": [("k3", "c-bia")]}, set())
    store.add_subscription(sub("ana", "JOB014"), cap=20, now=NOW)
    watcher = cycle(plan, store, directory, sink)
    assert watcher.run().alerts == 0  # the baseline
    plan.set("JOB014", "SUCC", 0)
    report = watcher.run()
    assert report.alerts == 1 and report.posted == 2
    assert sorted(c for c, _ in sink.posted) == ["k1", "k2"]  # not bia's
    frame = sink.posted[0][1]
    assert frame["type"] == "alert" and frame["kind"] == "job_state"
    assert (frame["previous"], frame["current"], frame["target"]["name"]) == ("EXEC", "SUCC", "JOB014")
    assert frame["conversationId"] == "c-ana" and frame["subscriptionId"] == "s0-ana-JOB014"
    assert "JOB014" in frame["message"] and "SUCC" in frame["message"]
    assert [(o, k) for o, k, _, _ in sink.stored] == [("ana", "ana#c-ana")]
    # one-shot: it ended
    assert store.list_subscriptions("ana", now=NOW) == []
    plan.set("JOB014", "ABEND", 12)
    assert watcher.run().alerts == 0


def test_a_standing_subscription_alerts_on_its_state_only(store: AlertStore) -> None:
    plan, sink = Plan(), Sink()
    directory = Directory({"ana": [("k1", "c-ana")]}, set())
    store.add_subscription(
        sub("ana", "JOB002", condition="state", states=("ABEND",), one_shot=False), cap=20, now=NOW
    )
    watcher = cycle(plan, store, directory, sink)
    watcher.run()
    plan.set("JOB002", "SUCC", 0)
    assert watcher.run().alerts == 0
    plan.set("JOB002", "ABEND", 12)
    assert watcher.run().alerts == 1
    assert len(store.list_subscriptions("ana", now=NOW)) == 1  # standing: still there
    assert sink.posted[-1][1]["quickReplies"][0] == "ver o log do JOB002"


def test_a_retried_cycle_delivers_nothing_twice(store: AlertStore) -> None:
    plan, sink = Plan(), Sink()
    directory = Directory({"ana": [("k1", "c-ana")]}, set())
    store.add_subscription(sub("ana", "JOB014", one_shot=False, condition="change"), cap=20, now=NOW)
    watcher = cycle(plan, store, directory, sink)
    watcher.run()
    plan.set("JOB014", "SUCC", 0)
    snapshot = store.get_snapshot()
    assert watcher.run().alerts == 1
    # the crash: the snapshot write was lost, so the next cycle sees the same change again
    store.put_snapshot(snapshot.states, expected_version=store.get_snapshot().version)
    again = watcher.run()
    assert again.changes == 1 and again.alerts == 0 and again.duplicates == 1
    assert len(sink.posted) == 1


def test_tws_calls_stay_constant_and_store_reads_follow_changes(store: AlertStore) -> None:
    plan, sink = Plan(), Sink()
    owners = [f"u{i}" for i in range(200)]
    directory = Directory({o: [(f"k-{o}", f"c-{o}")] for o in owners}, set())
    pairs = set()
    for n in range(1000):
        owner, target = owners[n % 200], f"JOB{(n // 200) * 20 + n % 20 + 1:03d}"
        pairs.add((owner, target))
        store.add_subscription(sub(owner, target, n, one_shot=False, condition="change"), cap=20, now=NOW)
    assert len(pairs) == 1000
    watcher = cycle(plan, store, directory, sink)
    watcher.run()
    for i in range(1, 51):
        plan.set(f"JOB{i:03d}", "SUCC", 0)
    plan.calls = 0
    report = watcher.run()
    assert plan.calls == 1 and report.tws_calls == 1  # one list of jobs, whatever the subscribers
    assert report.changes == 50 and report.store_reads == 2 + 50
    expected = sum(1 for _, target in pairs if int(target[3:]) <= 50)
    assert report.alerts == expected == 500 and report.posted == 500 and report.duplicates == 0


def test_team_alerts_reach_operators_only_and_off_sends_nothing(store: AlertStore) -> None:
    plan, sink = Plan(), Sink()
    directory = Directory({"op": [("k-op", "c-op")], "viewer": [("k-v", "c-v")]}, {"op"})
    off = cycle(plan, store, directory, sink)
    assert off.run().skipped == "nothing watched" and plan.calls == 0
    watcher = cycle(plan, store, directory, sink, team=True)
    watcher.run()
    plan.set("JOB002", "ABEND", 12)
    plan.workstations["TWS_AGENT2"] = Workstation("TWS_AGENT2", "OFFLINE", False)
    report = watcher.run()
    assert report.alerts == 2 and {c for c, _ in sink.posted} == {"k-op"}
    job_alert = next(f for _, f in sink.posted if f["kind"] == "job_state")
    assert "subscriptionId" not in job_alert and "rc 12" in job_alert["message"]
    assert "ERROR: exit 12" in job_alert["message"]  # the log's error line
    assert job_alert["quickReplies"] == ["ver o log do JOB002", "por que o JOB002 falhou?", "reroda o JOB002"]
    assert any(f["kind"] == "workstation_state" for _, f in sink.posted)


def test_subscriptions_are_capped_listed_and_cancelled_by_their_owner(store: AlertStore) -> None:
    for n in range(3):
        store.add_subscription(sub("ana", f"JOB00{n + 1}"), cap=3, now=NOW)
    with pytest.raises(SubscriptionLimit):
        store.add_subscription(sub("ana", "JOB009"), cap=3, now=NOW)
    assert [s.target for s in store.list_subscriptions("ana", now=NOW)] == ["JOB001", "JOB002", "JOB003"]
    assert store.list_subscriptions("ana", now=NOW + 7200) == []  # expired
    assert not store.cancel_subscription("bia", "s0-ana-JOB001")
    assert store.cancel_subscription("ana", "s0-ana-JOB001")
    assert store.registry().targets == {"job#JOB002": 1, "job#JOB003": 1}
