"""Alert frames in the web page (issue 18): shown apart from replies, once per alertId, with their
quick replies; a browser notification while the tab is hidden, when notifications are allowed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.fake_server import FakeChatServer
from tests.browser.test_web_chat import open_fake

expect.set_options(timeout=10_000)

ALERT = {
    "type": "alert",
    "sender": "agent",
    "alertId": "a-0123456789abcdef01234567",
    "kind": "job_state",
    "subscriptionId": "s1",
    "conversationId": "c-1",
    "message": "Aviso: o job JOB014 (Stock Reconciliation) mudou de EXEC para ABEND, rc 1.",
    "target": {"kind": "job", "name": "JOB014", "stream": "INVENTORY", "workstation": "TWS_AGENT2"},
    "previous": "EXEC",
    "current": "ABEND",
    "at": "2026-12-02T10:00:00Z",
    "quickReplies": ["ver o log do JOB014", "por que o JOB014 falhou?", "reroda o JOB014"],
}


def test_an_alert_is_shown_apart_once_with_its_next_steps(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page()
    open_fake(page, fake_server)
    fake_server.send(ALERT, ALERT)  # two connections' worth: shown once
    shown = page.locator("li.msg.alert")
    expect(shown).to_have_count(1)
    expect(shown.locator(".sender")).to_contain_text("Alerta do TWS")
    expect(shown.locator(".body")).to_contain_text("mudou de EXEC para ABEND")
    expect(shown.locator(".quick-replies button")).to_have_count(3)
    expect(page.locator("#alerter")).to_contain_text("Alerta: Aviso: o job JOB014")


def test_a_hidden_tab_gets_a_browser_notification(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page()
    page.add_init_script(
        """
        window.__notes = [];
        class FakeNotification { constructor(title, options) { window.__notes.push([title, options.body]); } }
        FakeNotification.permission = "granted";
        FakeNotification.requestPermission = () => Promise.resolve("granted");
        window.Notification = FakeNotification;
        Object.defineProperty(document, "hidden", { get: () => true });
        """
    )
    open_fake(page, fake_server)
    fake_server.send(ALERT)
    expect(page.locator("li.msg.alert")).to_have_count(1)
    assert page.evaluate("window.__notes") == [["Alerta do TWS", ALERT["message"]]]
