"""``twschat fake-bedrock`` driven by the REAL boto3 bedrock-runtime client: its request serializer,
its rest-json parser and botocore's event-stream decoder all run against the fake's wire format."""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError

from twschat_dev.cli import build_parser
from twschat_dev.fake_bedrock import FakeBedrockServer
from twschat_dev.fake_bedrock.eventstream import encode_message, event_message, exception_message
from twschat_dev.fake_bedrock.model import count_tokens

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"

TOOLS: dict[str, Any] = {
    "tools": [
        {
            "toolSpec": {
                "name": "list_jobs_by_state",
                "description": "List the jobs of the current plan in a given state.",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {
                            "state": {"type": "string", "enum": ["ABEND", "EXEC", "SUCC", "HOLD", "READY"]},
                            "limit": {"type": "integer", "description": "most jobs to return"},
                        },
                        "required": ["state"],
                    }
                },
            }
        },
        {
            "toolSpec": {
                "name": "get_job_log",
                "description": "Return the log (stdlist) of one job.",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"job_name": {"type": "string", "description": "the job's name"}},
                        "required": ["job_name"],
                    }
                },
            }
        },
        {
            "toolSpec": {
                "name": "list_workstations",
                "description": "List the workstations (agents) and whether they are linked.",
                "inputSchema": {"json": {"type": "object", "properties": {}}},
            }
        },
    ]
}
ABEND_JOBS = {
    "jobs": [
        {"name": "PAYROLL_01", "status": "ABEND", "workstation": "CPU1"},
        {"name": "BACKUP_NIGHT", "status": "ABEND", "workstation": "CPU2"},
    ]
}


@pytest.fixture
def fake() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer(port=0) as server:
        yield server


@pytest.fixture
def client(fake: FakeBedrockServer) -> Any:
    return _client(fake)


def _client(fake: FakeBedrockServer, **retries: Any) -> Any:
    config = Config(
        retries=cast(Any, retries or {"total_max_attempts": 1}), read_timeout=20, connect_timeout=5
    )
    return boto3.client("bedrock-runtime", endpoint_url=fake.url, region_name="us-east-1", config=config)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def text_of(response: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in response["output"]["message"]["content"])


def collect(stream: Any) -> tuple[list[dict[str, Any]], dict[int, str], dict[int, str]]:
    """The events, and per block index the concatenated text and tool input deltas."""
    events = list(stream)
    texts: dict[int, str] = {}
    inputs: dict[int, str] = {}
    for event in events:
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]["delta"]
            index = event["contentBlockDelta"]["contentBlockIndex"]
            if "text" in delta:
                texts[index] = texts.get(index, "") + delta["text"]
            else:
                inputs[index] = inputs.get(index, "") + delta["toolUse"]["input"]
    return events, texts, inputs


