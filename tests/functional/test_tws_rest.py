"""``RestTwsClient`` against the fake TWS REST server over real HTTP (loopback).

Timeouts and backoffs are tiny so the whole file stays fast; the slow fault sleeps ~1 s at most.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json
import logging
import socket
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import validity_window
from twschat.adapters.tws_rest import (
    RestTwsClient,
    RetryPolicy,
    Timeouts,
    TwsApiDialect,
    TwsCredentials,
    build_rest_client,
    credentials_from_secret,
)
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job
from twschat.assistant.tws import TwsError
from twschat_dev import fake_tws
from twschat_dev.fake_tws import FakeTwsServer

USER, PASSWORD, API_KEY = "twsadmin", "s3cr3t-P4ss!", "ak-7f3e9c1d2b4a"
FAST = Timeouts(connect=0.5, read=0.5)
RETRY = RetryPolicy(attempts=3, base=0.01, max_backoff=0.05, budget=5.0)


@pytest.fixture
def fake() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(username=USER, password=PASSWORD, api_key=API_KEY, delay=1.0) as server:
        yield server


def client(server: FakeTwsServer, **kw: Any) -> RestTwsClient:
    kw.setdefault("credentials", TwsCredentials(username=USER, password=PASSWORD))
    kw.setdefault("timeouts", FAST)
    kw.setdefault("retry", RETRY)
    return RestTwsClient(server.url, **kw)


def by_job_id(jobs: Any) -> dict[str, Job]:
    return {j.job_id: j for j in jobs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------- reads
def test_jobs_parse_into_core_models(fake: FakeTwsServer) -> None:
    jobs = by_job_id(client(fake).list_jobs())
    assert len(jobs) == 15
    seeds = {
        k: (j.name, j.status, j.workstation) for k, j in jobs.items() if k in {"JOB001", "JOB002", "JOB003"}
    }
    assert seeds == {
        "JOB001": ("Daily Backup", "SUCC", "TWS_AGENT1"),
        "JOB002": ("Data Processing", "ABEND", "TWS_AGENT2"),
        "JOB003": ("Report Generation", "SUCC", "TWS_AGENT1"),
    }
    job2 = jobs["JOB002"]
    assert job2.id == "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002"
    assert job2.job_stream == "DATA_PIPELINE"
    assert job2.return_code == 12
    assert job2.start_time is not None and job2.start_time.tzinfo is not None
    ago = dt.datetime.now(dt.UTC) - job2.start_time
    assert dt.timedelta(minutes=249) < ago < dt.timedelta(minutes=251)
    assert jobs["JOB007"].start_time is None  # never ran

    # Same models as the in-memory demo client (times aside: each built its plan at its own "now").
    def strip(j: Job) -> tuple[Any, ...]:
        return (j.id, j.name, j.job_id, j.status, j.workstation, j.job_stream, j.return_code)

    assert [strip(j) for j in jobs.values()] == [strip(j) for j in DemoTwsClient().list_jobs()]


def test_workstations_and_job_streams(fake: FakeTwsServer) -> None:
    tws = client(fake)
    workstations = {w.name: w for w in tws.list_workstations()}
    assert set(workstations) == {"TWS_MASTER", "TWS_AGENT1", "TWS_AGENT2", "TWS_AGENT3"}
    assert [n for n, w in workstations.items() if w.status == "OFFLINE"] == ["TWS_AGENT2"]
    agent2 = workstations["TWS_AGENT2"]
    assert (agent2.linked, agent2.jobman_running, agent2.kind) == (False, False, "FTA")  # jobmanUp is read
    assert workstations["TWS_MASTER"].kind == "MANAGER"  # WorkstationInPlan.type: MANAGER, FTA, AGENT...
    streams = {s.name: s for s in tws.list_job_streams()}
    assert len(streams) == 7
    assert (streams["DATA_PIPELINE"].workstation, streams["DATA_PIPELINE"].status) == ("TWS_AGENT2", "ABEND")
    assert streams["DATA_PIPELINE"].start_time is not None


def test_server_side_filters_and_client_side_status(fake: FakeTwsServer) -> None:
    tws = client(fake)
    assert sorted(by_job_id(tws.list_jobs(job_name="JOB00*", workstation="TWS_AGENT1"))) == [
        "JOB001",
        "JOB003",
        "JOB005",
        "JOB007",
    ]
    assert [w.name for w in tws.list_workstations(workstation="TWS_AGENT2")] == ["TWS_AGENT2"]
    assert [s.name for s in tws.list_job_streams(job_stream="D*", workstation="TWS_AGENT2")] == [
        "DATA_PIPELINE"
    ]
    assert [j.job_id for j in tws.list_jobs(statuses={"abend"})] == ["JOB002"]
    assert sorted(j.job_id for j in tws.list_jobs(statuses={"ABEND", "FAIL"})) == ["JOB002", "JOB004"]


def test_v1_pages_continue_with_query_next_until_complete(fake: FakeTwsServer) -> None:
    full = client(fake).list_jobs()
    assert full.truncated is False and len(full) == 15
    fake.reset()
    paged = client(fake, page_size=4).list_jobs()
    assert [j.id for j in paged] == [j.id for j in full] and paged.truncated is False
    # the spec: query first, then query_next with the previous answer's Last-Object, until a short page
    assert [r.path.rsplit("/", 1)[-1] for r in fake.requests] == [
        "query",
        "query_next",
        "query_next",
        "query_next",
    ]
    for previous, record in zip(fake.requests, fake.requests[1:], strict=False):
        assert record.headers["Last-Object"] == previous.response_headers["Last-Object"]
        assert json.loads(record.body) == {"jobInPlanFilter": {"lastInRerunChain": True}}  # FiltersPlan


def test_a_listing_past_the_page_cap_is_flagged_and_logged(
    fake: FakeTwsServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="twschat.adapters.tws_rest"):
        capped = client(fake, page_size=4, max_pages=2).list_jobs()
    assert len(capped) == 8 and capped.truncated is True  # the operator is told the list may be incomplete
    assert "may be incomplete" in caplog.text
    fake.reset()
    exact = client(fake, page_size=5).list_jobs()  # 15 = 3 full pages: the 4th answer is empty
    assert len(exact) == 15 and exact.truncated is False
    assert fake.count("POST", "/twsd/plan/current/job/query_next") == 3


def test_every_request_carries_the_headers(fake: FakeTwsServer) -> None:
    client(fake, page_size=50).list_workstations()
    (record,) = fake.requests
    assert (record.auth, record.how_many) == ("basic", "50")
    uuid.UUID(record.request_id)


def test_job_log(fake: FakeTwsServer) -> None:
    tws = client(fake)
    jobs = by_job_id(tws.list_jobs())
    log = tws.job_log(jobs["JOB002"])
    assert "ORA-01653" in log and "Exit Status           : 12" in log
    assert fake.requests[-1].path == "/twsd/plan/current/job/TWS_AGENT2%3B0AAAAAAAAAAAAAB2%3BJOB002/joblog"
    with pytest.raises(TwsError) as err:
        tws.job_log(jobs["JOB007"])  # HOLD: never ran, no joblog
    assert err.value.kind == "not_found"
    assert "No joblog" in err.value.detail
    with pytest.raises(TwsError) as err:
        tws.job_log(Job(id="NOPE;X;Y", name="x", job_id="Y", status="SUCC", workstation="NOPE"))
    assert err.value.kind == "not_found"
    assert fake.count("GET") == 3  # 404s are not retried


# ----------------------------------------------------------------------------------------------- actions
def test_rerun_changes_the_state(fake: FakeTwsServer) -> None:
    tws = client(fake)
    jobs = by_job_id(tws.list_jobs())
    result = tws.act("rerun", jobs["JOB001"])  # SUCC on a linked workstation -> EXEC
    assert result.accepted and result.detail == "rerun submitted"
    assert result.job.status == "EXEC"
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [(r.path, r.status) for r in puts] == [
        ("/twsd/plan/current/job/TWS_AGENT1%3B0AAAAAAAAAAAAAB1%3BJOB001/action/rerun", 202)
    ]
    assert result.job.id != jobs["JOB001"].id  # a rerun is a new instance in the chain
    result = tws.act("rerun", jobs["JOB002"])  # ABEND, TWS_AGENT2 unlinked -> INTRO
    assert result.accepted and result.job.status == "INTRO"
    now = by_job_id(tws.list_jobs())
    assert (now["JOB001"].status, now["JOB002"].status) == ("EXEC", "INTRO")
    chain = [j["status"]["internalStatus"] for j in fake.plan()["jobs"] if j["name"] == "JOB002"]
    assert chain == ["ABEND", "INTRO"]


def test_hold_release_cancel_and_refusals(fake: FakeTwsServer) -> None:
    tws = client(fake)
    jobs = by_job_id(tws.list_jobs())
    released = tws.act("release", jobs["JOB007"])
    assert released.accepted and released.job.status == "READY"
    held = tws.act("hold", jobs["JOB008"])
    assert held.accepted and held.job.status == "HOLD"
    cancelled = tws.act("cancel", jobs["JOB009"])
    assert cancelled.accepted and cancelled.job.status == "CANCELED"
    refused = tws.act("hold", jobs["JOB001"])  # SUCC cannot be held: 400 with messages
    assert not refused.accepted
    assert "only a job that has not started can be held" in refused.detail
    assert refused.job == jobs["JOB001"]
    with pytest.raises(TwsError) as err:
        tws.act("rerun", Job(id="NOPE;X;Y", name="x", job_id="Y", status="ABEND", workstation="NOPE"))
    assert err.value.kind == "not_found"


def test_action_put_is_not_retried_on_500(fake: FakeTwsServer) -> None:
    tws = client(fake)
    job = by_job_id(tws.list_jobs())["JOB002"]
    fake.set_fault("500")
    with pytest.raises(TwsError) as err:
        tws.act("rerun", job)
    assert err.value.kind == "server"
    assert fake.count("PUT") == 1


def test_action_put_is_retried_when_nothing_was_sent() -> None:
    port = free_port()
    server: FakeTwsServer | None = None
    job = DemoTwsClient().list_jobs()[1]

    def start_server_then_sleep(_pause: float) -> None:
        nonlocal server
        if server is None:  # the first connect was refused: nothing was sent, so a retry is safe
            server = FakeTwsServer(port=port).start()

    tws = RestTwsClient(
        f"http://127.0.0.1:{port}/twsd", timeouts=FAST, retry=RETRY, sleep=start_server_then_sleep
    )
    try:
        result = tws.act("rerun", job)
        assert result.accepted
        assert server is not None and server.count("PUT") == 1
    finally:
        if server is not None:
            server.stop()


# -------------------------------------------------------------------------------------------------- auth
def test_basic_and_bearer_auth(fake: FakeTwsServer) -> None:
    assert len(client(fake).list_workstations()) == 4
    assert len(client(fake, credentials=TwsCredentials(api_key=API_KEY)).list_workstations()) == 4
    assert [r.auth for r in fake.requests] == ["basic", "bearer"]


@pytest.mark.parametrize(
    "credentials",
    [
        TwsCredentials(username=USER, password="wrong"),
        TwsCredentials(api_key="wrong"),
        TwsCredentials(),
    ],
    ids=["bad-password", "bad-api-key", "anonymous"],
)
def test_401_is_unauthorized_and_not_retried(fake: FakeTwsServer, credentials: TwsCredentials) -> None:
    with pytest.raises(TwsError) as err:
        client(fake, credentials=credentials).list_jobs()
    assert err.value.kind == "unauthorized"
    assert "HTTP 401" in err.value.detail and "AWSJCO005E" in err.value.detail
    assert fake.count() == 1


def test_401_fault(fake: FakeTwsServer) -> None:
    fake.set_fault("401")
    with pytest.raises(TwsError) as err:
        client(fake).list_workstations()
    assert err.value.kind == "unauthorized"


# -------------------------------------------------------------------------------------- retries, timeouts
def test_500_is_retried_then_server_error(fake: FakeTwsServer) -> None:
    fake.set_fault("500")
    started = time.monotonic()
    with pytest.raises(TwsError) as err:
        client(fake).list_jobs()
    assert time.monotonic() - started < 2
    assert err.value.kind == "server"
    assert "after 3 attempts" in err.value.detail
    attempts = [r for r in fake.requests if r.path.endswith("/job/query")]
    assert [r.status for r in attempts] == [500, 500, 500]
    assert len({r.request_id for r in attempts}) == 1  # one logical request, one Request-Id


def test_500_then_recovery(fake: FakeTwsServer) -> None:
    fake.set_fault("500")
    tws = client(fake, sleep=lambda _pause: fake.set_fault("none"))
    assert len(tws.list_jobs()) == 15
    assert [r.status for r in fake.requests] == [500, 200]


def test_backoff_is_exponential_with_jitter_and_bounded() -> None:
    import random

    policy = RetryPolicy(attempts=6, base=0.1, max_backoff=0.5)
    rng = random.Random(7)
    pauses = [policy.backoff(n, rng) for n in range(1, 6)]
    for n, pause in enumerate(pauses, start=1):
        cap = min(0.5, 0.1 * 2 ** (n - 1))
        assert cap / 2 <= pause <= cap
    assert len({round(p, 6) for p in pauses}) == 5


def test_slow_is_a_timeout_within_the_bound(fake: FakeTwsServer) -> None:
    fake.set_fault("slow", delay=3.0)
    tws = client(fake, timeouts=Timeouts(connect=0.5, read=0.2), retry=RetryPolicy(attempts=2, base=0.01))
    started = time.monotonic()
    with pytest.raises(TwsError) as err:
        tws.list_jobs()
    elapsed = time.monotonic() - started
    assert err.value.kind == "timeout"
    # Two reads of 0.2 s, then it gives up — without waiting for the slow server's 3 s answer.
    # (A bound on behaviour with a wide margin for a loaded machine, not a speed claim.)
    assert 0.35 < elapsed < 2.5


def test_slow_respects_the_total_budget(fake: FakeTwsServer) -> None:
    fake.set_fault("slow", delay=1.0)
    tws = client(
        fake, timeouts=Timeouts(connect=0.5, read=0.3), retry=RetryPolicy(attempts=10, base=0.01, budget=0.5)
    )
    started = time.monotonic()
    with pytest.raises(TwsError) as err:
        tws.list_workstations()
    assert err.value.kind == "timeout"
    assert time.monotonic() - started < 0.8


def test_action_put_is_not_retried_on_read_timeout(fake: FakeTwsServer) -> None:
    tws = client(fake, timeouts=Timeouts(connect=0.5, read=0.2))
    job = by_job_id(tws.list_jobs())["JOB001"]
    fake.set_fault("slow", delay=0.5)
    with pytest.raises(TwsError) as err:
        tws.act("rerun", job)
    assert err.value.kind == "timeout"
    fake.set_fault("none")
    time.sleep(0.5)  # let the slow handler finish and record what it saw
    assert fake.count("PUT") == 1


def test_unreachable_port() -> None:
    tws = RestTwsClient(f"http://127.0.0.1:{free_port()}/twsd", timeouts=FAST, retry=RETRY)
    started = time.monotonic()
    with pytest.raises(TwsError) as err:
        tws.list_jobs()
    assert err.value.kind == "unreachable"
    assert "after 3 attempts" in err.value.detail
    assert time.monotonic() - started < 1


def test_fault_control_endpoint_over_http(fake: FakeTwsServer) -> None:
    control = fake.url.removesuffix("/twsd") + "/__fault"

    def post(data: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(control, data=json.dumps(data).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=2) as resp:
            return dict(json.load(resp))

    assert post({"mode": "500"}) == {"mode": "500", "delay": 1.0}
    with pytest.raises(TwsError) as err:
        client(fake).list_workstations()
    assert err.value.kind == "server"
    assert post({"mode": "none"})["mode"] == "none"
    assert len(client(fake).list_workstations()) == 4
    with pytest.raises(urllib.error.HTTPError) as http_err:
        post({"mode": "explode"})
    assert http_err.value.code == 400


def test_bad_json_is_bad_response() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html>maintenance</html>" if "job" in self.path else b'{"not": "a list"}'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        tws = RestTwsClient(f"http://127.0.0.1:{httpd.server_address[1]}/twsd", timeouts=FAST, retry=RETRY)
        for call in (tws.list_jobs, tws.list_workstations):
            with pytest.raises(TwsError) as err:
                call()
            assert err.value.kind == "bad_response"
    finally:
        httpd.shutdown()
        httpd.server_close()


# ------------------------------------------------------------------------------------------ no secrets out
def test_credentials_never_logged(fake: FakeTwsServer, caplog: pytest.LogCaptureFixture) -> None:
    secrets = [PASSWORD, API_KEY, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    errors: list[str] = []
    # The Powertools logger of an earlier test may have set "twschat" to INFO: ask for DEBUG here.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="twschat.adapters.tws_rest"):
        basic = client(fake)
        bearer = client(fake, credentials=TwsCredentials(api_key=API_KEY))
        basic.list_jobs()
        bearer.job_log(by_job_id(bearer.list_jobs())["JOB002"])
        fake.set_fault("500")
        for tws in (basic, bearer):
            with pytest.raises(TwsError) as err:
                tws.list_workstations()
            errors.append(str(err.value))
        fake.set_fault("401")
        with pytest.raises(TwsError) as err:
            basic.list_jobs()
        errors.append(str(err.value))
    assert "retry 1/2" in caplog.text and "-> 200" in caplog.text  # the log did record the calls
    blob = caplog.text + "".join(errors) + repr(basic) + repr(bearer) + repr(TwsCredentials(USER, PASSWORD))
    for secret in secrets:
        assert secret not in blob
    assert "Authorization" not in caplog.text


# ------------------------------------------------------------------------------------ TLS, configuration
def test_tls_is_verified_and_cannot_be_turned_off() -> None:
    ctx = RestTwsClient("https://mdm.example.com:31116/twsd")._http._ssl
    assert ctx is not None
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    for fn in (RestTwsClient.__init__, build_rest_client):
        params = inspect.signature(fn).parameters
        assert not {"insecure", "verify", "verify_ssl"} & set(params)
    with pytest.raises(ValueError, match="loopback"):
        RestTwsClient("http://mdm.example.com:31116/twsd")
    with pytest.raises(ValueError, match="CA bundle"):
        RestTwsClient("https://mdm.example.com:31116/twsd", ca_bundle="/nonexistent/ca.pem")


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-tws")])
    valid_from, valid_until = validity_window()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_tls_with_a_ca_bundle(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with FakeTwsServer(username=USER, password=PASSWORD, tls=tls) as server:
        assert server.url.startswith("https://127.0.0.1:")
        creds = TwsCredentials(username=USER, password=PASSWORD)
        for bundle in (str(cert), cert.read_text()):  # a path or the PEM text itself
            tws = RestTwsClient(server.url, credentials=creds, ca_bundle=bundle, timeouts=FAST, retry=RETRY)
            assert len(tws.list_workstations()) == 4
        untrusted = RestTwsClient(server.url, credentials=creds, timeouts=FAST, retry=RETRY)
        with pytest.raises(TwsError) as err:
            untrusted.list_workstations()
        assert err.value.kind == "unreachable"
        assert "not trusted" in err.value.detail and "after" not in err.value.detail  # not retried


# ------------------------------------------------------------------------------------ secrets (Powertools)
@pytest.fixture
def secrets() -> Iterator[Any]:
    import boto3
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    parameters.clear_caches()


def test_secret_with_username_and_password(fake: FakeTwsServer, secrets: Any) -> None:
    arn = secrets.create_secret(
        Name="tws/basic", SecretString=json.dumps({"username": USER, "password": PASSWORD})
    )["ARN"]
    tws = build_rest_client(fake.url, secret_arn=arn, timeout=Timeouts(0.5, 0.5), retry=RETRY)
    assert len(tws.list_jobs()) == 15
    assert fake.requests[-1].auth == "basic"


def test_secret_with_api_key(fake: FakeTwsServer, secrets: Any) -> None:
    arn = secrets.create_secret(Name="tws/key", SecretString=json.dumps({"apiKey": API_KEY}))["ARN"]
    assert credentials_from_secret(arn).scheme == "bearer"
    tws = build_rest_client(fake.url, secret_arn=arn, timeout=0.5, retry=RETRY)
    assert len(tws.list_workstations()) == 4
    assert fake.requests[-1].auth == "bearer"


def test_rotated_secret_is_reread_after_401(fake: FakeTwsServer, secrets: Any) -> None:
    arn = secrets.create_secret(Name="tws/rotating", SecretString=json.dumps({"apiKey": "old-key"}))["ARN"]
    tws = build_rest_client(fake.url, secret_arn=arn, timeout=0.5, retry=RETRY)
    with pytest.raises(TwsError):
        tws.list_workstations()  # 401, re-read (same old key), 401 -> unauthorized
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"apiKey": API_KEY}))
    with pytest.raises(TwsError):
        tws.list_workstations()  # re-read at most once a minute: the cached old key, 401
    assert [r.status for r in fake.requests] == [401, 401, 401]
    tws.refresh_interval = 0
    assert len(tws.list_workstations()) == 4  # the cached old key gets 401, the re-read key works
    assert [r.status for r in fake.requests] == [401, 401, 401, 401, 200]


@pytest.mark.parametrize("secret", [json.dumps({"user": "x"}), "not json", json.dumps(["a"])])
def test_bad_or_missing_secret_is_unauthorized(fake: FakeTwsServer, secrets: Any, secret: str) -> None:
    arn = secrets.create_secret(Name=f"tws/bad-{uuid.uuid4().hex[:6]}", SecretString=secret)["ARN"]
    tws = build_rest_client(fake.url, secret_arn=arn, timeout=0.5, retry=RETRY)  # lazy: no error yet
    with pytest.raises(TwsError) as err:
        tws.list_jobs()
    assert err.value.kind == "unauthorized"
    assert "not json" not in str(err.value)
    missing = build_rest_client(fake.url, secret_arn=arn + "-missing", timeout=0.5, retry=RETRY)
    with pytest.raises(TwsError) as err:
        missing.list_jobs()
    assert err.value.kind == "unauthorized"
    assert fake.count() == 0


def test_build_rest_client_credentials_precedence(fake: FakeTwsServer) -> None:
    build_rest_client(fake.url, api_key=API_KEY, username=USER, password="x", timeout=0.5).list_workstations()
    build_rest_client(fake.url, username=USER, password=PASSWORD, timeout=0.5).list_workstations()
    assert [r.auth for r in fake.requests] == ["bearer", "basic"]
    with pytest.raises(ValueError):
        build_rest_client("")


# -------------------------------------------------------------------------------------------- the dialect
def test_dialect_accepts_the_sample_shapes() -> None:
    dialect = TwsApiDialect()
    stream = dialect.parse_job_stream(
        {"key": {"name": "DAILY", "workstationKey": {"name": "CPU1"}, "startTime": "2024-04-12T08:00:00Z"}}
    )
    assert (stream.name, stream.workstation) == ("DAILY", "CPU1")
    assert stream.start_time == dt.datetime(2024, 4, 12, 8, tzinfo=dt.UTC)
    job = dialect.parse_job({"id": "CPU1;X;PAY1", "name": "PAY1", "status": {"internalStatus": "exec"}})
    assert (job.name, job.job_id, job.status, job.workstation) == ("PAY1", "PAY1", "EXEC", "")
    ws = dialect.parse_workstation({"workstationInPlanKey": {"name": "CPU1"}, "ssmRunning": False})
    assert (ws.status, ws.linked, ws.jobman_running) == ("UNKNOWN", None, None)
    assert dialect.parse_job_log("application/json", b'{"log": "x"}') == "x"
    assert dialect.parse_job_log("text/plain", b"plain") == "plain"
    with pytest.raises(TwsError):
        dialect.parse_job({"name": "no id"})


# --------------------------------------------------------------------------------------------------- CLI
def test_cli_refuses_non_loopback_and_half_basic_auth() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    fake_tws.register(parser.add_subparsers(dest="command"))
    lines: list[str] = []
    args = parser.parse_args(["fake-tws", "--host", "0.0.0.0", "--port", "0"])
    assert args.func is fake_tws.run
    assert fake_tws.run(args, out=lines.append) == 2
    assert "loopback" in lines[-1]
    args = parser.parse_args(["fake-tws", "--user", "x", "--port", "0"])
    assert fake_tws.run(args, out=lines.append) == 2


# ------------------------------------------------------------------------------------------ conversation
def _ask(responder: Any, message: str) -> Any:
    from twschat.core.responder import ResponderRequest

    return responder.respond(ResponderRequest(agent="tws-general", message=message))


def test_conversation_through_the_rest_client(fake: FakeTwsServer) -> None:
    rules = pytest.importorskip("twschat.assistant.responder")
    responder = rules.RuleResponder(client(fake))
    assert "JOB002" in _ask(responder, "qual job esta em abend?").text
    assert "TWS_AGENT2" in _ask(responder, "quais workstations estão offline?").text
    fake.set_fault("500")
    reply = _ask(responder, "qual job esta em abend?")
    assert reply.context.get("error") == "server"
    assert "TWS" in reply.text and "Tente de novo" in reply.text
    fake.set_fault("slow", delay=1.0)
    slow = rules.RuleResponder(client(fake, timeouts=Timeouts(0.5, 0.2), retry=RetryPolicy(attempts=1)))
    assert _ask(slow, "qual job esta em abend?").context.get("error") == "timeout"
