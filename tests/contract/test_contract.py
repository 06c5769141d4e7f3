"""Contract tests: the REST client driven over every operation against the fake TWS, each request held to
the vendor's declared operation (method, path, required and declared headers/parameters, body schema) and
each answer the fake serves validated against the declared response schema — v1 against the reduced
copy of the vendor's spec, v2 against the reduced schema written from the v2 digest. After this the
fake (and the client) cannot drift from the vendor's shapes without a red test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twschat.adapters.tws_rest import RestTwsClient, dialect_for
from twschat.assistant.domain import Job
from twschat_dev.fake_tws import FakeTwsServer, RequestRecord

from .contract import V1_SPEC, V2_SPEC, Contract

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
REASON = "Reprocessar após correção do tablespace — INC0012345"

V1_OPERATIONS = {
    ("POST", "/plan/{planId}/workstation/query"),
    ("POST", "/plan/{planId}/jobstream/query"),
    ("POST", "/plan/{planId}/job/query"),
    ("POST", "/plan/{planId}/job/query_next"),
    ("POST", "/plan/{planId}/prompt/query"),
    ("POST", "/plan/{planId}/resource/query"),
    ("GET", "/plan/{planId}/job/{jobId}"),
    ("GET", "/plan/{planId}/job/{jobId}/joblog"),
    ("GET", "/plan/{planId}/job/{jobId}/predecessors"),
    ("GET", "/plan/{planId}/job/{jobId}/jobsuccessors/preview"),
    *(("PUT", f"/plan/{{planId}}/job/{{jobId}}/action/{a}") for a in ("rerun", "hold", "release", "cancel")),
    *(
        ("PUT", f"/plan/{{planId}}/job/{{jobId}}/action/{a}")
        for a in ("kill", "confirm_succ", "confirm_abend")
    ),
    *(
        ("PUT", f"/plan/{{planId}}/jobstream/{{jobstreamId}}/action/{a}")
        for a in ("hold", "release", "cancel")
    ),
    ("PUT", "/plan/{planId}/workstation/{workstationId}/action/link"),
    ("PUT", "/plan/{planId}/workstation/{workstationId}/action/unlink"),
    ("PUT", "/plan/{planId}/prompt/{promptId}/action/reply"),
}
V2_OPERATIONS = {
    *(("GET", f"/api/v2/plan/{kind}") for kind in ("job", "jobstream", "workstation", "prompt", "resource")),
    ("GET", "/api/v2/plan/job/{job_id}"),
    ("GET", "/api/v2/plan/job/run/{run_id}/joblog"),
    ("PUT", "/api/v2/plan/job/run/{run_id}/action/rerun"),
    *(("PUT", f"/api/v2/plan/job/{{job_id}}/action/{a}") for a in ("hold", "release", "cancel", "kill")),
    *(("PUT", f"/api/v2/plan/job/{{job_id}}/action/{a}") for a in ("confirm-succ", "confirm-abend")),
    *(("PUT", f"/api/v2/plan/jobstream/{{jobstream_id}}/action/{a}") for a in ("hold", "release", "cancel")),
    ("PUT", "/api/v2/plan/workstation/{workstation_id}/action/link"),
    ("PUT", "/api/v2/plan/workstation/{workstation_id}/action/unlink"),
    ("PUT", "/api/v2/plan/prompt/{prompt_id}/action/reply"),
}
V2_ASSUMED = {
    ("PUT", "/api/v2/plan/jobstream/{jobstream_id}/action/release"),
    ("PUT", "/api/v2/plan/workstation/{workstation_id}/action/link"),
}
"""v2 operations the client uses that the digest did not read (kept behind the dialect, named there)."""


def _job(tws: RestTwsClient, name: str) -> Job:
    return next(j for j in tws.list_jobs(job_name=name) if j.job_id == name)


def exercise(tws: RestTwsClient) -> None:
    """Every operation of the client, accepted and refused ones, on the demo plan."""
    tws.list_workstations()
    tws.list_workstations(workstation="TWS_AGENT2")
    tws.list_job_streams(job_stream="D*")
    paged = RestTwsClient(tws.base_url, dialect=tws.dialect, page_size=4)
    assert len(paged.list_jobs()) == 15
    tws.list_jobs(statuses={"ABEND", "FAIL"})
    tws.list_jobs(job_name="JOB001", last_in_rerun_chain=False)
    prompts = {p.id: p for p in tws.list_prompts()}
    tws.list_prompts(prompt="1")
    resources = {r.name: r for r in tws.list_resources()}
    assert tws.list_resources(resource="ETL_DB_SLOTS") == (resources["ETL_DB_SLOTS"],)
    assert [j.job_id for j in tws.resource_waiters(resources["ETL_DB_SLOTS"])] == ["JOB014"]
    tws.job_log(_job(tws, "JOB002"))
    tws.job_dependencies(_job(tws, "JOB014"))
    tws.job_dependencies(_job(tws, "JOB009"))
    tws.job_successors(_job(tws, "JOB002"))
    for action, name in (
        ("rerun", "JOB002"),
        ("hold", "JOB008"),
        ("release", "JOB008"),
        ("hold", "JOB001"),  # refused: it ended
        ("cancel", "JOB015"),
        ("kill", "JOB006"),
        ("confirm_succ", "JOB004"),
        ("confirm_abend", "JOB003"),
    ):
        tws.act(action, _job(tws, name), justification=REASON)  # type: ignore[arg-type]
    streams = {s.name: s for s in tws.list_job_streams()}
    for action, name in (
        ("stream_hold", "BILLING"),
        ("stream_release", "BILLING"),
        ("stream_cancel", "REPORTS"),
    ):
        tws.act_stream(action, streams[name], justification=REASON)  # type: ignore[arg-type]
    workstations = {w.name: w for w in tws.list_workstations()}
    tws.act_workstation("unlink", workstations["TWS_AGENT1"], justification=REASON)
    tws.act_workstation("link", workstations["TWS_AGENT2"], justification=REASON)
    tws.reply_prompt(prompts["1"], True, justification=REASON)
    tws.reply_prompt(prompts["3"], False, justification=REASON)


def _operations(contract: Contract, records: list[RequestRecord]) -> set[tuple[str, str]]:
    return {(op.method, op.template) for r in records if (op := contract.operation(r.method, r.path))}


@pytest.fixture
def v1() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(clock=lambda: NOW) as server:
        yield server


@pytest.fixture
def v2() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(clock=lambda: NOW, api="v2") as server:
        yield server


def test_every_v1_request_and_answer_follows_the_vendor_spec(v1: FakeTwsServer) -> None:
    contract = Contract(V1_SPEC)
    exercise(RestTwsClient(v1.url, dialect=dialect_for("v1")))
    records = list(v1.requests)
    with FakeTwsServer(clock=lambda: NOW, job_details=False) as bare:  # GET job/{id} without the lists
        tws = RestTwsClient(bare.url)
        assert [d.name for d in tws.job_dependencies(_job(tws, "JOB014"))] == ["JOB002", "3", "ETL_DB_SLOTS"]
        assert [d.name for d in tws.job_successors(_job(tws, "JOB002"))] == ["JOB014"]
        records += bare.requests
    assert contract.check_all(records) == []
    assert _operations(contract, records) == V1_OPERATIONS
    assert {r.status for r in records} >= {200, 202, 400}  # accepted and refused actions were both served


def test_every_v2_request_and_answer_follows_the_digest(v2: FakeTwsServer) -> None:
    contract = Contract(V2_SPEC)
    exercise(RestTwsClient(v2.url, dialect=dialect_for("v2")))
    records = list(v2.requests)
    assert contract.check_all(records) == []
    assert _operations(contract, records) == V2_OPERATIONS
    assumed = {
        (op.method, op.template)
        for r in records
        if (op := contract.operation(r.method, r.path)) and op.unknown
    }
    assert assumed == V2_ASSUMED
    refused = [r for r in records if r.status == 500]
    assert refused and all(b"AWSBIN076E" in r.response_body for r in refused)  # as a real install answers
    puts = [r for r in records if r.method == "PUT"]
    # the reason on every action, one header-safe line (the em dash is not latin-1)
    assert {r.headers["Justification-Description"] for r in puts} == {REASON.replace("—", "-")}
    assert {(r.headers["Justification-Category"], r.headers["Justification-Ticket-Num"]) for r in puts} == {
        ("tws-chat", "INC0012345")
    }


def test_the_contract_is_strict_about_invented_fields() -> None:
    """Sanity of the checker itself: the shapes the project used before the spec are red."""
    v1 = Contract(V1_SPEC)
    job = {"id": "A;B;C", "name": "C", "returnCode": 12, "timeRestrictions": {"startTime": "x"}}
    errors = v1.validate({"$ref": "#/components/schemas/JobInPlan"}, job)
    assert any("returnCode" in e for e in errors) and any("timeRestrictions" in e for e in errors)
    deps = {"dependencies": [{"dependencyType": "INTERNAL_JOB"}]}
    assert v1.validate({"$ref": "#/components/schemas/JobInPlan"}, {"name": "C", **deps})
    reply = RequestRecord(
        "PUT", "/twsd/plan/current/prompt/1/action/reply", 202, "none", "", "", body=b'{"reply": "yes"}'
    )
    assert v1.check_request(reply) == [
        "PUT /plan/{planId}/prompt/{promptId}/action/reply: a body is sent but none is declared"
    ]
    assert v1.check_request(RequestRecord("GET", "/twsd/plan/current/job/X/successors", 200, "none", "", ""))
    linked = RequestRecord(
        "PUT", "/twsd/plan/current/workstation/W/action/link", 202, "none", "", ""
    )  # link answers 200 in the spec
    assert v1.check_response(linked)
    v2 = Contract(V2_SPEC)
    ws = {"id": "u", "name": "/W", "linkStatus": "L"}
    assert v2.validate({"$ref": "#/components/schemas/WorkstationInPlanV2"}, ws)
    dep = {"dependencyType": "INTERNAL_JOB", "dependencyStatus": "NOT_SATISFIED"}
    assert len(v2.validate({"$ref": "#/components/schemas/DependencyInPlanV2"}, dep)) == 2
    assert v2.operation("PUT", "/twsd/api/v2/plan/job/0000/action/rerun") is None  # rerun is by run id


def test_the_committed_v1_reduction_is_the_scripts_output() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("reduce_openapi", ROOT / "scripts" / "reduce_openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = V1_SPEC.read_text(encoding="utf-8")
    assert '"x-source"' in committed and "v1-plan-openapi.json" in committed
    assert '"example"' not in committed and '"summary"' not in committed
    if not module.SOURCE.exists():
        pytest.skip(f"the vendor's spec is not beside the repository ({module.SOURCE})")
    assert module.render(module.SOURCE) == committed