def control(fake: FakeBedrockServer, path: str, data: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        fake.url + path,
        data=json.dumps(data).encode() if data is not None else None,
        method="POST" if data is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


# ------------------------------------------------------------------------------------------ wire format
def test_encoder_round_trips_through_botocores_decoder() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(event_message("messageStart", {"role": "assistant"}))
    buffer.add_data(exception_message("throttlingException", {"message": "ação"}))
    first, second = list(cast(Iterator[Any], buffer))
    assert first.headers == {
        ":event-type": "messageStart",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(first.payload) == {"role": "assistant"}
    assert second.headers[":message-type"] == "exception"
    assert json.loads(second.payload) == {"message": "ação"}
    corrupt = bytearray(encode_message({":message-type": "event"}, b"{}"))
    corrupt[-6] ^= 1
    broken = EventStreamBuffer()
    broken.add_data(bytes(corrupt))
    with pytest.raises(Exception, match="Checksum mismatch"):
        list(broken)


# ------------------------------------------------------------------------------------------ no tools
def test_converse_without_tools_answers_in_the_operators_language(client: Any) -> None:
    pt = client.converse(modelId=MODEL, messages=[user("Olá, o que você consegue fazer?")])
    assert pt["stopReason"] == "end_turn"
    assert pt["output"]["message"]["role"] == "assistant"
    assert "Você perguntou" in text_of(pt)
    en = client.converse(modelId=MODEL, messages=[user("Hello, what can you do for me?")])
    assert text_of(en).startswith("You asked")
    assert en["metrics"]["latencyMs"] >= 0


def test_without_tools_it_answers_from_the_conversation_text(client: Any) -> None:
    response = client.converse(
        modelId=MODEL,
        system=[{"text": "Known so far: PAYROLL_01 ended in ABEND at 02:10. BACKUP_NIGHT is running."}],
        messages=[user("What happened to PAYROLL_01?")],
    )
    assert "PAYROLL_01 ended in ABEND at 02:10." in text_of(response)
    assert "BACKUP_NIGHT" not in text_of(response)


def test_stream_text_deltas_reassemble_to_the_converse_text(client: Any) -> None:
    messages = [user("Bom dia! Preciso de ajuda com o plano de hoje, por favor.")]
    whole = text_of(client.converse(modelId=MODEL, messages=messages))
    events, texts, _ = collect(client.converse_stream(modelId=MODEL, messages=messages)["stream"])
    deltas = [e for e in events if "contentBlockDelta" in e]
    assert len(deltas) >= 5
    assert all(len(d["contentBlockDelta"]["delta"]["text"]) < 40 for d in deltas)
    assert texts == {0: whole}
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"


# ------------------------------------------------------------------------------------------ tools
def test_full_tool_round_trip_answers_only_from_the_tool_result(client: Any) -> None:
    messages = [user("Quais jobs estão em ABEND?")]
    events, _texts, inputs = collect(
        client.converse_stream(modelId=MODEL, messages=messages, toolConfig=TOOLS)["stream"]
    )
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    tool_use = start["start"]["toolUse"]
    assert tool_use["name"] == "list_jobs_by_state"
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool_use["toolUseId"])
    tool_input = json.loads(inputs[start["contentBlockIndex"]])
    assert tool_input == {"state": "ABEND"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"

    messages.append({"role": "assistant", "content": [{"toolUse": {**tool_use, "input": tool_input}}]})
    messages.append(
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"json": ABEND_JOBS}]}}
            ],
        }
    )
    answer = client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS)
    assert answer["stopReason"] == "end_turn"
    text = text_of(answer)
    assert "PAYROLL_01: ABEND" in text and "BACKUP_NIGHT: ABEND" in text
    assert "retornou 2 registro(s)" in text  # Portuguese: the question was
    allowed = json.dumps(ABEND_JOBS) + " list_jobs_by_state"
    for name in re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", text):
        assert name in allowed, f"{name} is not in the tool result"


def test_an_empty_result_is_not_padded_with_invented_jobs(client: Any) -> None:
    first = client.converse(modelId=MODEL, messages=[user("Which jobs are in HOLD?")], toolConfig=TOOLS)
    use = first["output"]["message"]["content"][0]["toolUse"]
    assert use["input"] == {"state": "HOLD"}
    messages = [
        user("Which jobs are in HOLD?"),
        first["output"]["message"],
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"jobs": []}}]}}],
        },
    ]
    answer = text_of(client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS))
    assert answer == "list_jobs_by_state returned no records."


