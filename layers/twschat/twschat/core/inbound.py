"""What a client may send on ``$default``, and the specific error for everything else.

Accepted: a raw text frame (what simple clients and ``python -m websockets`` send) or a JSON object
``{"message": "..."}``. A frame that starts like JSON but is not the object we accept gets an error
instead of being answered as if it were prose; text that merely starts with ``[`` ("[urgente] ...")
and is not JSON stays text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

ErrorCode = Literal[
    "binary_not_supported",
    "empty_message",
    "message_too_long",
    "control_characters",
    "invalid_json",
    "not_an_object",
    "missing_message",
    "unknown_type",
    "invalid_request",
]

# C0/C1 controls and DEL, except the whitespace people paste into a chat (tab, newline, CR).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REQUEST_TYPES = ("message", "history", "conversations", "ping")
MAX_PAGE = 50
DEFAULT_PAGE = 20
_CURSOR = re.compile(r"^[\x21-\x7e]{1,200}$")


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
        try:
            decoded = json.loads(stripped)
        except ValueError:
            if stripped[0] == "{":
                return InputRejected("invalid_json")
        else:
            if not isinstance(decoded, dict):
                return InputRejected("not_an_object")
            request_type = decoded.get("type", "message")
            if request_type not in REQUEST_TYPES:
                return InputRejected("unknown_type", str(request_type)[:40])
            if request_type != "message":
                return _request(request_type, decoded)
            message = decoded.get("message")
            if not isinstance(message, str):
                return InputRejected("missing_message")
            return _check_text(message, max_chars)
    return _check_text(body, max_chars)


def _check_text(text: str, max_chars: int) -> UserText | InputRejected:
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return InputRejected("empty_message")
    if len(text) > max_chars:
        return InputRejected("message_too_long", f"{len(text)}>{max_chars}")
    if _CONTROL.search(text):
        return InputRejected("control_characters")
    return UserText(text)


def _request(request_type: str, decoded: dict[str, object]) -> ClientRequest | InputRejected:
    limit = decoded.get("limit", DEFAULT_PAGE)
    # bool is an int in Python; {"limit": true} is not a page size.
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        return InputRejected("invalid_request", f"limit 1-{MAX_PAGE}")
    before = decoded.get("before")
    if before is not None and (not isinstance(before, str) or not _CURSOR.match(before)):
        return InputRejected("invalid_request", "before")
    return ClientRequest(request_type, limit=limit, before=before)
