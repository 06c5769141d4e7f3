"""The TWS plan REST API v2's shapes (10.1 FP1+, ``/twsd/api/v2``): :class:`TwsApiDialectV2`.

Sources: the vendor's ``WA_API3_v2.json`` as digested in shared/reference/tws-openapi/v2-digest.md (the
parts read; reduced copy in tests/contract/v2_plan_reduced.json) and a lab install's notes; "item N"
is comparison.md's row.

- lists ``GET /api/v2/plan/{job,jobstream,workstation,prompt,resource}`` with ``oql``,
  ``limit``/``offset`` and the ``Include-Count: true`` header (the spec's text: "By default, it is false."; item 43); envelope
  ``{"count", "results"}`` (lab; ``next`` UNKNOWN, read when present: item 42); OQL ``name = '...'``
  (item 44), ``jobruns.compositeStatus.status`` (the spec's example) with ``IN [...]`` (the spec's
  ``folder IN [...]`` example) for the server-side status filter.
- actions ``PUT /api/v2/plan/job/{job_id}/action/{hold,release,cancel,kill,confirm-succ,confirm-abend}``
  by the job's UUID answering 200 (item 46); rerun ``PUT /api/v2/plan/job/run/{run_id}/action/rerun``
  by the run id (item 47); ``Justification-Category`` / ``-Description`` / ``-Ticket-Num`` headers on
  every action (item 50); a refusal comes back as HTTP 500 wrapping AWSBIN076E (lab; item 63).
- job streams ``PUT /api/v2/plan/jobstream/{id}/action/{hold,cancel}`` (item 56; ``release`` by id
  not read: UNKNOWN); workstations ``.../workstation/{id}/action/unlink`` (``link`` by id not read:
  UNKNOWN; item 58); prompts ``PUT /api/v2/plan/prompt/{id}/action/reply`` with a required
  ``PromptInPlanAnswer`` body whose members were not read (UNKNOWN: ``{"answer": true|false}``; item 60).
- workstations carry ``activeStates`` / ``activeFlags``, not ``linkStatus`` (item 57); the enum values
  were not read beyond the spec's example ``activeStates IN ['ONLINE']``: ONLINE in the list is linked,
  a list without it unlinked; jobman is not read (UNKNOWN flag name).
- job items (items 52-55): ``id`` (UUID), ``name``, ``workstation``, ``jobStreamName``,
  ``jobStreamWorkstation``, ``jobruns[]`` (``JobRunInstanceV2``: ``id``, ``returnCode``,
  ``lastInRerunChain``, ``compositeStatus.status``, ``commonStatus``, ``timeInfo``);
  ``jobDefinition.description`` and ``timeRestrictions.startTime`` members UNKNOWN; job stream ``name``,
  ``workstation``, status fields UNKNOWN (``schedTime``, ``id`` confirmed).
- dependencies ``GET /api/v2/plan/job/{job_id}`` -> ``dependencies[]`` (see :mod:`.dependencies`). There
  is no successors path in v2 (item 62): successors are found by reading the dependencies of the plan's
  other jobs (bounded; see the client).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from twschat.assistant.domain import Dependency, Job, JobStream, Prompt, Resource, Workstation
from twschat.assistant.tws import TwsError

from .dependencies import v2_dependencies
from .dialect import ActionRequest, TwsApiDialect
from .resources import v2_resource
from .shapes import (
    CONMAN_TO_SPEC,
    Kind,
    ListRequest,
    dig,
    int_or_none,
    object_name,
    parse_time,
    status_of,
    text,
)

__all__ = ["TwsApiDialectV2", "dialect_for"]

JUSTIFICATION_CATEGORY = "tws-chat"
"""``Justification-Category``: which tool the operator acted through (free text in the spec)."""
_TICKET = re.compile(r"\b(?:INC|CHG|RITM|REQ|PRB|SR|CRQ|WO)[-_]?\d{3,}\b", re.IGNORECASE)
_REFUSAL_CODES = ("AWSBIN076E",)
"""Messages a v2 master wraps in HTTP 500 when the object's state does not allow the action (lab)."""


def _oql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)


def header_text(value: str, limit: int = 255) -> str:
    """A header-safe one-line copy of free text: no control characters (no header injection), latin-1
    only (HTTP/1.1 header bytes; Portuguese accents are latin-1, dashes and quotes become ASCII), bounded."""
    flat = " ".join(value.translate(_ASCII_PUNCTUATION).split())
    return flat.encode("latin-1", errors="replace").decode("latin-1")[:limit]


