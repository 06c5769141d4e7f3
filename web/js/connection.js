// One chat connection that survives: reconnects with exponential backoff (and jitter), resumes the
// same conversationId (kept in localStorage per user, sent as ?conversationId=), and knows the
// server's closing frame (idle: wait for the operator to come back; max_duration: reconnect now).
//
// A failed attempt is not a refusal. A browser sees neither the handshake's status (403/400) nor
// why it failed, so after each failed attempt the page asks its own origin for config.json (the
// CSP allows 'self' only, and a wss: source does not cover https: in Chromium). With `twschat
// serve` that origin IS the chat server; behind CloudFront it tells a network outage from a
// refusal by API Gateway. No answer (stopped, restarting, offline) means the server is away: the
// conversation is kept, however long that lasts. An answer means the server is up and refused the
// handshake; only after REFUSALS_BEFORE_FRESH refusals in a row does the page offer a new
// conversation. (An API Gateway that is up but fails $connect with a 5xx looks like a refusal.)

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const REFUSALS_BEFORE_FRESH = 3;
const PROBE_TIMEOUT_MS = 5_000;

/** True when the page's own origin answered at all (any status): the network and its server are up. */
export async function serverAnswers(url = new URL("config.json", location.href).toString()) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
  try {
    await fetch(url, { mode: "same-origin", credentials: "omit", cache: "no-store", signal: abort.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export class ChatConnection {
  /**
   * @param {object} options
   *   url: the chat's WebSocket URL (config.websocketUrl); agent: the default agent (optional)
   *   getToken: async () => token ("" without auth, null when a sign-in is needed)
   *   storageKey: where this user's current conversation is remembered
   *   onFrame(frame), onState(state, detail): callbacks
   */
  constructor({
    url,
    agent,
    getToken,
    storage = localStorage,
    storageKey,
    onFrame,
    onState,
    WebSocketImpl = WebSocket,
    answers = serverAnswers,
  }) {
    this.url = url;
    this.defaultAgent = agent || "";
    this.getToken = getToken;
    this.storage = storage;
    this.storageKey = storageKey;
    this.onFrame = onFrame;
    this.onState = onState;
    this.WebSocketImpl = WebSocketImpl;
    this.answers = answers;
    const saved = JSON.parse(storage.getItem(storageKey) || "null") || {};
    this.conversationId = typeof saved.conversationId === "string" ? saved.conversationId : "";
    this.agent = typeof saved.agent === "string" ? saved.agent : this.defaultAgent;
    this.ws = null;
    this.attempts = 0;
    this.refusals = 0;
    this.timer = 0;
    this.closingReason = "";
    this.waitingForActivity = false;
    this.stopped = true;
    this.generation = 0;
    this.freshAttempt = false;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === 1;
  }

  start() {
    this.stopped = false;
    this.connectNow();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.dropSocket();
  }

  /** The operator is back (typed, clicked, focused): reconnect if we were waiting for that. */
  wake() {
    if (this.stopped || !this.waitingForActivity) return;
    this.waitingForActivity = false;
    this.connectNow();
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    return true;
  }

  switchTo(conversationId, agent) {
    this.remember(conversationId, agent || this.defaultAgent);
    this.restart();
  }

  newConversation() {
    this.remember("", this.defaultAgent);
    this.restart();
  }

  restart() {
    clearTimeout(this.timer);
    this.dropSocket();
    this.attempts = 0;
    this.refusals = 0;
    this.waitingForActivity = false;
    if (!this.stopped) this.connectNow();
  }

  remember(conversationId, agent) {
    this.conversationId = conversationId || "";
    this.agent = agent || "";
    this.storage.setItem(this.storageKey, JSON.stringify({ conversationId: this.conversationId, agent: this.agent }));
  }

  dropSocket() {
    const ws = this.ws;
    this.ws = null;
    this.generation += 1; // events of the old socket are ignored from now on
    if (ws && ws.readyState <= 1) ws.close(1000, "");
  }

  async connectNow() {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.onState("connecting");
    const token = await this.getToken();
    if (generation !== this.generation || this.stopped) return;
    if (token === null) {
      this.onState("signin");
      return;
    }
    const url = new URL(this.url);
    if (this.agent) url.searchParams.set("agent", this.agent);
    // After repeated refusals of the remembered conversation by a server that is up (deleted, or
    // not this user's: 403), try once without it.
    this.freshAttempt = Boolean(this.conversationId) && this.refusals >= REFUSALS_BEFORE_FRESH;
    if (this.conversationId && !this.freshAttempt) url.searchParams.set("conversationId", this.conversationId);
    if (token) url.searchParams.set("token", token);
    let ws;
    try {
      ws = new this.WebSocketImpl(url.toString());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.closingReason = "";
    let opened = false;
    ws.onopen = () => {
      if (generation !== this.generation) return;
      opened = true;
    };
    ws.onmessage = (event) => {
      if (generation !== this.generation) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object" || Array.isArray(frame)) return;
      if (frame.type === "welcome") this.onWelcome(frame);
      if (frame.type === "closing") this.closingReason = String(frame.reason || "other");
      this.onFrame(frame);
    };
    ws.onclose = () => {
      if (generation !== this.generation) return;
      this.ws = null;
      if (this.stopped) return;
      if (!opened) {
        this.afterFailedAttempt(generation);
        return;
      }
      if (this.closingReason === "idle") {
        // Reconnecting at once would keep an unattended tab connected forever.
        this.waitingForActivity = true;
        this.onState("idle");
        return;
      }
      if (this.closingReason) {
        this.attempts = 0;
        this.timer = setTimeout(() => this.connectNow(), 200);
        this.onState("reconnecting", { delayMs: 200 });
        return;
      }
      this.scheduleReconnect();
    };
  }

  /** A handshake that failed: a refusal if the server is up, an outage otherwise; then back off. */
  async afterFailedAttempt(generation) {
    const fresh = this.freshAttempt;
    this.freshAttempt = false;
    // A failed fresh attempt means the server is down, not the conversation: keep it.
    if (fresh) this.refusals = 0;
    else if (this.conversationId) {
      const up = await this.answers();
      if (generation !== this.generation || this.stopped) return;
      this.refusals = up ? this.refusals + 1 : 0;
    }
    this.scheduleReconnect();
  }

  onWelcome(frame) {
    const lost = this.freshAttempt;
    this.freshAttempt = false;
    this.attempts = 0;
    this.refusals = 0;
    this.remember(String(frame.conversationId || ""), String(frame.agent || this.agent || ""));
    this.onState("open", { conversationLost: lost });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempts);
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempts += 1;
    this.onState("reconnecting", { delayMs });
    this.timer = setTimeout(() => this.connectNow(), delayMs);
  }
}
