"""``twschat fake-bedrock``'s scripted mode driven by the REAL boto3 bedrock-runtime client: what a
test scripts (text, tool calls with any input, malformed inputs, stop reasons, loops) arrives through
botocore's event-stream decoder in ConverseStream's own event order, and ``GET /__requests`` shows
what the fake was sent (system prompt included)."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

import tests.functional.test_fake_bedrock as plain_mode
from twschat_dev.cli import build_parser
from twschat_dev.fake_bedrock import FakeBedrockServer, run

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
TOOLS = plain_mode.TOOLS  # a script may call tools the request does not offer, as a model can
SYSTEM = [{"text": "Você é o assistente de operação do TWS."}]
KILL = {"action": "kill", "target_name": "JOB006", "reason": "o operador pediu"}

fake = plain_mode.fake  # the fixtures: a fake on a free port, a boto3 client of it without retries
client = plain_mode.client


def call(fake: FakeBedrockServer, method: str, path: str, data: Any = None) -> tuple[int, Any]:
    """A control request over HTTP: (status, JSON answer)."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(fake.url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def script(fake: FakeBedrockServer, replies: Any) -> dict[str, Any]:
    status, answer = call(fake, "POST", "/__script", replies)
    assert status == 200, answer
    return dict(answer)


def stream(client: Any, question: str = "por que o JOB002 falhou?", **extra: Any) -> list[dict[str, Any]]:
    response = client.converse_stream(
        modelId=MODEL,
        system=SYSTEM,
        messages=extra.pop("messages", [{"role": "user", "content": [{"text": question}]}]),
        toolConfig=TOOLS,
        **extra,
    )
    return list(response["stream"])


def spelled(events: list[dict[str, Any]]) -> tuple[list[Any], str]:
    """The assistant message the events spell (as a ConverseStream client rebuilds it) and the stop
    reason: text blocks joined, each tool's input deltas concatenated (left as the raw string)."""
    blocks: dict[int, dict[str, Any]] = {}
    stop = ""
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            blocks[start["contentBlockIndex"]] = {"toolUse": {**start["start"]["toolUse"], "input": ""}}
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            block = blocks.setdefault(delta["contentBlockIndex"], {"text": ""})
            if "text" in delta["delta"]:
                block["text"] += delta["delta"]["text"]
            else:
                block["toolUse"]["input"] += delta["delta"]["toolUse"]["input"]
        elif "messageStop" in event:
            stop = event["messageStop"]["stopReason"]
    return [blocks[i] for i in sorted(blocks)], stop


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [next(iter(e)) for e in events]


# ------------------------------------------------------------------------------------------ replies
def test_a_scripted_text_and_tool_call_arrive_in_conversestreams_event_order(
    fake: FakeBedrockServer, client: Any
) -> None:
    script(
        fake,
        [
            {
                "content": [
                    {"text": "O log diz: responda sim abaixo para rerodar o JOB002."},
                    {"toolUse": {"name": "propose_action", "input": KILL}},
                ]
            }
        ],
    )
    events = stream(client)
    order = kinds(events)
    assert order[0] == "messageStart" and order[-2:] == ["messageStop", "metadata"]
    # the text block (no start event), then the tool block opened by contentBlockStart
    assert order.index("contentBlockStart") > order.index("contentBlockStop")
    assert order.count("contentBlockDelta") > 3  # streamed in pieces, as the model's own replies
    blocks, stop = spelled(events)
    assert blocks[0] == {"text": "O log diz: responda sim abaixo para rerodar o JOB002."}
    use = blocks[1]["toolUse"]
    assert use["name"] == "propose_action" and json.loads(use["input"]) == KILL
    assert use["toolUseId"].startswith("tooluse_script_")
    assert stop == "tool_use"  # the default when a block calls a tool
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_malformed_inputs_are_streamed_exactly_as_scripted(fake: FakeBedrockServer, client: Any) -> None:
    script(
        fake,
        [
            {"content": [{"toolUse": {"name": "propose_action", "rawInput": "kill JOB006 agora"}}]},
            {"content": [{"toolUse": {"name": "propose_action", "input": ["kill", "JOB006"]}}]},
            {"content": [{"toolUse": {"name": "propose_action", "rawInput": '{"action": "kill", "tar'}}]},
        ],
    )
    inputs = [spelled(stream(client))[0][0]["toolUse"]["input"] for _ in range(3)]
    assert inputs == ["kill JOB006 agora", '["kill","JOB006"]', '{"action": "kill", "tar']
    with pytest.raises(ValueError):
        json.loads(inputs[0])
    assert not isinstance(json.loads(inputs[1]), dict)


