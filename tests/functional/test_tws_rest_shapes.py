"""The REST client against what a master sends (issue 9, part A): rerun chains, the job's own
workstation, ``{"log"}`` job logs, honest workstation state, one page and a truncation flag, ``key.*``
job streams, the status vocabulary, optional unconfirmed fields; v2; the recorded requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from twschat.adapters.tws_rest import (
    RestTwsClient,
    RetryPolicy,
    Timeouts,
    TwsApiDialect,
    TwsApiDialectV2,
    build_rest_client,
    dialect_for,
)
from twschat.assistant.domain import JOB_FILTERS, STATUSES, Job, Prompt, blocked, is_truncated, job_category
from twschat.assistant.tws import TwsError
from twschat_dev.fake_tws import FakeTwsServer

FAST = Timeouts(connect=0.5, read=0.5)
RETRY = RetryPolicy(attempts=2, base=0.01, max_backoff=0.02, budget=5.0)


@pytest.fixture
def v1() -> Iterator[FakeTwsServer]:
    with FakeTwsServer() as server:
        yield server


@pytest.fixture
def v2() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(api="v2") as server:
        yield server


def client(server: FakeTwsServer, **kw: Any) -> RestTwsClient:
    kw.setdefault("timeouts", FAST)
    kw.setdefault("retry", RETRY)
    kw.setdefault("dialect", dialect_for(server.api))
    return RestTwsClient(server.url, **kw)


def by_name(jobs: Any) -> dict[str, Job]:
    return {j.job_id: j for j in jobs}


# --------------------------------------------------------------------------------- 1. rerun chains
def test_job_queries_ask_for_the_last_instance_of_each_rerun_chain(v1: FakeTwsServer) -> None:
    client(v1).list_jobs()
    body = json.loads(v1.requests[-1].body)
    assert body == {"filters": {"jobInPlanFilter": {"lastInRerunChain": True}}}


def test_a_job_rerun_successfully_is_no_longer_listed_as_abend(v1: FakeTwsServer) -> None:
    tws = client(v1)
    old = by_name(tws.list_jobs())["JOB001"]
    new = tws.act("rerun", old).job
    assert new.id != old.id and new.status == "EXEC"  # _refetch found the new instance of the chain
    ids = [j.id for j in tws.list_jobs()]
    assert new.id in ids and old.id not in ids
    everything = tws.list_jobs(last_in_rerun_chain=False)  # the fake without the filter: both instances
    assert [(j.id, j.status) for j in everything if j.job_id == "JOB001"] == [
        (old.id, "SUCC"),
        (new.id, "EXEC"),
    ]


def test_after_a_rerun_the_old_abend_instance_is_gone_from_the_failed_list(v1: FakeTwsServer) -> None:
    tws = client(v1)
    old = by_name(tws.list_jobs())["JOB002"]
    result = tws.act("rerun", old)
    assert result.job.id != old.id and result.job.status == "INTRO"
    assert [j.job_id for j in tws.list_jobs(statuses={"ABEND"})] == []
    assert [j.id for j in tws.list_jobs(statuses={"ABEND"}, last_in_rerun_chain=False)] == [old.id]


def test_the_fake_mutates_nothing_in_place(v1: FakeTwsServer) -> None:
    tws = client(v1)
    tws.act("rerun", by_name(tws.list_jobs())["JOB001"])
    chain = [j for j in v1.plan()["jobs"] if j["name"] == "JOB001"]
    assert [j["status"]["internalStatus"] for j in chain] == ["SUCC", "EXEC"]
    assert [j["lastInRerunChain"] for j in chain] == [False, True]
    assert len({j["id"] for j in chain}) == 2
    assert {j["jobStreamInPlan"]["name"] for j in chain} == {"DAILY_BACKUP"}


# ------------------------------------------------------------------------ 2. the job's own workstation
def test_the_job_workstation_is_its_own_not_its_streams(v1: FakeTwsServer) -> None:
    job = by_name(client(v1).list_jobs())["JOB012"]
    assert (job.workstation, job.job_stream) == ("TWS_AGENT3", "FINAL")  # FINAL runs on TWS_MASTER
    fallback = TwsApiDialect().parse_job(
        {"id": "A;B;C", "name": "C", "jobStreamInPlan": {"name": "S", "workstationKey": {"name": "CPU1"}}}
    )
    assert fallback.workstation == "CPU1"  # the stream's only when the job's own is absent


# --------------------------------------------------------------------------------------- 3. job log
def test_job_log_json_and_plain_text(v1: FakeTwsServer) -> None:
    tws = client(v1)
    log = tws.job_log(by_name(tws.list_jobs())["JOB002"])
    assert "ORA-01653" in log and not log.startswith("{")
    assert v1.requests[-1].accept.startswith("application/json")
    dialect = TwsApiDialect()
    assert dialect.parse_job_log("application/json; charset=utf-8", b'{"log": "line\\n"}') == "line\n"
    assert dialect.parse_job_log("text/plain", b"as is") == "as is"
    with pytest.raises(TwsError):
        dialect.parse_job_log("application/json", b'{"content": "invented"}')


# ------------------------------------------------------------------------------- 4. workstation state
def test_workstation_state_is_only_what_the_api_says() -> None:
    dialect = TwsApiDialect()
    bare = dialect.parse_workstation(
        {"id": "W", "workstationInPlanKey": {"name": "CPU1"}, "ssmRunning": False}
    )
    assert (bare.status, bare.linked, bare.jobman_running) == ("UNKNOWN", None, None)
    invented = {"workstationInPlanKey": {"name": "CPU1"}, "linked": True, "jobmanRunning": True}
    assert dialect.parse_workstation(invented).status == "UNKNOWN"
    unlinked = dialect.parse_workstation({"workstationInPlanKey": {"name": "CPU1"}, "linkStatus": "UNLINKED"})
    assert (unlinked.status, unlinked.linked) == ("OFFLINE", False)
    odd = dialect.parse_workstation(
        {"workstationInPlanKey": {"name": "CPU1"}, "linkStatus": "NOT_APPLICABLE"}
    )
    assert odd.status == "UNKNOWN"
    # the spec's values and jobmanUp: linked with jobman down is offline to an operator (conman sc)
    up = dialect.parse_workstation(
        {"workstationInPlanKey": {"name": "C"}, "linkStatus": "FULLY_LINKED", "jobmanUp": True}
    )
    assert (up.status, up.linked, up.jobman_running) == ("ONLINE", True, True)
    down = dialect.parse_workstation(
        {"workstationInPlanKey": {"name": "C"}, "linkStatus": "LINKED", "jobmanUp": False}
    )
    assert (down.status, down.jobman_running) == ("OFFLINE", False)
    # v2: activeStates (the spec's example ONLINE), no linkStatus
    v2 = TwsApiDialectV2()
    assert (
        v2.parse_workstation({"name": "/C", "activeStates": ["ONLINE"], "linkStatus": "UNLINKED"}).linked
        is True
    )
    assert v2.parse_workstation({"name": "/C", "activeStates": []}).status == "OFFLINE"
    assert v2.parse_workstation({"name": "/C", "linkStatus": "LINKED"}).status == "UNKNOWN"


# ----------------------------------------------------------------------------------------- 5. paging
def test_how_many_pages_and_zero_means_all_at_once(v1: FakeTwsServer) -> None:
    jobs = client(v1, page_size=3).list_jobs()
    assert len(jobs) == 15 and not is_truncated(jobs)
    assert [r.how_many for r in v1.requests] == ["3"] * 6  # 5 full pages, then an empty one
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", v1.port, timeout=2)
    conn.request("POST", "/twsd/plan/current/job/query", body=b"{}", headers={"How-Many": "0"})
    resp = conn.getresponse()
    assert resp.status == 200 and len(json.loads(resp.read())) == 15  # the spec: 0 = all in one shot
    assert resp.getheader("How-Many-Returned") == "15" and resp.getheader("Last-Object")


def test_how_many_is_optional_on_the_fake(v1: FakeTwsServer) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", v1.port, timeout=2)
    conn.request("POST", "/twsd/plan/current/workstation/query", body=b"{}")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Link") is None
    assert len(json.loads(resp.read())) == 4


# ------------------------------------------------------------------------------------- 6. job streams
def test_job_streams_are_served_and_read_under_key(v1: FakeTwsServer) -> None:
    tws = client(v1)
    streams = {s.name: s for s in tws.list_job_streams()}
    assert (streams["FINAL"].workstation, streams["FINAL"].status) == ("TWS_MASTER", "EXEC")
    item = v1.plan()["jobStreams"][0]
    assert set(item) == {"id", "key", "status"}
    assert set(item["key"]) == {"name", "startTime", "workstationKey"}
    assert set(item["status"]) == {"internalStatus", "commonStatus"}


# ------------------------------------------------------------------------------------ 7. vocabulary
def test_status_vocabulary() -> None:
    assert job_category("INTRO") == "waiting"  # introduced, not yet running
    assert blocked("rerun", Job("a", "n", "j", "INTRO", "w")) is not None
    for status in ("ABENP", "ERROR", "ABENDP", "CANCP", "BOUND", "RJOB", "USER", "WAITD", "CANCELED"):
        assert status in STATUSES
    assert "ABENDP" in (JOB_FILTERS["abend"] or ())
    job = TwsApiDialect().parse_job(
        {"id": "A;B;C", "name": "C", "status": {"internalStatus": "HOLD", "commonStatus": "CANCELED"}}
    )
    assert job.status == "CANCELED" and job_category(job.status) == "cancelled"


def test_a_cancelled_job_is_canceled_not_cancl(v1: FakeTwsServer) -> None:
    tws = client(v1)
    result = tws.act("cancel", by_name(tws.list_jobs())["JOB009"])
    assert result.accepted and result.job.status == "CANCELED"
    item = next(j for j in v1.plan()["jobs"] if j["name"] == "JOB009")
    assert item["status"] == {"internalStatus": "SCHED", "commonStatus": "CANCELED", "canceled": True}


# --------------------------------------------------------------------------- 8. unconfirmed fields
def test_unconfirmed_fields_are_optional() -> None:
    job = TwsApiDialect().parse_job(
        {
            "id": "CPU1;0A;PAY1",
            "name": "PAY1",
            "status": {"internalStatus": "SUCC", "commonStatus": "SUCCESSFUL"},
            "jobStreamInPlan": {
                "name": "S",
                "workstationKey": {"name": "CPU1"},
                "startTime": "2024-04-12T08:00:00Z",
            },
        }
    )
    assert (job.name, job.start_time, job.end_time, job.return_code) == ("PAY1", None, None, None)
    legacy = TwsApiDialect().parse_job(
        {"id": "X", "name": "X", "startTime": "2024-04-12T08:00:00Z", "returnCode": 3}
    )
    # the spec: no top-level returnCode (it is jobDefinition.returnCode) nor startTime
    assert (legacy.name, legacy.start_time, legacy.return_code) == ("X", None, None)
    spec = TwsApiDialect().parse_job(
        {
            "id": "X",
            "name": "X",
            "jobDefinition": {"returnCode": 3},
            "timeRestriction": {"startTime": "2024-04-12T08:00:00"},
        }
    )
    assert spec.return_code == 3 and spec.at_time is not None and spec.at_time.hour == 8


# -------------------------------------------------------------------------------------------------- v2
def test_v2_lists_jobs_through_the_envelope_with_limit_and_offset(v2: FakeTwsServer) -> None:
    tws = client(v2, page_size=4)
    jobs = tws.list_jobs()
    assert len(jobs) == 15 and not is_truncated(jobs)
    gets = [r for r in v2.requests if r.path == "/twsd/api/v2/plan/job"]
    assert [parse_qs(r.query) for r in gets] == [{"limit": ["4"], "offset": [str(n)]} for n in (0, 4, 8, 12)]
    assert all(r.method == "GET" and r.body == b"" and r.how_many == "" for r in gets)
    job = by_name(jobs)["JOB002"]
    assert ";" not in job.id and job.run_id and job.status == "ABEND" and job.workstation == "TWS_AGENT2"
    assert (job.name, job.return_code) == ("Data Processing", 12)
    assert by_name(jobs)["JOB012"].workstation == "TWS_AGENT3"


def test_v2_paging_is_bounded_and_flagged(v2: FakeTwsServer) -> None:
    jobs = client(v2, page_size=2, max_pages=3).list_jobs()
    assert len(jobs) == 6 and is_truncated(jobs)


def test_v2_oql_filter(v2: FakeTwsServer) -> None:
    tws = client(v2)
    assert [j.job_id for j in tws.list_jobs(job_name="JOB002", job_stream="DATA_PIPELINE")] == ["JOB002"]
    query = parse_qs(v2.requests[-1].query)
    assert query["oql"] == ["name = 'JOB002' AND jobStreamName = 'DATA_PIPELINE'"]
    assert {w.name: w.status for w in tws.list_workstations()}["TWS_AGENT2"] == "OFFLINE"
    streams = {s.name: s for s in tws.list_job_streams()}
    assert (streams["DATA_PIPELINE"].workstation, streams["DATA_PIPELINE"].status) == ("TWS_AGENT2", "ABEND")


def test_v2_actions_by_uuid_and_rerun_adds_a_run(v2: FakeTwsServer) -> None:
    tws = client(v2)
    old = by_name(tws.list_jobs())["JOB001"]
    result = tws.act("rerun", old)
    assert result.accepted and result.job.id == old.id and result.job.run_id != old.run_id
    assert result.job.status == "EXEC"
    put = next(r for r in v2.requests if r.method == "PUT")
    # the spec: rerun is by run id (PUT /api/v2/plan/job/run/{run_id}/action/rerun), optional body not sent
    assert (put.path, put.status, put.body) == (
        f"/twsd/api/v2/plan/job/run/{old.run_id}/action/rerun",
        200,
        b"",
    )
    log = tws.job_log(by_name(tws.list_jobs())["JOB002"])
    assert "ORA-01653" in log
    assert v2.requests[-1].path.startswith("/twsd/api/v2/plan/job/run/")
    with pytest.raises(TwsError):
        tws.act("hold", Job("TWS_AGENT1;0A;JOB008", "n", "JOB008", "READY", "TWS_AGENT1"))


def test_v2_fake_refuses_a_composite_key(v2: FakeTwsServer) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", v2.port, timeout=2)
    conn.request("PUT", "/twsd/api/v2/plan/job/TWS_AGENT1%3B0A%3BJOB008/action/hold", body=b"{}")
    assert conn.getresponse().status == 400


def test_build_rest_client_chooses_the_dialect(v2: FakeTwsServer) -> None:
    assert isinstance(build_rest_client(v2.url, api_version="v2").dialect, TwsApiDialectV2)
    assert type(build_rest_client(v2.url).dialect) is TwsApiDialect
    with pytest.raises(ValueError):
        build_rest_client(v2.url, api_version="v3")


# ------------------------------------------------------------------------------- recorded requests
def test_recorded_v1_requests(v1: FakeTwsServer) -> None:
    tws = client(v1, page_size=50)
    tws.list_workstations(workstation="TWS_AGENT2")
    tws.list_job_streams(job_stream="D*")
    jobs = by_name(tws.list_jobs(job_name="JOB001", workstation="TWS_AGENT1"))
    tws.job_log(jobs["JOB001"])
    tws.act("hold", jobs["JOB001"])  # refused (SUCC) but sent
    got = [(r.method, r.path, r.how_many, r.content_type, json.loads(r.body or b"null")) for r in v1.requests]
    assert got == [
        (
            "POST",
            "/twsd/plan/current/workstation/query",
            "50",
            "application/json",
            {"filters": {"workstationInPlanFilter": {"workstationName": "TWS_AGENT2"}}},
        ),
        (
            "POST",
            "/twsd/plan/current/jobstream/query",
            "50",
            "application/json",
            {"filters": {"jobStreamInPlanFilter": {"jobStreamName": "D*"}}},
        ),
        (
            "POST",
            "/twsd/plan/current/job/query",
            "50",
            "application/json",
            {
                "filters": {
                    "jobInPlanFilter": {
                        "jobName": "JOB001",
                        "workstationName": "TWS_AGENT1",
                        "lastInRerunChain": True,
                    }
                }
            },
        ),
        (
            "GET",
            "/twsd/plan/current/job/TWS_AGENT1%3B0AAAAAAAAAAAAAB1%3BJOB001/joblog",
            "",  # How-Many only on the queries (the spec declares it there)
            "application/json",
            None,
        ),
        (
            "PUT",
            "/twsd/plan/current/job/TWS_AGENT1%3B0AAAAAAAAAAAAAB1%3BJOB001/action/hold",
            "",
            "application/json",
            None,  # hold declares no request body
        ),
    ]
    assert all(r.accept.startswith("application/json") for r in v1.requests)


def test_recorded_v2_requests(v2: FakeTwsServer) -> None:
    tws = client(v2, page_size=50)
    tws.list_workstations()
    tws.list_job_streams(job_stream="FINAL")
    job = by_name(tws.list_jobs(job_name="JOB008"))["JOB008"]
    tws.job_log(by_name(tws.list_jobs(job_name="JOB001"))["JOB001"])
    tws.act("hold", job)
    got = [(r.method, r.path, parse_qs(r.query), r.how_many, r.body) for r in v2.requests]
    assert got[:3] == [
        ("GET", "/twsd/api/v2/plan/workstation", {"limit": ["50"], "offset": ["0"]}, "", b""),
        (
            "GET",
            "/twsd/api/v2/plan/jobstream",
            {"oql": ["name = 'FINAL'"], "limit": ["50"], "offset": ["0"]},
            "",
            b"",
        ),
        (
            "GET",
            "/twsd/api/v2/plan/job",
            {"oql": ["name = 'JOB008'"], "limit": ["50"], "offset": ["0"]},
            "",
            b"",
        ),
    ]
    assert (
        got[4][0] == "GET"
        and got[4][1].endswith("/joblog")
        and v2.requests[4].accept.startswith("text/plain")
    )
    assert got[5][:2] == ("PUT", f"/twsd/api/v2/plan/job/{job.id}/action/hold") and got[5][4] == b""
    assert v2.requests[5].status == 200
    # after the PUT, the state is read again by name
    assert got[6][2]["oql"] == ["name = 'JOB008' AND jobStreamName = 'FINAL'"]


# -------------------------------------------------------- prompts (conman sp / reply; UNCONFIRMED)
def test_v1_prompts_are_queried_like_the_other_plan_objects(v1: FakeTwsServer) -> None:
    tws = client(v1)
    prompts = {p.id: p for p in tws.list_prompts()}
    assert {i: p.status for i, p in prompts.items()} == {"1": "ASKED", "2": "YES", "3": "ASKED"}
    assert prompts["3"].text == "Extrato de vendas do dia conferido para a reconciliação (JOB014)?"
    post = v1.requests[-1]
    assert (post.method, post.path, post.how_many) == ("POST", "/twsd/plan/current/prompt/query", "500")
    assert json.loads(post.body) == {"filters": {"promptInPlanFilter": {}}}
    result = tws.reply_prompt(prompts["1"], True)
    assert result.accepted and result.job.status == "YES"
    put = next(r for r in v1.requests if r.method == "PUT")
    # the spec: no body, the answer in the Answer header ("Yes (true) or No (false)")
    assert (put.path, put.status, put.body, put.headers["Answer"]) == (
        "/twsd/plan/current/prompt/1/action/reply",
        202,
        b"",
        "true",
    )
    refused = tws.reply_prompt(prompts["1"], False)
    assert not refused.accepted and "already answered" in refused.detail


def test_v2_prompts_through_the_envelope_and_replied_by_their_id(v2: FakeTwsServer) -> None:
    tws = client(v2)
    prompts = {p.id: p for p in tws.list_prompts()}
    assert set(prompts) == {"1", "2", "3"} and prompts["3"].status == "ASKED"
    assert prompts["3"].key and prompts["3"].key != "3"  # addressed by its UUID
    get = v2.requests[-1]
    assert (get.method, get.path) == ("GET", "/twsd/api/v2/plan/prompt")
    assert tws.reply_prompt(prompts["3"], False).job.status == "NO"
    put = next(r for r in v2.requests if r.method == "PUT")
    assert put.path == f"/twsd/api/v2/plan/prompt/{prompts['3'].key}/action/reply" and put.status == 200
    assert json.loads(put.body) == {"answer": False}  # PromptInPlanAnswer (required; members UNKNOWN)
    assert {p.id: p.status for p in tws.list_prompts(prompt="3")} == {"3": "NO"}
    assert parse_qs(v2.requests[-1].query)["oql"] == ["name = '3'"]


def test_prompt_fields_follow_the_spec() -> None:
    d = TwsApiDialect()
    item = {"id": "X1", "promptInPlanKey": {"name": "PRMT1"}, "text": "ok?", "status": "NOT_ASKED"}
    assert d.parse_prompt(item) == Prompt("PRMT1", "ok?", "NOT ASKED", "X1")
    numbered = d.parse_prompt({**item, "number": 5})  # an operator names a numbered prompt by its number
    assert (numbered.id, numbered.key) == ("5", "X1")
    invented = d.parse_prompt({"id": "X1", "promptName": "PRMT1", "message": "ok?"})  # not PromptInPlan
    assert (invented.id, invented.text) == ("X1", "")
    with pytest.raises(TwsError):
        d.parse_prompt({"text": "no name"})


# ------------------------------------------------------------------ spec corrections (issue 16 part 2)
def test_v1_status_filter_is_sent_to_the_master(v1: FakeTwsServer) -> None:
    tws = client(v1)
    assert sorted(j.job_id for j in tws.list_jobs(statuses={"ABEND", "FAIL"})) == ["JOB002", "JOB004"]
    flt = json.loads(v1.requests[-1].body)["filters"]["jobInPlanFilter"]
    assert flt["internalStatusList"] == ["ABEND", "FAILED"]  # the spec's internal words (FAIL -> FAILED)
    assert len(json.loads(v1.requests[-1].response_body)) == 2  # filtered by the master, not here
    assert [j.job_id for j in tws.list_jobs(statuses={"CANCELED"})] == ["JOB010"]  # kept state: client-side
    assert "internalStatusList" not in json.loads(v1.requests[-1].body)["filters"]["jobInPlanFilter"]


def test_v2_status_filter_is_oql(v2: FakeTwsServer) -> None:
    assert [j.job_id for j in client(v2).list_jobs(statuses={"ABEND"})] == ["JOB002"]
    oql = parse_qs(v2.requests[-1].query)["oql"]
    assert oql == ["jobruns.compositeStatus.status IN ['ABEND']"]
    assert json.loads(v2.requests[-1].response_body)["count"] == 1


def test_v2_refusal_wrapped_in_http_500_is_a_refusal_not_a_server_error(v2: FakeTwsServer) -> None:
    tws = client(v2)
    jobs = by_name(tws.list_jobs())
    result = tws.act("confirm_succ", jobs["JOB001"])  # already SUCC
    assert not result.accepted and "AWSBIN076E" in result.detail
    assert [r.status for r in v2.requests if r.method == "PUT"] == [500]  # sent once, never retried
    v2.set_fault("500")  # a real server error (no AWSBIN076E) stays one
    with pytest.raises(TwsError) as err:
        tws.act("hold", jobs["JOB008"])
    assert err.value.kind == "server"


def test_the_operators_reason_reaches_the_v2_masters_audit(v2: FakeTwsServer) -> None:
    from twschat.assistant.responder import RuleResponder
    from twschat.core.audit import InMemoryAuditSink
    from twschat.core.responder import Principal, ResponderRequest, Turn

    responder = RuleResponder(client(v2), audit=InMemoryAuditSink())
    history: list[Turn] = []
    for text in ("reroda o JOB002 porque o tablespace foi ampliado, chamado INC0042", "sim"):
        reply = responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                principal=Principal(user_id="u-1", username="maria", roles=("operator",)),
                connection_id="c",
                conversation_id="v",
            )
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    (put,) = [r for r in v2.requests if r.method == "PUT"]
    assert put.path.startswith("/twsd/api/v2/plan/job/run/") and put.status == 200
    assert put.headers["Justification-Description"] == "o tablespace foi ampliado, chamado INC0042"
    assert (put.headers["Justification-Category"], put.headers["Justification-Ticket-Num"]) == (
        "tws-chat",
        "INC0042",
    )
