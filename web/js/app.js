// The operators' chat page: sign-in, the conversation, the list of conversations.
// Plain ES modules, no build step, nothing fetched from another origin (air-gapped networks).
// Server text only ever reaches the page as text nodes (render.js); see index.html's CSP.

import { applyTranslations, pickLanguage, translator } from "./i18n.js";
import { Auth, SignInError } from "./auth.js";
import { ChatConnection } from "./connection.js";
import { Clock } from "./clock.js";
import { ChatView, shorten, withoutId } from "./view.js";
import { AlertShelf, maybeAskPermission } from "./alerts.js";

const $ = (id) => document.getElementById(id);
const lang = pickLanguage(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
const t = translator(lang);
const HISTORY_LIMIT = 50;
const TITLE_MAX = 60;

function oneLine(text) {
  const line = String(text ?? "").trim().split("\n")[0].trim();
  return line.length > TITLE_MAX ? `${line.slice(0, TITLE_MAX - 1)}…` : line;
}

function loadTitles(key) {
  try {
    const saved = JSON.parse(localStorage.getItem(key) || "{}");
    return saved && typeof saved === "object" && !Array.isArray(saved) ? saved : {};
  } catch {
    return {};
  }
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
    this.clock = new Clock(lang);
    this.view = new ChatView(t, this.clock);
    this.connection = null;
    this.titles = null; // this user's conversation titles (see rememberTitle)
    this.view.onQuickReply = (value) => this.sendText(value);
    this.view.onFirstQuestion = (text) => this.rememberTitle(this.connection?.conversationId, text);
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
    maybeAskPermission(text);
    if (!this.view.log.querySelector("li.user")) this.rememberTitle(this.connection.conversationId, text);
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
    this.titlesKey = `twschat.titles:${identity.id || identity.user || "anonymous"}`;
    this.titles = loadTitles(this.titlesKey);
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
        this.clock.setZone(frame.timeZone);
        this.view.welcomeAt = this.clock.now();
        this.view.welcome = withoutId(typeof frame.message === "string" ? frame.message : "", String(frame.conversationId || ""));
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
      case "alert":
        (this.alerts ||= new AlertShelf(this.view, t)).show(frame);
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

  /** The server's title when it sends one, else the first question seen in this browser ("": none). */
  title(c) {
    const given = typeof c.title === "string" ? oneLine(c.title) : "";
    const known = Object.hasOwn(this.titles || {}, c.conversationId) ? String(this.titles[c.conversationId]) : "";
    return given || known;
  }

  /** The first question of a conversation names it in the sidebar (kept in this browser). */
  rememberTitle(conversationId, text) {
    const title = oneLine(text);
    if (!conversationId || !title || !this.titles || this.titles[conversationId] === title) return;
    this.titles[conversationId] = title;
    try {
      localStorage.setItem(this.titlesKey, JSON.stringify(this.titles));
    } catch {
      // storage full or refused: the title lasts for this page only
    }
    const button = document.querySelector(`#conversation-list button[data-conversation-id="${CSS.escape(conversationId)}"]`);
    if (button && button.firstChild) button.firstChild.textContent = title;
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
      const title = this.title(c);
      button.textContent = title || t("conversationLabel", { date: this.clock.full(c.createdAt) });
      const meta = document.createElement("span");
      meta.className = "meta";
      const when = title ? this.clock.full(c.createdAt) : ""; // the label says the date already
      meta.textContent = [c.agent || "", when, current ? t("currentConversation") : ""].filter(Boolean).join(" · ");
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