def test_control_and_bidi_characters_reach_the_client_unchanged(fake: FakeBedrockServer, client: Any) -> None:
    text = "JOB002 \u202eoãn\u202c ok\x1b[31m vermelho\x07\u0085 fim \u2066isolado\u2069"
    script(fake, [text])  # a plain string: one text block
    blocks, stop = spelled(stream(client))
    assert blocks == [{"text": text}] and stop == "end_turn"


def test_scripted_stop_reasons_tool_ids_and_a_round_trip_bedrock_validates(
    fake: FakeBedrockServer, client: Any
) -> None:
    script(
        fake,
        [
            {"content": [{"toolUse": {"name": "list_jobs", "input": {}, "toolUseId": "t-1"}}]},
            {"content": [{"text": "corte"}], "stopReason": "max_tokens"},
        ],
    )
    first, stop = spelled(stream(client))
    assert first[0]["toolUse"]["toolUseId"] == "t-1" and stop == "tool_use"
    question = {"role": "user", "content": [{"text": "quais jobs?"}]}
    answer = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "t-1", "name": "list_jobs", "input": {}}}],
    }
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "t-1", "content": [{"json": {"jobs": []}}]}}],
    }
    second, stop = spelled(stream(client, messages=[question, answer, result]))
    assert second == [{"text": "corte"}] and stop == "max_tokens"


# ------------------------------------------------------------------------------------------ the queue
def test_replies_are_served_in_order_then_the_model_answers_again(
    fake: FakeBedrockServer, client: Any
) -> None:
    state = script(fake, ["primeira", {"content": [{"text": "segunda"}], "repeat": 2}])
    assert [r["content"] for r in state["pending"]] == [[{"text": "primeira"}], [{"text": "segunda"}]]
    texts = [spelled(stream(client, "quantos jobs há?"))[0][0].get("text") for _ in range(3)]
    assert texts == ["primeira", "segunda", "segunda"]
    assert call(fake, "GET", "/__script") == (200, {"pending": [], "served": 3})
    model = spelled(stream(client, "oi, tudo bem?"))[0]  # the script is spent: the deterministic model
    assert model and model[0].get("text") not in ("primeira", "segunda")


def test_delete_or_an_empty_list_goes_back_to_the_model_at_once(fake: FakeBedrockServer, client: Any) -> None:
    script(fake, ["roteiro", "roteiro"])
    assert call(fake, "DELETE", "/__script")[1]["pending"] == []
    assert spelled(stream(client, "oi"))[0][0]["text"] != "roteiro"
    script(fake, ["roteiro"])
    assert script(fake, [])["pending"] == []
    assert spelled(stream(client, "oi"))[0][0]["text"] != "roteiro"
    script(fake, ["roteiro"])
    assert call(fake, "POST", "/__reset", {}) == (200, {"reset": True})
    assert call(fake, "GET", "/__script")[1]["pending"] == []


def test_converse_calls_keep_the_deterministic_model(fake: FakeBedrockServer, client: Any) -> None:
    """The running summary uses Converse: a script meant for the chat's stream is not spent on it."""
    script(fake, ["do roteiro"])
    response = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "resuma"}]}])
    assert "do roteiro" not in json.dumps(response["output"])
    assert spelled(stream(client))[0] == [{"text": "do roteiro"}]


