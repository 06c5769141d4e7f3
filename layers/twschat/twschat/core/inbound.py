"""What a client may send on ``$default``, and the specific error for everything else.

Accepted: a raw text frame (what simple clients and ``python -m websockets`` send) or a JSON object
``{"message": "..."}``. A frame that starts like JSON but is not the object we accept gets an error
instead of being answered as if it were prose; text that merely starts with ``[`` ("[urgente] ...")
and is not JSON stays text.

Text is refused when no store or screen can take it safely: lone surrogates (``invalid_text``: UTF-8
cannot encode them), C0/C1 controls other than tab/newline/CR and the bidirectional embedding,
override and isolate controls U+202A-U+202E, U+2066-U+2069 (``control_characters``: they reorder what
an operator reads, on screen and in the audit), and text made only of invisible characters
(``empty_message``). The bidi *marks* U+200E, U+200F and U+061C are accepted: they cannot reorder a
run of text, and right-to-left writers need them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

ErrorCode = Literal[
    "binary_not_supported",
    "empty_message",
    "message_too_long",
    "invalid_text",
    "control_characters",
    "invalid_json",
    "not_an_object",
    "missing_message",
    "unknown_type",
    "invalid_request",
]

_SURROGATES = r"\ud800-\udfff"
# C0/C1 controls and DEL, except the whitespace people paste into a chat (tab, newline, CR).
_C0_C1 = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
_SURROGATE = re.compile(f"[{_SURROGATES}]")
_CONTROL = re.compile(f"[{_C0_C1}{_BIDI_CONTROLS}]")
# What may not reach an error frame's detail, which echoes client input: nothing unencodable, nothing
# that reorders or breaks the line it is shown on.
_UNSAFE_IN_DETAIL = re.compile(f"[{_SURROGATES}{_C0_C1}{_BIDI_CONTROLS}\t\n\r]")
# Whitespace plus Unicode's Default_Ignorable_Code_Point set (zero-width space/joiners, BOM, word
# joiner, variation selectors, tags, Hangul fillers...) and the blank Braille pattern: a message of
# only these shows nothing.
_INVISIBLE_ONLY = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    r"\U0001d173-\U0001d17a\U000e0000-\U000e0fff]+"
)
# json.loads recurses once per nesting level and fails with RecursionError near the interpreter's
# limit, wherever the caller already is on the stack. No request of ours nests more than one level.
MAX_JSON_DEPTH = 32
# A JSON string, escapes included; an unterminated one runs to the end of the text.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
REQUEST_TYPES = ("message", "history", "conversations", "ping")
MAX_PAGE = 50
DEFAULT_PAGE = 20
_CURSOR = re.compile(r"^[\x21-\x7e]{1,200}\Z")  # \Z: "$" would accept a trailing newline


@dataclass(frozen=True, slots=True)
class UserText:
    text: str
    request_type: str = "message"


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A request that is not a chat message: ``history``, ``conversations`` or ``ping``."""

    request_type: str
    limit: int = DEFAULT_PAGE
    before: str | None = None


@dataclass(frozen=True, slots=True)
class InputRejected:
    code: ErrorCode
    detail: str = ""


def parse_frame(
    body: str | None, *, is_base64: bool, max_chars: int
) -> UserText | ClientRequest | InputRejected:
    if is_base64:
        return InputRejected("binary_not_supported")
    if body is None or not body.strip():
        return InputRejected("empty_message")
    stripped = body.strip()
    if stripped[0] in "{[":
        parsed = _parse_json(stripped, max_chars)
        if parsed is not None:
            return parsed
    return _check_text(body, max_chars)


def _parse_json(text: str, max_chars: int) -> UserText | ClientRequest | InputRejected | None:
    """What a frame that starts with ``{`` or ``[`` asks for; ``None`` when it is prose, not JSON."""
    depths = _bracket_depths(text)
    if max(depths, default=0) > MAX_JSON_DEPTH:
        if text[0] == "{":
            return InputRejected("invalid_json", f"depth>{MAX_JSON_DEPTH}")
        # Only JSON closes every bracket it opens: "[[[...]]]" is an array, "[[[ urgente" is prose.
        closed = depths[-1] == 0 and min(depths) >= 0
        return InputRejected("not_an_object", f"depth>{MAX_JSON_DEPTH}") if closed else None
    try:
        decoded = json.loads(text)
    except ValueError:
        return InputRejected("invalid_json") if text[0] == "{" else None
    if not isinstance(decoded, dict):
        return InputRejected("not_an_object")
    request_type = decoded.get("type", "message")
    if request_type not in REQUEST_TYPES:
        return InputRejected("unknown_type", _UNSAFE_IN_DETAIL.sub("?", str(request_type)[:40]))
    if request_type != "message":
        return _request(request_type, decoded)
    message = decoded.get("message")
    if not isinstance(message, str):
        return InputRejected("missing_message")
    return _check_text(message, max_chars)


def _bracket_depths(text: str) -> list[int]:
    """The nesting depth after each bracket outside JSON strings, counted without recursing."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    return list(accumulate(map(_BRACKET_STEP.__getitem__, brackets)))


def _check_text(text: str, max_chars: int) -> UserText | InputRejected:
    if _SURROGATE.search(text):
        return InputRejected("invalid_text")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return InputRejected("empty_message")
    if len(text) > max_chars:
        return InputRejected("message_too_long", f"{len(text)}>{max_chars}")
    if _CONTROL.search(text):
        return InputRejected("control_characters")
    if _INVISIBLE_ONLY.fullmatch(text):
        return InputRejected("empty_message")
    return UserText(text)


def _request(request_type: str, decoded: dict[str, object]) -> ClientRequest | InputRejected:
    limit = decoded.get("limit", DEFAULT_PAGE)
    # bool is an int in Python; {"limit": true} is not a page size.
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        return InputRejected("invalid_request", f"limit 1-{MAX_PAGE}")
    before = decoded.get("before")
    if before is not None and (not isinstance(before, str) or not _CURSOR.fullmatch(before)):
        return InputRejected("invalid_request", "before")
    return ClientRequest(request_type, limit=limit, before=before)
