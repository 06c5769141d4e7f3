"""A streaming responder's turn through the chat service: delta frames in seq order with the reply's
deterministic messageId, progress frames while tools run, then the final message with the whole text;
a redelivery re-posts the stored reply; a 410 mid-stream stops the stream and the reply is stored;
the per-turn metrics line and metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RecordingPoster
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.conversation import conversation_key as conversation_key_of
from twschat.core.conversation import reply_message_id, reply_message_key, user_message_key
from twschat.core.ports import PostOutcome
from twschat.core.responder import ModelTelemetry, Reply, ResponderRequest

TEXT = "O JOB002 está em ABEND desde 09:14 (RC 12). O log mostra ORA-01653: falta espaço na tablespace. "


class ScriptedModel:
    """Streams TEXT in small pieces after one tool, like the Bedrock responder's seams."""

    def __init__(self) -> None:
        self.calls = 0
        self.on_each_piece: Callable[[int], None] = lambda i: None

    def respond(self, request: ResponderRequest) -> Reply:
        raise AssertionError("a StreamingResponder is asked through respond_streamed")

    def respond_streamed(
        self,
        request: ResponderRequest,
        *,
        on_delta: Callable[[str], None],
        on_progress: Callable[[str, str], None],
    ) -> Reply:
        self.calls += 1
        on_progress("model", "")
        on_progress("tool", "list_jobs")
        on_progress("model", "")
        for i in range(0, len(TEXT), 4):
            self.on_each_piece(i)
            on_delta(TEXT[i : i + 4])
        telemetry = ModelTelemetry(
            model="m", input_tokens=900, output_tokens=40, tool_calls=1, cost_micro_usd=1100
        )
        return Reply(
            TEXT, "pt", "llm", {"llm": {"calls": [], "metrics": telemetry.to_dict()}}, telemetry=telemetry
        )


class Metrics:
    def __init__(self) -> None:
        self.added: dict[str, float] = {}

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added[name] = self.added.get(name, 0) + value


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def service(store: Any, model: ScriptedModel, metrics: Metrics) -> ChatService:
    svc = ChatService(Settings(auth_mode="none"), store, model, metrics=metrics)  # type: ignore[arg-type]
    assert svc.streams
    outcome = svc.connect(connection_id="c1", query={}, domain_name="localhost", stage="local")
    assert outcome.status_code == 200
    return svc


def turn(service: ChatService, poster: RecordingPoster, message_id: str = "m-1") -> Any:
    return service.handle_message(
        connection_id="c1",
        message_id=message_id,
        request_time_ms=1_795_608_000_000,
        body="por que o JOB002 falhou?",
        is_base64=False,
        poster=poster,
    )


def test_deltas_then_the_final_message_with_the_same_id(
    service: ChatService, poster: RecordingPoster, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="twschat.chat"):
        outcome = turn(service, poster)
    sent = poster.sent("c1")
    kinds = [f["type"] for f in sent]
    assert kinds[:3] == ["progress", "progress", "progress"] and kinds[-1] == "message"
    assert [(f["stage"], f.get("tool")) for f in sent[:3]] == [
        ("thinking", None),
        ("tool", "list_jobs"),
        ("thinking", None),
    ]
    deltas = [f for f in sent if f["type"] == "delta"]
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert 2 <= len(deltas) <= 6  # batched: the text came in 25 pieces
    final = sent[-1]
    assert TEXT.startswith("".join(d["text"] for d in deltas)) and final["message"] == TEXT
    conversation_key = service.stores.connections.get_connection("c1", now=1).conversation_key  # type: ignore[union-attr]
    user_key = user_message_key(1_795_608_000_000, "m-1")
    expected_id = reply_message_id(conversation_key, user_key)
    assert {f["messageId"] for f in sent} == {expected_id}
    assert outcome.status == "answered" and outcome.frames_posted == len(sent)
    line = next(r for r in caplog.records if r.getMessage() == "turn metrics")
    figures = line.llm  # type: ignore[attr-defined]
    assert figures["input_tokens"] == 900 and figures["tool_calls"] == 1
    assert figures["deltas_posted"] == len(deltas) and figures["time_to_first_delta_ms"] >= 0
    assert metrics.added["LlmInputTokens"] == 900 and metrics.added["DeltasPosted"] == len(deltas)
    assert metrics.added["LlmCostMicroUsd"] == 1100 and metrics.added["LlmFallbacks"] == 0

    # API Gateway delivers the frame again: the stored reply comes back, the model is not asked again
    again = RecordingPoster()
    assert turn(service, again).status == "redelivered"
    assert [f["type"] for f in again.sent("c1")] == ["message"]
    assert again.sent("c1")[0]["messageId"] == expected_id


