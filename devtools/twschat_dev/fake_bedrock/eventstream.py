"""An encoder for the AWS binary event-stream format (``application/vnd.amazon.eventstream``).

Each message: a 12-byte prelude (total length, headers length: big-endian uint32; CRC32 of those 8
bytes), the headers, the payload, and the CRC32 of everything before it (prelude included). A
header is a 1-byte name length, the name (UTF-8), a 1-byte value type and the value; only type 7
(string: 2-byte length, UTF-8 bytes) is written here, which is all ConverseStream uses. The decoder
this must satisfy is botocore's ``botocore.eventstream.EventStreamBuffer``.

:func:`stream_events` spells a reply (the model's or a scripted one) as ConverseStream's events, in
the order Bedrock sends them.
"""

from __future__ import annotations

import json
import re
import struct
from binascii import crc32
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .model import Reply

__all__ = [
    "encode_message",
    "event_message",
    "exception_message",
    "json_pieces",
    "stream_events",
    "text_pieces",
]

_STRING = 7
MAX_HEADER_VALUE = 0xFFFF
TEXT_WORDS_PER_DELTA = 2
TOOL_CHARS_PER_DELTA = 8


def _header(name: str, value: str) -> bytes:
    raw_name = name.encode("utf-8")
    raw_value = value.encode("utf-8")
    if not 0 < len(raw_name) <= 0xFF:
        raise ValueError(f"header name {name!r} must be 1 to 255 bytes")
    if len(raw_value) > MAX_HEADER_VALUE:
        raise ValueError(f"header {name!r} value is longer than {MAX_HEADER_VALUE} bytes")
    return (
        struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", _STRING, len(raw_value)) + raw_value
    )


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One binary event-stream message with string ``headers`` (in order) and ``payload``."""
    raw_headers = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", crc32(body) & 0xFFFFFFFF)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_message(event_type: str, payload: Any) -> bytes:
    """A ConverseStream event (``messageStart``, ``contentBlockDelta``... ``metadata``)."""
    return encode_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        _json(payload),
    )


def exception_message(exception_type: str, payload: Any) -> bytes:
    """An error inside the stream (``modelStreamErrorException``, ``throttlingException``...);
    botocore raises it as ``EventStreamError`` with the exception type as the error code."""
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        _json(payload),
    )


def text_pieces(text: str) -> list[str]:
    """Small deltas: two words (with their trailing spaces) each; concatenated, the text."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    return ["".join(words[i : i + TEXT_WORDS_PER_DELTA]) for i in range(0, len(words), TEXT_WORDS_PER_DELTA)]


def json_pieces(raw: str) -> list[str]:
    """A tool input's JSON cut every 8 characters (mid-token, as models stream it)."""
    return [raw[i : i + TOOL_CHARS_PER_DELTA] for i in range(0, len(raw), TOOL_CHARS_PER_DELTA)] or [""]


def stream_events(reply: Reply, latency: Callable[[], int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ConverseStream events of ``reply`` in order (``latency`` gives latencyMs at the end)."""
    yield "messageStart", {"role": "assistant"}
    for index, block in enumerate(reply.blocks):
        if block.kind == "toolUse":
            start = {"toolUse": {"toolUseId": block.tool_use_id, "name": block.name}}
            yield "contentBlockStart", {"start": start, "contentBlockIndex": index}
            for piece in json_pieces(block.input_json()):
                yield (
                    "contentBlockDelta",
                    {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index},
                )
        else:
            for piece in text_pieces(block.text):
                yield "contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": index}
        yield "contentBlockStop", {"contentBlockIndex": index}
    yield "messageStop", {"stopReason": reply.stop_reason}
    yield "metadata", {"usage": reply.usage.to_json(), "metrics": {"latencyMs": latency()}}
