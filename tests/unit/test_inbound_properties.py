"""parse_frame on arbitrary input: it never raises, and what it accepts is text a store and a screen can take."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twschat.core.frames import ERROR_TEXT
from twschat.core.inbound import ClientRequest, InputRejected, UserText, parse_frame

MAX_CHARS = 200
SURROGATE = re.compile(r"[\ud800-\udfff]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Characters that render as nothing; an accepted message must have at least one other character.
INVISIBLE = "\u200b\u200c\u200d\ufeff\u2060\u00ad\u180e\u2800\u3164\ufe0f\u034f\U000e0041"

# Text weighted towards what breaks parsers: surrogates, controls, bidi, invisibles, brackets, quotes.
tricky_chars = st.sampled_from(
    [
        *INVISIBLE,
        "\ud800",
        "\udfff",
        "\x00",
        "\x1b",
        "\x85",
        "\u202e",
        "\u2066",
        "\u200f",
        "[",
        "{",
        '"',
        "\\",
    ]
)
texts = st.lists(st.one_of(st.characters(), tricky_chars), max_size=60).map("".join)
# Bytes a client could send, turned into str the ways a body can get here (lone surrogates included).
bytes_like = st.builds(
    lambda raw, errors: raw.decode("utf-8", errors),
    st.binary(max_size=80),
    st.sampled_from(["surrogateescape", "replace", "ignore"]),
) | st.binary(max_size=80).map(lambda raw: raw.decode("latin-1"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)
frames_as_json = st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries({"message": texts}).map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "history", "conversations", "ping"]) | texts},
        optional={"message": json_values, "limit": json_values, "before": json_values},
    ).map(json.dumps),
)


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    depth = draw(st.integers(min_value=20, max_value=20_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"message":', "}]")]))
    inner = draw(st.sampled_from(['"x"', "1", "[]", ""]))
    closed = draw(st.booleans())
    nested = opener * depth + inner + (closer * depth if closed else "")
    return draw(st.sampled_from([nested, '{"message": ' + nested + "}", '{"type": ' + nested + "}"]))


bodies = st.one_of(texts, bytes_like, frames_as_json, deeply_nested(), st.none())


def assert_safe(result: object, max_chars: int = MAX_CHARS) -> None:
    assert isinstance(result, UserText | ClientRequest | InputRejected)
    if isinstance(result, InputRejected):
        assert result.code in ERROR_TEXT["pt"] and result.code in ERROR_TEXT["en"]
        assert not SURROGATE.search(result.detail) and not BIDI_CONTROL.search(result.detail)
        return
    if isinstance(result, UserText):
        text = result.text
        assert 0 < len(text) <= max_chars
        assert not SURROGATE.search(text)
        assert not CONTROL.search(text)
        assert not BIDI_CONTROL.search(text)
        assert text.strip(INVISIBLE + "".join(c for c in text if c.isspace()))
        text.encode("utf-8")  # what every store and every frame needs


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, is_base64=st.booleans())
def test_parse_frame_never_raises_and_accepts_only_safe_text(body, is_base64):
    result = parse_frame(body, is_base64=is_base64, max_chars=MAX_CHARS)
    assert_safe(result)
    if is_base64:
        assert result == InputRejected("binary_not_supported")


@settings(max_examples=150, deadline=None)
@given(body=deeply_nested())
def test_nesting_past_the_bound_is_an_error_or_plain_text_never_a_crash(body):
    result = parse_frame(body, is_base64=False, max_chars=100_000)
    assert_safe(result, max_chars=100_000)
    if body.startswith("{"):
        assert isinstance(result, InputRejected)


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_json_message_and_raw_text_are_judged_alike(text):
    raw = parse_frame(text, is_base64=False, max_chars=MAX_CHARS)
    wrapped = parse_frame(json.dumps({"message": text}), is_base64=False, max_chars=MAX_CHARS)
    assert_safe(wrapped)
    if isinstance(raw, UserText) and not text.lstrip().startswith(("{", "[")):
        assert wrapped == raw