def test_a_410_mid_stream_stops_it_and_the_reply_is_stored(
    service: ChatService, model: ScriptedModel
) -> None:
    poster = RecordingPoster()
    model.on_each_piece = lambda i: poster.gone.add("c1") if i == 40 else None
    outcome = turn(service, poster)
    assert outcome.gone and outcome.status == "answered"
    assert poster.sent("c1")[-1]["type"] == "delta"  # nothing after the 410
    assert service.stores.connections.get_connection("c1", now=1) is None
    record = service.stores.history.list_conversations("anonymous", 1)[0]
    conversation_key = conversation_key_of("anonymous", record.conversation_id)
    user_key = user_message_key(1_795_608_000_000, "m-1")
    stored = service.stores.history.get_message(conversation_key, reply_message_key(user_key))
    assert stored is not None and stored.text == TEXT
    assert model.calls == 1


def test_a_failed_post_does_not_stop_the_stream(service: ChatService) -> None:
    class Flaky(RecordingPoster):
        def post(self, connection_id: str, frame: Any) -> PostOutcome:
            if frame["type"] == "delta" and frame["seq"] == 1:
                return PostOutcome.FAILED
            return super().post(connection_id, frame)

    poster = Flaky()
    turn(service, poster)
    assert poster.sent("c1")[-1]["message"] == TEXT
    assert next(f["seq"] for f in poster.sent("c1") if f["type"] == "delta") == 2


def test_a_confirmation_travels_apart_from_the_model_text(
    service: ChatService, model: ScriptedModel, metrics: Metrics
) -> None:
    """Issue 14: the model's text (streamed, then final) keeps the reply's messageId and no buttons; the
    code-written question is its own message frame with the buttons; the redelivery and the history
    give both back, in the same order."""
    lead = "Responda sim abaixo para rerodar o JOB002."
    question = "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2?"

    def respond(request: ResponderRequest, **callbacks: Any) -> Reply:
        callbacks["on_delta"](lead)
        telemetry = ModelTelemetry(model="m")
        return Reply(
            question,
            "pt",
            "action_rerun",
            {"llm": {"calls": [], "metrics": telemetry.to_dict()}},
            ("sim", "não"),
            lead=lead,
            telemetry=telemetry,
        )

    model.respond_streamed = respond  # type: ignore[method-assign]
    poster = RecordingPoster()
    turn(service, poster)
    messages = [f for f in poster.sent("c1") if f["type"] == "message"]
    assert [(f["message"], f.get("quickReplies")) for f in messages] == [
        (lead, None),
        (question, ["sim", "não"]),
    ]
    streamed_id = next(f["messageId"] for f in poster.sent("c1") if f["type"] == "delta")
    assert messages[0]["messageId"] == streamed_id and messages[1]["messageId"] == streamed_id + "-q"
    assert metrics.added["ProposalsRejected"] == 0

    again = RecordingPoster()
    assert turn(service, again).status == "redelivered"
    assert [(f["message"], f.get("quickReplies")) for f in again.sent("c1")] == [
        (lead, None),
        (question, ["sim", "não"]),
    ]

    history = RecordingPoster()
    service.handle_message(
        connection_id="c1",
        message_id="m-h",
        request_time_ms=1_795_608_001_000,
        body='{"type": "history"}',
        is_base64=False,
        poster=history,
    )
    entries = history.sent("c1")[0]["messages"]
    assert [(e["role"], e["message"], e.get("quickReplies")) for e in entries] == [
        ("user", "por que o JOB002 falhou?", None),
        ("agent", lead, None),
        ("agent", question, ["sim", "não"]),
    ]
