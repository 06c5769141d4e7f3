"""Issue 17 section 3, ``serve`` and ``chat``: the command line says what is wrong in words, names
what the user typed, and says at start what will not work."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import TEMPLATE, GatewayProcess, free_port
from twschat_dev.auth import mint_token
from twschat_dev.fake_tws import FakeTwsServer

pytestmark = pytest.mark.integration

T = 30.0


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No AWS credentials, token or chat memory from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TWSCHAT_"))}
    env.update(HOME=str(tmp_path), PYTHONIOENCODING="utf-8", TWSCHAT_CHAT_STATE=str(tmp_path / "chat.json"))
    return env


def twschat(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twschat_dev.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=clean_env(tmp_path),
        timeout=T,
    )


def serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return twschat(tmp_path, "serve", "--template", str(TEMPLATE), "--data-dir", str(tmp_path / "d"), *args)


def listening_pair() -> tuple[int, list[socket.socket]]:
    """A port P and P+1, both listening here (as a first ``twschat serve --port P`` holds them)."""
    for _ in range(50):
        port, held = free_port(), []
        try:
            for each in (port, port + 1):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", each))
                sock.listen()
        except OSError:
            for sock in held:
                sock.close()
            continue
        return port, held
    raise RuntimeError("no two free neighbouring ports")


def test_bad_serve_arguments_get_serves_usage_and_no_traceback(tmp_path: Path) -> None:
    done = serve(tmp_path, "--port", "70000")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("usage: twschat serve") and "70000" in done.stderr
    done = serve(tmp_path, "--prot", "9100")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: twschat serve") and "--prot" in done.stderr
    helped = twschat(tmp_path, "serve", "--help")
    assert "31117" in helped.stdout and "8040" not in helped.stdout  # fake-bedrock's default port


def test_a_busy_port_is_named_as_the_user_gave_it(tmp_path: Path) -> None:
    port, held = listening_pair()
    try:
        done = serve(tmp_path, "--port", str(port))
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert f"127.0.0.1:{port} (--port)" in done.stderr and "--api-port" not in done.stderr
        held.pop(0).close()  # only the derived API port (port+1) is taken now
        done = serve(tmp_path, "--port", str(port))
        assert done.returncode == 2
        assert f"{port + 1}" in done.stderr and "port+1" in done.stderr and "--api-port" in done.stderr
    finally:
        for sock in held:
            sock.close()


def test_a_missing_ca_bundle_stops_the_start(tmp_path: Path) -> None:
    done = serve(tmp_path, "--tws-url", "https://127.0.0.1:1/twsd", "--tws-ca-bundle", "/nope.pem")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--tws-ca-bundle /nope.pem" in done.stderr and "no such file" in done.stderr


def banner_of(
    gateway_factory: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str
) -> str:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws of the machine
    gw = gateway_factory(extra_args=list(args)).start()
    try:
        for _ in range(100):
            if "listening on" in gw.output():
                break
            time.sleep(0.1)
        return str(gw.output())
    finally:
        assert gw.stop() == 0


def test_the_banner_names_sources_and_says_what_will_not_work(
    gateway_factory: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    banner = banner_of(
        gateway_factory, tmp_path, monkeypatch, "--tws-url", f"{nobody}/twsd", "--responder", "bedrock"
    )
    assert re.search(r"auth:\s+none", banner), banner
    assert re.search(r"store:\s+sqlite", banner), banner
    tws = next(line for line in banner.splitlines() if line.strip().startswith("tws:"))
    assert f"{nobody}/twsd" in tws and "not answering" in tws.lower(), banner
    responder = next(line for line in banner.splitlines() if line.strip().startswith("responder:"))
    assert "bedrock" in responder
    assert "no --bedrock-endpoint and no AWS credentials" in banner and "rule responder" in banner
    # The chat command shown works as typed: twschat chat, or this very interpreter's websockets.
    assert "twschat chat" in banner
    for shown in re.findall(r"(\S+) -m websockets", banner):
        assert shown == sys.executable, banner

    with FakeTwsServer() as fake:
        banner = banner_of(gateway_factory, tmp_path, monkeypatch, "--tws-url", fake.url)
    tws = next(line for line in banner.splitlines() if line.strip().startswith("tws:"))
    assert fake.url in tws and "not answering" not in tws.lower() and "(answers)" in tws, banner
    assert re.search(r"responder:\s+rules", banner), banner
    assert "demo" in banner_of(gateway_factory, tmp_path, monkeypatch).split("tws:")[1].splitlines()[0]


def test_chat_without_a_token_is_told_one_is_needed(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    gw = gateway_factory(extra_args=["--auth", "local"]).start()
    done = twschat(tmp_path, "chat", f"{gw.url}/api/v1/ws/tws-general", stdin="oi\n")
    assert done.returncode == 2
    assert "recusado/expirado" not in done.stderr
    assert "exige um token" in done.stderr and "twschat token" in done.stderr, done.stderr
    expired = mint_token(gw.data_dir, user="ana", roles=["operator"], ttl_seconds=60, now=1)
    done = twschat(tmp_path, "chat", f"{gw.url}/api/v1/ws/tws-general", "--token", expired, stdin="oi\n")
    assert done.returncode == 2 and "token recusado/expirado" in done.stderr


def conversation_of(out: str) -> str:
    found = re.search(r"conversa (c-[A-Za-z0-9_-]+)", out)
    assert found, out
    return found.group(1)


def test_chat_resumes_the_last_conversation_and_history_shows_no_cursor(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    gw = gateway_factory().start()
    url = f"{gw.url}/api/v1/ws/tws-general"
    first = twschat(tmp_path, "chat", url, stdin="qual job esta em abend?\nreroda esse\n")
    assert first.returncode == 0, first.stderr
    again = twschat(tmp_path, "chat", url, stdin="/history 2\n/history 2 mais\n")
    assert again.returncode == 0, again.stderr
    assert conversation_of(again.stdout) == conversation_of(first.stdout)
    assert "Confirma o rerun" in again.stdout and "qual job esta em abend?" in again.stdout  # both pages
    assert not re.search(r"\d{13}#", again.stdout), again.stdout  # no raw cursor anywhere
    assert "/history 2 mais" in again.stdout
    fresh = twschat(tmp_path, "chat", url, "--new", stdin="/history\n")
    assert conversation_of(fresh.stdout) != conversation_of(first.stdout)
    assert "qual job esta em abend?" not in fresh.stdout
    # A remembered conversation the server does not know (another data folder): a new one, said so.
    assert gw.stop() == 0
    (tmp_path / "other").mkdir()
    other = GatewayProcess(tmp_path / "other" / "data", tmp_path / "other")
    other.port = gw.port
    with_other = other.start(same_port=True)
    try:
        moved = twschat(tmp_path, "chat", url, stdin="oi\n")
    finally:
        assert with_other.stop() == 0
    assert moved.returncode == 0, moved.stderr
    assert conversation_of(moved.stdout) not in (conversation_of(first.stdout), conversation_of(fresh.stdout))
    assert "não pôde ser retomada" in moved.stderr and moved.stdout.startswith("[conectado:")
