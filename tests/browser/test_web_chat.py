"""The operators' web page (web/) in headless Chromium.

Against ``twschat serve --auth local`` (the real handlers, SQLite): sign-in, questions, follow-ups,
an action confirmed with its button, history after a reload, text that looks like HTML, axe-core.
Against a scripted server (fake_server.py): the frames the real server does not send yet or only
after minutes (delta, progress, split parts, closing), conversations, English.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import save_artifact
from tests.browser.fake_server import FakeChatServer
from tests.integration.conftest import GatewayProcess

expect.set_options(timeout=10_000)
XSS = "<img src=x onerror=alert(1)>"


def sign_in_local(page: Any, gateway: GatewayProcess, user: str = "ana", role: str = "operator") -> None:
    """The development sign-in, with the keyboard only (the user field has focus; Enter submits)."""
    page.goto(f"http://localhost:{gateway.port}/")
    expect(page.locator("#signin-user")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(user)
    page.select_option("#signin-role", role)
    page.locator("#signin-user").press("Enter")
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#who")).to_contain_text(f"{user} ({role})")
    settled(page)


def settled(page: Any) -> None:
    """Connected, the welcome shown and the history drawn: from here on every new reply is one more."""
    expect(page.locator("#log")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#log li.welcome")).to_have_count(1)


def ask(page: Any, text: str) -> None:
    """Type and send with Enter; wait until the reply (or error) has arrived."""
    replies = page.locator("#log li.agent, #log li.error")
    before = replies.count()
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")
    expect(page.locator("#log li.user .body").last).to_have_text(re.compile(re.escape(text)))
    expect(replies).to_have_count(before + 1)
    expect(page.locator("#indicator")).to_have_text("")


def last_agent(page: Any) -> Any:
    return page.locator("#log li.agent").last


def current_conversation(page: Any) -> str:
    return str(
        page.evaluate(
            """() => {
                const key = Object.keys(localStorage).find((k) => k.startsWith("twschat.conversation:"));
                return key ? JSON.parse(localStorage.getItem(key)).conversationId : "";
            }"""
        )
    )


def run_axe(page: Any, axe: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# ------------------------------------------------------------------ against twschat serve --auth local


def test_sign_in_ask_follow_up_and_reload_keeps_the_conversation(
    local_gateway: GatewayProcess, new_page: Any
) -> None:
    page = new_page()
    sign_in_local(page, local_gateway)
    expect(page.locator("#env-badge")).to_have_text("desenvolvimento")
    expect(last_agent(page)).to_contain_text("Olá")  # the welcome

    ask(page, "quais jobs estão em abend?")
    answer = last_agent(page)
    expect(answer).to_contain_text("JOB002")
    expect(answer.locator("ul > li").first).to_contain_text("JOB002")  # "- ..." lines are a list

    ask(page, "e o log dele?")
    # the job log, in monospace: the server's log block (issue 17), its text folded under "Ver como texto"
    log = last_agent(page).locator("pre.block-log")
    expect(log).to_contain_text("ORA-01653")
    expect(log).to_contain_text("= Exit Status")

    conversation = current_conversation(page)
    assert conversation.startswith("c-")
    token = page.evaluate("sessionStorage.getItem('twschat.token')")
    assert token and token.count(".") == 2
    assert page.evaluate("Object.values(localStorage).join(' ')").find(token) == -1  # session only

    page.reload()  # the same tab: signed in still, the same conversation, its history redrawn
    settled(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#log li.user .body").first).to_have_text("quais jobs estão em abend?")
    expect(page.locator("#log li.user .body").nth(1)).to_have_text("e o log dele?")
    expect(page.locator("#log pre.block-log")).to_contain_text("ORA-01653")
    assert current_conversation(page) == conversation
    expect(
        page.locator(f'#conversation-list button[data-conversation-id="{conversation}"]')
    ).to_have_attribute("aria-current", "true")

    assert "token" not in page.url and "code=" not in page.url
    assert token not in local_gateway.output()  # the gateway logs the connect path redacted
    shot = save_artifact("web-chat.png")
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")


def test_confirming_an_action_with_the_button(local_gateway: GatewayProcess, new_page: Any) -> None:
    page = new_page()
    received: list[dict[str, Any]] = []

    def on_websocket(ws: Any) -> None:
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_websocket)
    sign_in_local(page, local_gateway)
    ask(page, "reroda o JOB002")
    expect(last_agent(page)).to_contain_text("JOB002")
    prompt = [f for f in received if f.get("type") == "message"][-1]
    assert prompt.get("quickReplies") == ["sim", "não"], prompt
    page.reload()  # the prompt is still waiting: its buttons come back with the history
    settled(page)
    confirm = page.locator("#log button[data-kind=confirm]")
    expect(confirm).to_have_count(1)
    expect(confirm).to_have_text("Confirmar")
    expect(page.locator("#log button[data-kind=cancel]")).to_have_text("Cancelar")
    confirm.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#log li.user .body").last).to_have_text(prompt["quickReplies"][0])
    expect(last_agent(page)).to_contain_text("enviado ao TWS")
    expect(page.locator("#log button[data-kind=confirm]")).to_have_count(0)
    expect(page.locator("#input")).to_be_focused()


def test_text_that_looks_like_html_is_shown_as_text(local_gateway: GatewayProcess, new_page: Any) -> None:
    page = new_page()  # the fixture fails the test if a dialog (alert) opens
    sign_in_local(page, local_gateway)
    ask(page, XSS)
    expect(page.locator("#log li.user").last.locator(".body")).to_have_text(XSS)
    assert page.locator("img").count() == 0
    page.reload()  # and again from the history
    expect(page.locator("#log li.user").last.locator(".body")).to_have_text(XSS)
    assert page.locator("img").count() == 0


def test_no_serious_accessibility_violations(
    local_gateway: GatewayProcess, new_page: Any, axe_source: Path
) -> None:
    page = new_page(bypass_csp=True)  # axe is injected as an inline script, which the CSP forbids
    page.goto(f"http://localhost:{local_gateway.port}/")
    expect(page.locator("#signin-user")).to_be_visible()
    assert run_axe(page, axe_source) == []
    sign_in_local(page, local_gateway)
    ask(page, "quais jobs estão em abend?")
    ask(page, "e o log dele?")
    assert run_axe(page, axe_source) == []


# ------------------------------------------------------------------ against the scripted server


def open_fake(page: Any, fake: FakeChatServer) -> None:
    page.goto(fake.url)
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    fake.wait_for(lambda: bool(fake.frames("history")), "the history request")


def test_streamed_deltas_progress_and_split_parts(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page()
    open_fake(page, fake_server)
    expect(page.locator("#sign-out")).to_be_hidden()  # auth none: straight in, nobody to sign out
    indicator = page.locator("#indicator")

    fake_server.send({"type": "progress", "messageId": "m1", "stage": "thinking"})
    expect(indicator).to_have_text("O assistente está pensando…")
    fake_server.send({"type": "progress", "messageId": "m1", "stage": "tool", "tool": "list_jobs"})
    expect(indicator).to_have_text("Consultando o TWS (list_jobs)…")

    # Deltas out of order are shown in seq order, in one bubble.
    fake_server.send(
        {"type": "delta", "messageId": "m1", "seq": 2, "text": "em ABEND"},
        {"type": "delta", "messageId": "m1", "seq": 0, "text": "1 job "},
    )
    bubble = page.locator('#log li[data-message-id="m1"]')
    expect(bubble.locator(".body")).to_have_text("1 job em ABEND")
    fake_server.send({"type": "delta", "messageId": "m1", "seq": 1, "text": "<b>x</b> "})
    expect(bubble.locator(".body")).to_have_text("1 job <b>x</b> em ABEND")
    expect(bubble).to_have_class(re.compile(r"\bstreaming\b"))
    expect(bubble).to_have_attribute("aria-busy", "true")

    # The final message replaces them, formatted; a late delta changes nothing.
    fake_server.send(
        {
            "type": "message",
            "messageId": "m1",
            "message": "**1 job** em ABEND:\n- `JOB002` rc 12",
            "inReplyTo": "r1",
        },
        {"type": "delta", "messageId": "m1", "seq": 3, "text": " late"},
    )
    expect(bubble).not_to_have_class(re.compile(r"\bstreaming\b"))
    expect(bubble.locator("strong")).to_have_text("1 job")
    expect(bubble.locator("ul li code")).to_have_text("JOB002")
    expect(page.locator('#log li[data-message-id="m1"]')).to_have_count(1)
    expect(indicator).to_have_text("")
    assert "late" not in bubble.inner_text()
    assert page.locator("#log b").count() == 0
    expect(page.locator("#announcer")).to_contain_text("Assistente: **1 job** em ABEND")

    # A reply split in parts (arriving 2, 3, 1) is one message; its job log stays text.
    log_text = f"= JOB : JOB002\n2026-11-26 01:13:41 ERROR {XSS}\n= Exit Status : 12\n"
    parts = [log_text[:20], log_text[20:50], log_text[50:]]
    for n in (2, 3):
        fake_server.send(
            {"type": "message", "messageId": "m2", "message": parts[n - 1], "part": n, "parts": 3}
        )
    split = page.locator('#log li[data-message-id="m2"]')
    expect(split).to_have_class(re.compile(r"\bstreaming\b"))
    expect(indicator).to_have_text("Recebendo a resposta (parte 2 de 3)…")
    fake_server.send({"type": "message", "messageId": "m2", "message": parts[0], "part": 1, "parts": 3})
    expect(split.locator("pre.log")).to_have_text(log_text.rstrip("\n"))
    expect(page.locator('#log li[data-message-id="m2"]')).to_have_count(1)
    assert page.locator("img").count() == 0

    # An error frame, in place; and what API Gateway itself sends (no type).
    fake_server.send({"type": "error", "code": "rate_limited", "message": "Muitas mensagens. Tente em 20 s."})
    expect(page.locator("#log li.error").last).to_contain_text("Muitas mensagens. Tente em 20 s.")
    expect(page.locator("#alerter")).to_contain_text("Erro: Muitas mensagens")
    fake_server.send({"message": "Internal server error", "connectionId": "x", "requestId": "y"})
    expect(page.locator("#log li.error").last).to_contain_text("Internal server error")


def test_confirmation_buttons_send_the_servers_words(
    new_page: Any, fake_server: FakeChatServer, axe_source: Path
) -> None:
    def answer(conversation_id: str, frame: dict[str, Any]) -> list[dict[str, Any]]:
        text = frame["message"]
        if text == "reroda o JOB002":
            return [
                {
                    "type": "message",
                    "messageId": "p1",
                    "inReplyTo": "q1",
                    "message": "Confirma o rerun de JOB002? Responda sim ou não.",
                    "quickReplies": ["sim", "não"],
                }
            ]
        reply = "Rerun de JOB002 enviado ao TWS." if text == "sim" else f"eco: {text}"
        return [
            {
                "type": "message",
                "messageId": f"a-{len(fake_server.received)}",
                "inReplyTo": "q",
                "message": reply,
                "quickReplies": ["ver o log"] if text == "sim" else [],
            }
        ]

    fake_server.on_message = answer
    page = new_page(bypass_csp=True)  # for axe, below
    open_fake(page, fake_server)
    ask(page, "reroda o JOB002")
    group = last_agent(page).locator("[role=group]")
    expect(group).to_have_attribute("aria-label", "Respostas rápidas")
    expect(group.locator("button")).to_have_text(["Confirmar", "Cancelar"])
    assert run_axe(page, axe_source) == []

    group.locator("button[data-kind=confirm]").focus()
    page.keyboard.press("Enter")
    fake_server.wait_for(
        lambda: fake_server.frames("message")[-1] == {"message": "sim"}, '{"message": "sim"}'
    )
    expect(page.locator("#log li.user .body").last).to_have_text("sim")
    expect(last_agent(page)).to_contain_text("Rerun de JOB002 enviado ao TWS.")
    expect(page.locator("#log button[data-kind=confirm]")).to_have_count(0)  # used once, then gone

    suggestion = last_agent(page).locator("button[data-kind=suggestion]")
    expect(suggestion).to_have_text("ver o log")
    suggestion.click()
    expect(last_agent(page)).to_contain_text("eco: ver o log")


def test_english_when_the_browser_prefers_it(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page(locale="en-US")
    open_fake(page, fake_server)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#status")).to_have_text("Connected")
    expect(page.locator("label[for=input]")).to_have_text("Your message")
    fake_server.send(
        {"type": "message", "messageId": "p1", "message": "Confirm the rerun?", "quickReplies": ["yes", "no"]}
    )
    expect(last_agent(page).locator("button")).to_have_text(["Confirm", "Cancel"])


def test_closing_frames_reconnect_to_the_same_conversation(
    new_page: Any, fake_server: FakeChatServer
) -> None:
    page = new_page()
    open_fake(page, fake_server)
    assert "conversationId" not in fake_server.connects[0]

    # Near the 2-hour cap: the reason is shown, and the page reconnects at once to the same conversation.
    fake_server.send(
        {"type": "closing", "reason": "max_duration", "conversationId": "c-fake-1", "message": "Reconecte."}
    )
    expect(page.locator("#log li.notice").last).to_contain_text("limite de duração")
    fake_server.close(1001)
    fake_server.wait_for(lambda: len(fake_server.connects) == 2, "the reconnection")
    assert fake_server.connects[1]["conversationId"] == ["c-fake-1"]
    fake_server.wait_for(lambda: len(fake_server.frames("history")) == 2, "history after reconnecting")
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#log li.notice")).to_contain_text("limite de duração")  # still there

    # Idle: no reconnection until the operator is back.
    fake_server.send({"type": "closing", "reason": "idle", "conversationId": "c-fake-1", "message": ""})
    expect(page.locator("#log li.notice").last).to_contain_text("inatividade")
    fake_server.close(1001)
    expect(page.locator("#status")).to_have_attribute("data-state", "idle")
    page.wait_for_timeout(700)
    assert len(fake_server.connects) == 2
    page.locator("#input").press_sequentially("o")
    fake_server.wait_for(lambda: len(fake_server.connects) == 3, "the reconnection on typing")
    assert fake_server.connects[2]["conversationId"] == ["c-fake-1"]
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#input")).to_have_value("o")

    # A dropped connection (no closing frame): back with backoff, same conversation.
    fake_server.close(1011)
    fake_server.wait_for(lambda: len(fake_server.connects) == 4, "the reconnection after a drop")
    assert fake_server.connects[3]["conversationId"] == ["c-fake-1"]


def test_conversations_list_switch_and_new(new_page: Any, fake_server: FakeChatServer) -> None:
    fake_server.conversations = [
        {"conversationId": "c-fake-1", "agent": "tws-general", "createdAt": "2026-11-26T10:00:00Z"},
        {"conversationId": "c-old", "agent": "tws-general", "createdAt": "2026-11-20T09:00:00Z"},
    ]
    fake_server.history["c-old"] = [
        {"role": "user", "message": "status do JOB005", "messageId": "u1", "createdAt": 1, "key": "k1"},
        {
            "role": "agent",
            "message": "JOB005 — SUCC em TWS_AGENT1",
            "messageId": "a1",
            "createdAt": 2,
            "key": "k2",
        },
    ]
    page = new_page()
    open_fake(page, fake_server)
    buttons = page.locator("#conversation-list button")
    expect(buttons).to_have_count(2)
    expect(buttons.nth(0)).to_have_attribute("aria-current", "true")

    buttons.nth(1).click()
    fake_server.wait_for(lambda: len(fake_server.connects) == 2, "the switch")
    assert fake_server.connects[1]["conversationId"] == ["c-old"]
    expect(page.locator("#log li.user .body")).to_have_text(["status do JOB005"])
    expect(page.locator('#log li[data-message-id="a1"]')).to_contain_text("JOB005 — SUCC")
    assert current_conversation(page) == "c-old"

    page.get_by_role("button", name="Nova conversa").click()
    fake_server.wait_for(lambda: len(fake_server.connects) == 3, "a new conversation")
    assert "conversationId" not in fake_server.connects[2]
    expect(page.locator("#log li.user")).to_have_count(0)
    expect(last_agent(page)).to_contain_text("Olá! Sou o assistente TWS")
    assert current_conversation(page) == "c-fake-3"
    page.get_by_role("button", name="Atualizar lista").click()  # the welcome back never shows the raw id
    buttons.nth(1).click()
    fake_server.wait_for(lambda: len(fake_server.connects) == 4, "the switch back")
    expect(last_agent(page)).to_have_class(re.compile(r"\bwelcome\b"))
    expect(last_agent(page).locator(".body")).to_have_text(
        "Bem-vindo de volta! Continuando a conversa. Como posso ajudar?"
    )


def test_a_refused_conversation_gives_way_to_a_new_one(new_page: Any, fake_server: FakeChatServer) -> None:
    page = new_page()
    open_fake(page, fake_server)
    # A remembered conversation the server now refuses (403: deleted, or another user's). A browser
    # cannot see the status: after three refusals the page tries once without it, and says so.
    fake_server.refused.add("c-gone")
    page.evaluate(
        """() => localStorage.setItem("twschat.conversation:anonymous",
                                       JSON.stringify({ conversationId: "c-gone", agent: "tws-general" }))"""
    )
    page.reload()
    fake_server.wait_for(lambda: len(fake_server.connects) == 5, "three refusals and a fresh attempt")
    assert [q.get("conversationId") for q in fake_server.connects[1:]] == [["c-gone"]] * 3 + [None]
    expect(page.locator("#status")).to_have_attribute("data-state", "open")
    expect(page.locator("#log li.notice")).to_contain_text("Não foi possível retomar a conversa anterior")
    assert current_conversation(page) == "c-fake-2"


def test_cognito_sign_in_with_pkce(new_page: Any, fake_server: FakeChatServer) -> None:
    """The managed-login code path, with Cognito played by Playwright routes on the page's origin."""
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    origin = fake_server.url.rstrip("/")
    config = {
        "websocketUrl": f"ws://localhost:{fake_server.port}",
        "auth": {"mode": "cognito", "domain": origin, "clientId": "client-1", "redirectUri": f"{origin}/"},
    }
    claims = {"sub": "u-1", "cognito:username": "ana", "cognito:groups": ["operator"], "exp": 4102444800}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    id_token = f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"
    seen: dict[str, dict[str, list[str]]] = {}

    def authorize(route: Any) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        seen["authorize"] = query
        state = query["state"][0]
        route.fulfill(status=302, headers={"Location": f"{origin}/?code=the-code&state={state}"})

    def token(route: Any) -> None:
        seen["token"] = parse_qs(route.request.post_data or "")
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"id_token": id_token, "access_token": "a", "token_type": "Bearer"}),
        )

    page = new_page()
    page.route(f"{origin}/config.json", lambda route: route.fulfill(json=config))
    page.route(f"{origin}/oauth2/authorize?*", authorize)
    page.route(f"{origin}/oauth2/token", token)
    page.goto(fake_server.url)
    page.get_by_role("button", name="Entrar com a conta corporativa").click()
    expect(page.locator("#status")).to_have_attribute("data-state", "open")

    asked = {k: v[0] for k, v in seen["authorize"].items()}
    assert asked["response_type"] == "code" and asked["client_id"] == "client-1"
    assert asked["redirect_uri"] == f"{origin}/" and asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 22
    sent = {k: v[0] for k, v in seen["token"].items()}
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "the-code"
    assert sent["client_id"] == "client-1" and sent["redirect_uri"] == f"{origin}/"
    verifier = sent["code_verifier"]
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert asked["code_challenge"] == digest  # RFC 7636 S256
    assert verifier not in json.dumps(seen["authorize"])

    assert page.url == f"{origin}/"  # code and state gone from the URL bar
    assert fake_server.connects[-1]["token"] == [id_token]  # the ID token, as the token parameter
    assert page.evaluate("sessionStorage.getItem('twschat.token')") == id_token
    assert page.evaluate("sessionStorage.getItem('twschat.pkce')") is None  # one use
    expect(page.locator("#who")).to_have_text("ana (operator)")

    # A return with a state this tab did not send is refused, and cleaned from the URL too.
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{fake_server.url}?code=stolen&state=forged")
    expect(page.locator("#signin-error")).to_contain_text("state não confere")
    assert page.url == f"{origin}/"
    assert "stolen" not in json.dumps(seen["token"])
