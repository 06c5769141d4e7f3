"""An encoder for the AWS binary event-stream format (``application/vnd.amazon.eventstream``).

Each message: a 12-byte prelude (total length, headers length: big-endian uint32; CRC32 of those 8
bytes), the headers, the payload, and the CRC32 of everything before it (prelude included). A
header is a 1-byte name length, the name (UTF-8), a 1-byte value type and the value; only type 7
(string: 2-byte length, UTF-8 bytes) is written here, which is all ConverseStream uses. The decoder
this must satisfy is botocore's ``botocore.eventstream.EventStreamBuffer``.
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Mapping
from typing import Any

__all__ = ["encode_message", "event_message", "exception_message"]

_STRING = 7
MAX_HEADER_VALUE = 0xFFFF


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
