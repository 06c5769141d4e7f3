"""``twschat serve``: a local WebSocket server that behaves like API Gateway for ``template.yaml``.

Development only. What it does like API Gateway:

- ``$connect`` runs before the opening handshake completes (in ``process_response``: after websockets
  has validated the upgrade request, before the 101 is written). A ``statusCode`` other than 200
  rejects the handshake with that HTTP status; a handler exception rejects it with 500. Until the 101
  is sent the connection does not exist for the ``@connections`` API: a post during ``$connect``
  gets 410 Gone.
- Each text frame is a ``$default`` event (or the route named by the API's RouteSelectionExpression
  when the frame is a JSON object that names an existing route); a binary frame is a ``$default``
  event with ``isBase64Encoded: true``. No route -> ``{"message": "Forbidden", ...}``; handler
  exception -> ``{"message": "Internal server error", ...}``, as API Gateway sends them.
- Close -> ``$disconnect`` with ``disconnectStatusCode``/``disconnectReason``.
- Limits: 128 KB per message and 32 KB per frame (websockets ``max_size=(message, fragment)``; over
  either the connection is closed with 1009, as API Gateway does), 10 minutes idle and 2 hours per
  connection (closed with 1001 "Going away"), 128 KB per PostToConnection (413).
- Messages of one connection are handled one at a time, in order (API Gateway gives no order
  guarantee and may run them concurrently); different connections run concurrently.

Not like API Gateway: plain HTTP requests on the same port (no ``Upgrade: websocket``) get the
operators' web page from ``web/`` (:class:`WebPage`), its ``config.json``, and with ``--auth local``
a development sign-in endpoint, ``POST /dev/token``. In AWS the page is hosted on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import email.utils
import functools
import http
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CLOSE_CODE_EXPLANATIONS
from websockets.http11 import Request, Response

from twschat_dev.connections_api import ConnectionInfo, LocalApiServer
from twschat_dev.runtime import FunctionRunner, Invocation
from twschat_dev.serve_banner import chat_lines, has_aws_credentials, responder_line, start_errors, tws_line
from twschat_dev.template import (
    LocalApp,
    StoreChoice,
    StoreNotReady,
    TemplateError,
    add_local_arguments,
    apply_local_environment,
    parameter_overrides,
    read_app,
)

log = logging.getLogger("twschat-local")

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
IDLE_TIMEOUT_S = 10 * 60
MAX_CONNECTION_S = 2 * 3600
POST_TIMEOUT_S = 10.0
INTEGRATION_TIMEOUT_S = 29.0  # API Gateway's integration timeout for a route's Lambda
CONNECT_TIMEOUT_S = 35.0  # > API Gateway's 29 s integration timeout: the handler decides, not us
_AGENT_PATH = re.compile(r"^/api/v1/ws/([^/]+)/?\Z")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOST_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""The ``Host`` names the sign-in endpoint, ``config.json`` and the page's origin may carry: another
name pointing at 127.0.0.1 is a DNS-rebinding page, not the developer."""
RECEIVE_QUEUE = 64
"""Frames of one connection received, stamped and waiting for their turn (then the reader waits)."""


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


# ---------------------------------------------------------------------------------------- web page

WEB_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
"""The only files served: anything else in ``web/`` (sources, notes, dotfiles) stays private."""
TOKEN_PATH = "/dev/token"
_WEB_FILE = re.compile(r"^/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\Z")
_HOST = re.compile(r"^(?P<name>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\Z")


def default_web_dir(template: Path) -> Path | None:
    """``web/`` next to the template, else the one of the checkout this package is installed from
    (editable install); None when neither has an ``index.html``."""
    for candidate in (template.resolve().parent / "web", Path(__file__).resolve().parents[2] / "web"):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def is_websocket_upgrade(request: Request) -> bool:
    return any("websocket" in value.lower() for value in request.headers.get_all("Upgrade"))


def web_security_headers(websocket_origin: str) -> dict[str, str]:
    """Headers on every page response. No inline script or style, nothing from another origin but
    the chat's WebSocket; Trusted Types make any HTML-string sink (innerHTML...) throw, so server
    text can only ever become text nodes."""
    csp = "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {websocket_origin}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        )
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        # Development server: always the files on disk; and a token response is never cached.
        "Cache-Control": "no-store",
    }


