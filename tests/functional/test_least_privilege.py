"""Least privilege, checked against the code: every AWS call each handler makes (recorded while the
handlers run on moto) must be granted by that function's policy in template.yaml — and every
permission the template grants must be used by some path of that function."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.client
import pytest
from moto import mock_aws

from tests.handlers import FakeContext, event, load_handler
from twschat import runtime, watching
from twschat.core.conversation import ConnectionRecord
from twschat.llm.pricing import DEFAULT_MODEL_ID
from twschat.persistence.dynamodb import dynamodb_stores
from twschat.persistence.tables import ensure_tables
from twschat_dev.fake_bedrock import FakeBedrockServer
from twschat_dev.template import load_template

TABLES = {"conn": "ConnectionsTable", "hist": "HistoryTable", "audit": "AuditTable", "alerts": "AlertsTable"}
FUNCTIONS = {"twschat-welcome": "WelcomeFunction", "twschat-turn-worker": "TurnWorkerFunction"}
ENDPOINT = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod"
METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}
# S3 operations -> the IAM actions they need (DeleteObjects is authorised as s3:DeleteObject).
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
}
BUCKETS = {"web-page": "WebBucket"}
# Bedrock Runtime operations -> the IAM actions that authorise them (Converse is InvokeModel).
BEDROCK_ACTIONS = {
    "ConverseStream": "bedrock:InvokeModelWithResponseStream",
    "Converse": "bedrock:InvokeModel",
}
# Granted for paths moto cannot take: a 410 Gone from the connections API (moto never answers 410),
# and the TWS credentials secret (TwsMode=rest only).
FAILURE_PATHS = {
    ("DefaultFunction", "dynamodb:DeleteItem", "ConnectionsTable"),
    ("DefaultFunction", "secretsmanager:GetSecretValue", "TwsSecretArn"),
    ("TurnWorkerFunction", "dynamodb:DeleteItem", "ConnectionsTable"),
    ("TurnWorkerFunction", "secretsmanager:GetSecretValue", "TwsSecretArn"),
    ("WatchFunction", "dynamodb:DeleteItem", "ConnectionsTable"),
    ("WatchFunction", "secretsmanager:GetSecretValue", "TwsSecretArn"),
    # Bedrock routes a call through the inference profile to its foundation model in a destination
    # Region: AWS checks that grant, no client calls it. Converse (InvokeModel) is the running
    # summary's refresh, every 6 turns: one turn here does not reach it.
    ("TurnWorkerFunction", "bedrock:InvokeModel", "BedrockFoundationModelId"),
    ("TurnWorkerFunction", "bedrock:InvokeModelWithResponseStream", "BedrockFoundationModelId"),
    ("TurnWorkerFunction", "bedrock:InvokeModel", "BedrockModelId"),
    # Only with BedrockGuardrailId set.
    ("TurnWorkerFunction", "bedrock:ApplyGuardrail", "BedrockGuardrailId"),
    # The conversation's title (issue 17), set by its first message: the worker turns here continue a
    # conversation $default began.
    ("TurnWorkerFunction", "dynamodb:UpdateItem", "HistoryTable"),
}

Permission = tuple[str, str, str]  # (function, action, resource)


def _resource(raw: Any) -> str:
    text = json.dumps(raw)
    if match := re.search(r"/(GET|POST|DELETE)/@connections", text):
        return f"@connections:{match.group(1)}"
    if match := re.search(r"\$\{(\w+)\.Arn\}(/index/\w+)?", text):
        return match.group(1) + (match.group(2) or "")
    if match := re.search(r'"Fn::GetAtt": \["(\w+)", "Arn"\]', text):
        return match.group(1)
    if match := re.search(r'"Ref": "(\w+)"', text):
        return match.group(1)
    # An ARN built from a parameter (the Bedrock model, profile or guardrail): named by that parameter.
    if named := [name for name in re.findall(r"\$\{(\w+)\}", text) if not name.startswith("AWS")]:
        return named[-1]
    raise AssertionError(f"unrecognised resource {text}")


def _statements(policies: Any) -> Iterator[dict[str, Any]]:
    for policy in policies or []:
        if "Fn::If" in policy:  # a conditional statement: both branches may apply
            for branch in policy["Fn::If"][1:]:
                yield from _statements([branch])
        elif isinstance(policy, dict):
            yield from policy.get("Statement", [])


def granted() -> set[Permission]:
    resources = load_template("template.yaml")["Resources"]
    found: set[Permission] = set()
    for lid, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for statement in _statements(res["Properties"].get("Policies")):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            found |= {(lid, action, _resource(target)) for action in actions for target in targets}
    return found


class Recorder:
    def __init__(self) -> None:
        self.function = ""
        self.calls: set[Permission] = set()

    def record(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        service = client.meta.service_model.service_name
        if service == "dynamodb":
            # BatchGetItem names its table(s) in RequestItems.
            table = params.get("TableName") or next(iter(params.get("RequestItems") or {"?": 0}))
            resource = TABLES.get(table, table)
            if params.get("IndexName"):
                resource += f"/index/{params['IndexName']}"
            self.calls.add((self.function, f"dynamodb:{operation}", resource))
        elif service == "apigatewaymanagementapi":
            self.calls.add(
                (self.function, "execute-api:ManageConnections", f"@connections:{METHODS[operation]}")
            )
        elif service == "lambda":
            self.calls.add((self.function, f"lambda:{operation}Function", FUNCTIONS[params["FunctionName"]]))
        elif service == "s3":
            action = S3_ACTIONS.get(operation, f"s3:{operation}")
            self.calls.add((self.function, action, BUCKETS.get(params.get("Bucket", ""), "?")))
        elif service == "bedrock-runtime":
            # The model id a function calls is the BedrockModelId parameter's value (the profile).
            resource = "BedrockModelId" if params.get("modelId") == DEFAULT_MODEL_ID else "?"
            self.calls.add((self.function, BEDROCK_ACTIONS.get(operation, f"bedrock:{operation}"), resource))
        else:
            self.calls.add((self.function, f"{service}:{operation}", "?"))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    for name, value in {
        "STORE_BACKEND": "dynamodb",
        "CONNECTIONS_TABLE": "conn",
        "HISTORY_TABLE": "hist",
        "AUDIT_TABLE": "audit",
        "WELCOME_FUNCTION_NAME": "twschat-welcome",
        "CONNECTIONS_API_URL": ENDPOINT,
        "ALERTS_TABLE": "alerts",
        "TEAM_ALERTS": "abend",
    }.items():
        monkeypatch.setenv(name, value)
    rec = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if rec.function:
            rec.record(self, operation, params)
        return original(self, operation, params)

    with mock_aws():
        ensure_tables(
            connections_table="conn",
            history_table="hist",
            audit_table="audit",
            alerts_table="alerts",
            region="us-east-1",
        )
        runtime.reset()
        watching.reset()
        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        monkeypatch.setattr("time.sleep", lambda s: None)
        yield rec
    runtime.reset()
    watching.reset()


def run(rec: Recorder, function: str, folder: str, ev: dict[str, Any]) -> dict[str, Any]:
    rec.function = function
    try:
        return load_handler(folder).lambda_handler(ev, FakeContext())
    finally:
        rec.function = ""


@pytest.mark.usefixtures("clock_at_events")
def test_every_call_is_granted_and_every_grant_is_used(recorder: Recorder) -> None:
    assert run(recorder, "ConnectFunction", "connect", event("connect"))["statusCode"] == 200
    run(recorder, "WelcomeFunction", "welcome", event("welcome"))
    turns = ["reroda o JOB002", "sim", '{"type": "history"}', '{"type": "conversations"}']
    # the user's own alert subscriptions (issue 18): subscribe, then cancel (the registry's count ends)
    turns += ["me avisa quando o JOB014 terminar", "para de me avisar do JOB014"]
    for i, body in enumerate(turns):
        ev = event(
            "default_text", body=body, messageId=f"m-{i}", requestTimeEpoch=1_795_608_005_000 + i * 1000
        )
        run(recorder, "DefaultFunction", "default", ev)
    redelivered = event("default_text", body="sim", messageId="m-1", requestTimeEpoch=1_795_608_006_000)
    run(recorder, "DefaultFunction", "default", redelivered)  # answered from the stored reply
    hand_turns_to_the_worker(recorder)
    item = boto3.client("dynamodb").get_item(
        TableName="conn", Key={"connectionId": {"S": "Bx2kXcPOoAMCJdA="}}
    )
    conversation_id = item["Item"]["conversationId"]["S"]
    continued = event(
        "connect", queryStringParameters={"agent": "tws-general", "conversationId": conversation_id}
    )
    assert run(recorder, "ConnectFunction", "connect", continued)["statusCode"] == 200
    now = int(time.time())
    dynamodb_stores("conn", "hist").connections.save_connection(
        ConnectionRecord(
            "idle-conn", "tws-general", conversation_id, "anonymous", now - 1000, now - 1000, now + 3600
        )
    )
    assert run(recorder, "SweeperFunction", "sweeper", {})["idle"] == 1
    watch_for_alerts(recorder, conversation_id)
    run(recorder, "DisconnectFunction", "disconnect", event("disconnect"))
    publish_the_web_page(recorder)

    grants = granted()
    used = recorder.calls
    assert used - grants == set(), "calls the template does not allow (AccessDenied in AWS)"
    unused = {
        g
        for g in grants
        if g[1].startswith(("dynamodb:", "execute-api:", "lambda:", "secretsmanager:", "s3:", "bedrock:"))
    }
    assert unused - used - FAILURE_PATHS == set(), "permissions no path of the code uses"


def hand_turns_to_the_worker(rec: Recorder) -> None:
    """Responder=bedrock: $default stores the message and invokes TurnWorkerFunction (moto has no such
    function: the invoke is recorded, then refused); the worker answers the stored turn (the rule
    responder here: the model is not what is checked) and a pending action's "sim"."""
    alerts = ["me avisa quando o JOB014 terminar", "para de me avisar do JOB014"]  # the rules answer them
    for i, body in enumerate(["reroda o JOB003", "sim", *alerts]):
        at = 1_795_608_020_000 + i * 1000
        with pytest.MonkeyPatch.context() as env:
            env.setenv("RESPONDER", "bedrock")
            env.setenv("TURN_WORKER_FUNCTION_NAME", "twschat-turn-worker")
            runtime.reset()
            ev = event("default_text", body=body, messageId=f"w-{i}", requestTimeEpoch=at)
            assert run(rec, "DefaultFunction", "default", ev)["body"] == "responder_failed"
        runtime.reset()
        turn = {
            "connectionId": "Bx2kXcPOoAMCJdA=",
            "messageId": f"w-{i}",
            "requestTimeMs": at,
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "stage": "prod",
        }
        assert run(rec, "TurnWorkerFunction", "turn_worker", turn)["body"] == "answered"
    # And one turn the model answers (the fake Bedrock over loopback; moto lets it through).
    at = 1_795_608_030_000
    with FakeBedrockServer(port=0) as fake, pytest.MonkeyPatch.context() as env:
        env.setenv("RESPONDER", "bedrock")
        env.setenv("TURN_WORKER_FUNCTION_NAME", "twschat-turn-worker")
        env.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        runtime.reset()
        ev = event("default_text", body="quais jobs estão em abend?", messageId="w-9", requestTimeEpoch=at)
        run(rec, "DefaultFunction", "default", ev)
        runtime.reset()
        turn = {
            "connectionId": "Bx2kXcPOoAMCJdA=",
            "messageId": "w-9",
            "requestTimeMs": at,
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "stage": "prod",
        }
        assert run(rec, "TurnWorkerFunction", "turn_worker", turn)["body"] == "answered"
        assert fake.stats()["requests"].get("converse-stream", 0) >= 1
    runtime.reset()


