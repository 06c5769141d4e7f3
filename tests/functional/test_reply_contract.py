"""The typed reply contract (issue 15 §2): the platform reads ``Reply.telemetry`` and
``Reply.error_code``, never the responder's state (``Reply.context``, stored as it is); optional
capabilities are protocols checked by type; every typed error is a ``TwsChatError``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RecordingPoster
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.exceptions import TwsFailure
from twschat.assistant.responder import RuleResponder
from twschat.assistant.tws import TwsError
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.exceptions import StorageUnavailable, TwsChatError
from twschat.core.responder import (
    AfterReply,
    ModelTelemetry,
    Principal,
    Reply,
    ResponderRequest,
    StreamingResponder,
)
from twschat.llm.model import ModelError
from twschat.llm.responder import BedrockResponder

AT_MS = 1_795_608_000_000


class Metrics:
    def __init__(self) -> None:
        self.added: dict[str, float] = {}

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added[name] = self.added.get(name, 0) + value


class Fixed:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    def respond(self, request: ResponderRequest) -> Reply:
        return self.reply


class OldStyleStreaming(Fixed):
    """Takes callbacks in ``respond`` but does not declare StreamingResponder: not streamed."""

    def respond(  # type: ignore[override]
        self,
        request: ResponderRequest,
        *,
        on_delta: Callable[[str], None] | None = None,
        on_progress: Callable[[str, str], None] | None = None,
    ) -> Reply:
        assert on_delta is None and on_progress is None
        return self.reply


def _turn(store: Any, responder: Any) -> tuple[ChatService, Metrics, RecordingPoster, Any]:
    metrics = Metrics()
    svc = ChatService(
        Settings(auth_mode="none"), store, responder, metrics=metrics, clock=lambda: AT_MS / 1000
    )
    assert svc.connect(connection_id="c1", query={}, domain_name="d", stage="s").status_code == 200
    poster = RecordingPoster()
    outcome = svc.handle_message(
        connection_id="c1", message_id="m-1", request_time_ms=AT_MS, body="oi", is_base64=False, poster=poster
    )
    return svc, metrics, poster, outcome


def test_the_platform_reads_the_typed_fields_not_the_state(store: Any) -> None:
    # A state that looks like a model's figures and an error, without the typed fields: nothing counted.
    state = {"lang": "pt", "intent": "llm", "error": "timeout", "llm": {"metrics": {"input_tokens": 5}}}
    _, metrics, _, outcome = _turn(store, Fixed(Reply("ok", "pt", "llm", state)))
    assert outcome.status == "answered"
    assert "TwsErrors" not in metrics.added and "LlmInputTokens" not in metrics.added


def test_telemetry_and_error_code_are_counted_and_the_state_is_stored_as_is(store: Any) -> None:
    telemetry = ModelTelemetry(model="m", input_tokens=900, output_tokens=40, cost_micro_usd=1100)
    state = {"lang": "pt", "intent": "llm", "llm": {"calls": [], "metrics": telemetry.to_dict()}}
    reply = Reply("ok", "pt", "llm", state, telemetry=telemetry, error_code="unreachable")
    svc, metrics, _, _ = _turn(store, Fixed(reply))
    assert metrics.added["TwsErrors"] == 1
    assert metrics.added["LlmInputTokens"] == 900 and metrics.added["LlmCostMicroUsd"] == 1100
    [_, stored] = svc.stores.history.recent_messages(
        svc.stores.connections.get_connection("c1", now=AT_MS // 1000).conversation_key,  # type: ignore[union-attr]
        5,
    )
    # the responder's state, then the platform's own key: as the chat service has always stored it
    assert json.dumps(dict(stored.context)) == json.dumps({**state, "intent": "llm"})


def test_streaming_is_a_declared_capability() -> None:
    assert not isinstance(OldStyleStreaming(Reply("ok")), StreamingResponder)
    bedrock = BedrockResponder(DemoTwsClient(), model=None)  # type: ignore[arg-type]
    assert isinstance(bedrock, StreamingResponder) and isinstance(bedrock, AfterReply)
    rules = RuleResponder(DemoTwsClient())
    assert not isinstance(rules, StreamingResponder) and not isinstance(rules, AfterReply)


def test_an_undeclared_streamer_is_answered_whole(store: Any) -> None:
    svc, _, poster, outcome = _turn(store, OldStyleStreaming(Reply("inteiro")))
    assert not svc.streams and outcome.status == "answered"
    assert [f["type"] for f in poster.sent()] == ["message"]


def test_the_rule_responder_reports_a_tws_failure_as_its_error_code() -> None:
    class Down(DemoTwsClient):
        def list_jobs(self) -> Any:
            raise TwsError("unreachable", "connection refused")

    reply = RuleResponder(Down()).respond(
        ResponderRequest(agent="a", message="quais jobs estão em abend?", principal=Principal())
    )
    assert reply.error_code == "unreachable" and reply.context["error"] == "unreachable"


@pytest.mark.parametrize(
    "error",
    [
        StorageUnavailable("add_message"),
        TwsError("timeout"),
        TwsFailure(TwsError("unauthorized"), "jobs"),
        ModelError("throttlingException"),
    ],
)
def test_one_error_hierarchy(error: Exception) -> None:
    assert isinstance(error, TwsChatError)


def test_the_model_responder_and_its_fallback_share_one_action_desk() -> None:
    """A proposal the model makes is pending on the desk the rules' "sim" confirms on (issue 15 §4)."""
    from twschat.responders import build_responder

    rules = RuleResponder(DemoTwsClient())
    model = BedrockResponder(DemoTwsClient(), model=None, fallback=rules)  # type: ignore[arg-type]
    assert model._rounds.services is rules.services
    assert model._rounds.services.desk is rules.services.desk
    built = build_responder(Settings(responder="bedrock"))
    assert isinstance(built, BedrockResponder)
    assert built._rounds.services.desk is built._rules.services.desk
