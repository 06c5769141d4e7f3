"""Table-driven conversation suite (see conversation_cases.py), run against both TWS sources: the demo
plan in memory, and the same plan served over HTTP by the fake TWS REST server through the REST client."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

import pytest

from twschat.adapters.tws_rest import build_rest_client
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.responder import RuleResponder
from twschat.assistant.tws import TwsClient
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat_dev.fake_tws import FakeTwsServer

from .conversation_cases import (
    EN_CASES,
    LARGE_EN_CASES,
    LARGE_PT_CASES,
    LARGE_SCENARIOS,
    NOW,
    PT_CASES,
    SCENARIOS,
    Case,
    Scenario,
)

ALL_CASES = PT_CASES + EN_CASES


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


TwsSource = Callable[[Callable[[], datetime]], TwsClient]


@pytest.fixture(scope="module")
def fake_tws() -> Iterator[FakeTwsServer]:
    with FakeTwsServer() as server:
        yield server


@pytest.fixture(scope="module")
def fake_tws_v2() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(api="v2") as server:
        yield server


@pytest.fixture(scope="module")
def fake_tws_large() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(plan="large") as server:
        yield server


@pytest.fixture(scope="module")
def fake_tws_v2_large() -> Iterator[FakeTwsServer]:
    with FakeTwsServer(api="v2", plan="large") as server:
        yield server


@pytest.fixture(params=["demo", "rest", "rest-v2"])
def source(request: pytest.FixtureRequest) -> TwsSource:
    """How each test gets its TWS: the demo client, or the REST client (v1 or v2) against a freshly reset
    fake speaking that API version."""
    return _source(request, "small")


@pytest.fixture(params=["demo", "rest", "rest-v2"])
def large_source(request: pytest.FixtureRequest) -> TwsSource:
    """The same over the generated large plan (issue 16: names repeat, a stream has two instances)."""
    return _source(request, "large")


def _source(request: pytest.FixtureRequest, plan: str) -> TwsSource:
    if request.param == "demo":
        return lambda clock: DemoTwsClient(clock=clock, plan=plan)
    v2 = request.param == "rest-v2"
    suffix = "_large" if plan == "large" else ""
    server: FakeTwsServer = request.getfixturevalue(("fake_tws_v2" if v2 else "fake_tws") + suffix)

    def rest(clock: Callable[[], datetime]) -> TwsClient:
        server.reset(clock=clock)
        return build_rest_client(server.url, api_version="v2" if v2 else "v1")

    return rest


def _responder(
    clock: Callable[[], datetime], source: TwsSource | None = None
) -> tuple[RuleResponder, TwsClient, InMemoryAuditSink]:
    tws = (source or (lambda c: DemoTwsClient(clock=c)))(clock)
    audit = InMemoryAuditSink()
    return RuleResponder(tws, audit=audit, clock=clock), tws, audit


def _ask(responder: RuleResponder, text: str, history: Sequence[Turn] = (), roles=("operator",)) -> Reply:
    principal = Principal(user_id="u-1", username="maria", roles=tuple(roles))
    return responder.respond(
        ResponderRequest(
            agent="tws",
            message=text,
            history=tuple(history),
            principal=principal,
            connection_id="conn-1",
            conversation_id="conv-1",
        )
    )


def _problems(case: Case, reply: Reply) -> list[str]:
    problems = []
    if reply.intent != case.intent:
        problems.append(f"intent {reply.intent!r} != {case.intent!r}")
    if reply.language != case.lang:
        problems.append(f"language {reply.language!r} != {case.lang!r}")
    problems += [f"missing {s!r}" for s in case.expect if s not in reply.text]
    problems += [f"unexpected {s!r}" for s in case.absent if s in reply.text]
    return problems


def evaluate(cases: Sequence[Case]) -> tuple[float, dict[str, tuple[int, int]], list[str]]:
    """Accuracy over ``cases``, per-intent (passed, total), and a description of each failure."""
    per_intent: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failures = []
    for case in cases:
        responder, _, _ = _responder(lambda: NOW)
        reply = _ask(responder, case.text)
        per_intent[case.intent] += 1
        problems = _problems(case, reply)
        if problems:
            failures.append(f"{case.text!r}: {'; '.join(problems)}\n  reply: {reply.text!r}")
        else:
            passed[case.intent] += 1
    accuracy = sum(passed.values()) / len(cases)
    return accuracy, {k: (passed[k], per_intent[k]) for k in sorted(per_intent)}, failures


def report(cases: Sequence[Case] = ALL_CASES) -> str:
    accuracy, per_intent, failures = evaluate(cases)
    lines = [f"accuracy {accuracy:.1%} over {len(cases)} utterances"]
    lines += [f"  {intent:22} {ok}/{total}" for intent, (ok, total) in per_intent.items()]
    lines += ["FAIL " + f for f in failures]
    return "\n".join(lines)


def test_suite_size() -> None:
    assert len(PT_CASES) >= 60
    assert len(EN_CASES) >= 30
    assert len(SCENARIOS) >= 10
    assert all(case.lang == "en" for case in EN_CASES)
    # every intent the engine knows is exercised; confirm_unclear only exists while an action waits for
    # its yes/no, and action_reason while a pending action waits for its reason, so they are exercised
    # by the scenarios (action_reason: tests/unit/test_actions.py)
    from twschat.assistant.nlu.intents import INTENTS

    assert set(INTENTS) - {"confirm_unclear", "action_reason"} <= {case.intent for case in ALL_CASES}
    assert "confirm_unclear" in {step.intent for scenario in SCENARIOS for step in scenario.steps}


def test_accuracy_is_100_percent(capsys: pytest.CaptureFixture[str]) -> None:
    accuracy, per_intent, failures = evaluate(ALL_CASES)
    with capsys.disabled():
        print("\n" + report())
    assert failures == []
    assert accuracy == 1.0
    assert sum(total for _, total in per_intent.values()) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.text)
def test_single_utterance(case: Case, source: TwsSource) -> None:
    responder, _, _ = _responder(lambda: NOW, source)
    reply = _ask(responder, case.text)
    assert _problems(case, reply) == [], reply.text
    assert reply.text.strip()
    if case.intent == "unknown":
        assert case.text.lower() not in reply.text.lower()


def test_the_rest_source_really_goes_over_http(fake_tws: FakeTwsServer) -> None:
    responder, _, _ = _responder(
        lambda: NOW, lambda clock: (fake_tws.reset(clock=clock), build_rest_client(fake_tws.url))[1]
    )
    assert "JOB002" in _ask(responder, "qual job esta em abend?").text
    assert fake_tws.count("POST", "/twsd/plan/current/job/query") >= 1


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda sc: sc.name)
def test_scenario(scenario: Scenario, source: TwsSource) -> None:
    run_scenario(scenario, source)


@pytest.mark.parametrize("case", LARGE_PT_CASES + LARGE_EN_CASES, ids=lambda case: case.text)
def test_large_plan_utterance(case: Case, large_source: TwsSource) -> None:
    responder, _, _ = _responder(lambda: NOW, large_source)
    reply = _ask(responder, case.text)
    assert _problems(case, reply) == [], reply.text


@pytest.mark.parametrize("scenario", LARGE_SCENARIOS, ids=lambda sc: sc.name)
def test_large_plan_scenario(scenario: Scenario, large_source: TwsSource) -> None:
    run_scenario(scenario, large_source)


def run_scenario(scenario: Scenario, source: TwsSource) -> None:
    clock = Clock(NOW)
    responder, tws, audit = _responder(clock, source)
    history: list[Turn] = []
    for step in scenario.steps:
        clock.now += timedelta(seconds=step.advance_seconds)
        reply = _ask(responder, step.text, history, roles=scenario.roles)
        label = f"{scenario.name} / {step.text!r}: {reply.text!r}"
        assert reply.intent == step.intent, label
        for s in step.expect:
            assert s in reply.text, f"missing {s!r} in {label}"
        for s in step.absent:
            assert s not in reply.text, f"unexpected {s!r} in {label}"
        # exactly as the chat service stores the window
        history.append(Turn("user", step.text))
        history.append(Turn("agent", reply.text, reply.context))
    # v1 plan ids end with the job name; v2 ids are UUIDs (a job keeps its UUID across reruns)
    names = {j.id: j.job_id for j in tws.list_jobs()}
    # a job stream / workstation / prompt action names its target by name
    got = [
        (
            r.action,
            r.job_name if r.target_kind else names.get(r.job_id) or r.job_id.rsplit(";", 1)[-1],
            r.result,
        )
        for r in audit.records
    ]
    assert got == list(scenario.audits)
    for r in audit.records:
        assert (r.user_id, r.username, r.connection_id, r.conversation_id) == (
            "u-1",
            "maria",
            "conn-1",
            "conv-1",
        )
    statuses = {j.job_id: j.status for j in tws.list_jobs()}
    for job_id, status in scenario.final_status.items():
        assert statuses[job_id] == status
    in_stream = {f"{j.job_stream}.{j.job_id}": j.status for j in tws.list_jobs()}
    for key, status in scenario.final_in_stream.items():
        assert in_stream[key] == status, key


if __name__ == "__main__":  # python -m tests.unit.test_conversation_suite
    print(report())
