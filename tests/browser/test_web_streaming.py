"""The web page against the REAL streaming server: ``twschat serve --auth local --responder bedrock``
with the fake Bedrock (in-process). The frames the page receives are recorded (delta frames before the
final message, same messageId); a MutationObserver records what the page showed while the reply was
streaming (the progress indicator, the reply's item busy with the streamed text); the final text is
the message frame's, once. Then an action proposed by the model (propose_action, with quickReplies)
is confirmed with its button. Last, with the scripted server: a reply that finished while the page
was reconnecting is shown once, from the history, not also as the partial streamed bubble.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.fake_server import FakeChatServer
from tests.browser.test_web_chat import last_agent, open_fake, sign_in_local
from tests.integration.conftest import GatewayProcess
from twschat_dev.fake_bedrock import FakeBedrockServer

expect.set_options(timeout=15_000)

# Installed before the page's own script: every change to the log or the indicator is written down
# (one record per task, so every delta frame the page handles shows up).
RECORDER = """
window.__states = [];
const record = () => {
  const log = document.getElementById("log");
  const indicator = document.getElementById("indicator");
  if (!log || !indicator) return;
  const items = [...log.querySelectorAll("li.agent[data-message-id]")].map((li) => ({
    id: li.dataset.messageId,
    streaming: li.classList.contains("streaming"),
    busy: li.getAttribute("aria-busy") === "true",
    text: li.querySelector(".body")?.textContent || "",
  }));
  window.__states.push({ indicator: indicator.textContent, items });
};
new MutationObserver(record).observe(document, {
  subtree: true, childList: true, characterData: true, attributes: true,
  attributeFilter: ["class", "aria-busy"],
});
"""


@pytest.fixture(scope="module")
def fake_bedrock() -> Iterator[FakeBedrockServer]:
    with FakeBedrockServer(port=0) as fake:
        yield fake


@pytest.fixture(scope="module")
def bedrock_gateway(
    fake_bedrock: FakeBedrockServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    base = tmp_path_factory.mktemp("gateway-bedrock")
    args = ["--auth", "local", "--responder", "bedrock", "--bedrock-endpoint", fake_bedrock.url]
    with GatewayProcess(base / "data", base, extra_args=args).running() as proc:
        yield proc


def record_frames(page: Any) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []

    def on_websocket(ws: Any) -> None:
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_websocket)
    return received


def send(page: Any, text: str) -> None:
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")
    expect(page.locator("#log li.user .body").last).to_have_text(text)


def reply_to_last_question(page: Any, received: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    """The frames from ``start`` up to and including the reply's message frame (waited for)."""

    def final() -> dict[str, Any] | None:
        return next((f for f in received[start:] if f.get("type") in ("message", "error")), None)

    for _ in range(300):
        if final() is not None:
            break
        page.wait_for_timeout(100)
    frame = final()
    assert frame is not None and frame["type"] == "message", received[start:]
    return received[start : received.index(frame) + 1]