def test_log_questions_call_the_log_tool_with_the_named_job_or_the_last_listed_one(client: Any) -> None:
    named = client.converse(modelId=MODEL, messages=[user("Mostre o log do PAYROLL_01")], toolConfig=TOOLS)
    use = named["output"]["message"]["content"][0]["toolUse"]
    assert (use["name"], use["input"]) == ("get_job_log", {"job_name": "PAYROLL_01"})
    listing = client.converse(modelId=MODEL, messages=[user("jobs em abend?")], toolConfig=TOOLS)
    list_use = listing["output"]["message"]["content"][0]["toolUse"]
    messages = [
        user("jobs em abend?"),
        listing["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": list_use["toolUseId"],
                        "content": [{"json": {"jobs": [ABEND_JOBS["jobs"][1]]}}],
                    }
                }
            ],
        },
    ]
    messages.append(client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS)["output"]["message"])
    messages.append(user("e o log dele?"))
    referent = client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS)
    use = referent["output"]["message"]["content"][0]["toolUse"]
    assert (use["name"], use["input"]) == ("get_job_log", {"job_name": "BACKUP_NIGHT"})
    messages += [
        referent["output"]["message"],
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": use["toolUseId"],
                        "content": [{"json": {"log": "AWSBHT001E step 3 ended with RC=12"}}],
                    }
                }
            ],
        },
    ]
    answer = text_of(client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS))
    assert answer == "Resultado de get_job_log:\nAWSBHT001E step 3 ended with RC=12"


def test_tool_input_is_split_across_deltas_and_parses(client: Any) -> None:
    question = "Which jobs are in ABEND? Show at most 25."
    events, _, inputs = collect(
        client.converse_stream(modelId=MODEL, messages=[user(question)], toolConfig=TOOLS)["stream"]
    )
    pieces = [e for e in events if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert len(pieces) >= 3
    assert json.loads(inputs[0]) == {"state": "ABEND", "limit": 25}
    whole = client.converse(modelId=MODEL, messages=[user(question)], toolConfig=TOOLS)
    assert whole["output"]["message"]["content"][0]["toolUse"]["input"] == json.loads(inputs[0])


def test_workstation_questions_pick_the_workstation_tool(client: Any) -> None:
    response = client.converse(
        modelId=MODEL, messages=[user("As estações estão todas ligadas?")], toolConfig=TOOLS
    )
    use = response["output"]["message"]["content"][0]["toolUse"]
    assert (use["name"], use["input"]) == ("list_workstations", {})


# ------------------------------------------------------------------------------------------ faults
def test_throttle_is_a_client_error_before_the_stream(fake: FakeBedrockServer, client: Any) -> None:
    assert control(fake, "/__fault", {"mode": "throttle"}) == {"mode": "throttle", "delay": 2.0, "times": 0}
    assert control(fake, "/__fault")["mode"] == "throttle"
    with pytest.raises(ClientError) as caught:
        client.converse_stream(modelId=MODEL, messages=[user("oi")])  # raised by the call itself
    assert not isinstance(caught.value, EventStreamError)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=MODEL, messages=[user("oi")])


def test_a_throttle_for_one_request_is_retried_by_boto3(fake: FakeBedrockServer) -> None:
    fake.set_fault("throttle", times=1)
    retrying = _client(fake, mode="standard", max_attempts=3)
    response = retrying.converse(modelId=MODEL, messages=[user("oi")])
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    stats = fake.stats()
    assert stats["status"] == {"200": 1, "429": 1}
    assert fake.fault_state()["mode"] == "none"


def test_stream_error_is_an_event_stream_error_inside_the_stream(
    fake: FakeBedrockServer, client: Any
) -> None:
    fake.set_fault("stream-error")
    response = client.converse_stream(
        modelId=MODEL, messages=[user("Bom dia! Preciso de ajuda com o plano de hoje, por favor.")]
    )
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as caught:
        for event in response["stream"]:
            seen.append(event)
    assert isinstance(caught.value, ClientError)
    assert caught.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert [next(iter(e)) for e in seen] == ["messageStart", "contentBlockDelta", "contentBlockDelta"]
    with pytest.raises(ClientError) as converse:
        client.converse(modelId=MODEL, messages=[user("oi")])
    assert converse.value.response["Error"]["Code"] == "ModelErrorException"


