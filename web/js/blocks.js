// Structured answers: a message frame's optional `blocks` list (docs/blocks.md) -> DOM nodes.
//
// Every value from the server becomes text (textContent, createTextNode) or a whitelisted class /
// data-* value chosen here; nothing is ever parsed as HTML (the CSP's Trusted Types would make an
// innerHTML assignment throw anyway). A block of an unknown kind, or one without the fields it
// needs, is skipped: the message's text still says everything.
//
// Row buttons ("Ver log", "Por que falhou?", "Reexecutar", prompt replies) send the equivalent
// text, so an action still goes through the one propose-and-confirm path.

const CATEGORIES = ["failed", "running", "waiting", "ready", "success", "cancelled"];
const MAX_ROWS = 500;
const MAX_LOG_LINES = 5000;

/** A string for display: strings as they are, finite numbers as digits, anything else "". */
function str(value) {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return "";
}

function category(value) {
  return CATEGORIES.includes(value) ? value : "other";
}

function rows(value) {
  return Array.isArray(value) ? value.filter((v) => v && typeof v === "object").slice(0, MAX_ROWS) : [];
}

export class BlockRenderer {
  /**
   * @param {Document} doc
   * @param {(key: string, vars?: object) => string} t  the page's translator (its language)
   * @param {import("./clock.js").Clock} clock  times in the server's zone
   * @param {(text: string) => void} send  what a row button does with its text
   */
  constructor(doc, t, clock, send) {
    this.doc = doc;
    this.t = t;
    this.clock = clock;
    this.send = send;
  }

