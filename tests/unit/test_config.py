import pytest

from twschat.config import Settings


def test_defaults_match_the_readme():
    s = Settings.from_env({})
    assert (s.history_window, s.max_message_chars, s.default_agent, s.default_language) == (
        20,
        4000,
        "tws-general",
        "pt",
    )
    assert s.store_backend == "dynamodb"


def test_values_from_env():
    s = Settings.from_env({"HISTORY_WINDOW": "8", "STORE_BACKEND": "sqlite", "SQLITE_PATH": "/tmp/x.db"})
    assert (s.history_window, s.store_backend, s.sqlite_path) == (8, "sqlite", "/tmp/x.db")


@pytest.mark.parametrize(
    "env",
    [
        {"HISTORY_WINDOW": "abc"},
        {"HISTORY_WINDOW": "0"},
        {"STORE_BACKEND": "redis"},
        {"MAX_MESSAGE_CHARS": "-1"},
    ],
)
def test_bad_values_fail_loudly(env):
    with pytest.raises(ValueError):
        Settings.from_env(env)


def test_the_llm_window_must_hold_what_the_running_summary_has_not_folded_yet() -> None:
    base = {"RESPONDER": "bedrock", "LLM_SUMMARY_EVERY_TURNS": "6"}
    with pytest.raises(ValueError, match="HISTORY_WINDOW must be at least 20"):
        Settings.from_env({**base, "HISTORY_WINDOW": "12"})
    assert Settings.from_env({**base, "HISTORY_WINDOW": "20"}).history_window == 20
    assert (
        Settings.from_env({**base, "HISTORY_WINDOW": "12", "LLM_SUMMARY_EVERY_TURNS": "0"}).history_window
        == 12
    )
    assert Settings.from_env({"HISTORY_WINDOW": "12"}).history_window == 12  # the rules need no summary


def test_plan_start_of_day_is_a_setting_and_reaches_the_responder() -> None:
    from twschat.config import Settings
    from twschat.responders import build_responder

    assert Settings.from_env({}).plan_start_of_day == "00:00"
    settings = Settings.from_env({"PLAN_START_OF_DAY": "06:00"})
    assert settings.plan_start_of_day == "06:00"
    responder = build_responder(settings)
    assert responder.services.plan_start.hour == 6  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="PLAN_START_OF_DAY"):
        Settings.from_env({"PLAN_START_OF_DAY": "6h"})
