// Alert frames (issue 18): {"type":"alert", alertId, kind, message, target, previous, current, at,
// quickReplies}. Shown apart from replies (a marked entry, announced assertively), once per alertId
// (every connection of the user gets it; a reconnect's history may hold it too), and as a browser
// notification while the tab is hidden, when the operator allowed notifications.

const ALERT_WORDS = /\b(avis|notif|alert|let me know)/i;

/** Ask for notification permission when the operator asks for an alert (a user gesture). */
export function maybeAskPermission(text) {
  if (typeof Notification === "undefined" || Notification.permission !== "default") return;
  if (!ALERT_WORDS.test(String(text || ""))) return;
  try {
    Notification.requestPermission().catch(() => {});
  } catch {
    // an old browser without the promise form: no notifications, the page still shows alerts
  }
}

export class AlertShelf {
  constructor(view, t) {
    this.view = view;
    this.t = t;
    this.seen = new Set();
  }

  show(frame) {
    const id = typeof frame.alertId === "string" ? frame.alertId : "";
    if (id && (this.seen.has(id) || this.view.log.querySelector(`li[data-alert-id="${CSS.escape(id)}"]`))) return;
    if (id) this.seen.add(id);
    const text = typeof frame.message === "string" ? frame.message : "";
    const { li, body } = this.view.item("alert", this.t("alertSender"), frame.at);
    if (id) li.dataset.alertId = id;
    li.dataset.kind = String(frame.kind || "");
    li.setAttribute("role", "status");
    this.view.fill(body, text, Array.isArray(frame.blocks) ? frame.blocks : []);
    this.view.showQuickReplies(li, frame.quickReplies);
    this.view.alert(this.t("announceAlert", { text }));
    this.view.scroll();
    this.notify(text, id);
  }

  notify(text, tag) {
    if (typeof Notification === "undefined" || Notification.permission !== "granted" || !document.hidden) return;
    try {
      const note = new Notification(this.t("alertSender"), { body: text, tag: tag || undefined });
      note.onclick = () => window.focus();
    } catch {
      // a browser that only notifies from a service worker: the entry in the page is the alert
    }
  }
}