def http_response(
    status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A complete HTTP/1.1 response for the websockets server to send (it closes the connection)."""
    out = Headers()
    out["Date"] = email.utils.formatdate(usegmt=True)
    out["Connection"] = "close"
    out["Content-Type"] = content_type
    out["Content-Length"] = str(len(body))
    for name, value in (headers or {}).items():
        out[name] = value
    return Response(status, http.HTTPStatus(status).phrase, out, body)


@dataclass
class WebPage:
    """Serves ``web/`` and ``config.json`` on the WebSocket port; ``POST /dev/token`` with ``--auth local``.

    ``mint`` (user, role) -> token is set only with ``--auth local``. websockets reads no request body
    (its HTTP parser refuses a ``Content-Length`` other than 0), so the token request carries
    ``user`` and ``role`` in the query string; the token comes back in the body only. Only loopback
    clients may ask, and a browser only from this page's own origin (``Origin``), so another site
    cannot mint tokens through a developer's browser. Both the token and ``config.json`` answer only
    to a ``Host`` (and an ``Origin``) in :attr:`hosts`: a page of another name that resolves to
    127.0.0.1 (DNS rebinding) is that other site, not this one.
    """

    directory: Path | None
    auth: str = "none"
    mint: Callable[[str, str], str] | None = None
    agent: str | None = None
    hosts: tuple[str, ...] = LOOPBACK_HOST_NAMES
    """Host names (without port) this page is served under; ``twschat serve --host ADDR`` adds ADDR."""

    def serves_host(self, host: str) -> bool:
        """``host`` (a ``Host`` header, port optional) names this page's server."""
        match = _HOST.fullmatch(host)
        return match is not None and match.group("name").lower() in self.hosts

    def origins(self, port: int) -> set[str]:
        """The page's own origins on ``port``: what a browser sends as ``Origin`` from this page."""
        return {f"http://{name}:{port}" for name in self.hosts}

    async def respond(self, request: Request, peer: str) -> Response:
        host = request.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            return self._text(400, "bad Host header\n", "localhost")
        path = urlsplit(request.path).path
        if path in (TOKEN_PATH, "/config.json") and not self._same_site(request, host):
            log.info("web %s refused: Host or Origin not a loopback name of this gateway", path)
            return self._json(403, {"error": "forbidden", "message": "use http://localhost"}, "localhost")
        if path == TOKEN_PATH and self.mint is not None:
            if request.method == "POST":  # never GET: a link or an <img> must not mint a token
                return await self._token(request, host, peer)
            return self._not_allowed("POST", host)
        if request.method != "GET":
            return self._not_allowed("GET", host)
        if path == "/config.json":
            return self._json(200, self.config(host), host)
        if path in ("", "/"):
            path = "/index.html"
        file = self._file(path)
        if file is None:
            log.debug("web 404 %s", path)  # the path only: a sign-in redirect's query is not logged
            hint = "" if self.directory else " (no web/ folder found: twschat serve --web-dir DIR)"
            return self._text(404, f"Not Found{hint}\n", host)
        return http_response(200, file.read_bytes(), WEB_CONTENT_TYPES[file.suffix], self._headers(host))

    def config(self, host: str) -> dict[str, Any]:
        """What the page reads at start: where the chat is, and how to sign in."""
        auth: dict[str, Any] = {"mode": self.auth}
        if self.mint is not None:
            auth["tokenEndpoint"] = TOKEN_PATH
        config: dict[str, Any] = {"websocketUrl": f"ws://{host}", "auth": auth, "environment": "local"}
        if self.agent:
            config["agent"] = self.agent
        return config

    def _file(self, path: str) -> Path | None:
        if self.directory is None or not _WEB_FILE.fullmatch(path) or "/." in path:
            return None
        root = self.directory.resolve()
        file = (root / path.lstrip("/")).resolve()
        if not file.is_relative_to(root) or not file.is_file() or file.suffix not in WEB_CONTENT_TYPES:
            return None
        return file

    def _same_site(self, request: Request, host: str) -> bool:
        """A loopback ``Host``, and no ``Origin`` (curl, the CLI) or this very page's."""
        origin = request.headers.get("Origin")
        return self.serves_host(host) and (origin is None or origin.lower() == f"http://{host}".lower())

    async def _token(self, request: Request, host: str, peer: str) -> Response:
        assert self.mint is not None
        cross_site = request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")
        if cross_site:
            return self._json(403, {"error": "forbidden", "message": "cross-origin token request"}, host)
        if peer not in _LOOPBACK:
            return self._json(403, {"error": "forbidden", "message": "loopback clients only"}, host)
        query = parse_qs(urlsplit(request.path).query)
        user = (query.get("user") or [""])[-1]
        role = (query.get("role") or [""])[-1]
        if role not in ("", "viewer", "operator", "admin"):
            return self._json(
                400, {"error": "invalid_role", "message": "role: viewer, operator or admin"}, host
            )
        try:
            token = await asyncio.to_thread(self.mint, user, role)
        except ValueError as exc:
            return self._json(400, {"error": "invalid_user", "message": str(exc)}, host)
        log.info("web sign-in: development token for %s (%s)", user, role or "no role")
        return self._json(200, {"token": token}, host)

    def _headers(self, host: str) -> dict[str, str]:
        return web_security_headers(f"ws://{host}")

    def _not_allowed(self, allow: str, host: str) -> Response:
        response = self._text(405, "Method Not Allowed\n", host)
        response.headers["Allow"] = allow
        return response

    def _text(self, status: int, text: str, host: str) -> Response:
        return http_response(status, text.encode(), "text/plain; charset=utf-8", self._headers(host))

    def _json(self, status: int, payload: Any, host: str) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return http_response(status, body, "application/json", self._headers(host))


# ---------------------------------------------------------------------------------------- the gateway


class Gateway:
    """WebSocket side plus the ``Connections`` backend the local API server calls from its threads."""

    def __init__(
        self,
        app: LocalApp,
        runner: FunctionRunner,
        *,
        stage: str = "local",
        verbose: bool = False,
        idle_timeout: float = IDLE_TIMEOUT_S,
        max_duration: float = MAX_CONNECTION_S,
        schedule_interval: float | None = None,
        auth: str = "none",
        web: WebPage | None = None,
        integration_timeout: float = INTEGRATION_TIMEOUT_S,
        allow_origins: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.allow_origins = {origin.rstrip("/").lower() for origin in allow_origins}
        """Origins (``--allow-origin``) whose pages may connect, besides the gateway's own page."""
        self.integration_timeout = integration_timeout
        self.auth = auth
        self.web = web
        self.schedule_interval = schedule_interval
        self.runner = runner
        self.stage = stage
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._open: dict[str, LiveConnection] = {}
        self._pending: dict[ServerConnection, LiveConnection] = {}
        self._background: set[concurrent.futures.Future[Any]] = set()
        self._selection_path = _selection_path(app.route_selection_expression)

    # -- Connections backend (HTTP worker threads)
    def _lookup(self, connection_id: str) -> LiveConnection | None:
        with self._lock:
            return self._open.get(connection_id)

    def post(self, connection_id: str, data: bytes) -> bool:
        conn, loop = self._lookup(connection_id), self._loop
        if conn is None or conn.ws is None or loop is None:
            return False
        payload: str | bytes
        try:
            payload = data.decode("utf-8")
        except UnicodeDecodeError:
            payload = data
        try:
            future = asyncio.run_coroutine_threadsafe(self._deliver(conn, payload), loop)
        except RuntimeError:  # the loop is closed: the gateway is stopping
            return False
        try:
            return future.result(timeout=POST_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.warning("post to %s timed out after %.0f s", connection_id, POST_TIMEOUT_S)
            return False

    def describe(self, connection_id: str) -> ConnectionInfo | None:
        conn = self._lookup(connection_id)
        if conn is None:
            return None
        return ConnectionInfo(
            conn.connected_at_ms / 1000, conn.last_active_at, conn.source_ip, conn.user_agent
        )

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            conn = self._open.pop(connection_id, None)
        if conn is None or conn.ws is None or self._loop is None:
            return False
        conn.closed_by_gateway = (1000, "Connection closed by DeleteConnection")
        future = asyncio.run_coroutine_threadsafe(conn.ws.close(1000, ""), self._loop)
        self._background.add(future)
        future.add_done_callback(self._background.discard)
        return True

    async def _deliver(self, conn: LiveConnection, payload: str | bytes) -> bool:
        assert conn.ws is not None
        try:
            await conn.ws.send(payload)
        except ConnectionClosed:
            return False
        if self.verbose:
            log.debug("< %s %s", conn.connection_id, _preview(payload))
        return True

    # -- handshake
    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if self.web is not None and not is_websocket_upgrade(request):
            peer = str(ws.remote_address[0]) if ws.remote_address else ""
            return await self.web.respond(request, peer)
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin, ws):
            # A page of another site (or a rebound name) would act as whoever runs this browser.
            log.info(
                "x handshake from origin %r refused (twschat serve --allow-origin to allow)", origin[:100]
            )
            return ws.respond(http.HTTPStatus.FORBIDDEN, "Forbidden origin\n")
        if parse_connect_path(request.path) is None:
            log.info("404 %s (use /api/v1/ws/{agent} or /?agent=...)", redact_path(request.path))
            return ws.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    def _origin_allowed(self, origin: str, ws: ServerConnection) -> bool:
        """``origin`` is this gateway's own page (a loopback name and this port) or allowed by flag.
        Clients that send no ``Origin`` (the CLI, scripts) are not asked."""
        port = int(ws.local_address[1]) if ws.local_address else 0
        own = (self.web or WebPage(None)).origins(port)
        wanted = origin.rstrip("/").lower()
        return wanted in own or wanted in self.allow_origins

    async def _process_response(
        self, ws: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        if response.status_code != http.HTTPStatus.SWITCHING_PROTOCOLS:
            return None  # websockets already refused the upgrade request; no $connect, as on AWS
        query = parse_connect_path(request.path) or {}
        source_ip = str(ws.remote_address[0]) if ws.remote_address else "127.0.0.1"
        server_port = int(ws.local_address[1]) if ws.local_address else 0
        headers, multi = _event_headers(request.headers, source_ip, server_port)
        conn = LiveConnection(
            connection_id=new_id(),
            connected_at_ms=_now_ms(),
            source_ip=source_ip,
            user_agent=request.headers.get("User-Agent", ""),
            host=request.headers.get("Host", f"localhost:{server_port}"),
            server_port=server_port,
            headers=headers,
            multi_value_headers=multi,
        )
        route = self.app.routes.get("$connect")
        status, text = 200, ""
        if route is not None:
            event = connect_event(conn, stage=self.stage, query=query)
            if self.auth != "none":
                status, text, identity = await self._authorize(event)
                if status != 200:
                    log.info("x %s $connect refused by the authorizer -> %d", conn.connection_id, status)
                    return _reject(ws, status, text)
                event["requestContext"]["authorizer"] = identity
            try:
                result = await asyncio.to_thread(self.runner.invoke, route.function, event)
            except Exception:
                status, text = 500, "Internal server error"
            else:
                status, text = _status_of(result)
        if status != 200:
            log.info(
                "x %s $connect %s -> %d, handshake refused",
                conn.connection_id,
                redact_path(request.path),
                status,
            )
            return _reject(ws, status, text)
        self._pending[ws] = conn
        return None

    async def _authorize(self, connect: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        """Run the template's REQUEST authorizer like API Gateway: an exception is 401, Deny is 403,
        Allow passes principalId and the context on to $connect as requestContext.authorizer."""
        lid = self.app.connect_authorizer
        if lid is None:
            return 500, "no authorizer in the template", {}
        context = connect["requestContext"]
        event = {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:{self.runner.region}:000000000000:local/{self.stage}/$connect",
            "headers": connect["headers"],
            "multiValueHeaders": connect["multiValueHeaders"],
            "queryStringParameters": connect["queryStringParameters"],
            "multiValueQueryStringParameters": connect["multiValueQueryStringParameters"],
            "stageVariables": {},
            "requestContext": {k: v for k, v in context.items() if k not in ("messageId", "authorizer")},
        }
        try:
            result = await asyncio.to_thread(self.runner.invoke, lid, event)
        except Exception as exc:
            return (
                (401, "Unauthorized", {})
                if str(exc) == "Unauthorized"
                else (500, "Internal server error", {})
            )
        statements = ((result or {}).get("policyDocument") or {}).get("Statement") or []
        if not statements or any(st.get("Effect") != "Allow" for st in statements):
            return 403, "Forbidden", {}
        return 200, "", {"principalId": result.get("principalId", ""), **(result.get("context") or {})}

    # -- one connection
    async def _serve_connection(self, ws: ServerConnection) -> None:
        conn = self._pending.pop(ws, None)
        if conn is None:  # cannot happen: process_response registered it
            await ws.close(1011, "no $connect state")
            return
        conn.ws = ws
        with self._lock:
            self._open[conn.connection_id] = conn
        log.info("+ %s connected %s", conn.connection_id, redact_path(ws.request.path) if ws.request else "")
        # Frames are stamped as they arrive and handled one at a time, in order: a "sim" sent right
        # after its question's request keeps the time it was sent, not the time its turn came.
        received: asyncio.Queue[tuple[int, str | bytes] | None] = asyncio.Queue(RECEIVE_QUEUE)
        worker = asyncio.create_task(self._handle_received(conn, received))
        try:
            await self._receive(conn, ws, received)
        finally:
            await received.put(None)
            with contextlib.suppress(Exception):  # a fault there is logged per message already
                await worker
            with self._lock:
                self._open.pop(conn.connection_id, None)
            await self._on_close(conn, ws)

    async def _receive(
        self, conn: LiveConnection, ws: ServerConnection, received: asyncio.Queue[Any]
    ) -> None:
        """Read frames until the connection closes or times out (idle, max duration)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_duration if self.max_duration > 0 else None
        try:
            while True:
                limits = [self.idle_timeout] if self.idle_timeout > 0 else []
                if deadline is not None:
                    limits.append(deadline - loop.time())
                try:
                    async with asyncio.timeout(min(limits) if limits else None):
                        message = await ws.recv()
                except TimeoutError:
                    conn.closed_by_gateway = (1001, "Going away")
                    await ws.close(1001, "Going away")
                    return
                conn.last_active_at = time.time()
                await received.put((conn.stamp(_now_ms()), message))
        except ConnectionClosed:
            return

    async def _handle_received(self, conn: LiveConnection, received: asyncio.Queue[Any]) -> None:
        while (item := await received.get()) is not None:
            received_ms, message = item
            await self._on_message(conn, message, received_ms)

    async def _on_message(
        self, conn: LiveConnection, message: str | bytes, received_ms: int | None = None
    ) -> None:
        request_id = new_id()
        try:
            await self._dispatch(conn, message, request_id, received_ms)
        except Exception:
            # A fault of the gateway itself costs this one message, never the connection's receive
            # loop: the client gets what API Gateway sends on an internal failure, and can go on.
            log.exception("message on %s not processed", conn.connection_id)
            with contextlib.suppress(Exception):
                await self._send_status(conn, "Internal server error", request_id)

    async def _dispatch(
        self, conn: LiveConnection, message: str | bytes, request_id: str, received_ms: int | None = None
    ) -> None:
        if isinstance(message, bytes):
            body, is_base64, route_key = base64.b64encode(message).decode(), True, "$default"
        else:
            body, is_base64, route_key = message, False, self._select_route(message)
        if self.verbose:
            log.debug("> %s %s %s", conn.connection_id, route_key, _preview(message))
        route = self.app.routes.get(route_key)
        if route is None:
            await self._send_status(conn, "Forbidden", request_id)
            return
        event = message_event(
            conn, route_key, body, is_base64, stage=self.stage, request_id=request_id, received_ms=received_ms
        )
        call = asyncio.ensure_future(asyncio.to_thread(self.runner.invoke, route.function, event))
        try:
            # Like API Gateway: past the integration timeout the client is told so; the Lambda runs on.
            limit = self.integration_timeout if self.integration_timeout > 0 else None
            result = await asyncio.wait_for(asyncio.shield(call), limit)
        except TimeoutError:
            await self._send_status(conn, "Endpoint request timed out", request_id)
            return
        except Exception:
            await self._send_status(conn, "Internal server error", request_id)
            return
        if route.returns_response and isinstance(result, dict) and isinstance(result.get("body"), str):
            await self._deliver(conn, result["body"])

    async def _on_close(self, conn: LiveConnection, ws: ServerConnection) -> None:
        try:
            async with asyncio.timeout(15):
                await ws.wait_closed()
        except TimeoutError:
            pass
        code, reason = _close_status(ws, conn)
        log.info("- %s disconnected %d %s", conn.connection_id, code, reason)
        route = self.app.routes.get("$disconnect")
        if route is None:
            return
        event = disconnect_event(conn, stage=self.stage, code=code, reason=reason)
        with contextlib.suppress(Exception):  # logged by the runner; nobody to tell
            await asyncio.to_thread(self.runner.invoke, route.function, event)

    async def _send_status(self, conn: LiveConnection, message: str, request_id: str) -> None:
        frame = {"message": message, "connectionId": conn.connection_id, "requestId": request_id}
        await self._deliver(conn, json.dumps(frame))

    def _select_route(self, text: str) -> str:
        """The route a text frame names, else ``$default``: also for what json.loads cannot take
        (invalid, or nested deeper than the stack). Like API Gateway, selection never fails a frame."""
        if self._selection_path is None or not text.lstrip().startswith("{"):
            return "$default"
        try:
            value: Any = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack allows
            return "$default"
        for key in self._selection_path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value in self.app.routes and value not in ("$connect", "$disconnect"):
            return value
        return "$default"

    # -- running
    def _schedules(self) -> list[tuple[str, float]]:
        """Functions with a Schedule event, and how often to run them here (``--schedule-interval``)."""
        found = []
        for lid, spec in sorted(self.app.functions.items()):
            if spec.schedule_seconds is None:
                continue
            every = self.schedule_interval if self.schedule_interval is not None else spec.schedule_seconds
            if every > 0:
                found.append((lid, every))
        return found

    async def _run_schedule(self, logical_id: str, every: float) -> None:
        # Like EventBridge: a Scheduled Event every period; a failed run is logged and the next one comes.
        while True:
            await asyncio.sleep(every)
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "000000000000",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "region": self.runner.region,
                "resources": [f"arn:aws:events:{self.runner.region}:000000000000:rule/{logical_id}"],
                "detail": {},
            }
            try:
                await asyncio.to_thread(self.runner.invoke, logical_id, event)
            except Exception:
                log.exception("scheduled run of %s failed", logical_id)

    async def serve(
        self,
        host: str,
        port: int,
        *,
        on_ready: Callable[[Server], None] | None = None,
        stop: asyncio.Event | None = None,
        handle_signals: bool = True,
    ) -> None:
        """Serve until ``stop`` is set (or SIGINT/SIGTERM); then close every connection, with $disconnect."""
        self._loop = asyncio.get_running_loop()
        stop = stop or asyncio.Event()
        signals = 0

        def on_signal() -> None:
            nonlocal signals
            signals += 1
            if signals > 1:
                print("twschat: second interrupt, exiting now", file=sys.stderr, flush=True)
                os._exit(130)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM) if handle_signals else ():
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
                self._loop.add_signal_handler(sig, on_signal)
        async with serve(
            self._serve_connection,
            host,
            port,
            process_request=self._process_request,
            process_response=self._process_response,
            max_size=(MAX_MESSAGE_BYTES, MAX_FRAME_BYTES),
            compression=None,
            open_timeout=CONNECT_TIMEOUT_S,
            close_timeout=5,
            server_header="twschat-local (development gateway)",
            logger=logging.getLogger("twschat-local.websockets"),
        ) as server:
            if on_ready is not None:
                on_ready(server)
            schedules = [
                asyncio.create_task(self._run_schedule(lid, every)) for lid, every in self._schedules()
            ]
            await stop.wait()
            for task in schedules:
                task.cancel()
            with self._lock:
                count = len(self._open)
            log.info("stopping: closing %d connection(s), running $disconnect for each", count)
            server.close()
            try:
                async with asyncio.timeout(30):
                    await server.wait_closed()
            except TimeoutError:
                log.warning("some connections did not close within 30 s")


def _selection_path(expression: str) -> list[str] | None:
    prefix = "$request.body."
    if not expression.startswith(prefix):
        return None
    return expression[len(prefix) :].split(".")


def _status_of(result: Any) -> tuple[int, str]:
    if isinstance(result, dict) and "statusCode" in result:
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            return 500, "Internal server error"
        body = result.get("body")
        return status, body if isinstance(body, str) else ""
    log.warning("$connect returned %r without statusCode; accepting (return {'statusCode': 200})", result)
    return 200, ""


def _reject(ws: ServerConnection, status: int, text: str) -> Response:
    try:
        code = http.HTTPStatus(status)
    except ValueError:
        code = http.HTTPStatus.INTERNAL_SERVER_ERROR
    if code < 400:  # a 1xx/2xx/3xx other than 200 still refuses the connection
        code = http.HTTPStatus.FORBIDDEN
    return ws.respond(code, (text or code.phrase) + "\n")


def _close_status(ws: ServerConnection, conn: LiveConnection) -> tuple[int, str]:
    if conn.closed_by_gateway is not None:
        return conn.closed_by_gateway
    protocol = ws.protocol
    rcvd, sent = protocol.close_rcvd, protocol.close_sent
    if rcvd is not None and (sent is None or protocol.close_rcvd_then_sent):
        return rcvd.code, rcvd.reason or "Client-side close frame status code"
    if sent is not None:
        return sent.code, sent.reason or CLOSE_CODE_EXPLANATIONS.get(sent.code, "Server-side close")
    return 1006, "Connection lost"


def _preview(message: str | bytes, limit: int = 160) -> str:
    if isinstance(message, bytes):
        return f"binary {len(message)} bytes"
    text = message if len(message) <= limit else message[:limit] + f"... ({len(message)} chars)"
    return text.replace("\n", "\\n")


# ---------------------------------------------------------------------------------------- CLI


def setup_console(verbose: bool) -> None:
    """Gateway lines to stderr (handler logs stay on stdout, JSON, as in CloudWatch)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s twschat-local %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("twschat-local")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("twschat-local.websockets").setLevel(logging.INFO if verbose else logging.WARNING)


def quiet_powertools(verbose: bool) -> None:
    """With metrics disabled, Powertools still warns on every invocation that there were none."""
    if not verbose:
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def serve_command(
    template: Path,
    *,
    port: int,
    api_port: int,
    data_dir: Path,
    dynamodb_endpoint: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The argv that starts ``twschat serve`` in a subprocess of this interpreter (tests, benchmarks)."""
    cmd = [sys.executable, "-m", "twschat_dev.cli", "serve", "--template", str(template)]
    cmd += ["--port", str(port), "--api-port", str(api_port), "--data-dir", str(data_dir)]
    if dynamodb_endpoint:
        cmd += ["--dynamodb-endpoint", dynamodb_endpoint]
    return cmd + list(extra_args)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the local WebSocket gateway (API Gateway behaviour, handlers from template.yaml)",
        description="Local development gateway: a WebSocket server that runs the template's Lambda "
        "handlers like API Gateway does. No AWS account, no Docker. Not for production.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=port_number, default=8030, help="WebSocket port (default: %(default)s)"
    )
    parser.add_argument(
        "--api-port",
        type=port_number,
        default=None,
        help="@connections and Lambda Invoke API port on 127.0.0.1 (default: port+1)",
    )
    add_local_arguments(parser)
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT_S,
        help="close idle connections after SECONDS like API Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--max-duration",
        type=float,
        default=MAX_CONNECTION_S,
        help="close connections after SECONDS like API Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--integration-timeout",
        type=float,
        default=INTEGRATION_TIMEOUT_S,
        metavar="SECONDS",
        help="tell the client 'Endpoint request timed out' when a route's function runs longer, like API "
        "Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--schedule-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the template's scheduled functions (the sweeper) this often instead of their rate() "
        "(0: never)",
    )
    parser.add_argument(
        "--web-dir",
        type=Path,
        default=None,
        help="the operators' web page served at http://HOST:PORT/ (default: web/ next to the template)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also accept WebSocket handshakes from pages of ORIGIN (e.g. http://localhost:5173); repeat "
        "for several. Default: only this gateway's own page; clients that send no Origin always connect",
    )
    parser.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    setup_console(args.verbose)
    quiet_powertools(args.verbose)
    if args.host not in _LOOPBACK:
        log.warning("listening on %s: this development gateway has no authentication", args.host)
    errors = start_errors(args)
    try:
        app = read_app(args.template, parameter_overrides=parameter_overrides(args))
    except TemplateError as exc:
        errors.append(str(exc))
    else:
        if not app.routes:
            errors.append(f"{app.template_path} has no usable WebSocket routes")
    web_dir = args.web_dir if args.web_dir is not None else default_web_dir(Path(args.template))
    if web_dir is not None and not (web_dir / "index.html").is_file():
        errors.append(f"--web-dir {web_dir} has no index.html")
    taken = _port_taken(args.host, args.port)
    if taken:
        errors.append(f"cannot listen on {args.host}:{args.port} (--port): {taken}")
    if errors:
        for error in errors:
            print(f"twschat serve: {error}", file=sys.stderr)
        return 2
    # Before the gateway gives the handlers their local stand-in credentials.
    credentials = args.responder == "bedrock" and not args.bedrock_endpoint and has_aws_credentials()
    runner = FunctionRunner(app, observer=_observer(args.verbose))
    web = WebPage(web_dir, auth=args.auth, hosts=page_hosts(args.host))
    gateway = Gateway(
        app,
        runner,
        stage=args.stage,
        verbose=args.verbose,
        idle_timeout=args.idle_timeout,
        max_duration=args.max_duration,
        integration_timeout=args.integration_timeout,
        schedule_interval=args.schedule_interval,
        auth=args.auth,
        web=web,
        allow_origins=args.allow_origin,
    )
    started = _start_api(args, app, gateway, runner, web)
    if isinstance(started, str):
        print(f"twschat serve: {started}", file=sys.stderr)
        return 2
    api, store = started
    for logical_id in app.functions:  # cold starts now, and import errors before the first client
        try:
            runner.handler(logical_id)
        except Exception:
            log.exception("%s cannot be loaded; its invocations will fail", logical_id)
    sources = [
        f"  tws:      {tws_line(args)}",
        f"  responder: {responder_line(args, credentials=credentials)}",
    ]
    ready = functools.partial(_print_banner, args, gateway, api, store.describe(app), sources)
    api.start()
    try:
        asyncio.run(gateway.serve(args.host, args.port, on_ready=ready))
    except OSError as exc:
        print(f"twschat serve: cannot listen on {args.host}:{args.port} (--port): {exc}", file=sys.stderr)
        return 2
    finally:
        api.stop()
        if not runner.wait_async(timeout=10):
            log.warning("asynchronous invocations still running at exit")
    log.info("stopped")
    return 0


def port_number(text: str) -> int:
    """An argparse type: a TCP port (0: any free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _port_taken(host: str, port: int) -> str:
    """Why ``host:port`` cannot be listened on ('' when it can), checked before anything else binds,
    so the message names the port the user gave (``--port``) rather than the API port next to it."""
    if not port:
        return ""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in infos[:1]:
            with socket.socket(family, kind, proto) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
                sock.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _start_api(
    args: argparse.Namespace, app: LocalApp, gateway: Gateway, runner: FunctionRunner, web: WebPage
) -> tuple[LocalApiServer, StoreChoice] | str:
    """The @connections / Lambda Invoke server and the handlers' environment; an error message else."""
    api_port = args.api_port if args.api_port is not None else (args.port + 1 if args.port else 0)
    try:
        api = LocalApiServer(gateway, runner, stage=args.stage, port=api_port)
    except (OSError, OverflowError) as exc:
        which = "--api-port" if args.api_port is not None else "port+1; choose another with --api-port"
        return f"cannot listen on 127.0.0.1:{api_port} ({which}): {getattr(exc, 'strerror', None) or exc}"
    try:
        store = apply_local_environment(app, args, api_port=api.port)
    except StoreNotReady as exc:
        api.server_close()
        return str(exc)
    os.environ.update(api.handler_environment())  # the Invoke API's secret: for the handlers only
    runner.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or runner.region
    if args.auth == "local":
        from twschat_dev.auth import jwks

        if app.connect_authorizer is None:
            api.server_close()
            return "--auth local needs an AWS::ApiGatewayV2::Authorizer in the template"
        api.jwks = jwks(args.data_dir)
        web.mint = functools.partial(_mint_one_role, args.data_dir)
    return api, store


def _print_banner(
    args: argparse.Namespace,
    gateway: Gateway,
    api: LocalApiServer,
    store: str,
    sources: list[str],
    server: Server,
) -> None:
    app, web = gateway.app, gateway.web
    port = int(next(iter(server.sockets)).getsockname()[1])
    shown = "localhost" if args.host in _LOOPBACK else args.host
    base = f"ws://{shown}:{port}"
    routes = ", ".join(f"{key} -> {r.function}" for key, r in sorted(app.routes.items()))
    auth = (
        f"local tokens (twschat token --user ana --role operator), {app.connect_authorizer} on $connect"
        if args.auth == "local"
        else "none (development mode, announced in the welcome)"
    )
    lines = [
        f"twschat local gateway (development only) - {app.template_path}",
        f"  routes:   {routes}",
        f"  connect:  {base}/api/v1/ws/tws-general",
        f"            {base}/?agent=tws-general&conversationId=<id to continue>",
        *chat_lines(f"{base}/api/v1/ws/tws-general"),
        f"  web:      http://{shown}:{port}/"
        + ("" if web and web.directory else " (no web/ folder: --web-dir DIR)")
        + (" (development sign-in: POST /dev/token)" if web and web.mint else ""),
        f"  auth:     {auth}",
        f"  store:    {store}",
        *sources,
        f"  api:      http://127.0.0.1:{api.port}/{args.stage}/@connections/{{id}} "
        "(+ Lambda Invoke API on the same port, for the handlers only)",
        f"  limits:   message {MAX_MESSAGE_BYTES // 1024} KB, frame {MAX_FRAME_BYTES // 1024} KB, "
        f"idle {args.idle_timeout:g} s, connection {args.max_duration:g} s",
        f"  listening on {args.host}:{port}; Ctrl-C stops",
    ]
    for lid, every in gateway._schedules():
        lines.insert(2, f"  schedule: {lid} every {every:g} s")
    print("\n".join(lines), flush=True)


def page_hosts(listen_host: str) -> tuple[str, ...]:
    """The names the page may be reached under: loopback names, and ``--host`` when it is one address
    (not a wildcard: 0.0.0.0 is no name a browser uses)."""
    name = f"[{listen_host}]" if ":" in listen_host else listen_host
    if name.lower() in LOOPBACK_HOST_NAMES or listen_host in ("0.0.0.0", "::", ""):
        return LOOPBACK_HOST_NAMES
    return (*LOOPBACK_HOST_NAMES, name.lower())


def _mint_one_role(data_dir: Path, user: str, role: str) -> str:
    from twschat_dev.auth import mint_token

    return mint_token(data_dir, user=user, roles=[role] if role else [])


def _observer(verbose: bool) -> Callable[[Invocation], None] | None:
    def observe(inv: Invocation) -> None:
        status = f"error {type(inv.error).__name__}" if inv.error else _result_summary(inv.result)
        kind = "async " if inv.asynchronous else ""
        log.debug("  %s%s %s (%.0f ms)", kind, inv.function, status, inv.elapsed_ms)

    return observe if verbose else None


def _result_summary(result: Any) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return f"statusCode {result['statusCode']}"
    return "ok"
