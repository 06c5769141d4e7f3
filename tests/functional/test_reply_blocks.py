"""Structured answers through the chat service (issue 17, docs/blocks.md): a reply's ``blocks`` reach the
client on its ``message`` frame (every part when split, never the model-written lead), come back on a
redelivery, and are kept with the reply so a reloaded page's history redraws them — on both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import RecordingPoster
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.chat import ChatService
from twschat.config import Settings
from twschat.core import frames
from twschat.core.responder import Reply, ResponderRequest
from twschat_dev.client import render

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _service(store: Any, responder: Any) -> ChatService:
    service = ChatService(
        Settings(time_zone="America/Sao_Paulo"), store, responder, clock=lambda: NOW.timestamp()
    )
    service.connect(connection_id="conn-1", query={}, domain_name="d", stage="s")
    return service


def _say(service: ChatService, poster: RecordingPoster, text: str, message_id: str) -> list[dict[str, Any]]:
    before = len(poster.sent("conn-1"))
    service.handle_message(
        connection_id="conn-1",
        message_id=message_id,
        request_time_ms=int(NOW.timestamp() * 1000) + int(message_id[-1]),
        body=text,
        is_base64=False,
        poster=poster,
    )
    return poster.sent("conn-1")[before:]


def _agent_history(service: ChatService, poster: RecordingPoster) -> list[dict[str, Any]]:
    [history] = _say(service, poster, '{"type": "history"}', "m-9")
    return [m for m in history["messages"] if m["role"] == "agent"]


def test_the_frame_and_the_history_carry_the_rule_answers_blocks(store: Any, poster: RecordingPoster) -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    service = _service(store, RuleResponder(tws, clock=lambda: NOW))
    [listing] = _say(service, poster, "quais jobs estão em abend?", "m-1")
    assert listing["type"] == "message" and listing["blocks"][0]["kind"] == "jobs"
    abend = [j.job_id for j in tws.list_jobs() if j.status == "ABEND"]
    assert [i["id"] for i in listing["blocks"][0]["items"]] == abend
    assert "JOB002" in listing["message"]  # the text still tells everything
    [log] = _say(service, poster, "e o log dele?", "m-2")
    assert [b["kind"] for b in log["blocks"]] == ["log"]
    [question] = _say(service, poster, "reroda o JOB002", "m-3")
    assert [b["kind"] for b in question["blocks"]] == ["confirmation"]
    assert question["quickReplies"] == ["sim", "não"]
    # API Gateway redelivers a frame: the same blocks again
    [again] = _say(service, poster, "reroda o JOB002", "m-3")
    assert again["messageId"] == question["messageId"] and again["blocks"] == question["blocks"]
    # a reloaded page redraws them from the history, as they were sent
    replies = _agent_history(service, poster)
    assert [r.get("blocks") for r in replies] == [listing["blocks"], log["blocks"], question["blocks"]]


class _Scripted:
    """A responder with a fixed reply: the platform's handling of ``blocks`` whatever produced them."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    def respond(self, request: ResponderRequest) -> Reply:
        return self.reply


BLOCK = {"kind": "job", "item": {"id": "JOB002", "status": "ABEND", "category": "failed"}}


def test_blocks_ride_with_the_code_written_text_never_the_lead(store: Any, poster: RecordingPoster) -> None:
    reply = Reply("Confirma?", "pt", "action_rerun", {}, ("sim", "não"), lead="Vou propor.", blocks=(BLOCK,))
    service = _service(store, _Scripted(reply))
    lead, question = _say(service, poster, "reroda", "m-1")
    assert "blocks" not in lead and question["blocks"] == [BLOCK]
    history = _agent_history(service, poster)
    assert [h.get("blocks") for h in history] == [None, [BLOCK]]


def test_every_part_of_a_split_reply_carries_the_blocks(store: Any, poster: RecordingPoster) -> None:
    text = "linha do log\n" * (frames.MAX_FRAME_BYTES // 8)
    service = _service(store, _Scripted(Reply(text, "pt", "job_log", {}, blocks=(BLOCK,))))
    parts = _say(service, poster, "log", "m-1")
    assert len(parts) > 1 and all(p["blocks"] == [BLOCK] for p in parts)
    assert "".join(p["message"] for p in parts) == text


def test_a_reply_without_blocks_has_no_blocks_field(store: Any, poster: RecordingPoster) -> None:
    service = _service(store, _Scripted(Reply("Ok.", "pt", "thanks")))
    [frame] = _say(service, poster, "obrigado", "m-1")
    assert "blocks" not in frame and "blocks" not in _agent_history(service, poster)[0]


def test_blocks_too_large_for_a_frame_are_left_out_and_the_text_stays() -> None:
    huge = {"kind": "log", "lines": ["x" * 1000] * 200}
    [frame] = frames.message_frames(text="Log:", conversation_id="c", message_id="m", blocks=[huge])
    assert "blocks" not in frame and frame["message"] == "Log:"


def test_the_terminal_client_prints_the_text_and_ignores_blocks(store: Any, poster: RecordingPoster) -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    service = _service(store, RuleResponder(tws, clock=lambda: NOW))
    [frame] = _say(service, poster, "quais jobs estão em abend?", "m-1")
    [history] = _say(service, poster, '{"type": "history"}', "m-2")
    assert frame["blocks"] and history["messages"][-1]["blocks"]
    plain = {k: v for k, v in frame.items() if k != "blocks"}
    assert render(frame) == render(plain) and "JOB002" in render(frame)
    bare = {
        **history,
        "messages": [{k: v for k, v in m.items() if k != "blocks"} for m in history["messages"]],
    }
    assert render(history) == render(bare)
