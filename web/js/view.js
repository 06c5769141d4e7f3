// The message log: one <li> per message, keyed by messageId so repeats and parts land in place.
// Every message carries its time (in the server's zone, clock.js); a reply's structured `blocks`
// (blocks.js) are drawn in place of its text, which stays one click away ("Ver como texto").

import { BlockRenderer, revealErrorLines } from "./blocks.js";
import { quickReplyButtons, renderText } from "./render.js";

const ANNOUNCE_MAX = 400; // a long job log is for reading, not for a screen reader to recite

export function shorten(text) {
  return text.length > ANNOUNCE_MAX ? `${text.slice(0, ANNOUNCE_MAX)}…` : text;
}

/** The welcome without the raw conversation id ("Continuando a conversa c-…." -> "Continuando a conversa."). */
export function withoutId(text, conversationId) {
  if (!conversationId) return text;
  return text
    .split(conversationId)
    .join("")
    .replace(/\(\s*\)/g, "")
    .replace(/[ \t]+([.,;:!?])/g, "$1")
    .replace(/[ \t]{2,}/g, " ");
}

export class ChatView {
  /**
   * @param {(key: string, vars?: object) => string} t  the page's translator
   * @param {import("./clock.js").Clock} clock  message times, in the server's zone
   */
  constructor(t, clock) {
    this.t = t;
    this.clock = clock;
    this.log = document.getElementById("log");
    this.indicator = document.getElementById("indicator");
    this.entries = new Map(); // messageId -> {li, body, deltas: Map, parts: Map, partsTotal, final}
    this.progress = new Map(); // messageId -> indicator text
    this.pending = 0; // messages sent and not answered yet
    this.welcome = "";
    this.onQuickReply = () => {};
    this.onFirstQuestion = () => {};
    this.welcomeAt = undefined;
    this.blocks = new BlockRenderer(document, t, clock, (text) => this.onQuickReply(text));
  }

  clear() {
    this.log.replaceChildren();
    this.entries.clear();
    this.progress.clear();
    this.pending = 0;
    this.updateIndicator();
  }

  /** A message's <li>: who, when (`at`: epoch ms or ISO 8601; now when absent), and its body. */
  item(kind, sender, at) {
    const li = document.createElement("li");
    li.className = `msg ${kind}`;
    const label = document.createElement("span");
    label.className = "sender";
    label.append(sender, " · ", this.clock.element(document, at ?? this.clock.now()));
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

  addUser(text, at) {
    const { body } = this.item("user", this.t("you"), at);
    body.textContent = text; // pre-wrap in CSS: exactly what was typed, as text
  }

  addNotice(text) {
    const { body } = this.item("notice", this.t("notice"));
    body.textContent = text;
    this.announce(text);
  }

  addError(text, code) {
    const { li, body } = this.item("error", this.t("error"));
    body.textContent = text;
    if (code) li.dataset.code = code;
    this.alert(this.t("announceError", { text }));
  }

  addAgent(text, messageId, { at, blocks } = {}) {
    const { li, body } = this.item("agent", this.t("agent"), at);
    this.fill(body, text, blocks);
    if (messageId) {
      li.dataset.messageId = messageId;
      this.entries.set(messageId, { li, body, deltas: new Map(), parts: new Map(), partsTotal: 0, final: true });
    }
    return li;
  }

  /** A reply's blocks in place of its text (kept, folded, under "Ver como texto"), or its text. */
  fill(body, text, blocks) {
    const { fragment, count } = this.blocks.render(blocks);
    if (!count) {
      body.replaceChildren(renderText(document, text));
      return;
    }
    body.replaceChildren(fragment);
    if (!text.trim()) return;
    const details = document.createElement("details");
    details.className = "as-text";
    const summary = document.createElement("summary");
    summary.textContent = this.t("showAsText");
    details.append(summary, renderText(document, text));
    body.appendChild(details);
  }

  /** The welcome (one per connection), after the history it greets. */
  addWelcome() {
    this.log.querySelector("li.welcome")?.remove();
    this.addAgent(this.welcome, "", { at: this.welcomeAt }).classList.add("welcome");
  }

  entry(messageId) {
    let entry = this.entries.get(messageId);
    if (!entry) {
      const { li, body } = this.item("agent", this.t("agent"));
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
    const text = frame.stage === "tool" ? (tool ? this.t("tool", { tool }) : this.t("toolUnnamed")) : this.t("thinking");
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
      if (Array.isArray(frame.blocks)) entry.blocks = frame.blocks; // blocks may ride on any part
      entry.parts.set(part, text);
      entry.partsTotal = parts;
      if (entry.parts.size < parts) {
        let prefix = "";
        for (let i = 1; entry.parts.has(i); i += 1) prefix += entry.parts.get(i);
        this.showStreaming(entry, prefix || "…");
        this.progress.set(id, this.t("receivingParts", { part: entry.parts.size, parts }));
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
    this.fill(entry.body, text, Array.isArray(frame.blocks) ? frame.blocks : entry.blocks);
    this.progress.delete(id);
    if (!wasFinal) {
      if (frame.inReplyTo) this.pending = Math.max(0, this.pending - 1);
      this.announce(this.t("announceAgent", { text: shorten(text) }));
    }
    this.showQuickReplies(entry.li, frame.quickReplies);
    revealErrorLines(entry.li);
    this.updateIndicator();
    this.scroll();
  }

  /** Buttons for the newest reply only: older suggestions are stale once the conversation moves on. */
  showQuickReplies(li, replies) {
    // A confirmation block holds its own Confirmar / Cancelar: the server's words, else the block's.
    const confirmation = li.querySelector(".block-confirmation");
    const values = Array.isArray(replies) && replies.length ? replies : confirmationReplies(confirmation);
    const buttons = quickReplyButtons(values, this.t);
    this.dropQuickReplies();
    if (!buttons.length) return;
    const group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", this.t("quickReplies"));
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
    (confirmation || li).appendChild(group);
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
    let first = null;
    for (const m of Array.isArray(frame.messages) ? frame.messages : []) {
      if (!m || typeof m.message !== "string") continue;
      if (m.role === "user") {
        this.addUser(m.message, m.createdAt);
        if (first === null) first = m.message;
        newest = null;
      } else {
        const id = typeof m.messageId === "string" ? m.messageId : "";
        newest = { li: this.addAgent(m.message, id, { at: m.createdAt, blocks: m.blocks }), m };
      }
    }
    // The whole conversation (no older page): its first question names it in the sidebar.
    if (first !== null && !frame.nextBefore) this.onFirstQuestion(first);
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
    revealErrorLines(this.log);
    this.scroll();
  }

  updateIndicator() {
    const shown = [...this.progress.values()].pop() || (this.pending > 0 ? this.t("waiting") : "");
    if (this.indicator.textContent !== shown) this.indicator.textContent = shown;
  }

  announce(text) {
    document.getElementById("announcer").textContent = text;
  }

  alert(text) {
    document.getElementById("alerter").textContent = text;
  }
}

function confirmationReplies(block) {
  if (!block) return [];
  try {
    const replies = JSON.parse(block.dataset.replies || "[]");
    return Array.isArray(replies) ? replies : [];
  } catch {
    return [];
  }
}
