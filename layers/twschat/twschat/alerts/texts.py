"""The alerts' wording (pt/en) and the next steps offered with them."""

from __future__ import annotations

from .model import Change

__all__ = ["alert_text", "next_steps"]

_TEXT = {
    "pt": {
        "job": "Aviso: o job {name} ({label}{where}) mudou de {previous} para {current}{rc}.",
        "team": "ABEND no plano: o job {name} ({label}{where}) está em {current}{rc}.",
        "stream": "Aviso: o job stream {name} mudou de {previous} para {current}.",
        "workstation": "Aviso: a workstation {name} mudou de {previous} para {current}.",
        "team_ws": "Workstation fora do ar: {name} mudou de {previous} para {current}.",
        "error_line": "\nLinha de erro do log: {line}",
        "rc": ", rc {rc}",
        "in": ", stream {stream} em {workstation}",
    },
    "en": {
        "job": "Alert: job {name} ({label}{where}) went from {previous} to {current}{rc}.",
        "team": "ABEND in the plan: job {name} ({label}{where}) is {current}{rc}.",
        "stream": "Alert: job stream {name} went from {previous} to {current}.",
        "workstation": "Alert: workstation {name} went from {previous} to {current}.",
        "team_ws": "Workstation down: {name} went from {previous} to {current}.",
        "error_line": "\nError line from the log: {line}",
        "rc": ", rc {rc}",
        "in": ", stream {stream} on {workstation}",
    },
}
_STEPS = {
    "pt": ("ver o log do {name}", "reroda o {name}", "por que o {name} falhou?"),
    "en": ("show the log of {name}", "rerun {name}", "why did {name} fail?"),
}


def alert_text(change: Change, lang: str, *, team: bool = False, error_line: str = "") -> str:
    words = _TEXT.get(lang, _TEXT["pt"])
    c = change.current
    previous = change.previous or "?"
    if c.kind == "workstation":
        return words["team_ws" if team else "workstation"].format(
            name=c.name, previous=previous, current=c.state
        )
    if c.kind == "stream":
        return words["stream"].format(name=c.name, previous=previous, current=c.state)
    rc = c.detail.get("returnCode")
    where = words["in"].format(stream=c.stream, workstation=c.workstation) if c.stream else ""
    text = words["team" if team else "job"].format(
        name=c.name,
        label=str(c.detail.get("name") or c.name),
        where=where,
        previous=previous,
        current=c.state,
        rc=words["rc"].format(rc=rc) if rc is not None else "",
    )
    return text + (words["error_line"].format(line=error_line) if error_line else "")


def next_steps(change: Change, lang: str) -> tuple[str, ...]:
    """Quick replies: what an operator asks next about a failed job (each goes through the rules)."""
    c = change.current
    if c.kind != "job":
        return ()
    log, rerun, why = (s.format(name=c.name) for s in _STEPS.get(lang, _STEPS["pt"]))
    return (log, why, rerun) if c.state in ("ABEND", "FAIL", "ABENP") else (log,)
