"""What the local fake servers (``fake-tws``, ``fake-bedrock``) share: running an HTTP server on a
loopback port, on a background thread (tests) or in the foreground until Ctrl-C or SIGTERM (the CLI).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import FrameType
from typing import Self


class LoopbackServer:
    """Mixed into a fake server that sets ``host``, ``_httpd``, ``_stopping`` and ``_thread``."""

    name = "fake"
    """The command's name, for the thread and the stop message."""
    host: str
    _httpd: ThreadingHTTPServer
    _stopping: threading.Event
    """Set on stop: wakes handlers sleeping in a slow fault."""
    _thread: threading.Thread | None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def origin(self, scheme: str = "http") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_until_stopped(server: LoopbackServer, emit: Callable[[str], None]) -> int:
    """Serve in the foreground until Ctrl-C or SIGTERM, then close cleanly (the CLI's exit code 0)."""

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        emit(f"{server.name}: stopping")
    finally:
        server._stopping.set()
        server._httpd.server_close()
    return 0
