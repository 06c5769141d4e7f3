"""The demo plan's state persists in the data directory with the rest (issue 17): a restarted gateway
does not put JOB002 back in ABEND while the audit remembers its rerun; ``--reset-demo`` starts over."""

from __future__ import annotations

from pathlib import Path

from twschat.assistant.demo_state import PersistentDemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.config import Settings
from twschat.core.audit import InMemoryAuditSink
from twschat.responders import build_tws_client, demo_state_path

from .test_rules import NOW, converse


def _bot(path: Path) -> tuple[RuleResponder, PersistentDemoTwsClient]:
    tws = PersistentDemoTwsClient(path, clock=lambda: NOW)
    return RuleResponder(tws, audit=InMemoryAuditSink(), clock=lambda: NOW), tws


def _status(tws: PersistentDemoTwsClient, job_id: str) -> str:
    return next(j.status for j in tws.list_jobs() if j.job_id == job_id)


def test_the_demo_plan_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "demo-plan-small.json"
    bot, _ = _bot(path)
    converse(bot, "reroda o JOB002", "sim")
    converse(bot, "segura o stream BILLING", "sim")
    converse(bot, "linka a TWS_AGENT2", "sim")
    converse(bot, "responde não ao prompt 3", "sim")
    _, again = _bot(path)  # the gateway restarted
    assert _status(again, "JOB002") == "INTRO"
    assert next(s.status for s in again.list_job_streams() if s.name == "BILLING") == "HOLD"
    assert next(w.status for w in again.list_workstations() if w.name == "TWS_AGENT2") == "ONLINE"
    assert next(p.status for p in again.list_prompts() if p.id == "3") == "NO"
    job002 = next(j for j in again.list_jobs() if j.job_id == "JOB002")
    assert job002.start_time is None and again.instances()[0][0].start_time is not None


def test_a_missing_or_broken_file_starts_the_plan_over(tmp_path: Path) -> None:
    path = tmp_path / "demo-plan-small.json"
    path.write_text("{not json", encoding="utf-8")
    _, tws = _bot(path)
    assert _status(tws, "JOB002") == "ABEND"


def test_the_state_lives_beside_the_chat_database(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"STORE_BACKEND": "sqlite", "SQLITE_PATH": str(tmp_path / "twschat.db"), "TWS_MODE": "demo"}
    )
    assert demo_state_path(settings, "small") == tmp_path / "demo-plan-small.json"
    assert isinstance(build_tws_client(settings), PersistentDemoTwsClient)
    assert demo_state_path(Settings.from_env({"TWS_MODE": "demo"}), "small") is None  # DynamoDB: memory


def test_serve_reset_demo_starts_the_plan_over(tmp_path: Path) -> None:
    from twschat_dev.cli import build_parser
    from twschat_dev.gateway.cli import reset_demo

    parser = build_parser()
    assert parser.parse_args(["serve"]).reset_demo is False
    args = parser.parse_args(["serve", "--reset-demo", "--data-dir", str(tmp_path)])
    assert args.reset_demo is True
    bot, _ = _bot(tmp_path / "demo-plan-small.json")
    converse(bot, "reroda o JOB002", "sim")
    (tmp_path / "twschat.db").write_text("the conversations stay", encoding="utf-8")
    assert reset_demo(args) == ["demo-plan-small.json"]
    _, fresh = _bot(tmp_path / "demo-plan-small.json")
    assert _status(fresh, "JOB002") == "ABEND" and (tmp_path / "twschat.db").exists()
