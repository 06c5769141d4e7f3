"""A short outage does not abandon the conversation.

The real ``twschat serve --auth local`` (SQLite in a data directory) with a confirmation pending is
stopped for about 3 s and started again on the same port and data directory: the page keeps
resuming the same conversationId with backoff (a failed attempt is not a refusal), and after the
resume the pending confirmation is shown again with its buttons. Only a server that is up and
refuses the conversation (403) makes the page offer a new one (test_web_chat.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_web_chat import ask, current_conversation, last_agent, settled, sign_in_local
from tests.integration.conftest import GatewayProcess

OUTAGE_S = 3.0
# Every WebSocket the page opens, refused ones included (Playwright reports only those that connect).
RECORD_SOCKETS = """
window.__sockets = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(url, protocols) {
    window.__sockets.push(String(url));
    super(url, protocols);
  }
};
"""


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    proc = GatewayProcess(tmp_path / "data", tmp_path, extra_args=["--auth", "local"])
    with proc.running():
        yield proc


def test_a_three_second_outage_keeps_the_conversation_and_its_pending_confirmation(
    gateway: GatewayProcess, new_page: Any
) -> None:
    page = new_page()
    page.add_init_script(RECORD_SOCKETS)
    sign_in_local(page, gateway)
    ask(page, "reroda o JOB002")
    expect(page.locator("#log button[data-kind=confirm]")).to_be_visible()
    conversation = current_conversation(page)
    assert conversation.startswith("c-")

    assert gateway.stop() == 0
    expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    time.sleep(OUTAGE_S)
    during = page.evaluate("window.__sockets.length") - 1  # after the first (sign-in) connection
    gateway.start(same_port=True)

    expect(page.locator("#status")).to_have_attribute("data-state", "open", timeout=20_000)
    settled(page)
    assert current_conversation(page) == conversation
    # The conversation each attempt asked for (the URLs also carry the token: never in a message).
    resumes = [
        parse_qs(urlsplit(url).query).get("conversationId") for url in page.evaluate("window.__sockets")[1:]
    ]
    assert during >= 2, resumes  # it kept trying during the outage (backoff 0.5 s, 1 s, 2 s ...), ...
    assert resumes == [[conversation]] * len(resumes), resumes  # ... always this one
    expect(page.locator("#log li.notice")).to_have_count(0)  # no "conversa nova"
    expect(page.locator("#log li.user .body").last).to_have_text("reroda o JOB002")
    confirm = page.locator("#log button[data-kind=confirm]")
    expect(confirm).to_be_visible()
    expect(page.locator("#log button[data-kind=cancel]")).to_be_visible()
    confirm.click()
    expect(last_agent(page)).to_contain_text("enviado ao TWS")
