from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from twschat.assistant.demo import DemoTwsClient, stream_status
from twschat.assistant.domain import Job
from twschat.assistant.tws import TwsClient, TwsError

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def tws() -> DemoTwsClient:
    return DemoTwsClient(clock=lambda: NOW)


def _job(tws: DemoTwsClient, job_id: str) -> Job:
    return next(j for j in tws.list_jobs() if j.job_id == job_id)


def test_is_a_tws_client(tws: DemoTwsClient) -> None:
    client: TwsClient = tws
    assert len(client.list_jobs()) == 15


def test_keeps_the_seed(tws: DemoTwsClient) -> None:
    seed = {(j.name, j.job_id, j.status, j.workstation) for j in tws.list_jobs()}
    assert ("Daily Backup", "JOB001", "SUCC", "TWS_AGENT1") in seed
    assert ("Data Processing", "JOB002", "ABEND", "TWS_AGENT2") in seed
    assert ("Report Generation", "JOB003", "SUCC", "TWS_AGENT1") in seed
    assert _job(tws, "JOB002").id == "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002"


def test_workstations(tws: DemoTwsClient) -> None:
    ws = {w.name: w for w in tws.list_workstations()}
    assert ws["TWS_MASTER"].status == "ONLINE"
    assert ws["TWS_AGENT1"].status == "ONLINE"
    assert ws["TWS_AGENT2"].status == "OFFLINE"
    assert ws["TWS_AGENT2"].linked is False and ws["TWS_AGENT2"].jobman_running is False


def test_states_cover_what_operators_ask_about(tws: DemoTwsClient) -> None:
    states = Counter(j.status for j in tws.list_jobs())
    for state in ("ABEND", "FAIL", "EXEC", "HOLD", "READY", "SUCC", "SCHED", "CANCELED"):
        assert states[state] >= 1, state
    long_running = [
        j for j in tws.list_jobs() if j.status == "EXEC" and j.start_time <= NOW - timedelta(hours=2)
    ]
    assert [j.job_id for j in long_running] == ["JOB006"]


def test_ids_are_plan_ids_and_unique(tws: DemoTwsClient) -> None:
    ids = [j.id for j in tws.list_jobs()]
    assert len(set(ids)) == len(ids)
    streams = {s.name: s for s in tws.list_job_streams()}
    for job in tws.list_jobs():
        ws, stream_id, name = job.id.split(";")
        # the id names the job stream's workstation; the job may run on another one
        assert (ws, stream_id, name) == (
            streams[job.job_stream].workstation,
            streams[job.job_stream].id,
            job.job_id,
        )
        assert stream_id.startswith("0AAAAAAAAAAAAA")


def test_times_follow_the_clock() -> None:
    later = NOW + timedelta(days=3)
    a = _job(DemoTwsClient(clock=lambda: NOW), "JOB002")
    b = _job(DemoTwsClient(clock=lambda: later), "JOB002")
    assert a.start_time is not None and b.start_time is not None
    assert b.start_time - a.start_time == timedelta(days=3)
    assert a.end_time is not None and a.end_time < NOW


def test_job_log_of_failed_job(tws: DemoTwsClient) -> None:
    log = tws.job_log(_job(tws, "JOB002"))
    assert "= JOB       : TWS_AGENT2#DATA_PIPELINE" in log
    assert "ORA-01653" in log
    assert "= Exit Status           : 12" in log
    assert "AWSBHT061E" in tws.job_log(_job(tws, "JOB004"))


def test_job_log_missing_for_jobs_that_never_ran(tws: DemoTwsClient) -> None:
    with pytest.raises(TwsError) as err:
        tws.job_log(_job(tws, "JOB009"))
    assert err.value.kind == "not_found"


