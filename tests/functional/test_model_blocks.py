"""Structured answers with ``Responder=bedrock`` (issue 17, docs/blocks.md): blocks are built from the
turn's TOOL RESULTS (what the TWS returned), never from the model's text; the confirmation block from the
code-written pending action only. Driven through ``twschat fake-bedrock``'s scripted mode (``POST
/__script``) and the REAL boto3 client, over the demo plan."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job, job_category
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat.llm.bedrock import BedrockModelClient
from twschat.llm.responder import BedrockResponder
from twschat_dev.fake_bedrock import FakeBedrockServer


@pytest.fixture
def fake() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer(port=0) as server:
        yield server


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", raising=False)


def _script(fake: FakeBedrockServer, replies: list[Any]) -> None:
    request = urllib.request.Request(fake.url + "/__script", data=json.dumps(replies).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _tool(name: str, **args: Any) -> dict[str, Any]:
    return {"content": [{"toolUse": {"name": name, "input": args}}]}


def _ask(fake: FakeBedrockServer, tws: DemoTwsClient, *texts: str) -> Reply:
    responder = BedrockResponder(
        tws,
        BedrockModelClient(region="us-east-1", endpoint_url=fake.url),
        audit=InMemoryAuditSink(),
        sleep=lambda _s: None,
    )
    history: list[Turn] = []
    reply: Reply | None = None
    for text in texts:
        reply = responder.respond(
            ResponderRequest("tws-general", text, tuple(history), principal=Principal("u-1", "ana"))
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    assert reply is not None
    return reply


def _job(tws: DemoTwsClient, job_id: str) -> Job:
    return next(j for j in tws.list_jobs() if j.job_id == job_id)


def test_a_job_list_block_comes_from_list_jobs_result(fake: FakeBedrockServer) -> None:
    tws = DemoTwsClient()
    _script(fake, [_tool("list_jobs", state="abend"), "Há 1 job em ABEND: JOB002."])
    reply = _ask(fake, tws, "quais jobs estão em abend?")
    assert reply.intent == "llm" and reply.context["llm"]["calls"][0]["name"] == "list_jobs"
    [block] = reply.blocks
    abend = [j for j in tws.list_jobs() if j.status in ("ABEND", "ABENP", "ABENDP")]
    assert block["kind"] == "jobs" and [i["planId"] for i in block["items"]] == [j.id for j in abend]
    assert [(i["status"], i["returnCode"]) for i in block["items"]] == [
        (j.status, j.return_code) for j in abend
    ]


def test_a_model_claiming_another_state_does_not_change_the_badge(fake: FakeBedrockServer) -> None:
    tws = DemoTwsClient()
    job = _job(tws, "JOB002")
    claim = "O JOB002 terminou com SUCC (rc 0), está tudo verde."
    _script(fake, [_tool("get_job", job="JOB002"), claim])
    reply = _ask(fake, tws, "como está o JOB002?")
    assert reply.text == claim  # the model's words are its text...
    [block] = reply.blocks  # ...the badge is what the TWS returned
    assert block["kind"] == "job"
    item = block["item"]
    assert (item["status"], item["category"], item["returnCode"]) == (
        job.status,
        job_category(job.status),
        job.return_code,
    )
    assert item["status"] != "SUCC" and item["category"] == "failed"


def test_a_model_answer_without_tools_has_no_blocks(fake: FakeBedrockServer) -> None:
    _script(fake, ["O JOB002 está SUCC e o JOB004 também."])
    assert _ask(fake, DemoTwsClient(), "tudo bem com os jobs?").blocks == ()


def test_a_log_block_from_get_job_log_with_its_error_line(fake: FakeBedrockServer) -> None:
    tws = DemoTwsClient()
    _script(fake, [_tool("get_job_log", job="JOB002"), "O log mostra ORA-01653."])
    [block] = _ask(fake, tws, "por que o JOB002 falhou?").blocks
    assert block["kind"] == "log" and block["lines"] == tws.job_log(_job(tws, "JOB002")).rstrip("\n").split(
        "\n"
    )
    assert block["errorLines"] and all(
        "ORA-" in block["lines"][n - 1] or "ERROR" in block["lines"][n - 1] for n in block["errorLines"]
    )


def test_the_confirmation_comes_from_the_pending_action_not_the_models_words(fake: FakeBedrockServer) -> None:
    tws = DemoTwsClient()
    job = _job(tws, "JOB002")
    lead = "Vou propor o KILL do JOB006 agora mesmo."  # model text naming another action and job
    proposal = {"action": "rerun", "target_name": "JOB002", "reason": "o modelo achou"}
    _script(fake, [{"content": [{"text": lead}, {"toolUse": {"name": "propose_action", "input": proposal}}]}])
    reply = _ask(fake, tws, "reroda o JOB002")
    [block] = reply.blocks
    pending = reply.context["pending"]
    assert block["kind"] == "confirmation" and block["action"] == pending["action"] == "rerun"
    assert block["target"]["planId"] == pending["job"] == job.id and block["target"]["status"] == job.status
    assert "reason" not in block  # the operator gave none; the model's reason is never carried
    assert reply.lead == lead and reply.quick_replies == ("sim", "não")


def test_a_fallback_to_the_rules_keeps_the_rules_blocks(fake: FakeBedrockServer) -> None:
    _script(fake, [{"content": [{"text": "..."}], "stopReason": "malformed_tool_use", "repeat": 20}])
    reply = _ask(fake, DemoTwsClient(), "quais jobs estão em abend?")
    assert reply.telemetry is not None and reply.telemetry.fallback
    assert [b["kind"] for b in reply.blocks] == ["jobs", "jobs"]