def test_faults_and_refused_requests_do_not_spend_the_script(fake: FakeBedrockServer, client: Any) -> None:
    script(fake, ["depois do erro"])
    fake.set_fault("throttle", times=1)
    with pytest.raises(ClientError):
        stream(client)
    with pytest.raises(ClientError):  # a ValidationException: the conversation starts with the agent
        stream(client, messages=[{"role": "assistant", "content": [{"text": "oi"}]}])
    assert spelled(stream(client))[0] == [{"text": "depois do erro"}]
    script(fake, ["uma resposta longa que vai quebrar no meio do stream"])
    fake.set_fault("stream-error", times=1)
    with pytest.raises(EventStreamError):
        stream(client)


@pytest.mark.parametrize(
    ("replies", "needle"),
    [
        ({"content": "texto"}, "a script is a JSON list"),
        ([{"content": []}], "content must be a non-empty list"),
        ([{"content": [{"image": {}}]}], "a block is"),
        ([{"content": [{"toolUse": {"input": {}}}]}], "a toolUse needs a name"),
        ([{"content": [{"toolUse": {"name": "x", "input": {}, "rawInput": "{"}}]}], "not both"),
        ([{"content": [{"toolUse": {"name": "x", "rawInput": 3}}]}], "rawInput must be a string"),
        ([{"content": [{"toolUse": {"name": "x", "toolUseId": "não válido"}}]}], "toolUseId"),
        ([{"content": ["oi"], "stopReason": "done"}], "stopReason must be one of"),
        ([{"content": ["oi"], "repeat": 0}], "repeat must be"),
        ([{"content": ["oi"], "extra": 1}], "unknown field(s) extra"),
    ],
)
def test_bad_scripts_are_refused_and_leave_the_script_as_it_was(
    fake: FakeBedrockServer, replies: Any, needle: str
) -> None:
    script(fake, ["antes"])
    status, answer = call(fake, "POST", "/__script", replies)
    assert status == 400 and needle in answer["message"]
    assert [r["content"] for r in call(fake, "GET", "/__script")[1]["pending"]] == [[{"text": "antes"}]]


def test_a_body_that_is_not_json_is_refused(fake: FakeBedrockServer) -> None:
    request = urllib.request.Request(fake.url + "/__script", data=b"[not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400 and "not JSON" in json.loads(caught.value.read())["message"]


# ------------------------------------------------------------------------------------------ request log
def test_every_request_is_logged_with_its_system_prompt(fake: FakeBedrockServer, client: Any) -> None:
    script(fake, ["roteirizada"])
    stream(client)
    stream(client, "quantos jobs há?")
    with pytest.raises(ClientError):
        stream(client, messages=[{"role": "assistant", "content": [{"text": "oi"}]}])
    status, log = call(fake, "GET", "/__requests")
    assert status == 200 and log["last"] == 3
    assert [(r["index"], r["status"], r["scripted"]) for r in log["requests"]] == [
        (1, 200, True),
        (2, 200, False),
        (3, 400, False),
    ]
    assert all(r["system"] == [SYSTEM[0]["text"]] for r in log["requests"])
    assert log["requests"][1]["body"]["messages"][0]["content"][0]["text"] == "quantos jobs há?"
    assert log["requests"][0]["operation"] == "converse-stream" and log["requests"][0]["modelId"] == MODEL
    later = call(fake, "GET", "/__requests?since=2")[1]
    assert [r["index"] for r in later["requests"]] == [3]
    assert call(fake, "GET", "/__requests?since=x")[0] == 400


# ------------------------------------------------------------------------------------------ the command
def test_help_reads_as_plain_text_and_documents_the_script() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args(["fake-bedrock", "--help"])
    text = out.getvalue()
    assert "``" not in text and ":mod:" not in text and ":func:" not in text  # no reStructuredText
    for needle in ("POST /__script", "DELETE /__script", "GET /__requests", "rawInput", "slow-first-token"):
        assert needle in text


def test_a_busy_port_is_named() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        lines: list[str] = []
        args = build_parser().parse_args(["fake-bedrock", "--port", str(port)])
        assert run(args, out=lines.append) == 2
    assert len(lines) == 1 and f"port {port}" in lines[0] and "in use" in lines[0]
