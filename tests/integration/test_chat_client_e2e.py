"""``twschat chat`` as a subprocess, stdin piped, against ``twschat serve`` (sqlite) on loopback."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import pytest

pytestmark = pytest.mark.integration

T = 15.0  # seconds: bound on every wait


def chat_command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "twschat_dev.cli", "chat", url, *args]


def chat_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("TWSCHAT_TOKEN", None)
    env.pop("TWSCHAT_URL", None)
    return env


def test_piped_questions_are_answered_in_order_then_exit_0(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory().start()
    done = subprocess.run(
        chat_command(f"{gw.url}/api/v1/ws/tws-general"),
        input="qual job esta em abend?\nobrigado\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=chat_env(),
        timeout=T * 2,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("[conectado: agente tws-general, conversa c-"), out
    # The reply's JSON "\n" are real line breaks, continuation lines indented under "tws> ".
    assert "tws> 1 job em ABEND:\n     - Data Processing (JOB002)" in out, out
    assert out.index("Data Processing (JOB002)") < out.index("Por nada")  # answers in order
    assert "\\n" not in out and "{" not in out  # rendered, not JSON


class LiveChat:
    """A ``twschat chat`` subprocess whose stdout is read line by line in a thread."""

    def __init__(self, cmd: list[str]) -> None:
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=chat_env(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = T) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, "".join(self.seen))
            if match:
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not printed in {timeout:.0f} s:\n{''.join(self.seen)}")
            try:
                self.seen.append(self.lines.get(timeout=min(left, 0.2)))
            except queue.Empty:
                continue

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, str, str]:
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=T)
        self._reader.join(timeout=T)
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        assert self.process.stderr is not None
        return code, "".join(self.seen), self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=T)


def test_idle_close_reconnects_to_the_same_conversation(gateway_factory: Callable[..., Any]) -> None:
    gw = gateway_factory(
        extra_args=["--schedule-interval", "0.5", "--parameter-overrides", "IdleTimeoutSeconds=2"]
    ).start()
    chat = LiveChat(chat_command(f"{gw.url}/api/v1/ws/tws-general"))
    try:
        conversation_id = chat.wait_for(r"\[conectado: agente tws-general, conversa (c-[0-9a-f]+)\]").group(1)
        chat.send("qual job esta em abend?")
        chat.wait_for(r"Data Processing \(JOB002\)")
        # Say nothing: the sweeper closes the idle connection with a closing frame, and the client
        # comes back to the same conversation by itself.
        chat.wait_for(r"\[conexão encerrada pelo servidor: inatividade\]")
        chat.wait_for(re.escape(f"[reconectando à conversa {conversation_id}...]"))
        chat.wait_for(re.escape(f"[conectado: agente tws-general, conversa {conversation_id}, continuada]"))
        chat.wait_for(r"tws> Bem-vindo de volta!")
        chat.send("e o log dele?")  # a follow-up: answered from the stored conversation
        chat.wait_for(r"tws> Log de Data Processing \(JOB002\)")
        code, out, err = chat.finish()
    finally:
        chat.kill()
    assert code == 0, err
    assert out.count("[conectado:") >= 2
    assert f"conversa {conversation_id}" in out.split("inatividade]", 1)[1]
    assert "[erro " not in out, out