def test_a_streamed_reply_then_a_confirmed_action(
    bedrock_gateway: GatewayProcess, fake_bedrock: FakeBedrockServer, new_page: Any
) -> None:
    page = new_page()
    received = record_frames(page)
    page.add_init_script(RECORDER)
    sign_in_local(page, bedrock_gateway)

    # A slow first token (once): the progress indicator is up while the model "thinks".
    fake_bedrock.set_fault("slow-first-token", 1.5, times=1)
    start = len(received)
    send(page, "quais jobs estão em abend?")
    expect(page.locator("#indicator")).to_contain_text(re.compile("pensando|Consultando o TWS"))
    got = reply_to_last_question(page, received, start)
    final = got[-1]
    answer = page.locator(f'#log li.agent[data-message-id="{final["messageId"]}"]')
    expect(answer).not_to_have_class(re.compile(r"\bstreaming\b"))
    expect(page.locator("#indicator")).to_have_text("")

    # The frames: progress and deltas (in seq order) for the same messageId, all before the message.
    streamed = [f for f in got if f.get("type") in ("progress", "delta")]
    assert all(f["messageId"] == final["messageId"] for f in streamed), got
    deltas = [f for f in got if f["type"] == "delta"]
    assert len(deltas) >= 2, got
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1)), deltas
    assert got.index(deltas[-1]) < len(got) - 1
    streamed_text = "".join(d["text"] for d in deltas)
    assert final["message"].startswith(streamed_text)
    assert "JOB002" in final["message"]

    # What the page showed meanwhile: the indicator's words, then the reply's item busy ("streaming",
    # aria-busy) with a growing prefix of the streamed text, and at the end the final text, not busy.
    states: list[dict[str, Any]] = page.evaluate("window.__states")
    shown = [s["indicator"] for s in states]
    assert any("pensando" in s for s in shown), shown
    assert any("Consultando o TWS (list_jobs)" in s for s in shown), shown
    mine = [i for s in states for i in s["items"] if i["id"] == final["messageId"]]
    busy = [i for i in mine if i["streaming"] and i["busy"]]
    assert len(busy) >= 2, mine
    assert all(streamed_text.startswith(i["text"]) for i in busy), busy
    assert len({i["text"] for i in busy}) >= 2  # it grew while streaming
    assert not mine[-1]["streaming"] and not mine[-1]["busy"]

    # The final text is the message frame's, once: no fragment doubled by the deltas.
    expect(page.locator(f'#log li[data-message-id="{final["messageId"]}"]')).to_have_count(1)
    # with blocks (issue 17: built from the list_jobs result) the page draws them in place of the
    # text, which it keeps folded under "Ver como texto": the text is read there
    assert [b["kind"] for b in final.get("blocks", ())] == ["jobs"], final
    expect(answer.locator(".block-jobs .status-badge").first).to_have_text("ABEND")
    folded = answer.locator(".body details.as-text")
    folded.locator("summary").click()
    body = " ".join(folded.inner_text().split()).removeprefix("Ver como texto").strip()
    # the page renders "- ..." lines as a list, code spans as <code>: compare the words
    words = " ".join(re.sub(r"[`*]|^- ", "", final["message"], flags=re.M).split())
    assert body == words, (body, final["message"])
    assert body.count("JOB002") == final["message"].count("JOB002")

    # An action: the model proposes it (propose_action), the reply carries the confirmation buttons.
    start = len(received)
    send(page, "reroda o JOB002")
    prompt = reply_to_last_question(page, received, start)[-1]
    assert prompt.get("quickReplies") == ["sim", "não"], prompt
    group = last_agent(page).locator("[role=group]")
    expect(group.locator("button")).to_have_text(["Confirmar", "Cancelar"])
    expect(last_agent(page)).to_contain_text("JOB002")

    start = len(received)
    group.locator("button[data-kind=confirm]").click()
    expect(page.locator("#log li.user .body").last).to_have_text("sim")
    done = reply_to_last_question(page, received, start)[-1]
    assert "enviado ao TWS" in done["message"], done
    expect(last_agent(page)).to_contain_text("enviado ao TWS")
    expect(page.locator("#log button[data-kind=confirm]")).to_have_count(0)
    expect(page.locator("#indicator")).to_have_text("")


def test_a_reply_finished_during_a_reconnect_is_shown_once(
    new_page: Any, fake_server: FakeChatServer
) -> None:
    """Deltas, then the connection drops before the final message; the reply is stored meanwhile
    (the server posts the final message to the connection that is gone) and comes back in the
    history. The page used to keep the partial streamed bubble too, busy forever, beside the whole
    reply: the streamed fragments shown twice."""
    text = "list_jobs retornou 1 registro(s):\n- JOB002: ABEND"
    page = new_page()
    open_fake(page, fake_server)
    fake_server.send(
        {"type": "progress", "messageId": "m1", "stage": "thinking"},
        {"type": "delta", "messageId": "m1", "seq": 1, "text": "list_jobs retornou "},
        {"type": "delta", "messageId": "m1", "seq": 2, "text": "1 registro(s):\n"},
    )
    bubble = page.locator('#log li[data-message-id="m1"]')
    expect(bubble).to_have_class(re.compile(r"\bstreaming\b"))
    expect(page.locator("#indicator")).to_contain_text("pensando")

    fake_server.history["c-fake-1"] = [
        {"role": "user", "message": "quais jobs estão em abend?", "messageId": "u1", "createdAt": 1},
        {"role": "agent", "message": text, "messageId": "m1", "createdAt": 2},
    ]
    fake_server.close(1011)
    fake_server.wait_for(lambda: len(fake_server.frames("history")) == 2, "history after reconnecting")
    expect(page.locator("#log li.welcome")).to_have_count(1)
    expect(bubble).to_have_count(1)
    expect(bubble).not_to_have_class(re.compile(r"\bstreaming\b"))
    expect(bubble).not_to_have_attribute("aria-busy", "true")
    expect(bubble.locator("ul li")).to_have_text("JOB002: ABEND")
    assert page.locator("#log").inner_text().count("list_jobs retornou") == 1
    expect(page.locator("#indicator")).to_have_text("")