@dataclass(frozen=True)
class TwsApiDialectV2(TwsApiDialect):
    """Plan REST API v2: see the module docstring for the sources."""

    version: str = "v2"
    list_path: str = "/api/v2/plan/{kind}"
    job_action_path: str = "/api/v2/plan/job/{job_id}/action/{action}"
    rerun_path: str = "/api/v2/plan/job/run/{job_id}/action/rerun"
    job_log_path: str = "/api/v2/plan/job/run/{job_id}/joblog"
    job_path: str = "/api/v2/plan/job/{job_id}"
    successors_preview_path: str | None = None  # no successors operation in v2 (item 62)
    action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "rerun": "rerun",
            "hold": "hold",
            "release": "release",
            "cancel": "cancel",
            "kill": "kill",
            "confirm_succ": "confirm-succ",
            "confirm_abend": "confirm-abend",
        }
    )
    bodied_actions: frozenset[str] = frozenset()  # RerunDetailsV2 / ConditionsV2: optional, not sent
    stream_action_path: str = "/api/v2/plan/jobstream/{job_id}/action/{action}"
    workstation_action_path: str = "/api/v2/plan/workstation/{job_id}/action/{action}"
    prompt_action_path: str = "/api/v2/plan/prompt/{job_id}/action/{action}"
    how_many_header: bool = False
    link_status_field: str = "activeStates"
    jobman_field: str = ""
    oql_fields: Mapping[str, str] = field(
        default_factory=lambda: {
            "job_name": "name",  # lab notes: ``name = '...'`` accepted (``key.name`` refused)
            "job_stream": "jobStreamName",  # UNKNOWN (a property of the job; item 45)
            "workstation": "workstation",  # UNKNOWN (a path property; item 45)
        }
    )
    status_oql_field: str = "jobruns.compositeStatus.status"
    resource_dependency_filter: str = ""  # no OQL field read for it: the client reads dependencies

    # -- lists
    def list_request(self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int) -> ListRequest:
        fields = dict(self.oql_fields)
        if kind != "job":
            fields = {"job_stream": "name"} if kind == "jobstream" else {kind: "name"}
        terms = [
            f"{fields[key]} = {_oql_quote(value)}"
            for key, value in filters.items()
            if key in fields and isinstance(value, str) and value
        ]
        if kind == "job":
            terms += self.status_terms(filters.get("statuses"))
        query: dict[str, str] = {"oql": " AND ".join(terms)} if terms else {}
        query.update(limit=str(limit), offset=str(offset))
        target = f"{self.path(self.list_path, kind=kind)}?{urlencode(query, quote_via=quote)}"
        return ListRequest("GET", target, None, {"Include-Count": "true"})

    def status_terms(self, statuses: Iterable[str] | None) -> list[str]:
        wanted = sorted({s.upper() for s in statuses}) if statuses is not None else []
        if not wanted or "CANCELED" in wanted:
            return []
        values = ",".join(_oql_quote(CONMAN_TO_SPEC.get(s, s)) for s in wanted)
        return [f"{self.status_oql_field} IN [{values}]"]

    def next_request(
        self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int, cursor: str
    ) -> ListRequest | None:
        return self.list_request(kind, filters, limit=limit, offset=offset)

    def page(self, data: Any, *, limit: int, offset: int) -> tuple[list[Mapping[str, Any]], bool]:
        if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
            raise TwsError("bad_response", 'expected a {"count", "results"} envelope')
        items = data["results"]
        if not all(isinstance(item, Mapping) for item in items):
            raise TwsError("bad_response", "expected results to be objects")
        count = int_or_none(data.get("count"))
        more = bool(data.get("next")) or (count is not None and offset + len(items) < count)
        return items, more and bool(items)

    # -- job log
    def job_log_target(self, job: Job) -> str:
        return self.path(self.job_log_path, job_id=job.run_id or job.id)

    def job_log_accept(self) -> str:
        return "text/plain, application/json;q=0.9"

    # -- actions
    def action_request(self, job: Job, name: str, justification: str = "") -> ActionRequest:
        if ";" in job.id:
            # v2 addresses jobs by UUID: a composite WS;JS;JOB key is refused by the master.
            raise TwsError("bad_response", f"REST API v2 needs the job's UUID, not {job.id!r}")
        if name == "rerun":
            if not job.run_id:
                raise TwsError("bad_response", f"REST API v2 reruns a run: {job.job_id} has no run id")
            target = self.path(self.rerun_path, job_id=job.run_id)
        else:
            target = self.path(self.job_action_path, job_id=job.id, action=name)
        return ActionRequest(target, None, self.justification_headers(justification))

    def reply_request(self, prompt: Prompt, answer: bool, justification: str = "") -> ActionRequest:
        target = self.path(self.prompt_action_path, job_id=prompt.key or prompt.id, action="reply")
        body = b'{"answer": true}' if answer else b'{"answer": false}'  # PromptInPlanAnswer: UNKNOWN members
        return ActionRequest(target, body, self.justification_headers(justification))

    def justification_headers(self, justification: str) -> dict[str, str]:
        """The operator's reason in the master's own audit (as HCL's assistant does); a ticket number
        found in it (INC…, CHG…, RITM…) also as ``Justification-Ticket-Num``."""
        reason = header_text(justification)
        if not reason:
            return {}
        headers = {"Justification-Category": JUSTIFICATION_CATEGORY, "Justification-Description": reason}
        if ticket := _TICKET.search(reason):
            headers["Justification-Ticket-Num"] = ticket.group(0).upper()
        return headers

    def refusal(self, status: int, messages: str) -> bool:
        """v2: a 4xx refusal, or HTTP 500 wrapping AWSBIN076E ("the job ... is in an incorrect state")."""
        if status >= 500:
            return any(code in messages for code in _REFUSAL_CODES)
        return super().refusal(status, messages)

    # -- items -> domain
    def _last_run(self, item: Mapping[str, Any]) -> Mapping[str, Any]:
        runs = [r for r in item.get("jobruns") or () if isinstance(r, Mapping)]
        last = [r for r in runs if r.get("lastInRerunChain") is True]
        return (last or runs or [{}])[-1]

    def parse_job(self, item: Mapping[str, Any]) -> Job:
        job_id = text(item.get("id"))
        if not job_id:
            raise TwsError("bad_response", "a job without an id")
        run = self._last_run(item)
        name = text(item.get("name"))
        internal = dig(run, "compositeStatus", "status") or item.get("status")
        common = run.get("commonStatus") or item.get("commonStatus")
        return Job(
            id=job_id,
            name=text(dig(item, "jobDefinition", "description")) or name,
            job_id=name,
            status=status_of({}, internal, common, dig(run, "compositeStatus", "canceled")),
            workstation=object_name(item.get("workstation")) or object_name(item.get("jobStreamWorkstation")),
            job_stream=text(item.get("jobStreamName")),
            start_time=parse_time(dig(run, "timeInfo", "actualStartTime")),
            at_time=parse_time(dig(item, "timeRestrictions", "startTime")),
            end_time=parse_time(dig(run, "timeInfo", "actualEndTime")),
            return_code=int_or_none(run.get("returnCode")),
            run_id=text(run.get("id")),
            # the job stream INSTANCE (v2 digest: jobStreamId, schedTime): a job's identity
            stream_id=text(item.get("jobStreamId")),
            stream_start=parse_time(item.get("schedTime")),
        )

    def parse_job_stream(self, item: Mapping[str, Any]) -> JobStream:
        name = text(item.get("name"))
        if not name:
            raise TwsError("bad_response", "a job stream without a name")
        return JobStream(
            name=name,
            workstation=object_name(item.get("workstation")),
            status=status_of(item, dig(item, "compositeStatus", "status"), item.get("commonStatus")),
            id=text(item.get("id")),
            start_time=parse_time(item.get("schedTime")),
        )

    def parse_prompt(self, item: Mapping[str, Any]) -> Prompt:
        """``PromptInPlanV2`` members were not read (UNKNOWN): read as v1's ``PromptInPlan``, with a
        plain ``name`` accepted too."""
        prompt = super().parse_prompt(item)
        name = text(item.get("name"))
        if name and prompt.id == text(item.get("id")):
            return Prompt(object_name(name), prompt.text, prompt.status, prompt.id)
        return prompt

    def parse_resource(self, item: Mapping[str, Any]) -> Resource:
        return v2_resource(item)

    def parse_workstation(self, item: Mapping[str, Any]) -> Workstation:
        name = object_name(item.get("name"))
        if not name:
            raise TwsError("bad_response", "a workstation without a name")
        return self.workstation(name, item, self.linked(item), None)

    def linked(self, item: Mapping[str, Any]) -> bool | None:
        states = item.get(self.link_status_field) if self.link_status_field else None
        if not isinstance(states, list):
            return None
        words = {s.upper() for s in states if isinstance(s, str)}
        return bool(words & {"ONLINE", "LINKED", "FULLY_LINKED"})

    # -- dependencies
    def parse_dependencies(self, data: Any) -> list[Dependency] | None:
        return v2_dependencies(data)

    def parse_successors(self, data: Any) -> list[Dependency] | None:
        return None


def dialect_for(version: str) -> TwsApiDialect:
    """``v1`` (default) or ``v2``; ValueError otherwise."""
    if version in ("", "v1"):
        return TwsApiDialect()
    if version == "v2":
        return TwsApiDialectV2()
    raise ValueError(f"TWS API version must be v1 or v2, got {version!r}")
