"""`twschat chat` at a real terminal receives an alert while the operator is typing (issue 18): the
alert is printed above the prompt and the half-typed line survives, sent whole afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

from twschat_dev.fake_tws import FakeTwsServer

from .test_chat_client_pty import spawn_chat
from .test_gateway_alerts import set_state

pytestmark = pytest.mark.integration


def test_an_alert_arrives_between_turns_without_breaking_the_line_being_typed(
    gateway_factory: Callable[..., Any], tmp_path: Path
) -> None:
    with FakeTwsServer() as tws:
        gw = gateway_factory(
            extra_args=["--tws-url", tws.url, "--watch-interval", "1", "--schedule-interval", "0"]
        ).start()
        try:
            child, _ = spawn_chat(f"{gw.url}/api/v1/ws/tws-general", tmp_path)
            child.send("me avisa quando o JOB014 terminar\r")
            child.expect("Combinado")
            child.expect("você>")
            child.expect(pexpect.TIMEOUT, timeout=3)  # a baseline watch cycle or two
            child.send("status do JOB0")  # typing, not sent yet...
            set_state(tws, job="JOB014", status="SUCC")
            child.expect(r"\[aviso [0-9/: ]+\] Aviso: o job JOB014")  # ...when the alert comes in
            child.send("02\r")  # the line was kept: "status do JOB002"
            child.expect("Data Processing")
            child.expect("você>")
            child.sendeof()
            child.expect(pexpect.EOF)
            child.close()
        finally:
            gw.stop()
    assert child.exitstatus == 0