def test_malformed_tool_input_does_not_parse(fake: FakeBedrockServer, client: Any) -> None:
    fake.set_fault("malformed-tool")
    messages = [user("Quais jobs estão em ABEND?")]
    events, _, inputs = collect(
        client.converse_stream(modelId=MODEL, messages=messages, toolConfig=TOOLS)["stream"]
    )
    assert any("contentBlockStart" in e for e in events)
    with pytest.raises(json.JSONDecodeError):
        json.loads(inputs[0])
    broken = client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS)
    tool_input = broken["output"]["message"]["content"][0]["toolUse"]["input"]
    assert isinstance(tool_input, str)
    with pytest.raises(json.JSONDecodeError):
        json.loads(tool_input)
    # a text reply has no tool input to break
    assert text_of(client.converse(modelId=MODEL, messages=[user("oi")]))


def test_slow_first_token_delays_the_first_delta(fake: FakeBedrockServer, client: Any) -> None:
    control(fake, "/__fault", {"mode": "slow-first-token", "delay": 0.6})
    started = time.monotonic()
    response = client.converse_stream(modelId=MODEL, messages=[user("oi")])
    first_delta = None
    for event in response["stream"]:
        if "contentBlockDelta" in event and first_delta is None:
            first_delta = time.monotonic() - started
    assert first_delta is not None and first_delta >= 0.6
    control(fake, "/__fault", {"mode": "none"})
    started = time.monotonic()
    list(client.converse_stream(modelId=MODEL, messages=[user("oi")])["stream"])
    assert time.monotonic() - started < 0.6


