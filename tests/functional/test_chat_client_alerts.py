"""The terminal client and alert frames (issue 18): printed as they come, between turns, and never
taken for the answer a turn waits for."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from twschat_dev.client.render import is_answer, render

ALERT = {
    "type": "alert",
    "alertId": "a-1",
    "kind": "job_state",
    "message": "Aviso: o job JOB014 (Stock Reconciliation) mudou de EXEC para ABEND, rc 1.",
    "target": {"kind": "job", "name": "JOB014"},
    "previous": "EXEC",
    "current": "ABEND",
    "at": "2026-12-02T13:05:00Z",
    "quickReplies": ["ver o log do JOB014", "reroda o JOB014"],
}


def test_an_alert_prints_with_its_time_in_the_servers_zone_and_its_next_steps() -> None:
    shown = render(ALERT, ZoneInfo("America/Sao_Paulo"))
    assert shown.splitlines()[0] == "[aviso 02/12 10:05] " + ALERT["message"]
    assert shown.splitlines()[1].strip() == "[próximos passos: ver o log do JOB014 | reroda o JOB014]"


def test_an_alert_is_not_the_answer_a_turn_waits_for() -> None:
    assert not is_answer(ALERT)
    assert is_answer({"type": "message", "message": "ok"})