def test_rerun_on_offline_workstation_waits_in_intro(tws: DemoTwsClient) -> None:
    result = tws.act("rerun", _job(tws, "JOB002"))
    assert result.accepted and result.job.status == "INTRO"
    assert "unlinked" in result.detail
    assert _job(tws, "JOB002").status == "INTRO"
    streams = {s.name: s.status for s in tws.list_job_streams()}
    assert streams["DATA_PIPELINE"] == "EXEC"


def test_rerun_on_online_workstation_runs(tws: DemoTwsClient) -> None:
    result = tws.act("rerun", _job(tws, "JOB001"))
    assert result.accepted and result.job.status == "EXEC"
    assert result.job.start_time == NOW and result.job.end_time is None


@pytest.mark.parametrize(
    ("action", "job_id", "status"),
    [("hold", "JOB008", "HOLD"), ("release", "JOB007", "READY"), ("cancel", "JOB009", "CANCELED")],
)
def test_actions_change_state(tws: DemoTwsClient, action: str, job_id: str, status: str) -> None:
    result = tws.act(action, _job(tws, job_id))  # type: ignore[arg-type]
    assert result.accepted
    assert _job(tws, job_id).status == status


@pytest.mark.parametrize(
    ("action", "job_id"),
    [
        ("rerun", "JOB005"),
        ("rerun", "JOB007"),
        ("hold", "JOB001"),
        ("release", "JOB001"),
        ("cancel", "JOB001"),
        ("cancel", "JOB006"),
    ],
)
def test_invalid_actions_are_rejected(tws: DemoTwsClient, action: str, job_id: str) -> None:
    before = _job(tws, job_id).status
    result = tws.act(action, _job(tws, job_id))  # type: ignore[arg-type]
    assert result.accepted is False
    assert job_id in result.detail
    assert _job(tws, job_id).status == before


def test_each_client_has_its_own_copy() -> None:
    a, b = DemoTwsClient(clock=lambda: NOW), DemoTwsClient(clock=lambda: NOW)
    a.act("cancel", _job(a, "JOB009"))
    assert _job(a, "JOB009").status == "CANCELED"
    assert _job(b, "JOB009").status == "SCHED"


def test_act_on_unknown_job(tws: DemoTwsClient) -> None:
    ghost = Job(id="X;Y;JOB999", name="Ghost", job_id="JOB999", status="ABEND", workstation="X")
    with pytest.raises(TwsError) as err:
        tws.act("rerun", ghost)
    assert err.value.kind == "not_found"


def test_stream_status_rules() -> None:
    def j(status: str, started: bool = False) -> Job:
        return Job("w;s;j", "n", "j", status, "w", start_time=NOW if started else None)

    assert stream_status([j("SUCC", True), j("EXEC", True)]) == "EXEC"
    assert stream_status([j("ABEND", True), j("HOLD")]) == "ABEND"
    assert stream_status([j("SUCC", True), j("CANCL")]) == "SUCC"
    assert stream_status([j("HOLD"), j("SCHED")]) == "HOLD"
    assert stream_status([j("READY")]) == "READY"


def test_a_job_can_run_on_another_workstation_than_its_stream(tws: DemoTwsClient) -> None:
    job = _job(tws, "JOB012")
    assert (job.workstation, job.job_stream) == ("TWS_AGENT3", "FINAL")
    # its REST rendering: tests/functional/test_tws_rest_render.py


def test_rerun_keeps_the_chain(tws: DemoTwsClient) -> None:
    old = _job(tws, "JOB001")
    result = tws.act("rerun", old)
    assert result.accepted and result.job.id != old.id and result.job.job_stream == old.job_stream
    assert _job(tws, "JOB001") == result.job  # list_jobs: the last of each chain
    assert [j.id for j in tws.list_jobs()].count(old.id) == 0
    chain = [(j.id, j.status, last) for j, last, root in tws.instances() if root == old.id]
    assert chain == [(old.id, "SUCC", False), (result.job.id, "EXEC", True)]
    assert "rerun" in tws.act("hold", old).detail  # an old run is not acted on
