"""API Gateway's WebSocket events for the local gateway: ids, times, $connect/$default/$disconnect
events, and what of a connect path may reach a log line."""

from __future__ import annotations

import base64
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers

log = logging.getLogger("twschat-local")

_AGENT_PATH = re.compile(r"^/api/v1/ws/([^/]+)/?\Z")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---------------------------------------------------------------------------------------- ids, events


def new_id() -> str:
    """API-Gateway-like id (connectionId, messageId, requestId): base64 of 11 random bytes, 16 chars."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def request_time(epoch_ms: int) -> str:
    """``25/Nov/2026:12:00:00 +0000`` (CLF, UTC, English month whatever the locale)."""
    t = time.gmtime(epoch_ms / 1000)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class LiveConnection:
    connection_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str
    host: str
    server_port: int
    headers: dict[str, str] = field(default_factory=dict)
    multi_value_headers: dict[str, list[str]] = field(default_factory=dict)
    extended_request_id: str = field(default_factory=new_id)
    last_active_at: float = field(default_factory=time.time)
    ws: ServerConnection | None = None
    closed_by_gateway: tuple[int, str] | None = None
    """Set when the gateway (DeleteConnection, idle, max duration) closes the connection."""
    last_received_ms: int = 0
    """``requestTimeEpoch`` of the latest frame: the next one gets a later one (see :meth:`stamp`)."""

    def stamp(self, now_ms: int) -> int:
        """A frame's ``requestTimeEpoch``: its arrival, one millisecond after the previous frame's at
        least. Two frames in the same millisecond would otherwise be ordered by their random message
        ids in the history (a "sim" could sort before its own request)."""
        self.last_received_ms = max(now_ms, self.last_received_ms + 1)
        return self.last_received_ms


def _request_context(
    conn: LiveConnection, *, stage: str, route_key: str, event_type: str, now_ms: int, request_id: str
) -> dict[str, Any]:
    return {
        "extendedRequestId": conn.extended_request_id if event_type == "CONNECT" else request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": conn.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"userAgent": conn.user_agent, "sourceIp": conn.source_ip},
        "requestId": request_id,
        "domainName": conn.host,
        "connectionId": conn.connection_id,
        "apiId": "local",
        "routeKey": route_key,
        "eventType": event_type,
    }


def connect_event(conn: LiveConnection, *, stage: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
    now_ms = conn.connected_at_ms
    context = _request_context(
        conn,
        stage=stage,
        route_key="$connect",
        event_type="CONNECT",
        now_ms=now_ms,
        request_id=conn.extended_request_id,
    )
    return {
        "headers": dict(conn.headers),
        "multiValueHeaders": {k: list(v) for k, v in conn.multi_value_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": {k: list(v) for k, v in query.items()} if query else None,
        "requestContext": context,
        "isBase64Encoded": False,
    }


def message_event(
    conn: LiveConnection,
    route_key: str,
    body: str,
    is_base64: bool,
    *,
    stage: str,
    request_id: str,
    received_ms: int | None = None,
) -> dict[str, Any]:
    """``received_ms``: when the frame arrived (API Gateway stamps ``requestTimeEpoch`` then, not when
    a function gets to it); now when not given."""
    now_ms = _now_ms() if received_ms is None else received_ms
    context = _request_context(
        conn, stage=stage, route_key=route_key, event_type="MESSAGE", now_ms=now_ms, request_id=request_id
    )
    context["messageId"] = new_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": is_base64}


def disconnect_event(conn: LiveConnection, *, stage: str, code: int, reason: str) -> dict[str, Any]:
    context = _request_context(
        conn,
        stage=stage,
        route_key="$disconnect",
        event_type="DISCONNECT",
        now_ms=_now_ms(),
        request_id=new_id(),
    )
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    headers = {"Host": conn.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def _event_headers(request_headers: Headers, source_ip: str, server_port: int) -> tuple[dict, dict]:
    multi: dict[str, list[str]] = {}
    for name, value in request_headers.raw_items():
        if name.lower() in ("connection", "upgrade"):
            continue  # hop-by-hop: API Gateway does not pass them on
        multi.setdefault(name, []).append(value)
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    for name, value in (
        ("X-Amzn-Trace-Id", trace),
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", str(server_port)),
        ("X-Forwarded-Proto", "http"),
    ):
        multi[name] = [value]
    single = {name: ",".join(values) for name, values in multi.items()}
    return single, multi


_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


def redact_path(path: str) -> str:
    """A connect path fit for a log line: the ``token`` query parameter never leaves the process.

    Names are compared after percent-decoding (``%74oken`` is ``token`` to the authorizer), and any
    value that decodes to something shaped like a JWT is redacted whatever its name.
    """
    base, sep, rest = path.partition("?")
    if not sep:
        return path
    query, hash_sign, fragment = rest.partition("#")
    pairs = []
    for pair in query.split("&"):
        name, eq, value = pair.partition("=")
        secret = unquote_plus(name).strip().lower() == "token" or _JWT_LIKE.search(unquote_plus(value))
        pairs.append(f"{name}{eq}[redacted]" if secret and eq else pair)
    return f"{base}?{'&'.join(pairs)}{hash_sign}{fragment}"


def parse_connect_path(path: str) -> dict[str, list[str]] | None:
    """Query parameters of an accepted path (agent from ``/api/v1/ws/{agent}``); None -> 404."""
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    match = _AGENT_PATH.fullmatch(parts.path)
    if match:
        agent = unquote(match.group(1))
        if not agent:
            return None
        query["agent"] = [agent]
        return query
    if parts.path in ("", "/"):
        return query
    return None
