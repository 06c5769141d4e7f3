"""``twschat fake-tws``'s own command line (issue 17 §3): help in plain text, a busy port named."""

from __future__ import annotations

import socket

import pytest

from twschat_dev.cli import build_parser
from twschat_dev.fake_tws import run


def test_the_help_reads_as_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fake-tws", "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and ":mod:" not in text  # no reStructuredText
    assert (
        "POST /__fault" in text and "POST /__plan" in text and "--tws-url http://127.0.0.1:31116/twsd" in text
    )


def test_a_busy_port_is_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        lines: list[str] = []
        args = build_parser().parse_args(["fake-tws", "--port", str(port)])
        assert run(args, out=lines.append) == 2
    assert lines == [
        f"fake-tws: port {port} on 127.0.0.1 is already in use (another fake-tws?); "
        "stop it, or choose another with --port (0 = any free port)"
    ]
