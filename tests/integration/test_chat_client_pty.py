"""`twschat chat` at a real terminal (a pseudo-terminal): line editing and history, and a gateway
restart survived without losing the conversation."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

pytestmark = pytest.mark.integration

T = 20  # seconds: bound on every wait for the terminal
LEFT, UP = "\x1b[D", "\x1b[A"


def spawn_chat(url: str, home: Path, *extra: str) -> tuple[pexpect.spawn, str]:
    """The client at a terminal, connected: (the child, its conversation id).

    Synchronises on the welcome line, not the prompt: output goes through prompt_toolkit's
    patch_stdout, so the welcome may be drawn before or after the first prompt. Keys typed before
    the prompt is up wait in the terminal's buffer."""
    env = {
        **os.environ,
        "HOME": str(home),  # the line history file lives under it
        "TERM": "xterm-256color",
        # pexpect does not answer prompt_toolkit's cursor-position requests: don't ask.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "twschat_dev.cli", "chat", url, *extra],
        env=env,
        encoding="utf-8",
        timeout=T,
        dimensions=(40, 160),
    )
    child.expect(r"conversa (c-[0-9a-f]+)")
    return child, child.match.group(1)


def test_arrow_keys_edit_the_line_and_recall_history(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    gw = gateway_factory().start()
    try:
        child, _ = spawn_chat(f"{gw.url}/api/v1/ws/tws-general", tmp_path)
        child.send("status do JOB02")
        child.send(LEFT)  # the cursor steps back over "2" ...
        child.send("0")  # ... and the fix lands in the middle: "status do JOB002"
        child.send("\r")
        child.expect("Data Processing")
        child.expect("você>")
        child.send(UP)  # the previous question comes back to be sent again
        child.send("\r")
        child.expect("Data Processing")
        child.expect("você>")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        transcript = child.before or ""
    finally:
        gw.stop()
    assert child.exitstatus == 0
    assert "control_characters" not in transcript
    history = (tmp_path / ".twschat" / "chat_history").read_text(encoding="utf-8")
    assert "status do JOB002" in history  # kept for the next session's Up arrow


def test_a_gateway_restart_is_survived_in_the_same_conversation(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    gw = gateway_factory().start()
    try:
        child, _ = spawn_chat(f"{gw.url}/api/v1/ws/tws-general", tmp_path)
        child.send("quais jobs estão em abend?\r")
        child.expect("JOB002")
        child.expect("você>")
        assert gw.stop() == 0  # the developer restarts the gateway...
        child.expect("conexão perdida")
        gw.start(same_port=True)  # ...on the same port, with the same data folder
        child.expect("Bem-vindo de volta")
        child.expect("você>")
        child.send("e o log dele?\r")  # a follow-up: the conversation's context survived too
        child.expect("JOB002")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
    finally:
        gw.stop()
    assert child.exitstatus == 0


def test_when_reconnecting_fails_the_exact_resume_command_is_printed(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    gw = gateway_factory().start()
    url = f"{gw.url}/api/v1/ws/tws-general"
    try:
        child, conversation_id = spawn_chat(url, tmp_path, "--reconnect-for", "2")
        gw.stop()
        child.expect("Para retomar a conversa: ")
        child.expect(pexpect.EOF)
        child.close()
    finally:
        gw.stop()
    assert child.exitstatus == 1
    assert f"twschat chat {url} --conversation {conversation_id}" in (child.before or "").replace("\r\n", "")
