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
