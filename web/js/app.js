// The operators' chat page: sign-in, the conversation, the list of conversations.
// Plain ES modules, no build step, nothing fetched from another origin (air-gapped networks).
// Server text only ever reaches the page as text nodes (render.js); see index.html's CSP.

import { applyTranslations, pickLanguage, translator } from "./i18n.js";
import { Auth, SignInError } from "./auth.js";
import { ChatConnection } from "./connection.js";
import { quickReplyButtons, renderText } from "./render.js";

const $ = (id) => document.getElementById(id);
const lang = pickLanguage(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
const t = translator(lang);
const ANNOUNCE_MAX = 400; // a long job log is for reading, not for a screen reader to recite
const HISTORY_LIMIT = 50;

/** The message log: one <li> per message, keyed by messageId so repeats and parts land in place. */
class ChatView {
  constructor() {
    this.log = $("log");
    this.indicator = $("indicator");
    this.entries = new Map(); // messageId -> {li, body, deltas: Map, parts: Map, partsTotal, final}
    this.progress = new Map(); // messageId -> indicator text
    this.pending = 0; // messages sent and not answered yet
    this.welcome = "";
    this.onQuickReply = () => {};
  }

  clear() {
    this.log.replaceChildren();
    this.entries.clear();
    this.progress.clear();
    this.pending = 0;
    this.updateIndicator();
  }

  item(kind, sender) {
    const li = document.createElement("li");
    li.className = `msg ${kind}`;
    const label = document.createElement("span");
    label.className = "sender";
    label.textContent = sender;
    const body = document.createElement("div");
    body.className = "body";
    li.append(label, body);
    this.log.appendChild(li);
    this.scroll();
    return { li, body };
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  addUser(text) {
    const { body } = this.item("user", t("you"));
    body.textContent = text; // pre-wrap in CSS: exactly what was typed, as text
  }

  addNotice(text) {
    const { body } = this.item("notice", t("notice"));
    body.textContent = text;
    this.announce(text);
  }

  addError(text, code) {
    const { li, body } = this.item("error", t("error"));
    body.textContent = text;
    if (code) li.dataset.code = code;
    this.alert(t("announceError", { text }));
  }

  addAgent(text, messageId) {
    const { li, body } = this.item("agent", t("agent"));
    body.appendChild(renderText(document, text));
    if (messageId) {
      li.dataset.messageId = messageId;
      this.entries.set(messageId, { li, body, deltas: new Map(), parts: new Map(), partsTotal: 0, final: true });
    }
    return li;
  }

  /** The welcome (one per connection), after the history it greets. */
  addWelcome() {
    this.log.querySelector("li.welcome")?.remove();
    this.addAgent(this.welcome, "").classList.add("welcome");
  }

  entry(messageId) {
    let entry = this.entries.get(messageId);
    if (!entry) {
      const { li, body } = this.item("agent", t("agent"));
      li.dataset.messageId = messageId;
      entry = { li, body, deltas: new Map(), parts: new Map(), partsTotal: 0, final: false };
      this.entries.set(messageId, entry);
    }
    return entry;
  }

  /** {"type":"delta","messageId","seq","text"}: appended in seq order, whatever order they arrive in. */
  delta(frame) {
    const id = String(frame.messageId || "");
    const seq = Number(frame.seq);
    if (!id || !Number.isFinite(seq) || typeof frame.text !== "string") return;
    const entry = this.entry(id);
    if (entry.final) return; // a late delta after the final message changes nothing
    entry.deltas.set(seq, frame.text);
    const ordered = [...entry.deltas.keys()].sort((a, b) => a - b);
    this.showStreaming(entry, ordered.map((k) => entry.deltas.get(k)).join(""));
  }

  showStreaming(entry, text) {
    entry.li.classList.add("streaming");
    entry.li.setAttribute("aria-busy", "true");
    entry.body.textContent = text;
    this.scroll();
  }

  /** {"type":"progress","messageId","stage":"thinking"|"tool","tool"} while a turn runs. */
  progressFrame(frame) {
    const id = String(frame.messageId || "");
    if (!id || this.entries.get(id)?.final) return;
    const tool = typeof frame.tool === "string" && frame.tool ? frame.tool : "";
    const text = frame.stage === "tool" ? (tool ? t("tool", { tool }) : t("toolUnnamed")) : t("thinking");
    this.progress.set(id, text);
    this.updateIndicator();
  }

  /** {"type":"message", ...}: final text for its messageId (replaces streamed deltas); parts reassembled. */
  message(frame) {
    const id = String(frame.messageId || `local-${(this.localIds = (this.localIds || 0) + 1)}`);
    const existing = this.entries.get(id);
    const part = Number(frame.part);
    const parts = Number(frame.parts);
    let text = typeof frame.message === "string" ? frame.message : "";
    if (Number.isInteger(parts) && parts > 1 && Number.isInteger(part) && part >= 1 && part <= parts) {
      const entry = this.entry(id);
      if (entry.final) return; // a repeated part of a reply already complete
      entry.parts.set(part, text);
      entry.partsTotal = parts;
      if (entry.parts.size < parts) {
        let prefix = "";
        for (let i = 1; entry.parts.has(i); i += 1) prefix += entry.parts.get(i);
        this.showStreaming(entry, prefix || "…");
        this.progress.set(id, t("receivingParts", { part: entry.parts.size, parts }));
        this.updateIndicator();
        return;
      }
      text = Array.from({ length: parts }, (_, i) => entry.parts.get(i + 1)).join("");
    }
    const wasFinal = Boolean(existing && existing.final);
    const entry = this.entry(id);
    entry.final = true;
    entry.li.classList.remove("streaming");
    entry.li.removeAttribute("aria-busy");
    entry.body.replaceChildren(renderText(document, text));
    this.progress.delete(id);
    if (!wasFinal) {
      if (frame.inReplyTo) this.pending = Math.max(0, this.pending - 1);
      this.announce(t("announceAgent", { text: shorten(text) }));
    }
    this.showQuickReplies(entry.li, frame.quickReplies);
    this.updateIndicator();
    this.scroll();
  }

  /** Buttons for the newest reply only: older suggestions are stale once the conversation moves on. */
  showQuickReplies(li, replies) {
    const buttons = quickReplyButtons(replies, t);
    this.dropQuickReplies();
    if (!buttons.length) return;
    const group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("quickReplies"));
    for (const { value, label, kind } of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = kind === "cancel" || kind === "suggestion" ? "secondary" : "";
      button.dataset.kind = kind;
      button.dataset.value = value;
      button.textContent = label;
      button.addEventListener("click", () => this.onQuickReply(value));
      group.appendChild(button);
    }
    li.appendChild(group);
  }

  dropQuickReplies() {
    for (const group of this.log.querySelectorAll(".quick-replies")) group.remove();
  }

  error(frame) {
    const text = typeof frame.message === "string" && frame.message ? frame.message : String(frame.code || "");
    this.pending = Math.max(0, this.pending - 1);
    this.addError(text, typeof frame.code === "string" ? frame.code : "");
    this.updateIndicator();
  }

  /** {"type":"history"}: the conversation redrawn from the store (after every (re)connect). */
  history(frame) {
    const streaming = [...this.entries.values()].filter((e) => !e.final);
    // Notices (why the last connection closed) are not in the store: they stay, after the history.
    const notices = [...this.log.querySelectorAll("li.notice")];
    this.log.replaceChildren();
    this.entries.clear();
    let newest = null; // the last stored message, and its element when it is a reply
    for (const m of Array.isArray(frame.messages) ? frame.messages : []) {
      if (!m || typeof m.message !== "string") continue;
      if (m.role === "user") {
        this.addUser(m.message);
        newest = null;
      } else {
        newest = { li: this.addAgent(m.message, typeof m.messageId === "string" ? m.messageId : ""), m };
      }
    }
    // A prompt still waiting for its answer (the conversation's last word) gets its buttons back.
    if (newest) this.showQuickReplies(newest.li, newest.m.quickReplies);
    this.log.append(...notices);
    if (this.welcome) this.addWelcome();
    // A reply still arriving stays, unless the store already has it whole (it finished while the
    // page was reconnecting): then the stored text is the reply, and the partial one would repeat it.
    for (const entry of streaming) {
      const id = entry.li.dataset.messageId;
      if (this.entries.has(id)) {
        this.progress.delete(id);
        continue;
      }
      this.log.appendChild(entry.li);
      this.entries.set(id, entry);
    }
    this.updateIndicator();
    this.historyShown = true;
    this.log.removeAttribute("aria-busy");
    this.scroll();
  }

  updateIndicator() {
    const shown = [...this.progress.values()].pop() || (this.pending > 0 ? t("waiting") : "");
    if (this.indicator.textContent !== shown) this.indicator.textContent = shown;
  }

  announce(text) {
    $("announcer").textContent = text;
  }

  alert(text) {
    $("alerter").textContent = text;
  }
}

function shorten(text) {
  return text.length > ANNOUNCE_MAX ? `${text.slice(0, ANNOUNCE_MAX)}…` : text;
}

function formatDate(value) {
  const date = new Date(typeof value === "number" ? value : String(value || ""));
  if (Number.isNaN(date.getTime())) return String(value || "");
  return new Intl.DateTimeFormat(lang === "en" ? "en" : "pt-BR", { dateStyle: "short", timeStyle: "short" }).format(date);
}

function websocketUrl(config) {
  if (typeof config.websocketUrl === "string" && config.websocketUrl) return config.websocketUrl;
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
}

const STATUS_TEXT = {
  connecting: () => t("statusConnecting"),
  open: () => t("statusOpen"),
  reconnecting: (d) => t("statusReconnecting", { seconds: Math.max(1, Math.round((d?.delayMs || 0) / 1000)) }),
  idle: () => t("statusIdle"),
  signin: () => t("statusSignIn"),
};

function setStatus(state, detail) {
  const status = $("status");
  status.dataset.state = state;
  status.textContent = !navigator.onLine && state === "reconnecting" ? t("statusOffline") : STATUS_TEXT[state](detail);
}

class App {
  constructor(config, auth) {
    this.config = config;
    this.auth = auth;
    this.view = new ChatView();
    this.connection = null;
    this.view.onQuickReply = (value) => this.sendText(value);
    this.wire();
  }

  wire() {
    const input = $("input");
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText(input.value, { fromInput: true });
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText(input.value, { fromInput: true });
      }
    });
    for (const type of ["focus", "input"]) input.addEventListener(type, () => this.connection?.wake());
    $("new-conversation").addEventListener("click", () => {
      this.view.clear();
      this.view.welcome = "";
      this.connection?.newConversation();
      input.focus();
    });
    $("refresh-conversations").addEventListener("click", () => this.connection?.send({ type: "conversations" }));
    $("sign-out").addEventListener("click", () => this.signOut());
    window.addEventListener("online", () => {
      if (this.connection && !this.connection.isOpen && !this.connection.waitingForActivity) this.connection.restart();
    });
    $("local-signin").addEventListener("submit", (event) => {
      event.preventDefault();
      this.signInLocal();
    });
    $("cognito-button").addEventListener("click", () => this.auth.signInCognito());
  }

  sendText(raw, { fromInput = false } = {}) {
    const text = String(raw ?? "");
    if (!text.trim() || !this.connection) return;
    if (!this.connection.isOpen) {
      this.connection.wake(); // the text stays in the box until there is a connection to send it on
      return;
    }
    // As JSON: a message that starts with "{" is then never taken for a protocol frame.
    this.connection.send({ message: text });
    this.view.dropQuickReplies();
    this.view.addUser(text);
    this.view.pending += 1;
    this.view.updateIndicator();
    if (fromInput) $("input").value = "";
    $("input").focus();
  }

  showSignIn(message) {
    this.connection?.stop();
    this.connection = null;
    $("chat").hidden = true;
    $("sign-out").hidden = true;
    $("who").hidden = true;
    $("signin").hidden = false;
    setStatus("signin");
    const error = $("signin-error");
    error.hidden = !message;
    error.textContent = message || "";
    const local = this.auth.mode === "local";
    $("local-signin").hidden = !local;
    $("cognito-signin").hidden = this.auth.mode !== "cognito";
    (local ? $("signin-user") : $("cognito-button")).focus();
  }

  async signInLocal() {
    const user = $("signin-user").value.trim();
    const role = $("signin-role").value;
    try {
      await this.auth.signInLocal(user, role);
    } catch (exc) {
      this.showSignIn(t("signInFailed", { detail: exc instanceof Error ? exc.message : String(exc) }));
      return;
    }
    this.startChat();
  }

  signOut() {
    this.connection?.stop();
    this.connection = null;
    this.view.clear();
    this.auth.signOut();
    this.showSignIn("");
  }

  startChat() {
    const identity = this.auth.identity();
    $("signin").hidden = true;
    $("chat").hidden = false;
    if (this.auth.mode !== "none") {
      $("who").hidden = false;
      $("who").textContent = t("signedInAs", { user: identity.user, roles: identity.roles.join(", ") || t("noRole") });
      $("sign-out").hidden = false;
    }
    this.view.clear();
    this.connection = new ChatConnection({
      url: websocketUrl(this.config),
      agent: typeof this.config.agent === "string" ? this.config.agent : "",
      getToken: () => this.auth.ensureToken(),
      storageKey: `twschat.conversation:${identity.id || identity.user || "anonymous"}`,
      onFrame: (frame) => this.onFrame(frame),
      onState: (state, detail) => this.onState(state, detail),
    });
    this.connection.start();
    $("input").focus();
  }

  onState(state, detail) {
    if (state === "signin") {
      this.showSignIn(t("sessionExpired"));
      return;
    }
    setStatus(state, detail);
    $("send").disabled = state !== "open";
    if (state === "open") {
      this.view.pending = 0; // replies to a previous connection are not coming
      this.view.updateIndicator();
      if (detail?.conversationLost) this.view.addNotice(t("conversationLost"));
      // Busy until the history is drawn: screen readers wait, and nothing is counted twice.
      this.view.historyShown = false;
      this.view.log.setAttribute("aria-busy", "true");
      this.connection.send({ type: "history", limit: HISTORY_LIMIT });
      this.connection.send({ type: "conversations" });
    }
  }

  onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        this.view.welcome = typeof frame.message === "string" ? frame.message : "";
        this.view.announce(t("announceAgent", { text: shorten(this.view.welcome) }));
        // The history redraw shows the welcome; if the history came first, show it now.
        if (this.view.historyShown) this.view.addWelcome();
        break;
      case "message":
        this.view.message(frame);
        break;
      case "delta":
        this.view.delta(frame);
        break;
      case "progress":
        this.view.progressFrame(frame);
        break;
      case "error":
        this.view.error(frame);
        break;
      case "history":
        this.view.history(frame);
        break;
      case "conversations":
        this.renderConversations(frame);
        break;
      case "closing":
        this.onClosing(frame);
        break;
      case "pong":
        break;
      default:
        // API Gateway's own answers ({"message": "Forbidden" | "Internal server error", ...}) have no type.
        if (frame.type === undefined && typeof frame.message === "string") {
          this.view.error({ message: t("gatewayError", { detail: frame.message }) });
        }
    }
  }

  onClosing(frame) {
    const reason = String(frame.reason || "");
    const why =
      reason === "idle"
        ? t("closingIdle")
        : reason === "max_duration"
          ? t("closingMaxDuration")
          : t("closingOther", { reason });
    const server = typeof frame.message === "string" && frame.message ? ` ${frame.message}` : "";
    this.view.addNotice(`${why}${server}`);
  }

  renderConversations(frame) {
    const list = $("conversation-list");
    const items = Array.isArray(frame.conversations) ? frame.conversations : [];
    list.replaceChildren();
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = t("noConversations");
      list.appendChild(li);
      return;
    }
    for (const c of items) {
      if (!c || typeof c.conversationId !== "string") continue;
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.conversationId = c.conversationId;
      const current = c.conversationId === this.connection?.conversationId;
      if (current) button.setAttribute("aria-current", "true");
      button.textContent = t("conversationLabel", { date: formatDate(c.createdAt) });
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = `${c.agent || ""} · …${c.conversationId.slice(-6)}${current ? ` ${t("currentConversation")}` : ""}`;
      button.appendChild(meta);
      button.addEventListener("click", () => {
        if (current) return;
        this.view.clear();
        this.view.welcome = "";
        this.connection?.switchTo(c.conversationId, typeof c.agent === "string" ? c.agent : "");
        $("input").focus();
      });
      li.appendChild(button);
      list.appendChild(li);
    }
  }
}

async function main() {
  applyTranslations(document, t, lang);
  let config;
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = await response.json();
  } catch {
    $("status").textContent = t("configError");
    return;
  }
  if (config.environment === "local") {
    $("env-badge").textContent = t("devMode");
    $("env-badge").hidden = false;
  }
  const auth = new Auth(config.auth || { mode: "none" });
  const app = new App(config, auth);
  try {
    await auth.completeRedirect();
  } catch (exc) {
    const detail = exc instanceof SignInError && exc.message === "state" ? t("stateMismatch") : String(exc.message || exc);
    app.showSignIn(t("signInFailed", { detail }));
    return;
  }
  if ((await auth.ensureToken()) === null) app.showSignIn("");
  else app.startChat();
}

main();
