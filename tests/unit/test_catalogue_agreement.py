"""Every catalogue message rendered with 0, 1 and 2 items in both languages agrees in number and gender
(issue 17: "1 job cancelados", "Nenhum job concluídos", "Resposta SIM ... enviado", "Já respondidos: 2
(YES)", "Which one? ... Which one?")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from twschat.assistant.answer import msg
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.messages import CATALOGS, render
from twschat.assistant.responder import RuleResponder
from twschat.core.audit import InMemoryAuditSink

from .test_rules import NOW, converse

COUNTS = ("n", "count", "total")
"""Parameters that count the items a message is about."""
STATES = sorted(code.split(".", 1)[1] for code in CATALOGS["pt"] if code.startswith("state."))
ACTIONS = sorted({code.split(".")[1] for code in CATALOGS["pt"] if code.startswith("action.")})

NOUNS = {
    "pt": ("job", "prompt", "workstation", "stream", "instância", "dependência", "linha"),
    "en": ("job", "prompt", "workstation", "stream", "instance", "dependency", "line"),
}
PLURALS = {
    "pt": ("jobs", "prompts", "workstations", "streams", "instâncias", "dependências", "linhas"),
    "en": ("jobs", "prompts", "workstations", "streams", "instances", "dependencies", "lines"),
}


class Params(dict[str, Any]):
    """Whatever else a message asks for: a placeholder."""

    def __missing__(self, key: str) -> str:
        return "X"


def _params(code: str, items: int) -> dict[str, Any]:
    params: dict[str, Any] = {key: items for key in COUNTS}
    params["ids"] = ", ".join(f"{i + 1} (YES)" for i in range(items)) or "-"
    params["where"] = ""
    params["m"] = 60
    return params


def _rendered(code: str, items: int, lang: str) -> list[str]:
    """``code`` in ``lang`` with ``items`` items (each state label, each action title where it takes one)."""
    entry = CATALOGS[lang][code]
    base = _params(code, items)
    variants: list[dict[str, Any]] = [base]
    if "{label}" in str(entry) or code.startswith("jobs."):
        # "Nenhum job ..." is the answer for no job: its label counts none
        labelled = 0 if code == "jobs.none" else items
        variants = [{**base, "label": render(msg(f"state.{s}", n=labelled, m=60), lang)} for s in STATES]
    if "{title}" in str(entry):
        variants = [
            {
                **base,
                "title": render(msg(f"action.{a}.title"), lang),
                "sent": render(msg(f"action.{a}.sent"), lang),
            }
            for a in ACTIONS
        ]
    out = []
    for params in variants:
        values = Params(params)
        out.append(entry(values) if callable(entry) else entry.format_map(values))
    return out


def _disagreements(text: str, items: int, lang: str) -> list[str]:
    nouns, plurals = "|".join(NOUNS[lang]), "|".join(PLURALS[lang])
    bad = [
        rf"\b1 ({plurals})\b",
        rf"\b2 ({nouns})\b(?! stream)",
        r"\b(todas as|all) [01]\b",
    ]
    if lang == "pt":
        bad += [
            r"\b1 \w+ \w+(os|as)\b(?! \d)",  # "1 job cancelados", "1 job prontos"
            r"\bNenhum \w+ \w+(os|as)\b",  # "Nenhum job concluídos"
            r"\bNenhuma \w+ \w+(os|as)\b",
            r"\b(Resposta|Confirmação)\b[^.]* enviado\b",  # "Resposta SIM ... enviado"
            r"respondidos: [^,]*\.$" if items == 1 else r"^$",
            rf"\b({nouns}) no plano no\b",
        ]
    else:
        bad += [r"\bNo jobs\b.*\bin the plan in\b"]
    return [pattern for pattern in bad if re.search(pattern, text, re.MULTILINE)]


@pytest.mark.parametrize("lang", sorted(CATALOGS))
@pytest.mark.parametrize("items", [0, 1, 2])
def test_every_message_agrees_with_its_count(lang: str, items: int) -> None:
    wrong = {}
    for code in sorted(CATALOGS[lang]):
        if code in ("time", "duration"):
            continue
        for text in _rendered(code, items, lang):
            found = _disagreements(text, items, lang)
            if found:
                wrong[f"{code}: {text}"] = found
    assert wrong == {}


@pytest.mark.parametrize(
    ("code", "params", "lang", "text"),
    [
        (
            "jobs.none",
            {"label": msg("state.success", n=0), "where": ""},
            "pt",
            "Nenhum job concluído com sucesso.",
        ),
        ("jobs.count", {"n": 1, "label": msg("state.cancelled", n=1), "where": ""}, "pt", "1 job cancelado:"),
        (
            "jobs.count",
            {"n": 1, "label": msg("state.ready", n=1), "where": ""},
            "pt",
            "1 job pronto (READY):",
        ),
        ("prompts.answered", {"ids": "2 (YES)", "n": 1}, "pt", "Já respondido: 2 (YES)."),
        ("prompts.answered", {"ids": "2 (YES), 3 (NO)", "n": 2}, "pt", "Já respondidos: 2 (YES), 3 (NO)."),
    ],
)
def test_the_issue_examples(code: str, params: dict[str, Any], lang: str, text: str) -> None:
    assert render(msg(code, **params), lang) == text


def test_a_feminine_action_is_enviada() -> None:
    sent = msg(
        "confirm.sent_plain",
        title=msg("action.reply_yes.title"),
        sent=msg("action.reply_yes.sent"),
        label="3",
        status="YES",
    )
    assert render(sent, "pt").startswith("Resposta SIM ao prompt 3 enviada ao TWS")
    assert render(sent, "en").startswith("YES reply to prompt 3 sent to TWS")


@pytest.mark.parametrize(
    ("texts", "expected", "unexpected"),
    [
        (["jobs do stream BILLING"], "2 jobs no stream BILLING:", "no plano no"),
        (["jobs in stream BILLING"], "2 jobs in stream BILLING:", "in the plan in"),
        (["jobs cancelados"], "1 job cancelado:\n- Temp Cleanup (JOB010) — CANCELED", "CANCL"),
        (["quais jobs estão prontos?"], "1 job pronto (READY):", "prontos"),
        (["quais prompts estão esperando resposta?"], "Já respondido: 2 (YES).", "respondidos"),
        (["responde sim ao prompt 1", "sim"], "Resposta SIM ao prompt 1", "enviado"),
        (["reroda o JOB002 e o JOB004"], "Qual deles?", "Qual deles? Ex."),
        (["rerun JOB002 and JOB004"], "Which one?", "Which one? E.g."),
    ],
)
def test_answers_agree_in_number_and_gender(texts: list[str], expected: str, unexpected: str) -> None:
    bot = RuleResponder(DemoTwsClient(clock=lambda: NOW), audit=InMemoryAuditSink(), clock=lambda: NOW)
    reply = converse(bot, *texts)[-1]
    assert expected in reply.text and unexpected not in reply.text, reply.text
    assert reply.text.count("Qual deles?") + reply.text.count("Which one?") <= 1
