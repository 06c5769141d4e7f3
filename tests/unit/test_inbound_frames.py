import json

import pytest

from twschat.core import frames
from twschat.core.conversation import reply_message_key, user_message_key
from twschat.core.inbound import InputRejected, UserText, parse_frame


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("qual job esta em abend?", "qual job esta em abend?"),
        ('{"message": "quais são as workstations?"}', "quais são as workstations?"),
        ("  espaços em volta  ", "espaços em volta"),
        ("[urgente] job caiu", "[urgente] job caiu"),
        ("linha 1\nlinha 2\ttab", "linha 1\nlinha 2\ttab"),
        ('{"type": "message", "message": "oi"}', "oi"),
        ("42", "42"),
    ],
)
def test_accepted_frames(body, expected):
    assert parse_frame(body, is_base64=False, max_chars=4000) == UserText(expected)


@pytest.mark.parametrize(
    ("body", "is_base64", "code"),
    [
        ("", False, "empty_message"),
        ("   \n\t ", False, "empty_message"),
        (None, False, "empty_message"),
        ("x" * 4001, False, "message_too_long"),
        ("AAEC", True, "binary_not_supported"),
        ('["a", "b"]', False, "not_an_object"),
        ('{"msg": "oi"}', False, "missing_message"),
        ('{"message": 42}', False, "missing_message"),
        ('{"message": "   "}', False, "empty_message"),
        ('{"message": "oi"', False, "invalid_json"),
        ("job\x00abend", False, "control_characters"),
        ("bell\x07", False, "control_characters"),
        ('{"type": "shutdown", "message": "x"}', False, "unknown_type"),
    ],
)
def test_rejected_frames(body, is_base64, code):
    result = parse_frame(body, is_base64=is_base64, max_chars=4000)
    assert isinstance(result, InputRejected)
    assert result.code == code


def test_limit_counts_characters_not_bytes():
    assert isinstance(parse_frame("ã" * 4000, is_base64=False, max_chars=4000), UserText)


@pytest.mark.parametrize("code", sorted(frames.ERROR_TEXT["pt"]))
def test_every_error_code_has_readable_text_in_both_languages(code):
    for language in ("pt", "en"):
        frame = frames.error_frame(code, language=language, detail="5000>4000")
        assert frame["type"] == "error" and frame["sender"] == "agent" and frame["code"] == code
        assert len(frame["message"]) > 20 and "{detail}" not in frame["message"]


def test_small_reply_is_one_frame_with_all_fields():
    [frame] = frames.message_frames(text="ok", conversation_id="c-1", message_id="m-1", in_reply_to="u-1")
    assert frame == {
        "type": "message",
        "sender": "agent",
        "message": "ok",
        "conversationId": "c-1",
        "messageId": "m-1",
        "inReplyTo": "u-1",
    }


@pytest.mark.parametrize("unit", ["a", "ç", "\n", '"', "🙂", "linha de job ABEND\n"])
def test_large_reply_is_split_in_ordered_parts_under_the_limit_without_loss(unit):
    text = unit * (300_000 // len(unit))
    parts = frames.message_frames(text=text, conversation_id="c-1", message_id="m-1")
    assert len(parts) > 1
    assert [p["part"] for p in parts] == list(range(1, len(parts) + 1))
    assert all(p["parts"] == len(parts) for p in parts)
    assert all(len(frames.encode(p)) <= frames.MAX_FRAME_BYTES for p in parts)
    assert "".join(p["message"] for p in parts) == text
    assert all(json.loads(frames.encode(p))["messageId"] == "m-1" for p in parts)


def test_message_keys_sort_by_time_and_reply_follows_its_message():
    first = user_message_key(1_795_608_005_000, "Bx2kZfJ4oAMCJdA=")
    second = user_message_key(1_795_608_009_000, "AAAAAAAAAAAAAAA=")
    assert first < reply_message_key(first) < second < reply_message_key(second)
