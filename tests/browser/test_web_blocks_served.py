"""Structured answers end to end (issue 17): the REAL ``twschat serve --auth local`` (rule responder, demo
plan, SQLite) sends ``blocks`` and the page draws them: an ABEND listing as a table with its badge, a job
log with the error line highlighted, a confirmation whose Confirmar button confirms — and after a
reload, the history draws the same blocks again."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_web_chat import ask, last_agent, settled, sign_in_local
from tests.integration.conftest import GatewayProcess

expect.set_options(timeout=10_000)


def _frames(page: Any) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []

    def on_websocket(ws: Any) -> None:
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_websocket)
    return received


def _last_message(received: list[dict[str, Any]]) -> dict[str, Any]:
    return [f for f in received if f.get("type") == "message"][-1]


def test_abend_listing_log_and_confirmation_render_as_blocks(
    local_gateway: GatewayProcess, new_page: Any
) -> None:
    page = new_page()
    received = _frames(page)
    sign_in_local(page, local_gateway)

    ask(page, "quais jobs estão em abend?")
    listing = _last_message(received)
    [abend, _also] = listing["blocks"]
    table = last_agent(page).locator("section.block-jobs table").first
    expect(table.locator("tbody tr")).to_have_count(len(abend["items"]))
    row = table.locator("tbody tr").filter(has_text="JOB002")
    badge = row.locator(".status-badge")
    expect(badge).to_have_text(abend["items"][0]["status"])  # what the server's block says...
    expect(badge).to_have_attribute("data-category", "failed")  # ...coloured by its category
    expect(row).to_contain_text("DATA_PIPELINE")
    expect(last_agent(page).locator(".block-title").first).to_have_text(abend["title"])
    expect(last_agent(page).locator("details.as-text")).to_contain_text("JOB002")  # the text, folded

    row.get_by_role("button", name="Ver log").click()  # the row button sends the equivalent text
    expect(page.locator("#log li.user .body").last).to_have_text("log do JOB002 do stream DATA_PIPELINE")
    log_block = last_agent(page).locator("section.block-log")
    expect(log_block).to_have_count(1)
    [sent_log] = _last_message(received)["blocks"]
    first_error = sent_log["errorLines"][0]
    mark = log_block.locator("mark.error-line").first
    expect(mark).to_have_text(sent_log["lines"][first_error - 1])
    expect(mark).to_contain_text("ERROR")

    ask(page, "reroda o JOB002")
    [confirmation] = _last_message(received)["blocks"]
    assert confirmation["kind"] == "confirmation" and confirmation["target"]["id"] == "JOB002"
    box = last_agent(page).locator("section.block-confirmation")
    expect(box).to_contain_text("JOB002")
    expect(box).to_contain_text("DATA_PIPELINE")

    page.reload()  # the history redraws the blocks, and the pending confirmation keeps its buttons
    settled(page)
    expect(page.locator("#log section.block-jobs").first.locator(".status-badge").first).to_have_text("ABEND")
    expect(page.locator("#log section.block-log mark.error-line").first).to_contain_text("ERROR")
    box = page.locator("#log section.block-confirmation")
    expect(box.locator("button")).to_have_text(["Confirmar", "Cancelar"])
    box.get_by_role("button", name="Confirmar").click()
    expect(page.locator("#log li.user .body").last).to_have_text("sim")
    expect(last_agent(page)).to_contain_text("enviado ao TWS")
    expect(page.locator("#log button[data-kind=confirm]")).to_have_count(0)
