"""Issue 15, the new read: resources in the plan (conman ``sr``) — the exhausted ones, one resource's
units, holders and waiting jobs, the follow-ups, pt and en — the same answers over the demo plan and the
fake TWS in both REST dialects (the vendor's shapes), and the model's tool over the same projection."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import pytest

from twschat.adapters.tws_rest import RestTwsClient, dialect_for
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import Job, Resource
from twschat.assistant.nlu.rules import recognize
from twschat.assistant.plan import TurnPlan
from twschat.assistant.responder import RuleResponder
from twschat.assistant.state import DialogueState
from twschat.assistant.tws import TwsClient, TwsError
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn
from twschat.llm.tools import ToolBox
from twschat_dev.fake_tws import FakeTwsServer

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)  # 09:00 in Sao Paulo


@pytest.fixture(params=["demo", "rest-v1", "rest-v2"])
def source(request: pytest.FixtureRequest) -> Iterator[Callable[[], TwsClient]]:
    if request.param == "demo":
        yield lambda: DemoTwsClient(clock=lambda: NOW)
        return
    api = request.param.removeprefix("rest-")
    with FakeTwsServer(clock=lambda: NOW, api=api) as server:  # type: ignore[arg-type]
        yield lambda: RestTwsClient(server.url, dialect=dialect_for(api))


def _ask(texts: Sequence[str], tws: TwsClient) -> Reply:
    responder = RuleResponder(tws, clock=lambda: NOW)
    history: list[Turn] = []
    reply: Reply | None = None
    for text in texts:
        reply = responder.respond(
            ResponderRequest(
                agent="tws",
                message=text,
                history=tuple(history),
                principal=Principal(user_id="u-1", username="maria", roles=("operator",)),
            )
        )
        history += [Turn("user", text), Turn("agent", reply.text, reply.context)]
    assert reply is not None
    return reply


# ---------------------------------------------------------------------------------- the rule skill
def test_exhausted_resources_in_portuguese(source: Callable[[], TwsClient]) -> None:
    reply = _ask(["quais recursos estão esgotados?"], source())
    assert reply.intent == "resources" and reply.language == "pt"
    assert reply.text.splitlines() == [
        "1 recurso esgotado (nenhuma unidade livre):",
        "- ETL_DB_SLOTS (TWS_MASTER): 0 de 4 livres; em uso por: JOB006",
    ]
    assert reply.quick_replies == ("quem está esperando o recurso ETL_DB_SLOTS?",)


def test_show_resources_in_english(source: Callable[[], TwsClient]) -> None:
    reply = _ask(["show resources"], source())
    assert reply.language == "en"
    assert reply.text.splitlines() == [
        "2 resources in the plan:",
        "- ETL_DB_SLOTS (TWS_MASTER): 0 of 4 free; in use by: JOB006",
        "- ERP_API_SLOTS (TWS_AGENT1): 1 of 2 free; in use by: JOB005",
    ]


def test_one_resource_names_its_holders_and_the_jobs_waiting_for_it(source: Callable[[], TwsClient]) -> None:
    tws = source()
    reply = _ask(["como está o recurso ETL_DB_SLOTS?"], tws)
    lines = reply.text.splitlines()
    assert lines[0] == "ETL_DB_SLOTS (TWS_MASTER): 0 de 4 livres; em uso por: JOB006"
    assert lines[1] == "Em uso por 1 job:"
    assert lines[2].startswith("- Data Warehouse Load (JOB006) — EXEC") and lines[2].endswith("; segura 4")
    assert lines[3] == "1 job ainda não começou e precisa do ETL_DB_SLOTS:"
    assert lines[4].startswith("- Stock Reconciliation (JOB014) — HOLD em TWS_AGENT2")
    assert "só começam quando unidades do ETL_DB_SLOTS forem liberadas" in lines[5]
    assert reply.context["resource"] == "ETL_DB_SLOTS"
    plan_ids = {j.id: j.job_id for j in tws.list_jobs()}
    assert [plan_ids[i] for i in reply.context["jobs"]] == ["JOB006", "JOB014"]  # "e o log dele?"


def test_who_is_waiting_for_it_follows_the_resource_in_focus(source: Callable[[], TwsClient]) -> None:
    tws = source()
    reply = _ask(["como está o recurso ETL_DB_SLOTS?", "e quem está esperando ele?"], tws)
    assert reply.intent == "resource_waiting"
    assert reply.text.splitlines()[0] == "1 job ainda não começou e precisa do ETL_DB_SLOTS:"
    assert "JOB014" in reply.text and "JOB006" not in reply.text
    # the one waiting job is the focus: "e por que ele está parado?" is about JOB014
    why = _ask(
        ["como está o recurso ETL_DB_SLOTS?", "e quem está esperando ele?", "e as dependências dele?"], tws
    )
    assert why.intent == "job_dependencies" and "Stock Reconciliation (JOB014)" in why.text


def test_english_follow_up_and_a_resource_nobody_waits_for(source: Callable[[], TwsClient]) -> None:
    reply = _ask(["show resources", "who is waiting for resource ERP_API_SLOTS?"], source())
    assert reply.text == "No job is waiting for ERP_API_SLOTS."
    assert reply.language == "en"


def test_an_unknown_resource_lists_the_plans(source: Callable[[], TwsClient]) -> None:
    reply = _ask(["como está o recurso TAPE_DRIVES?"], source())
    assert (
        reply.text == "Não encontrei o recurso TAPE_DRIVES no plano. Recursos: ETL_DB_SLOTS, ERP_API_SLOTS."
    )


def test_waiting_without_a_resource_asks_which() -> None:
    reply = _ask(["quem está esperando o recurso?"], DemoTwsClient(clock=lambda: NOW))
    assert reply.text == "De qual recurso? Recursos: ETL_DB_SLOTS, ERP_API_SLOTS."


def test_a_killed_holder_frees_its_units() -> None:
    tws = DemoTwsClient(clock=lambda: NOW)
    job = next(j for j in tws.list_jobs() if j.job_id == "JOB006")
    assert tws.act("kill", job).accepted
    reply = _ask(["quais recursos estão esgotados?"], tws)
    assert reply.text == "Nenhum recurso esgotado: os 2 recursos do plano têm unidades livres."
    waiting = next(j for j in tws.list_jobs() if j.job_id == "JOB014")
    resource = next(d for d in tws.job_dependencies(waiting) if d.kind == "resource")
    assert (resource.available, resource.satisfied) == (4, True)


class _NoResources(DemoTwsClient):
    def __init__(self, kind: str) -> None:
        super().__init__(clock=lambda: NOW)
        self.kind = kind

    def list_resources(self) -> Sequence[Resource]:
        raise TwsError(self.kind, "resource query")  # type: ignore[arg-type]


def test_a_source_that_does_not_report_resources_says_so() -> None:
    assert 'confira no conman ("sr")' in _ask(["sr"], _NoResources("not_found")).text


def test_a_tws_failure_while_listing_resources_names_what_failed() -> None:
    reply = _ask(["show resources"], _NoResources("server"))
    assert "listing the resources" in reply.text and reply.context.get("error") == "server"


def test_the_large_plan_has_first_class_resources() -> None:
    tws = DemoTwsClient(clock=lambda: NOW, plan="large")
    by_name = {r.name: r for r in tws.list_resources()}
    assert {n: (r.quantity, r.available) for n, r in by_name.items()} == {
        "ETL_DB_SLOTS": (4, 0),
        "SAP_RFC_CONN": (3, 3),
        "TAPE_DRIVES": (1, 0),
    }
    # the dependencies read the units free from the resources (as the plan had them before)
    for job in tws.list_jobs():
        for dep in tws.job_dependencies(job):
            if dep.kind == "resource":
                assert dep.available == by_name[dep.name].available
    waiting: Sequence[Job] = tws.resource_waiters(by_name["ETL_DB_SLOTS"])
    assert ("JOB014", "DATA_PIPELINE") in {(j.job_id, j.job_stream) for j in waiting}


# --------------------------------------------------------------------------------------- the NLU
@pytest.mark.parametrize(
    ("text", "intent", "resource", "state"),
    [
        ("quais recursos estão esgotados?", "resources", "", "exhausted"),
        ("como está o recurso ETL_DB_SLOTS?", "resources", "etl_db_slots", ""),
        ("show resources", "resources", "", ""),
        ("sr", "resources", "", ""),
        ("which resources are exhausted?", "resources", "", "exhausted"),
        ("quem está esperando o recurso ETL_DB_SLOTS?", "resource_waiting", "etl_db_slots", ""),
        ("quais jobs estão esperando o recurso ETL_DB_SLOTS?", "resource_waiting", "etl_db_slots", ""),
    ],
)
def test_resource_questions(text: str, intent: str, resource: str, state: str) -> None:
    found = recognize(text)
    assert (found.name, found.resource, found.state) == (intent, resource, state)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("e quem está esperando ele?", "resource_waiting"),
        ("who is waiting for it?", "resource_waiting"),
        ("e o ERP_API_SLOTS?", "resources"),
        ("e o log dele?", "job_log"),
        ("quais jobs estão esperando?", "jobs_waiting"),
        ("quais jobs estão em abend?", "jobs_failed"),
    ],
)
def test_follow_ups_after_a_resource(text: str, intent: str) -> None:
    previous = DialogueState(lang="pt", intent="resources", resource="ETL_DB_SLOTS")
    assert recognize(text, previous=previous).name == intent


# ---------------------------------------------------------------------------------- the model tool
def test_the_tool_reads_the_same_projection(source: Callable[[], TwsClient]) -> None:
    box = ToolBox(TurnPlan(source()), UTC, lambda: NOW)
    listing = box.run("list_resources", {"exhausted": True})
    assert listing.data["count"] == 1
    assert listing.data["resources"][0] == {
        "resource": "ETL_DB_SLOTS",
        "workstation": "TWS_MASTER",
        "quantity": 4,
        "available": 0,
        "exhausted": True,
        "holders": [{"job": "JOB006", "job_stream": "DWH_LOAD", "quantity": 4, "status": "EXEC"}],
    }
    one = box.run("list_resources", {"resource": "etl_db_slots"})
    assert [w["job"] for w in one.data["waiting"]] == ["JOB014"]
    assert len(one.jobs) == 2
    missing = box.run("list_resources", {"resource": "TAPE_DRIVES"})
    assert not missing.ok and missing.data["known"] == "ETL_DB_SLOTS, ERP_API_SLOTS"
