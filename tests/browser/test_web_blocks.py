"""Structured answers (``blocks`` on message frames and history entries, docs/blocks.md) in the page.

The scripted server sends frames whose blocks are built from the demo plan (block_frames.py); the
page draws each kind, its row buttons send the equivalent text (which the rule responder
understands: tests/unit), and nothing from the server is ever parsed as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import block_frames as bf
from tests.browser.fake_server import FakeChatServer
from tests.browser.test_web_chat import XSS, open_fake, run_axe
from twschat.assistant.demo import DemoTwsClient

expect.set_options(timeout=10_000)


@pytest.fixture
def tws() -> Iterator[DemoTwsClient]:
    yield DemoTwsClient()


def reply(fake: FakeChatServer, message_id: str, text: str, *blocks: dict[str, Any], **extra: Any) -> None:
    fake.send({"type": "message", "messageId": message_id, "message": text, "blocks": list(blocks), **extra})


def bubble(page: Any, message_id: str) -> Any:
    return page.locator(f'#log li[data-message-id="{message_id}"]')


def sent(fake: FakeChatServer, text: str) -> None:
    fake.wait_for(
        lambda: bool(fake.frames("message")) and fake.frames("message")[-1] == {"message": text}, text
    )


def test_jobs_table_badges_and_row_buttons(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient
) -> None:
    page = new_page()
    open_fake(page, fake_server)
    block = bf.jobs_block(tws, title="15 jobs no plano")
    reply(fake_server, "m1", "15 jobs no plano:\n- JOB002 ABEND ...", block)
    table = bubble(page, "m1").locator("section.block-jobs table")
    expect(table.locator("tbody tr")).to_have_count(len(tws.list_jobs()))
    expect(bubble(page, "m1").locator(".block-title")).to_have_text("15 jobs no plano")
    expect(table.locator("th")).to_have_text(
        ["Job", "Status", "Stream", "Workstation", "RC", "Início", "Fim", "Ações"]
    )

    row = table.locator("tbody tr").filter(has_text="JOB002")
    badge = row.locator(".status-badge")
    expect(badge).to_have_text("ABEND")
    expect(badge).to_have_attribute("data-category", "failed")
    expect(row).to_contain_text("Data Processing")
    expect(row).to_contain_text("DATA_PIPELINE")
    expect(row).to_contain_text("TWS_AGENT2")
    expect(row.locator("td").nth(4)).to_have_text("12")
    # Times in the welcome's zone (America/Sao_Paulo), whatever the browser's own zone is.
    job = bf.job_named(tws, "JOB002")
    assert job.end_time is not None
    end = row.locator("td").nth(6).locator("time")
    expect(end).to_contain_text(job.end_time.astimezone(ZoneInfo(fake_server.time_zone)).strftime("%H:%M"))
    expect(end).to_have_attribute(
        "datetime", re.compile(job.end_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))
    )
    # Colours differ by category: a failed badge is not drawn like a successful one.
    succ = table.locator("tbody tr").filter(has_text="JOB001").locator(".status-badge")
    expect(succ).to_have_attribute("data-category", "success")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") != succ.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    # The text is kept, folded, for copying.
    expect(bubble(page, "m1").locator("details.as-text summary")).to_have_text("Ver como texto")

    expect(row.locator("button")).to_have_text(["Ver log", "Por que falhou?", "Reexecutar"])
    row.get_by_role("button", name="Ver log").click()
    sent(fake_server, "log do JOB002 do stream DATA_PIPELINE")
    row.get_by_role("button", name="Por que falhou?").click()
    sent(fake_server, "por que o JOB002 do stream DATA_PIPELINE falhou?")
    row.get_by_role("button", name="Reexecutar").click()
    sent(fake_server, "reroda o JOB002 do stream DATA_PIPELINE")
    expect(page.locator("#log li.user .body").last).to_have_text("reroda o JOB002 do stream DATA_PIPELINE")
    # What the state does not allow is not offered: a job still waiting has no log and no rerun.
    waiting = next(j for j in tws.list_jobs() if bf.job_category(j.status) == "waiting")
    expect(table.locator("tbody tr").filter(has_text=waiting.job_id).locator("button")).to_have_count(0)


def test_job_log_scrolled_to_the_error_line(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient
) -> None:
    page = new_page(viewport=(390, 844))
    open_fake(page, fake_server)
    job = bf.job_named(tws, "JOB002")
    block = bf.log_block(tws, job)
    # A long log: the error is far down, as in a real one.
    padding = [f"2026-12-01 22:5{n % 10}:00 INFO  step {n} ok" for n in range(80)]
    block["lines"] = block["lines"][:7] + padding + block["lines"][7:]
    block["errorLines"] = [n for n, line in enumerate(block["lines"], 1) if bf.ERROR_LINE.search(line)]
    reply(fake_server, "m1", "Log de Data Processing (JOB002)", block)
    pre = bubble(page, "m1").locator("pre.log")
    expect(pre).to_contain_text("= Exit Status")
    marks = pre.locator("mark.error-line")
    expect(marks).to_have_count(2)
    expect(marks.first).to_contain_text("ORA-01653")
    assert pre.evaluate("e => getComputedStyle(e).fontFamily").lower().find("mono") >= 0
    # Scrolled inside its own box so the first error line is in view.
    geometry = pre.evaluate(
        """e => { const m = e.querySelector('mark'); return {
            scrollTop: e.scrollTop, clientHeight: e.clientHeight, scrollHeight: e.scrollHeight,
            markTop: m.offsetTop, markHeight: m.offsetHeight }; }"""
    )
    assert geometry["scrollHeight"] > geometry["clientHeight"], geometry  # it scrolls
    assert geometry["scrollTop"] > 0, geometry
    assert geometry["scrollTop"] <= geometry["markTop"], geometry
    assert geometry["markTop"] + geometry["markHeight"] <= geometry["scrollTop"] + geometry["clientHeight"], (
        geometry
    )
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_workstations_streams_dependencies_summary(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient
) -> None:
    page = new_page()
    open_fake(page, fake_server)
    reply(fake_server, "w", "Workstations:", bf.workstations_block(tws))
    rows = bubble(page, "w").locator("tbody tr")
    expect(rows).to_have_count(len(tws.list_workstations()))
    down = rows.filter(has_text="TWS_AGENT2").locator(".link-badge")
    expect(down).to_have_text("desligada")
    expect(down).to_have_attribute("data-link", "unlinked")
    expect(rows.filter(has_text="TWS_MASTER").locator(".link-badge")).to_have_attribute("data-link", "linked")

    reply(fake_server, "s", "Job streams:", bf.streams_block(tws))
    stream_row = bubble(page, "s").locator("tbody tr").filter(has_text="DATA_PIPELINE")
    expect(stream_row.locator(".status-badge")).to_have_attribute("data-category", "failed")

    job = bf.job_named(tws, "JOB014")
    reply(fake_server, "d", "JOB014 espera por:", bf.dependencies_block(tws, job))
    deps = bubble(page, "d").locator("ul.dependency-list > li")
    expect(deps).to_have_count(len(tws.job_dependencies(job)))
    expect(deps.filter(has_text="JOB002").locator(".dep-badge")).to_have_attribute("data-satisfied", "no")
    expect(deps.filter(has_text="ETL_DB_SLOTS")).to_contain_text("2 unidade(s), 0 livre(s)")
    expect(deps.filter(has_text="Extrato de vendas")).to_contain_text("prompt")

    reply(
        fake_server,
        "p",
        "Resumo do plano",
        bf.summary_block(tws, period="Plano de 01/12 06:00 a 02/12 06:00"),
    )
    chips = bubble(page, "p").locator(".summary-chips .chip")
    counts = bf.summary_block(tws)["counts"]
    expect(chips).to_have_count(len(counts))
    expect(chips.filter(has_text="falhou")).to_contain_text(str(counts["failed"]))
    expect(chips.filter(has_text="falhou")).to_have_attribute("data-category", "failed")
    expect(bubble(page, "p")).to_contain_text("Plano de 01/12 06:00 a 02/12 06:00")

    reply(fake_server, "j", "JOB002", bf.job_block(tws, bf.job_named(tws, "JOB002")))
    expect(bubble(page, "j").locator(".block-job .status-badge")).to_have_text("ABEND")
    expect(bubble(page, "j").locator("dl")).to_contain_text("TWS_AGENT2")


def test_prompts_reply_buttons_and_confirmation(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient
) -> None:
    page = new_page()
    open_fake(page, fake_server)
    reply(fake_server, "p", "Prompts:", bf.prompts_block(tws))
    items = bubble(page, "p").locator("ul.prompt-list > li")
    expect(items).to_have_count(3)
    expect(items.nth(1).locator("button")).to_have_count(0)  # already answered (YES)
    items.nth(0).get_by_role("button", name="Responder não").click()
    sent(fake_server, "responde não ao prompt 1")

    job = bf.job_named(tws, "JOB002")
    block = bf.confirmation_block(tws, job, "rerun", "Rerun", "tablespace ampliado pelo DBA")
    reply(
        fake_server,
        "c",
        "Confirma o rerun de Data Processing (JOB002)? Responda sim ou não.",
        block,
        quickReplies=["sim", "não"],
    )
    box = bubble(page, "c").locator(".block-confirmation")
    expect(box.locator("dl")).to_contain_text("Rerun")
    expect(box.locator("dl")).to_contain_text("JOB002 (Data Processing)")
    expect(box.locator("dl")).to_contain_text("DATA_PIPELINE (")  # the stream instance
    expect(box.locator("dl")).to_contain_text("tablespace ampliado pelo DBA")
    expect(box.locator(".quick-replies button")).to_have_text(["Confirmar", "Cancelar"])
    expect(bubble(page, "c").locator("button[data-kind=confirm]")).to_have_count(1)  # once, in the block
    box.get_by_role("button", name="Confirmar").click()
    sent(fake_server, "sim")
    expect(page.locator("#log button[data-kind=confirm]")).to_have_count(0)


def test_english_labels_and_texts(new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient) -> None:
    page = new_page(locale="en-US")
    open_fake(page, fake_server)
    reply(fake_server, "m1", "Jobs in ABEND", bf.jobs_block(tws, [bf.job_named(tws, "JOB002")]))
    row = bubble(page, "m1").locator("tbody tr")
    expect(row.locator("button")).to_have_text(["View log", "Why did it fail?", "Rerun"])
    row.get_by_role("button", name="Why did it fail?").click()
    sent(fake_server, "why did JOB002 in stream DATA_PIPELINE fail?")
    reply(fake_server, "p", "Prompts", bf.prompts_block(tws))
    bubble(page, "p").get_by_role("button", name="Reply yes").first.click()
    sent(fake_server, "reply yes to prompt 1")


def test_blocks_from_the_history_and_a_pending_confirmation(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient
) -> None:
    job = bf.job_named(tws, "JOB002")
    fake_server.history["c-fake-1"] = [
        {
            "role": "user",
            "message": "JOB002 em ABEND?",
            "messageId": "u1",
            "createdAt": "2026-12-02T07:40:00.000Z",
            "key": "k1",
        },
        {
            "role": "agent",
            "message": "Data Processing (JOB002) — ABEND",
            "messageId": "a1",
            "createdAt": "2026-12-02T07:40:01.000Z",
            "key": "k2",
            "blocks": [bf.job_block(tws, job)],
        },
        {
            "role": "user",
            "message": "reroda",
            "messageId": "u2",
            "createdAt": "2026-12-02T07:43:00.000Z",
            "key": "k3",
        },
        {
            "role": "agent",
            "message": "Confirma o rerun de Data Processing (JOB002)?",
            "messageId": "a2",
            "createdAt": "2026-12-02T07:43:01.000Z",
            "key": "k4",
            "quickReplies": ["sim", "não"],
            "blocks": [bf.confirmation_block(tws, job, "rerun", "Rerun", "")],
        },
    ]
    page = new_page()
    open_fake(page, fake_server)
    expect(bubble(page, "a1").locator(".block-job .status-badge")).to_have_text("ABEND")
    expect(bubble(page, "a2").locator(".block-confirmation button")).to_have_text(["Confirmar", "Cancelar"])
    # Every message has its time, in the server's zone (07:43 UTC is 04:43 in São Paulo).
    expect(bubble(page, "a2").locator(".sender time")).to_contain_text("04:43")
    expect(page.locator("#log li.user .sender time").first).to_contain_text("04:40")


def test_blocks_are_text_never_markup(new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient) -> None:
    page = new_page()  # the fixture fails the test on a dialog (alert) or a page error
    open_fake(page, fake_server)
    job = bf.job_item(bf.job_named(tws, "JOB002"), bf.stream_times(tws))
    evil = {
        **job,
        **{"id": XSS, "name": XSS, "status": XSS, "stream": XSS, "streamTime": XSS},
        "category": 'failed" onclick="alert(1)',
        "actions": ["log", XSS],  # the server may narrow a row's buttons; unknown actions are ignored
    }
    blocks = [
        {"kind": "jobs", "title": XSS, "items": [evil]},
        {"kind": "log", "job": evil, "lines": [XSS, f"ERROR {XSS}"], "errorLines": [2]},
        {"kind": "workstations", "items": [{"name": XSS, "status": XSS, "linked": XSS}]},
        {"kind": "prompts", "items": [{"id": XSS, "text": XSS, "status": "ASKED"}]},
        {"kind": "dependencies", "items": [{"kind": XSS, "name": XSS, "satisfied": XSS, "text": XSS}]},
        {"kind": "summary", "counts": {"failed": 1, XSS: 2}, "period": XSS},
        {"kind": "confirmation", "action": XSS, "target": evil, "reason": XSS, "replies": [XSS, "não"]},
        {"kind": XSS, "items": [evil]},
    ]
    reply(fake_server, "x", XSS, *blocks)
    box = bubble(page, "x")
    expect(box.locator("section.block")).to_have_count(7)  # the unknown kind is skipped
    expect(box.locator(".block-title")).to_have_text(XSS)
    expect(box.locator("tbody tr").first.locator(".status-badge")).to_have_text(XSS)
    expect(box.locator(".status-badge").first).to_have_attribute("data-category", "other")
    expect(box.locator("mark.error-line")).to_have_text(f"ERROR {XSS}")
    assert page.locator("img").count() == 0
    assert box.locator("[onclick], [onerror]").count() == 0
    expect(box.locator("tbody tr").first.locator("button")).to_have_text(["Ver log"])
    box.locator("tbody tr").first.get_by_role("button", name="Ver log").click()
    sent(fake_server, f"log do {XSS} do stream {XSS}")  # sent as text; the server treats it as text
    assert page.locator("img").count() == 0


def test_every_kind_is_accessible(
    new_page: Any, fake_server: FakeChatServer, tws: DemoTwsClient, axe_source: Path
) -> None:
    page = new_page(bypass_csp=True)  # axe is injected as an inline script, which the CSP forbids
    open_fake(page, fake_server)
    job = bf.job_named(tws, "JOB002")
    blocks = [
        bf.summary_block(tws, period="Plano de hoje"),
        bf.jobs_block(tws),
        bf.job_block(tws, job),
        bf.log_block(tws, job),
        bf.workstations_block(tws),
        bf.streams_block(tws),
        bf.dependencies_block(tws, bf.job_named(tws, "JOB014")),
        bf.prompts_block(tws),
        bf.confirmation_block(tws, job, "rerun", "Rerun", "tablespace ampliado"),
    ]
    reply(fake_server, "all", "Tudo", *blocks, quickReplies=["sim", "não"])
    expect(bubble(page, "all").locator("section.block")).to_have_count(len(blocks))
    assert run_axe(page, axe_source) == []
