"""The turn worker hand-over through the chat service (issue 15: ONE turn pipeline for ``$default`` and
the worker). With a dispatcher wired in by the composition root, ``$default`` claims the turn (stores
the user's message) and hands it over once; a redelivery while the worker runs gets a progress frame
with the reply's id; the worker answers once; later redeliveries (of the frame, or of the worker's
invocation) re-post the stored reply with the same messageId; a refused dispatch says so."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.conftest import RecordingPoster
from twschat import runtime
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.conversation import conversation_key, reply_message_id, user_message_key

AT_MS = 1_795_608_000_000


class Dispatcher:
    def __init__(self, accept: bool = True) -> None:
        self.payloads: list[Mapping[str, Any]] = []
        self.accept = accept

    def dispatch(self, payload: Mapping[str, Any]) -> bool:
        self.payloads.append(dict(payload))
        return self.accept


class CountingRules(RuleResponder):
    calls = 0

    def respond(self, request: Any) -> Any:
        self.calls += 1
        return super().respond(request)


def _service(store: Any, dispatcher: Dispatcher | None) -> tuple[ChatService, CountingRules]:
    responder = CountingRules(DemoTwsClient())
    svc = ChatService(
        Settings(auth_mode="none"), store, responder, clock=lambda: AT_MS / 1000, turns=dispatcher
    )
    assert svc.connect(connection_id="c1", query={}, domain_name="d", stage="s").status_code == 200
    return svc, responder


def _frame(svc: ChatService, poster: RecordingPoster) -> Any:
    return svc.handle_message(
        connection_id="c1",
        message_id="m-1",
        request_time_ms=AT_MS,
        body="quais jobs estão em abend?",
        is_base64=False,
        poster=poster,
    )


def _work(svc: ChatService, poster: RecordingPoster) -> Any:
    return svc.run_turn(connection_id="c1", message_id="m-1", request_time_ms=AT_MS, poster=poster)


def test_default_hands_over_once_and_the_worker_answers_once(store: Any, poster: RecordingPoster) -> None:
    dispatcher = Dispatcher()
    svc, responder = _service(store, dispatcher)
    first = _frame(svc, poster)
    assert first.status == "dispatched" and first.frames_posted == 0
    assert dispatcher.payloads == [
        {"connectionId": "c1", "messageId": "m-1", "requestTimeMs": AT_MS, "domainName": "d", "stage": "s"}
    ]
    assert responder.calls == 0  # $default never answers when it hands over

    record = store.connections.get_connection("c1", now=AT_MS // 1000)
    reply_id = reply_message_id(
        conversation_key(record.owner, record.conversation_id), user_message_key(AT_MS, "m-1")
    )
    again = _frame(svc, poster)  # API Gateway redelivers while the worker runs
    assert again.status == "in_progress" and len(dispatcher.payloads) == 1
    assert poster.sent()[-1] == {
        "type": "progress",
        "sender": "agent",
        "messageId": reply_id,
        "stage": "thinking",
        "conversationId": record.conversation_id,
    }

    answered = _work(svc, poster)
    assert answered.status == "answered" and responder.calls == 1
    reply = poster.sent()[-1]
    assert reply["type"] == "message" and reply["messageId"] == reply_id and "JOB002" in reply["message"]

    for redelivered in (_frame(svc, poster), _work(svc, poster)):  # the frame again, the worker retried
        assert redelivered.status == "redelivered" and redelivered.frames_posted == 1
        assert poster.sent()[-1] == reply
    assert responder.calls == 1 and len(dispatcher.payloads) == 1


def test_a_refused_dispatch_is_told_and_nothing_is_answered(store: Any, poster: RecordingPoster) -> None:
    svc, responder = _service(store, Dispatcher(accept=False))
    outcome = _frame(svc, poster)
    assert outcome.status == "responder_failed" and outcome.error_code == "internal_error"
    assert poster.sent()[-1]["type"] == "error" and responder.calls == 0


def test_without_a_dispatcher_the_route_answers(store: Any, poster: RecordingPoster) -> None:
    svc, responder = _service(store, None)
    assert _frame(svc, poster).status == "answered" and responder.calls == 1
    assert _frame(svc, poster).status == "redelivered" and responder.calls == 1


@pytest.mark.parametrize(
    ("env", "wired"),
    [
        ({"RESPONDER": "bedrock", "TURN_WORKER_FUNCTION_NAME": "twschat-turn-worker"}, True),
        ({"RESPONDER": "rules", "TURN_WORKER_FUNCTION_NAME": "twschat-turn-worker"}, False),
        ({"RESPONDER": "bedrock", "TURN_WORKER_FUNCTION_NAME": ""}, False),
    ],
)
def test_the_composition_root_chooses_the_hand_over(
    env: dict[str, str], wired: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**env, "STORE_BACKEND": "sqlite"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLM_SUMMARY_EVERY_TURNS", "0")
    runtime.reset()
    try:
        assert Settings.from_env().hands_turns_to_worker is wired
        assert (runtime.turn_dispatcher() is not None) is wired
    finally:
        runtime.reset()
