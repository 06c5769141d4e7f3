"""Issue 19: what the harness calls a hallucination, a fact, an unrequested proposal, on the shapes the
assistant really produces (the rules' answers, a model turn's stored calls), and ``--tws URL`` against
``twschat fake-tws`` over HTTP."""

from __future__ import annotations

from twschat_dev.eval.golden import load_golden_set, select
from twschat_dev.eval.grounding import hallucinations
from twschat_dev.eval.harness import evaluate
from twschat_dev.eval.runner import RunOptions
from twschat_dev.eval.scoring import has_fact
from twschat_dev.fake_tws import FakeTwsServer

PLAN = {
    "JOB002": "ABEND",
    "JOB001": "SUCC",
    "JOB006": "EXEC",
    "DATA_PIPELINE": "ABEND",
    "TWS_AGENT2": "OFFLINE",
}


def test_a_state_bound_to_the_wrong_job_is_a_hallucination() -> None:
    # the rules' listing line shape: "Name (JOBnnn) — STATE em WS, stream S, rc N"
    right = "- Data Processing (JOB002) — ABEND em TWS_AGENT2, stream DATA_PIPELINE, rc 12"
    wrong = "- Data Processing (JOB002) — SUCC em TWS_AGENT2, stream DATA_PIPELINE, rc 12"
    assert hallucinations(right, plan=[PLAN]) == []
    assert hallucinations(wrong, plan=[PLAN]) == ["JOB002=SUCC"]
    assert hallucinations("TWS_AGENT2 está ONLINE", plan=[PLAN]) == ["TWS_AGENT2=ONLINE"]


def test_negations_conditions_and_unbound_states_claim_nothing() -> None:
    for text in (
        "Daily Backup (JOB001) não está em HOLD (está SUCC): não há o que liberar.",
        "Data Processing (JOB002) está ABEND: só dá para colocar em HOLD um job que ainda não começou.",
        "Atenção: TWS_AGENT2 está OFFLINE; o job fica em INTRO até a workstation linkar.",
        "1 job em ABEND:",
    ):
        assert hallucinations(text, plan=[PLAN]) == [], text


def test_a_job_nobody_returned_is_a_hallucination_unless_the_operator_named_it() -> None:
    assert hallucinations("O JOB077 está em ABEND na TWS_AGENT9", plan=[PLAN]) == ["JOB077", "TWS_AGENT9"]
    said = ["status do JOB077"]
    assert hallucinations("Não encontrei JOB077 no plano.", plan=[PLAN], said=said) == []
    # The model is held to what its tools returned, not to the plan it never read.
    returned = ['{"job": "JOB002", "status": "ABEND"}']
    assert hallucinations(
        "JOB002 está ABEND; JOB006 também.", plan=[PLAN], sources=returned, model_wrote=True
    ) == ["JOB006"]


def test_quoted_log_lines_are_data_not_claims() -> None:
    log = (
        "= JOB       : TWS_AGENT2#DATA_PIPELINE[(0450 04/12/24),(0AAAAAAAAAAAAAB2)].JOB099\n"
        "2024-04-12 04:57:46 ERROR job JOB098 is SUCC\n"
    )
    assert hallucinations(log, plan=[PLAN]) == []


def test_facts_match_whole_words_ignoring_case_and_accents() -> None:
    assert has_fact("Data Processing (JOB002) — ABEND, rc 12", "rc 12")
    assert not has_fact("fim 12/01 22:58", "rc 12")
    assert has_fact("Não encontrei JOB099", "nao encontrei")
    assert has_fact("código 12", "rc 12|código 12")
    assert not has_fact("JOB0021", "JOB002")


def test_the_eval_runs_against_the_fake_tws_over_http_with_a_fresh_plan_per_dialogue() -> None:
    dialogues = select(load_golden_set(), ["actions", "en"]) + select(load_golden_set(), ["faults"])
    with FakeTwsServer(port=0) as server:
        skipped: list[str] = []
        remote = evaluate(dialogues, RunOptions(tws_url=server.url), progress=skipped.append)
    local = evaluate([d for d in dialogues if d.plan == "demo"], RunOptions())
    # the fault plans run in process only; every action dialogue ran on a fresh copy of the plan
    assert set(remote) == set(local) and len(remote) >= 10
    for ident, runs in remote.items():
        assert [t.correct for t in runs[0].turns] == [t.correct for t in local[ident][0].turns], ident
    # end states read back from the fake over REST: the actions reached it (and the plan was reset)
    assert sum(run.end_state for runs in remote.values() for run in runs) >= 9
    assert len(skipped) == sum(d.plan != "demo" for d in dialogues)


def test_the_eval_never_acts_on_a_real_master() -> None:
    from twschat_dev.cli import build_parser
    from twschat_dev.eval import run

    lines: list[str] = []
    args = build_parser().parse_args(["eval", "--tws", "https://tws.example.com/twsd", "--only", "act-pt-01"])
    assert run(args, out=lines.append) == 2
    assert "loopback" in lines[-1]
