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


DEEP_ARRAY = "[" * 15000 + "]" * 15000
DEEP_MESSAGE = '{"message": ' + "[" * 10_000 + "]" * 10_000 + "}"
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u180e", "\u2800", "\u3164"]
BIDI_CONTROLS = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"message": "\\ud800"}', "invalid_text"),  # the JSON escape of a lone surrogate
        ('{"message": "job \\udfff abend"}', "invalid_text"),
        ("job \ud800 abend", "invalid_text"),  # a str body that holds one (surrogateescape'd bytes)
        (DEEP_ARRAY, "not_an_object"),
        (DEEP_MESSAGE, "invalid_json"),
        ('{"type": "history", "limit": ' + "[" * 5000 + "]" * 5000 + "}", "invalid_json"),
        ("".join(INVISIBLE), "empty_message"),
        ('{"message": "\\u200b\\u200c\\u200d\\ufeff\\u2060"}', "empty_message"),
        *[(f"  {ch} {ch}\n", "empty_message") for ch in INVISIBLE],
        *[(f"JOB002 {ch}DNEBA", "control_characters") for ch in BIDI_CONTROLS],
        ('{"message": "rerun \\u202eJOB002"}', "control_characters"),
    ],
)
def test_frames_that_used_to_crash_or_pass_get_their_code(body, code):
    result = parse_frame(body, is_base64=False, max_chars=4000)
    assert result == InputRejected(code, result.detail)


def test_unknown_type_detail_never_echoes_unencodable_or_reordering_text():
    result = parse_frame('{"type": "\\ud800\\u202e\\n"}', is_base64=False, max_chars=4000)
    assert result == InputRejected("unknown_type", "???")
    frames.encode(frames.error_frame(result.code, detail=result.detail))  # UTF-8 encodable


@pytest.mark.parametrize(
    "body",
    [
        "\u202bשלום\u202c",
        "\u2067عربي\u2069",
    ],
)
def test_bidi_embedding_and_isolates_are_refused_even_around_right_to_left_text(body):
    assert parse_frame(body, is_base64=False, max_chars=4000) == InputRejected("control_characters")


@pytest.mark.parametrize(
    "body",
    [
        "job \u200fJOB002\u200e ok",  # bidi marks: allowed, they reorder nothing by themselves
        "família 👨\u200d👩\u200d👧 e ❤\ufe0f",  # joiners and variation selectors inside real text
        "\ufeffqual job esta em abend?",  # a BOM before text is not a message of only invisibles
        '{"message": "\\ud83d\\ude00 ok"}',  # a surrogate *pair* escape is one emoji, not a surrogate
        "[" * 40 + " urgente",  # not JSON: the nesting bound does not turn text into an error
        '{"message": "' + "[" * 100 + '"}',  # brackets inside a JSON string do not nest
    ],
)
def test_text_that_only_looks_suspicious_is_accepted(body):
    assert isinstance(parse_frame(body, is_base64=False, max_chars=4000), UserText)