  el(tag, className, text) {
    const node = this.doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A fragment with every block that could be drawn, and how many there were. */
  render(blocks) {
    const fragment = this.doc.createDocumentFragment();
    let count = 0;
    for (const block of Array.isArray(blocks) ? blocks : []) {
      if (!block || typeof block !== "object") continue;
      const draw = KINDS[block.kind];
      const body = draw ? draw.call(this, block) : null;
      if (!body) continue;
      const section = this.el("section", `block block-${block.kind}`);
      section.dataset.kind = block.kind;
      const title = str(block.title);
      if (title) section.appendChild(this.el("p", "block-title", title));
      section.appendChild(body);
      fragment.appendChild(section);
      count += 1;
    }
    return { fragment, count };
  }

  // -- pieces
  statusBadge(status, cat) {
    const badge = this.el("span", "status-badge", str(status) || "?");
    badge.dataset.category = category(cat);
    badge.title = this.t(`category.${category(cat)}`);
    return badge;
  }

  time(value) {
    return value ? this.clock.element(this.doc, value) : this.doc.createTextNode("—");
  }

  button(label, text, kind) {
    const button = this.el("button", "secondary row-action", label);
    button.type = "button";
    button.dataset.action = kind;
    button.dataset.value = text;
    button.addEventListener("click", () => this.send(text));
    return button;
  }

  /** "Ver log", "Por que falhou?", "Reexecutar" for one job instance, as the row allows. */
  jobActions(job) {
    const id = str(job.id);
    const group = this.el("div", "row-actions");
    if (!id) return group;
    const stream = str(job.stream);
    const allowed = Array.isArray(job.actions) ? job.actions : defaultActions(category(job.category));
    for (const action of ["log", "why", "rerun"]) {
      if (!allowed.includes(action)) continue;
      const text = this.t(stream ? `send.${action}.inStream` : `send.${action}`, { id, stream });
      group.appendChild(this.button(this.t(`action.${action}`), text, action));
    }
    return group;
  }

  table(headers, items, cells) {
    const scroll = this.el("div", "block-scroll");
    scroll.tabIndex = 0; // a wide table scrolls sideways inside its box: reachable by keyboard
    const table = this.el("table", "block-table");
    const head = this.el("tr");
    for (const key of headers) {
      const th = this.el("th", "", this.t(key));
      th.scope = "col";
      head.appendChild(th);
    }
    table.appendChild(this.el("thead")).appendChild(head);
    const tbody = table.appendChild(this.el("tbody"));
    for (const item of items) {
      const tr = tbody.appendChild(this.el("tr"));
      for (const cell of cells(item)) {
        const td = tr.appendChild(this.el("td"));
        td.append(cell);
      }
    }
    scroll.appendChild(table);
    return scroll;
  }

  /** "DATA_PIPELINE (01/12 22:50)": the job stream instance (its scheduled time, in the zone). */
  instance(job) {
    const stream = str(job.stream);
    const at = str(job.streamTime);
    return stream && at ? `${stream} (${this.clock.short(at)})` : stream;
  }

  jobName(job) {
    const cell = this.el("span", "job-name");
    cell.appendChild(this.el("strong", "", str(job.id) || "?"));
    const name = str(job.name);
    if (name && name !== str(job.id)) cell.appendChild(this.el("span", "sub", name));
    return cell;
  }

  fields(pairs) {
    const dl = this.el("dl", "block-fields");
    for (const [key, value] of pairs) {
      if (value === "" || value === null || value === undefined) continue;
      dl.appendChild(this.el("dt", "", this.t(key)));
      const dd = dl.appendChild(this.el("dd"));
      dd.append(value);
    }
    return dl;
  }
}

function defaultActions(cat) {
  // As the domain's rules allow: a job that has not started has no log and cannot be rerun;
  // one that is running cannot be rerun; only a failed one has a failure to explain.
  if (cat === "failed") return ["log", "why", "rerun"];
  if (cat === "success" || cat === "cancelled") return ["log", "rerun"];
  if (cat === "running") return ["log"];
  return [];
}

const KINDS = {
  jobs(block) {
    const items = rows(block.items);
    if (!items.length) return null;
    const headers = ["col.job", "col.status", "col.stream", "col.workstation", "col.rc", "col.start", "col.end", "col.actions"];
    return this.table(headers, items, (job) => [
      this.jobName(job),
      this.statusBadge(job.status, job.category),
      this.instance(job) || "—",
      str(job.workstation) || "—",
      str(job.returnCode) || "—",
      this.time(job.start),
      this.time(job.end),
      this.jobActions(job),
    ]);
  },

  job(block) {
    const job = block.item && typeof block.item === "object" ? block.item : null;
    if (!job) return null;
    const box = this.el("div", "block-job");
    box.appendChild(this.jobName(job));
    box.appendChild(this.statusBadge(job.status, job.category));
    box.appendChild(
      this.fields([
        ["col.stream", this.instance(job)],
        ["col.workstation", str(job.workstation)],
        ["col.rc", str(job.returnCode)],
        ["col.start", job.start ? this.time(job.start) : ""],
        ["col.end", job.end ? this.time(job.end) : ""],
      ]),
    );
    box.appendChild(this.jobActions(job));
    return box;
  },

  log(block) {
    const lines = Array.isArray(block.lines) ? block.lines.slice(0, MAX_LOG_LINES).map(str) : [];
    if (!lines.length) return null;
    const errors = new Set((Array.isArray(block.errorLines) ? block.errorLines : []).filter(Number.isInteger));
    const pre = this.el("pre", "log block-log");
    pre.tabIndex = 0; // the log scrolls in its own box, both ways
    const code = pre.appendChild(this.el("code"));
    lines.forEach((line, index) => {
      if (errors.has(index + 1)) {
        const mark = code.appendChild(this.el("mark", "error-line", line));
        mark.dataset.line = String(index + 1);
      } else {
        code.appendChild(this.doc.createTextNode(line));
      }
      if (index < lines.length - 1) code.appendChild(this.doc.createTextNode("\n"));
    });
    if (errors.size) pre.dataset.errorLine = String(Math.min(...errors));
    const box = this.el("div");
    const job = block.job && typeof block.job === "object" ? block.job : null;
    if (job) {
      const head = box.appendChild(this.el("p", "block-head"));
      head.append(this.jobName(job), " ", this.statusBadge(job.status, job.category), ` ${this.instance(job)}`);
    }
    box.appendChild(pre);
    if (block.truncated === true) box.appendChild(this.el("p", "hint", this.t("logTruncated")));
    return box;
  },

  workstations(block) {
    const items = rows(block.items);
    if (!items.length) return null;
    return this.table(["col.workstation", "col.status", "col.link"], items, (ws) => {
      const state = ws.linked === true ? "linked" : ws.linked === false ? "unlinked" : "unknown";
      const link = this.el("span", "link-badge", this.t(`link.${state}`));
      link.dataset.link = state;
      const status = this.el("span", "", str(ws.status) || "—");
      return [this.el("strong", "", str(ws.name) || "?"), status, link];
    });
  },

  streams(block) {
    const items = rows(block.items);
    if (!items.length) return null;
    return this.table(["col.stream", "col.status", "col.workstation", "col.start"], items, (s) => [
      this.el("strong", "", this.instance({ stream: str(s.name), streamTime: s.streamTime }) || "?"),
      this.statusBadge(s.status, s.category),
      str(s.workstation) || "—",
      this.time(s.start),
    ]);
  },

  dependencies(block) {
    const items = rows(block.items);
    if (!items.length) return null;
    const list = this.el("ul", "dependency-list");
    for (const dep of items) {
      const li = list.appendChild(this.el("li"));
      const state = dep.satisfied === true ? "yes" : dep.satisfied === false ? "no" : "unknown";
      const badge = li.appendChild(this.el("span", "dep-badge", this.t(`dep.${state}`)));
      badge.dataset.satisfied = state;
      const kind = ["job", "stream", "resource", "prompt", "file", "time"].includes(dep.kind) ? dep.kind : "other";
      li.append(` ${this.t(`depKind.${kind}`)} `, this.el("strong", "", str(dep.name) || (dep.at ? "" : "?")));
      if (dep.at) li.append(" ", this.time(dep.at));
      const details = [this.instance(dep), str(dep.workstation), str(dep.status), str(dep.text)].filter(Boolean);
      if (Number.isInteger(dep.quantity)) details.push(this.t("depUnits", { n: dep.quantity, free: str(dep.available) || "?" }));
      if (details.length) li.appendChild(this.el("span", "sub", details.join(" · ")));
    }
    return list;
  },

  prompts(block) {
    const items = rows(block.items);
    if (!items.length) return null;
    const list = this.el("ul", "prompt-list");
    for (const prompt of items) {
      const id = str(prompt.id);
      const li = list.appendChild(this.el("li"));
      li.append(this.el("strong", "", id || "?"), " ", this.el("span", "prompt-status", str(prompt.status)));
      li.appendChild(this.el("span", "sub", str(prompt.text)));
      if (!id || str(prompt.status).toUpperCase() !== "ASKED") continue;
      const group = li.appendChild(this.el("div", "row-actions"));
      for (const answer of ["yes", "no"]) {
        group.appendChild(this.button(this.t(`reply.${answer}`), this.t(`send.reply.${answer}`, { id }), `reply_${answer}`));
      }
    }
    return list;
  },

  summary(block) {
    const counts = block.counts && typeof block.counts === "object" ? block.counts : null;
    if (!counts) return null;
    const chips = this.el("ul", "summary-chips");
    for (const cat of [...CATEGORIES, "other"]) {
      const n = counts[cat];
      if (!Number.isInteger(n)) continue;
      const chip = chips.appendChild(this.el("li", "chip"));
      chip.dataset.category = cat;
      chip.append(this.el("strong", "", String(n)), ` ${this.t(`category.${cat}`)}`);
    }
    if (Number.isInteger(block.late)) {
      const chip = chips.appendChild(this.el("li", "chip"));
      chip.dataset.category = "late";
      chip.append(this.el("strong", "", String(block.late)), ` ${this.t("category.late")}`);
    }
    if (!chips.childElementCount) return null;
    const box = this.el("div");
    box.appendChild(chips);
    const period = str(block.period);
    if (period) box.appendChild(this.el("p", "hint", period));
    return box;
  },

  confirmation(block) {
    const target = block.target && typeof block.target === "object" ? block.target : null;
    const action = str(block.actionLabel) || str(block.action);
    if (!target || !action) return null;
    const label = [str(target.id), str(target.name) && str(target.name) !== str(target.id) ? `(${str(target.name)})` : ""];
    const box = this.el("div", "block-confirmation");
    box.appendChild(
      this.fields([
        ["field.action", action],
        ["field.target", label.filter(Boolean).join(" ")],
        ["col.stream", this.instance(target)],
        ["col.workstation", str(target.workstation)],
        ["col.status", target.status ? this.statusBadge(target.status, target.category) : ""],
        ["field.reason", str(block.reason)],
        ["field.expires", block.expiresAt ? this.time(block.expiresAt) : ""],
      ]),
    );
    // Its Confirmar / Cancelar buttons are the view's (stale once answered): the frame's
    // quickReplies, else these words, else the page language's yes / no.
    const words = Array.isArray(block.replies) && block.replies.length === 2 ? block.replies.map(str) : [];
    box.dataset.replies = JSON.stringify(words.every(Boolean) && words.length ? words : [this.t("send.yes"), this.t("send.no")]);
    return box;
  },
};

/** Scroll each job log in `root` to its first error line (after the log is in the document). */
export function revealErrorLines(root) {
  for (const pre of root.querySelectorAll("pre[data-error-line]")) {
    const mark = pre.querySelector("mark.error-line");
    if (!mark) continue;
    pre.scrollTop = Math.max(0, mark.offsetTop - pre.clientHeight / 3);
  }
}
