"""The demo plan rendered in the vendor's shapes (adapters/tws_rest/render.py; moved from the demo by
issue 15): the v1 fields the spec declares (``jobDefinition.returnCode``, ``timeRestriction``,
``linkStatus`` LINKED/UNLINKED, ``jobmanUp``, ``promptInPlanKey``), typed dependency lists, successors
on the job, and what the dialect reads back from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from twschat.adapters.tws_rest import TwsApiDialect
from twschat.adapters.tws_rest.render import job_detail_to_rest, render_plan
from twschat.adapters.tws_rest.shapes import REST_TIME_FORMAT
from twschat.assistant.demo import DemoTwsClient

NOW = datetime(2024, 4, 12, 8, 0, tzinfo=UTC)


def _plan(tws: DemoTwsClient | None = None) -> dict:
    return render_plan(tws or DemoTwsClient(clock=lambda: NOW))


def test_jobs_in_the_spec_shape() -> None:
    plan = _plan()
    json.dumps(plan)  # plain data
    job = next(j for j in plan["jobs"] if j["name"] == "JOB002")
    assert job["id"] == "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002"
    assert job["jobDefinition"]["description"] == "Data Processing"
    assert job["jobDefinition"]["returnCode"] == 12 and "returnCode" not in job
    assert job["status"] == {"internalStatus": "ABEND", "commonStatus": "ERROR", "canceled": False}
    assert job["jobStreamInPlan"]["name"] == "DATA_PIPELINE"
    assert job["jobStreamInPlan"]["workstationKey"]["name"] == "TWS_AGENT2"
    start = datetime.strptime(job["jobStreamInPlan"]["startTime"], REST_TIME_FORMAT).replace(tzinfo=UTC)
    assert start == NOW - timedelta(minutes=250)
    assert job["timeInfo"]["actualEndTime"] and job["lastInRerunChain"] is True
    assert "timeRestrictions" not in job and job["timeRestriction"] == {"timeDependent": False}
    at = next(j for j in plan["jobs"] if j["name"] == "JOB009")["timeRestriction"]
    assert at["timeDependent"] is True and at["startTime"]
    assert not [j for j in plan["jobs"] if None in j.values()]  # absent values are left out, not null
    failed = next(j for j in plan["jobs"] if j["name"] == "JOB004")
    assert failed["status"]["internalStatus"] == "FAILED"  # the spec's word for conman's FAIL
    assert TwsApiDialect().parse_job(failed).status == "FAIL"
    cancelled = next(j for j in plan["jobs"] if j["name"] == "JOB010")
    assert cancelled["status"] == {"internalStatus": "HOLD", "commonStatus": "CANCELED", "canceled": True}


def test_workstations_streams_and_prompts_in_the_spec_shape() -> None:
    plan = _plan()
    ws = {w["workstationInPlanKey"]["name"]: w for w in plan["workstations"]}
    assert (ws["TWS_AGENT2"]["linkStatus"], ws["TWS_AGENT2"]["jobmanUp"]) == ("UNLINKED", False)
    assert (ws["TWS_MASTER"]["linkStatus"], ws["TWS_MASTER"]["type"]) == ("LINKED", "MANAGER")
    assert {w["type"] for w in plan["workstations"]} <= {"MANAGER", "FTA", "XA", "SA", "AGENT", "POOL"}
    streams = {s["key"]["name"]: s for s in plan["jobStreams"]}
    assert streams["DATA_PIPELINE"]["status"] == {"internalStatus": "ABEND", "commonStatus": "ERROR"}
    prompt = next(p for p in plan["prompts"] if p["number"] == 3)
    assert prompt["promptInPlanKey"] == {"name": "3"} and prompt["status"] == "ASKED"
    assert "name" not in prompt and "promptName" not in prompt


def test_a_job_on_another_workstation_than_its_stream() -> None:
    item = next(j for j in _plan()["jobs"] if j["name"] == "JOB012")
    assert item["jobStreamInPlan"]["workstationKey"]["name"] == "TWS_MASTER"
    assert item["jobDefinition"]["jobDefinitionInPlanKey"]["workstationInPlanKey"]["name"] == "TWS_AGENT3"
    assert item["workstationInPlan"]["name"] == "TWS_AGENT3"


def test_the_rendering_follows_actions() -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    tws.act("hold", next(j for j in tws.list_jobs() if j.job_id == "JOB008"))
    jobs = {j["name"]: j for j in _plan(tws)["jobs"]}
    assert (jobs["JOB008"]["status"]["internalStatus"], jobs["JOB008"]["status"]["commonStatus"]) == (
        "HOLD",
        "HELD",
    )


def test_dependencies_are_typed_lists_and_read_back() -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    jobs = {j.job_id: j for j in tws.list_jobs()}
    streams = {s.name: s for s in tws.list_job_streams()}
    job = jobs["JOB014"]
    item = job_detail_to_rest(job, streams, tws.job_dependencies(job), tws.job_successors(job))
    deps = item["dependencies"]
    assert set(deps) == {"internalDependencyInPlan", "promptDependencyInPlan", "resourceDependencyInPlan"}
    internal = deps["internalDependencyInPlan"][0]
    assert internal["jobInPlanKey"]["name"] == "JOB002" and internal["satisfied"] is False
    assert deps["resourceDependencyInPlan"][0] == {
        "resourceKey": {"name": "ETL_DB_SLOTS"},
        "quantity": 2,
        "available": 0,
        "satisfied": False,
    }
    read = TwsApiDialect().parse_dependencies(item)
    assert read is not None
    assert [(d.kind, d.name, d.satisfied) for d in read] == [
        ("job", "JOB002", False),
        ("prompt", "3", False),
        ("resource", "ETL_DB_SLOTS", False),
    ]
    source = jobs["JOB002"]
    succ = job_detail_to_rest(source, streams, tws.job_dependencies(source), tws.job_successors(source))
    assert [s["jobInPlanKey"]["name"] for s in succ["internalSuccessors"]] == ["JOB014"]
    assert [d.name for d in TwsApiDialect().parse_successors(succ) or ()] == ["JOB014"]