def test_bad_fault_requests_are_refused(fake: FakeBedrockServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(fake, "/__fault", {"mode": "explode"})
    assert caught.value.code == 400
    with pytest.raises(ValueError):
        FakeBedrockServer(host="0.0.0.0")
    with pytest.raises(urllib.error.HTTPError) as bad_body:
        urllib.request.urlopen(
            urllib.request.Request(fake.url + "/model/m/converse", data=b"not json", method="POST"), timeout=5
        )
    assert bad_body.value.code == 400
    assert bad_body.value.headers["x-amzn-ErrorType"].startswith("ValidationException:")


# ------------------------------------------------------------------------------------------ tokens
def test_usage_counts_grow_with_the_input(fake: FakeBedrockServer, client: Any) -> None:
    short = client.converse(modelId=MODEL, messages=[user("a" * 40)])
    assert short["usage"]["inputTokens"] == 10 == count_tokens("a" * 40)
    assert short["usage"]["outputTokens"] == count_tokens(text_of(short))
    assert short["usage"]["totalTokens"] == short["usage"]["inputTokens"] + short["usage"]["outputTokens"]
    longer = client.converse(modelId=MODEL, messages=[user("a" * 40 + " and a much longer question")])
    assert longer["usage"]["inputTokens"] > short["usage"]["inputTokens"]
    events, _, _ = collect(client.converse_stream(modelId=MODEL, messages=[user("a" * 41)])["stream"])
    usage = events[-1]["metadata"]["usage"]
    assert usage["inputTokens"] == 11
    assert "cacheReadInputTokens" not in usage
    stats = control(fake, "/__stats")
    assert stats["inputTokens"] == [10, short["usage"]["inputTokens"] + 7, 11]
    assert stats["last"]["inputTokens"] == 11 and stats["last"]["operation"] == "converse-stream"
    assert stats["requests"] == {"converse": 2, "converse-stream": 1, "total": 3}


def test_cache_points_write_then_read(client: Any) -> None:
    system = [{"text": "You are a TWS assistant. " * 20}, {"cachePoint": {"type": "default"}}]
    first = client.converse(modelId=MODEL, system=system, messages=[user("oi")])["usage"]
    prefix = count_tokens("You are a TWS assistant. " * 20)
    assert (first["cacheWriteInputTokens"], first["cacheReadInputTokens"]) == (prefix, 0)
    assert first["inputTokens"] == count_tokens("oi")
    second = client.converse(modelId=MODEL, system=system, messages=[user("tudo bem?")])["usage"]
    assert (second["cacheWriteInputTokens"], second["cacheReadInputTokens"]) == (0, prefix)
    assert second["totalTokens"] == prefix + second["inputTokens"] + second["outputTokens"]


# ------------------------------------------------------------------------------------------ summaries
def test_a_summary_request_keeps_the_named_facts(client: Any) -> None:
    messages = [
        user("Quais jobs estão em ABEND?"),
        {"role": "assistant", "content": [{"text": "PAYROLL_01 está em ABEND desde 02:10, RC 12."}]},
        user("Resuma a conversa até aqui."),
    ]
    summary = text_of(client.converse(modelId=MODEL, messages=messages))
    assert summary.startswith("Resumo:")
    assert "PAYROLL_01" in summary and "12" in summary
    english = client.converse(
        modelId=MODEL,
        system=[{"text": "Summarize the conversation below in a few lines."}],
        messages=[user("Earlier: BACKUP_NIGHT was held 3 times.")],
    )
    text = text_of(english)
    assert text.startswith("Summary:") and "BACKUP_NIGHT" in text and "3" in text
    assert english["stopReason"] == "end_turn"


def test_a_prompt_carrying_a_summary_is_answered_as_usual(client: Any) -> None:
    system = [{"text": "Resumo da conversa até aqui: PAYROLL_01 em ABEND. Conversation summary: none."}]
    response = client.converse(
        modelId=MODEL, system=system, messages=[user("Quais jobs estão em ABEND?")], toolConfig=TOOLS
    )
    assert response["stopReason"] == "tool_use"


def test_max_tokens_truncates(client: Any) -> None:
    response = client.converse(modelId=MODEL, messages=[user("oi")], inferenceConfig={"maxTokens": 3})
    assert response["stopReason"] == "max_tokens"
    assert len(text_of(response)) == 12


# ------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("messages", "needle"),
    [
        ([{"role": "assistant", "content": [{"text": "oi"}]}], "must start with a user message"),
        ([user("oi"), user("de novo")], "must alternate"),
        (
            [
                user("jobs em abend?"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "get_job_log", "input": {}}}],
                },
                {
                    "role": "user",
                    "content": [{"toolResult": {"toolUseId": "t2", "content": [{"text": "x"}]}}],
                },
            ],
            "toolUseId t2 does not match",
        ),
    ],
)
def test_validation_errors(client: Any, fake: FakeBedrockServer, messages: list[Any], needle: str) -> None:
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse(modelId=MODEL, messages=messages, toolConfig=TOOLS)
    assert needle in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError, match="ValidationException"):
        client.converse_stream(modelId=MODEL, messages=messages, toolConfig=TOOLS)
    assert fake.stats()["status"] == {"400": 2}


def test_tool_blocks_without_tool_config_are_refused(client: Any) -> None:
    messages = [
        user("x"),
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "n", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "y"}]}}]},
    ]
    with pytest.raises(client.exceptions.ValidationException, match="toolConfig"):
        client.converse(modelId=MODEL, messages=messages)


# ------------------------------------------------------------------------------------------ plumbing
def test_the_standard_endpoint_variable_points_boto3_at_the_fake(
    fake: FakeBedrockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
    plain = boto3.client("bedrock-runtime", region_name="us-east-1")
    assert plain.converse(modelId=MODEL, messages=[user("oi")])["stopReason"] == "end_turn"


def test_cli_help() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["fake-bedrock", "--help"])
    assert caught.value.code == 0
    assert "--port" in out.getvalue() and "--fault" in out.getvalue() and "slow-first-token" in out.getvalue()
    args = build_parser().parse_args(["fake-bedrock", "--port", "0", "--fault", "throttle"])
    assert (args.port, args.fault) == (0, "throttle")
