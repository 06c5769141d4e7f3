"""The local gateway's WebSocket side (:class:`Gateway`) and the ``Connections`` backend of its API.

Longer than 400 lines: one class, because the handshake, the frames, the posts from the API
thread and the close all share the same state (open and pending connections, the loop)."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import http
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CLOSE_CODE_EXPLANATIONS
from websockets.http11 import Request, Response

from twschat_dev.connections_api import ConnectionInfo
from twschat_dev.gateway.events import (
    LiveConnection,
    _event_headers,
    _now_ms,
    connect_event,
    disconnect_event,
    message_event,
    new_id,
    parse_connect_path,
    redact_path,
)
from twschat_dev.gateway.web import WebPage, is_websocket_upgrade
from twschat_dev.runtime import FunctionRunner
from twschat_dev.template import LocalApp

log = logging.getLogger("twschat-local")

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
IDLE_TIMEOUT_S = 10 * 60
MAX_CONNECTION_S = 2 * 3600
POST_TIMEOUT_S = 10.0
INTEGRATION_TIMEOUT_S = 29.0  # API Gateway's integration timeout for a route's Lambda
CONNECT_TIMEOUT_S = 35.0  # > API Gateway's 29 s integration timeout: the handler decides, not us
RECEIVE_QUEUE = 64
WATCH_FUNCTION = "WatchFunction"  # the alert watcher (issue 18): --watch-interval sets its period
"""Frames of one connection received, stamped and waiting for their turn (then the reader waits)."""


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
        watch_interval: float | None = None,
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
        self.watch_interval = watch_interval
        """``--watch-interval``: the alert watcher's period here (issue 18), whatever the others'."""
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
            if lid == WATCH_FUNCTION and self.watch_interval is not None:
                every = self.watch_interval
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
