"""The page's layout and its small courtesies: phone and desktop widths with a job log, a long job list
and a confirmation (screenshots saved as CI artifacts); one time zone for messages and the sidebar;
conversations titled by their first question; the welcome without the raw conversation id; the
focus ring; the sign-in card.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import block_frames as bf
from tests.browser.conftest import save_artifact
from tests.browser.fake_server import FakeChatServer
from tests.browser.test_web_chat import current_conversation, last_agent, open_fake, settled
from tests.integration.conftest import GatewayProcess
from twschat.assistant.demo import DemoTwsClient

expect.set_options(timeout=10_000)
VIEWPORTS = {"phone": (390, 844), "desktop": (1366, 768)}


def rect(locator: Any) -> dict[str, float]:
    box: dict[str, float] = locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )
    return box


def show_a_busy_conversation(fake: FakeChatServer, tws: DemoTwsClient) -> None:
    """What an operator sees after "log do JOB002", the whole plan, and a rerun asked for: as the
    plain text the rule responder writes today, and as blocks."""
    job = bf.job_named(tws, "JOB002")
    log_text = tws.job_log(job)
    listing = "\n".join(
        f"- {j.job_id} {j.name} — {j.status} em {j.workstation}, stream {j.job_stream}"
        for j in tws.list_jobs()
    )
    fake.send(
        {"type": "message", "messageId": "t-log", "message": f"Log de Data Processing (JOB002):\n{log_text}"},
        {"type": "message", "messageId": "b-log", "message": "Log", "blocks": [bf.log_block(tws, job)]},
        {"type": "message", "messageId": "t-jobs", "message": f"{len(tws.list_jobs())} jobs:\n{listing}"},
        {"type": "message", "messageId": "b-jobs", "message": "Jobs", "blocks": [bf.jobs_block(tws)]},
        {
            "type": "message",
            "messageId": "b-confirm",
            "message": "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2? Responda sim ou não.",
            "quickReplies": ["sim", "não"],
            "blocks": [bf.confirmation_block(tws, job, "rerun", "Rerun", "tablespace ampliado")],
        },
    )


@pytest.mark.parametrize("form", list(VIEWPORTS))
def test_no_page_wider_than_the_screen(new_page: Any, fake_server: FakeChatServer, form: str) -> None:
    tws = DemoTwsClient()
    fake_server.conversations = [
        {"conversationId": f"c-{n}", "agent": "tws-general", "createdAt": f"2026-11-{10 + n}T10:00:00Z"}
        for n in range(12)
    ]
    page = new_page(viewport=VIEWPORTS[form])
    open_fake(page, fake_server)
    show_a_busy_conversation(fake_server, tws)
    confirm = page.locator("#log button[data-kind=confirm]")
    expect(confirm).to_be_visible()
    expect(page.locator("#log li[data-message-id=b-log] pre.log mark")).to_have_count(2)

    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    width = VIEWPORTS[form][0]
    logs = page.locator("#log pre.log").all()
    for pre in logs:  # every log stays inside the screen ...
        assert rect(pre)["right"] <= width
    if form == "phone":  # ... and its long lines scroll inside its own box
        assert any(pre.evaluate("e => e.scrollWidth > e.clientWidth") for pre in logs)
    for locator in (page.locator("#send"), confirm, page.locator("#input")):
        locator.scroll_into_view_if_needed()
        assert rect(locator)["left"] >= 0 and rect(locator)["right"] <= width
    # The conversation list and the log share the screen without overlapping.
    nav, log = rect(page.locator("nav.conversations")), rect(page.locator("#log"))
    assert nav["bottom"] <= log["top"] + 1 or nav["right"] <= log["left"] + 1, (nav, log)
    # The status dot stays on the line of its label (it is drawn just left of the text).
    status = page.locator("#status")
    text = status.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getClientRects()[0];"
        " const s = e.getBoundingClientRect(); return {dx: b.left - s.left, dy: Math.abs(b.top - s.top)}; }"
    )
    assert 6 <= text["dx"] <= 30 and text["dy"] <= 6, text

    shot = save_artifact(f"web-{form}-{VIEWPORTS[form][0]}x{VIEWPORTS[form][1]}.png")
    page.screenshot(path=str(shot))


def test_one_time_zone_titles_and_the_welcome(new_page: Any, fake_server: FakeChatServer) -> None:
    fake_server.conversations = [
        {"conversationId": "c-fake-1", "agent": "tws-general", "createdAt": "2026-12-02T07:43:00Z"},
        {"conversationId": "c-old", "agent": "tws-general", "createdAt": "2026-11-26T10:00:00Z"},
        {
            "conversationId": "c-named",
            "agent": "tws-general",
            "createdAt": "2026-11-20T10:00:00Z",
            "title": "Prompts pendentes",
        },
    ]
    fake_server.history["c-old"] = [
        {
            "role": "user",
            "message": "JOB002 em ABEND\nsegunda linha",
            "messageId": "u1",
            "createdAt": "2026-11-26T10:00:05Z",
            "key": "k1",
        },
        {
            "role": "agent",
            "message": "Sim.",
            "messageId": "a1",
            "createdAt": "2026-11-26T10:00:06Z",
            "key": "k2",
        },
    ]
    page = new_page()  # the browser's own zone is UTC; the server's is America/Sao_Paulo (UTC-3)
    open_fake(page, fake_server)
    buttons = page.locator("#conversation-list button")
    expect(buttons).to_have_count(3)
    # The sidebar in the server's zone, as the messages: 07:43 UTC is 04:43 in São Paulo.
    expect(buttons.nth(0)).to_contain_text("Conversa de 02/12/2026 04:43")
    expect(buttons.nth(1)).to_contain_text("26/11/2026 07:00")
    expect(buttons.nth(2)).to_contain_text("Prompts pendentes")  # the server's title when it sends one
    expect(last_agent(page).locator(".sender time")).to_be_visible()  # the welcome has its time too

    # A conversation is titled by its first question, once the page has seen it.
    buttons.nth(1).click()
    expect(page.locator("#log li.user .sender time")).to_contain_text("07:00")
    expect(page.locator('#conversation-list button[data-conversation-id="c-old"]')).to_contain_text(
        "JOB002 em ABEND"
    )
    expect(last_agent(page).locator(".body")).not_to_contain_text(
        "c-old"
    )  # "Bem-vindo de volta!" without the id
    page.get_by_role("button", name="Nova conversa").click()
    settled(page)
    page.locator("#input").fill("quais workstations estão offline?")
    page.locator("#input").press("Enter")
    expect(page.locator("#log li.user .sender time")).to_have_count(1)
    fake_server.wait_for(lambda: bool(fake_server.frames("message")), "the question")
    new = {
        "conversationId": current_conversation(page),
        "agent": "tws-general",
        "createdAt": "2026-12-02T08:00:00Z",
    }
    fake_server.conversations.insert(0, new)
    page.reload()
    expect(page.locator('#conversation-list button[data-conversation-id="c-old"]')).to_contain_text(
        "JOB002 em ABEND"
    )
    expect(page.locator('#conversation-list button[aria-current="true"]')).to_contain_text(
        "quais workstations estão offline?"
    )


def test_focus_ring_is_not_an_error(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page()
    open_fake(page, fake_server)
    fake_server.send({"type": "error", "code": "rate_limited", "message": "Muitas mensagens."})
    error_colour = page.locator("#log li.error").evaluate("e => getComputedStyle(e).borderTopColor")
    page.locator("#input").click()
    ring = page.locator("#input").evaluate(
        "e => { const s = getComputedStyle(e); return {style: s.outlineStyle, colour: s.outlineColor}; }"
    )
    assert ring["style"] == "solid", ring
    red, green, blue = (int(v) for v in ring["colour"][ring["colour"].index("(") + 1 : -1].split(",")[:3])
    assert blue > red and blue > green, ring  # blue, the accent family: not the red / orange of an error
    assert ring["colour"] != error_colour


def test_sign_in_card_fits_its_content(local_gateway: GatewayProcess, new_page: Any) -> None:
    page = new_page(viewport=VIEWPORTS["desktop"])
    page.goto(f"http://localhost:{local_gateway.port}/")
    expect(page.locator("#signin-user")).to_be_visible()
    card, form = rect(page.locator("#signin")), rect(page.locator("#local-signin"))
    assert card["bottom"] - form["bottom"] <= 40, (card, form)  # its padding, not an empty area
    assert card["bottom"] < VIEWPORTS["desktop"][1] - 100, card
