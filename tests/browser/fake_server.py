"""A scripted chat server for the page's tests: the gateway's own page serving, a fake WebSocket side.

The real server does not stream yet (delta/progress frames), never splits a reply under 128 KB, and
closes connections only after minutes; this one sends whatever frame a test pushes, at once. It
serves ``web/`` through :class:`twschat_dev.gateway.WebPage`, so the page gets the same headers
(CSP included) as from ``twschat serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from twschat_dev.gateway import WebPage, is_websocket_upgrade

T = 10.0


class FakeChatServer:
    def __init__(self, web_dir: Path) -> None:
        self.web = WebPage(web_dir, auth="none")
        self.port = 0
        self.connects: list[dict[str, list[str]]] = []
        """The query of every WebSocket connection, in order."""
        self.received: list[Any] = []
        """Every frame the page sent (parsed JSON), in order."""
        self.history: dict[str, list[dict[str, Any]]] = {}
        """conversationId -> the messages a history request returns."""
        self.conversations: list[dict[str, Any]] = []
        self.refused: set[str] = set()
        """conversationIds whose connection is refused with 403 (not yours, or deleted)."""
        self.time_zone = "America/Sao_Paulo"
        """The welcome's ``timeZone`` (the real server sends its ``TIME_ZONE``)."""
        self.on_message: Callable[[str, dict[str, Any]], list[dict[str, Any]]] | None = None
        """Replies to a {"message": ...} frame: (conversationId, frame) -> frames to send."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: tuple[ServerConnection, str] | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._lock = threading.RLock()
        self._counter = 0

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/"

    # -- thread side
    def start(self) -> FakeChatServer:
        self._thread.start()
        if not self._ready.wait(T):
            raise RuntimeError("fake chat server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(T)

    def send(self, *frames: dict[str, Any]) -> None:
        """Send frames on the current connection, in order."""
        self._call(self._send_all(list(frames)))

    def close(self, code: int = 1000) -> None:
        """Close the current connection from the server side."""
        self._call(self._close(code))

    def wait_for(self, condition: Callable[[], bool], what: str = "condition") -> None:
        deadline = time.monotonic() + T
        while time.monotonic() < deadline:
            with self._lock:
                if condition():
                    return
            time.sleep(0.02)
        raise AssertionError(f"fake server: timed out waiting for {what}")

    def frames(self, kind: str) -> list[Any]:
        with self._lock:
            return [f for f in self.received if isinstance(f, dict) and f.get("type", "message") == kind]

    def _call(self, coroutine: Any) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(T)

    # -- loop side
    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def ready(server: Server) -> None:
            self.port = int(next(iter(server.sockets)).getsockname()[1])
            self._ready.set()

        async with serve(self._handler, "127.0.0.1", 0, process_request=self._process_request) as server:
            ready(server)
            await self._stop.wait()

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if not is_websocket_upgrade(request):
            return await self.web.respond(request, "127.0.0.1")
        query = parse_qs(urlsplit(request.path).query)
        if set(query.get("conversationId", [])) & self.refused:
            with self._lock:
                self.connects.append(query)
            return ws.respond(403, "Forbidden\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "/").query)
        with self._lock:
            self.connects.append(query)
            self._counter += 1
            conversation_id = (query.get("conversationId") or [f"c-fake-{self._counter}"])[-1]
        self._current = (ws, conversation_id)
        continued = "conversationId" in query
        # The real server's wording (twschat.chat WELCOME_TEXT / WELCOME_BACK_TEXT), raw id included.
        text = (
            f"Bem-vindo de volta! Continuando a conversa {conversation_id}. Como posso ajudar?"
            if continued
            else "Olá! Sou o assistente TWS (tws-general). Como posso ajudar?"
        )
        await ws.send(
            json.dumps(
                {
                    "type": "welcome",
                    "sender": "agent",
                    "agent": "tws-general",
                    "conversationId": conversation_id,
                    "message": text,
                    "continued": continued,
                    "authMode": "none",
                    "timeZone": self.time_zone,
                }
            )
        )
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                with self._lock:
                    self.received.append(frame)
                for reply in self._answer(conversation_id, frame):
                    await ws.send(json.dumps(reply))

    def _answer(self, conversation_id: str, frame: dict[str, Any]) -> list[dict[str, Any]]:
        kind = frame.get("type", "message")
        if kind == "history":
            return [
                {"type": "history", "messages": self.history.get(conversation_id, []), "nextBefore": None}
            ]
        if kind == "conversations":
            return [{"type": "conversations", "conversations": self.conversations, "nextBefore": None}]
        if kind == "message" and self.on_message is not None:
            return self.on_message(conversation_id, frame)
        return []

    async def _send_all(self, frames: list[dict[str, Any]]) -> None:
        assert self._current is not None, "no connection"
        for frame in frames:
            await self._current[0].send(json.dumps(frame))

    async def _close(self, code: int) -> None:
        assert self._current is not None, "no connection"
        await self._current[0].close(code)


@contextlib.contextmanager
def running(web_dir: Path) -> Iterator[FakeChatServer]:
    server = FakeChatServer(web_dir).start()
    try:
        yield server
    finally:
        server.stop()
