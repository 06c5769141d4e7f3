from __future__ import annotations

import pytest

from twschat.assistant.nlu.text import best_match, edit_distance, fuzzy_equal, max_typos
from twschat.core.language import detect_language, fold, tokenize, words


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Qual job está em ABEND?", "qual job esta em abend"),
        ("São  as workstations disponíveis!!!", "sao as workstations disponiveis"),
        ("ação, não, você", "acao nao voce"),
        ("TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002", "tws_agent2 0aaaaaaaaaaaaab2 job002"),
        ("what's failing?", "whats failing"),
        ("tws-agent2#DATA_PIPELINE.JOB002", "tws agent2 data_pipeline job002"),
        ("   ", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_tokenize() -> None:
    assert tokenize("E o LOG dele?") == ["e", "o", "log", "dele"]
    assert tokenize("") == []
    assert tokenize("¿¡!") == []


def test_edit_distance_counts_transpositions_as_one() -> None:
    assert edit_distance("abned", "abend") == 1
    assert edit_distance("rodnado", "rodando") == 1
    assert edit_distance("workstatons", "workstations") == 1
    assert edit_distance("kitten", "sitting", limit=5) == 3
    assert edit_distance("abc", "abc") == 0


def test_edit_distance_is_capped() -> None:
    assert edit_distance("abcdefgh", "zyxwvuts", limit=2) == 3
    assert edit_distance("a", "abcdef", limit=1) == 2


def test_max_typos_grows_with_length() -> None:
    assert [max_typos(w) for w in ("sj", "log", "hold", "rodando", "workstations")] == [0, 0, 1, 1, 2]


def test_fuzzy_equal_keeps_digits_exact() -> None:
    assert fuzzy_equal("tws_agnet2", "tws_agent2")
    assert not fuzzy_equal("tws_agent1", "tws_agent2")
    assert fuzzy_equal("jbo002", "job002")
    assert not fuzzy_equal("lgo", "log")  # too short to guess


def test_best_match_unique_or_none() -> None:
    cands = ("rodando", "rodado", "abend", "workstations")
    assert best_match("rodnado", cands) == "rodando"  # same length wins the tie
    assert best_match("wrokstations", cands) == "workstations"
    assert best_match("banana", cands) is None
    assert best_match("abxnd", ("abend", "abund")) is None  # a real tie
    assert best_match("abend", ["abend"]) == "abend"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("qual job está em abend?", "pt"),
        ("quais sao as workstations disponiveis", "pt"),
        ("which jobs are failing?", "en"),
        ("show me the log please", "en"),
        ("JOB002", "pt"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_default_when_undecided() -> None:
    assert detect_language("JOB002", default="en") == "en"
    assert detect_language(["which", "jobs"]) == "en"


def test_words() -> None:
    assert words(" a  b\nc ") == frozenset({"a", "b", "c"})
