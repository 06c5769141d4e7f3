"""Wording when the TWS source does not report a workstation's link state (a real v1 master: no
confirmed field) and when a list may be incomplete: never claim ONLINE/jobman state it was not told."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from twschat.adapters.tws_rest import RestTwsClient, TwsApiDialect
from twschat.assistant.responder import RuleResponder
from twschat.core.audit import InMemoryAuditSink
from twschat.core.responder import Principal, ResponderRequest
from twschat_dev.fake_tws import FakeTwsServer

from .conversation_cases import NOW


@pytest.fixture(scope="module")
def responder() -> Iterator[RuleResponder]:
    with FakeTwsServer(clock=lambda: NOW) as server:
        # a master whose answers carry no link state nor jobman flag (the dialect reads neither)
        tws = RestTwsClient(
            server.url, dialect=replace(TwsApiDialect(), link_status_field="", jobman_field="")
        )
        yield RuleResponder(tws, audit=InMemoryAuditSink(), clock=lambda: NOW)


def ask(responder: RuleResponder, text: str) -> str:
    principal = Principal(user_id="u-1", username="maria", roles=("operator",))
    request = ResponderRequest(
        agent="tws", message=text, history=(), principal=principal, connection_id="c", conversation_id="v"
    )
    return responder.respond(request).text


def test_offline_question_does_not_claim_all_online(responder: RuleResponder) -> None:
    text = ask(responder, "quais workstations estão offline?")
    assert "estão ONLINE" not in text
    assert "não informa o estado de link" in text and "TWS_AGENT2" in text


def test_workstation_details_leave_out_what_is_not_reported(responder: RuleResponder) -> None:
    text = ask(responder, "status da TWS_AGENT1")
    assert "UNKNOWN" in text and "jobman" not in text and "linked" not in text
    listing = ask(responder, "list the workstations")
    assert "0 of 4 ONLINE" in listing and "Link state not reported" in listing


def test_summary_counts_only_reported_online(responder: RuleResponder) -> None:
    text = ask(responder, "visão geral")
    assert "Workstations: 0 de 4 ONLINE" in text and "não informa" in text
    assert "1 CANCL" in text  # JOB010, cancelled in the plan (commonStatus CANCELED)
