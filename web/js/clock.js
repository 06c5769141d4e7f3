// Times on the page, all in ONE zone: the server's (the welcome frame's timeZone, the zone its
// replies write times in), so a message's time, a job's start and the sidebar's dates agree.
// Until the welcome says, or when the zone is unknown to this browser, the browser's own zone.

function validZone(zone) {
  if (typeof zone !== "string" || !zone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** A Date from epoch ms or an ISO 8601 string; null when it is neither. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = new Date(typeof value === "number" ? value : String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

export class Clock {
  constructor(lang, now = () => Date.now()) {
    this.locale = lang === "en" ? "en-GB" : "pt-BR";
    this.now = now;
    this.zone = undefined;
  }

  setZone(zone) {
    this.zone = validZone(zone);
  }

  format(date, options) {
    return new Intl.DateTimeFormat(this.locale, { ...options, timeZone: this.zone }).format(date);
  }

  day(date) {
    return this.format(date, { year: "numeric", month: "2-digit", day: "2-digit" });
  }

  /** "14:05" today, "01/12 14:05" another day: what a message's or a job's time needs. */
  short(value) {
    const date = toDate(value);
    if (!date) return typeof value === "string" ? value : "";
    const time = this.format(date, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    if (this.day(date) === this.day(new Date(this.now()))) return time;
    return `${this.format(date, { day: "2-digit", month: "2-digit" })} ${time}`;
  }

  /** "02/12/2026 14:05": the sidebar's dates. */
  full(value) {
    const date = toDate(value);
    if (!date) return typeof value === "string" ? value : "";
    return `${this.day(date)} ${this.format(date, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}`;
  }

  /** A <time> element: machine-readable instant, text in the zone. */
  element(doc, value, text) {
    const node = doc.createElement("time");
    const date = toDate(value);
    if (date) node.dateTime = date.toISOString();
    node.textContent = text ?? this.short(value);
    return node;
  }
}