def publish_the_web_page(rec: Recorder) -> None:
    """WebPublishFunction (WebClient=enabled): publish on Create, empty the bucket on Delete."""
    from tests.functional.test_web_publish import event as cfn_event
    from tests.functional.test_web_publish import load_publisher

    publisher = load_publisher()
    answers: list[str] = []
    publisher.respond = lambda event, status, physical_id, reason="", **data: answers.append(status)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="web-page")
    rec.function = "WebPublishFunction"
    try:
        for request in ("Create", "Delete"):
            publisher.lambda_handler(
                {
                    **cfn_event(request),
                    "ResourceProperties": {**cfn_event(request)["ResourceProperties"], "Bucket": "web-page"},
                },
                None,
            )
    finally:
        rec.function = ""
    assert answers == ["SUCCESS", "SUCCESS"]


def watch_for_alerts(rec: Recorder, conversation_id: str) -> None:
    """WatchFunction: a baseline run, then JOB006 killed (EXEC -> ABEND): the one-shot subscription on
    it alerts its owner's connection and is kept in its conversation; TeamAlerts=abend alerts the
    connected operators (here the same user: one alert)."""
    from twschat.core.subscriptions import Subscription

    now = int(time.time())
    watching.alert_store().add_subscription(
        Subscription(
            "anonymous",
            "s-1",
            "job",
            "JOB006",
            "final",
            one_shot=True,
            conversation_id=conversation_id,
            created_at=now,
            expires_at=now + 3600,
        ),
        cap=20,
        now=now,
    )
    baseline = run(rec, "WatchFunction", "watch", {})
    assert baseline["changes"] == 0 and baseline["tws_calls"] == 2
    tws = watching.tws_client()
    job = next(j for j in tws.list_jobs() if j.job_id == "JOB006")
    tws.act("kill", job)
    alerted = run(rec, "WatchFunction", "watch", {})
    # one alert per user and transition: the team's copy for the same owner is a duplicate
    assert (alerted["alerts"], alerted["duplicates"], alerted["posted"], alerted["stored"]) == (1, 1, 1, 1)
