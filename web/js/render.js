// Reply text -> DOM nodes, readable, and never interpreted as HTML.
//
// The server's text (a job log, an echoed message, an LLM's answer) may contain anything, including
// "<img src=x onerror=...>". Every piece of it goes into the page through createTextNode/textContent
// only; the only markup is the element types chosen here. (The CSP's Trusted Types would make an
// innerHTML assignment throw anyway.)
//
// Recognised, because the assistant writes them: "- " / "* " / "1. " list lines, **bold**, `code`,
// ``` fenced blocks ```, and job-log lines (TWS "= JOB : ..." headers, timestamped lines), shown
// together in monospace.

const LOG_LINE = /^(?:= |\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}|\d{2}:\d{2}:\d{2} |\t| {4})/;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,3})[.)]\s+(.*)$/;
const HEADING = /^#{1,6}\s+(.*)$/;
const FENCE = /^\s*```/;
const INLINE = /(\*\*[^*\n]+?\*\*|`[^`\n]+`)/;

function el(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  return node;
}

/** **bold** and `code` inside one line; everything else a text node. */
export function renderInline(doc, text, parent) {
  for (const piece of text.split(INLINE)) {
    if (!piece) continue;
    if (piece.length > 4 && piece.startsWith("**") && piece.endsWith("**")) {
      const strong = el(doc, "strong");
      strong.textContent = piece.slice(2, -2);
      parent.appendChild(strong);
    } else if (piece.length > 2 && piece.startsWith("`") && piece.endsWith("`")) {
      const code = el(doc, "code");
      code.textContent = piece.slice(1, -1);
      parent.appendChild(code);
    } else {
      parent.appendChild(doc.createTextNode(piece));
    }
  }
}

function preBlock(doc, lines, className) {
  const pre = el(doc, "pre", className);
  pre.tabIndex = 0; // a long log line scrolls sideways: reachable from the keyboard
  const code = el(doc, "code");
  code.textContent = lines.join("\n");
  pre.appendChild(code);
  return pre;
}

/** A DocumentFragment for a whole reply. */
export function renderText(doc, text) {
  const fragment = doc.createDocumentFragment();
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (FENCE.test(line)) {
      const block = [];
      i += 1;
      while (i < lines.length && !FENCE.test(lines[i])) block.push(lines[i++]);
      i += 1; // the closing fence (or the end)
      fragment.appendChild(preBlock(doc, block, "code-block"));
    } else if (LOG_LINE.test(line)) {
      const block = [];
      while (i < lines.length && LOG_LINE.test(lines[i])) block.push(lines[i++]);
      fragment.appendChild(preBlock(doc, block, "log"));
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const numbered = !BULLET.test(line);
      const pattern = numbered ? NUMBERED : BULLET;
      const list = el(doc, numbered ? "ol" : "ul");
      if (numbered) list.start = Number(line.match(NUMBERED)[1]);
      while (i < lines.length && pattern.test(lines[i])) {
        const match = lines[i].match(pattern);
        const item = el(doc, "li");
        renderInline(doc, numbered ? match[2] : match[1], item);
        list.appendChild(item);
        i += 1;
      }
      fragment.appendChild(list);
    } else if (!line.trim()) {
      i += 1;
    } else {
      // A paragraph: consecutive ordinary lines, kept as separate lines.
      const paragraph = el(doc, "p");
      let first = true;
      while (
        i < lines.length &&
        lines[i].trim() &&
        !FENCE.test(lines[i]) &&
        !LOG_LINE.test(lines[i]) &&
        !BULLET.test(lines[i]) &&
        !NUMBERED.test(lines[i])
      ) {
        if (!first) paragraph.appendChild(el(doc, "br"));
        const heading = lines[i].match(HEADING);
        if (heading) {
          const strong = el(doc, "strong");
          renderInline(doc, heading[1], strong);
          paragraph.appendChild(strong);
        } else {
          renderInline(doc, lines[i], paragraph);
        }
        first = false;
        i += 1;
      }
      fragment.appendChild(paragraph);
    }
  }
  return fragment;
}

const YES = new Set(["sim", "s", "yes", "y", "confirmar", "confirmo", "confirm", "ok"]);
const NO = new Set(["não", "nao", "n", "no", "cancelar", "cancel"]);

/**
 * Button labels for a message's quickReplies. A yes/no pair (["sim", "não"], ["yes", "no"]) is a
 * confirmation prompt: its buttons say Confirmar / Cancelar (Confirm / Cancel) and still send the
 * server's words. Anything else (follow-up suggestions) is labelled with its own text.
 */
export function quickReplyButtons(replies, t) {
  const values = (Array.isArray(replies) ? replies : []).filter(
    (r) => typeof r === "string" && r.trim() && r.length <= 200,
  );
  const norm = (s) => s.trim().toLowerCase().replace(/[.!]+$/, "");
  const isPair =
    values.length === 2 &&
    ((YES.has(norm(values[0])) && NO.has(norm(values[1]))) ||
      (NO.has(norm(values[0])) && YES.has(norm(values[1]))));
  return values.map((value) => {
    if (!isPair) return { value, label: value, kind: "suggestion" };
    const yes = YES.has(norm(value));
    return { value, label: t(yes ? "confirm" : "cancel"), kind: yes ? "confirm" : "cancel" };
  });
}
