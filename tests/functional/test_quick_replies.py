"""Suggested answers (quickReplies) reach the client with the reply, and again on a redelivery;
the welcome says which time zone the replies write times in."""

from __future__ import annotations

from tests.conftest import RecordingPoster
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core.responder import Reply, ResponderRequest

NOW = 1_795_608_000.0


class PromptingResponder:
    def respond(self, request: ResponderRequest) -> Reply:
        if request.message.startswith("reroda"):
            return Reply("Confirma o rerun? Responda sim ou não.", "pt", "action_rerun", {}, ("sim", "não"))
        return Reply("Ok.", "pt", "thanks")


def _service(store) -> ChatService:
    return ChatService(
        Settings(time_zone="America/Sao_Paulo"), store, PromptingResponder(), clock=lambda: NOW
    )


def _say(service: ChatService, poster: RecordingPoster, text: str, message_id: str) -> dict:
    service.handle_message(
        connection_id="conn-1",
        message_id=message_id,
        request_time_ms=int(NOW * 1000) + int(message_id[-1]),
        body=text,
        is_base64=False,
        poster=poster,
    )
    return poster.sent("conn-1")[-1]


def test_a_prompt_carries_its_quick_replies_also_when_redelivered(store, poster) -> None:
    service = _service(store)
    service.connect(connection_id="conn-1", query={}, domain_name="d", stage="s")
    prompt = _say(service, poster, "reroda o JOB002", "m-1")
    assert prompt["type"] == "message" and prompt["quickReplies"] == ["sim", "não"]
    assert "quickReplies" not in _say(service, poster, "obrigado", "m-2")
    again = _say(service, poster, "reroda o JOB002", "m-1")  # API Gateway redelivers the frame
    assert again["messageId"] == prompt["messageId"] and again["quickReplies"] == ["sim", "não"]
    history = _say(service, poster, '{"type": "history"}', "m-3")
    replies = [m for m in history["messages"] if m["role"] == "agent"]
    assert [m.get("quickReplies") for m in replies] == [["sim", "não"], None]


def test_the_welcome_names_the_servers_time_zone(store, poster) -> None:
    service = _service(store)
    service.connect(connection_id="conn-1", query={}, domain_name="d", stage="s")
    assert service.send_welcome(connection_id="conn-1", poster=poster)
    [welcome] = poster.sent("conn-1")
    assert welcome["type"] == "welcome" and welcome["timeZone"] == "America/Sao_Paulo"
