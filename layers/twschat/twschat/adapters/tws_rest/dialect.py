"""The TWS plan REST API v1's shapes: THE place to correct the client (:class:`TwsApiDialect`; v2 in
:mod:`.dialect_v2`). Over 400 lines: one class per API holding every path, body, header and field it
reads, each with its source, so that a correction is one line in one place.

Sources. The vendor's own spec as an HWA 10.2.8 master generates it (shared/reference/tws-openapi/
``v1-plan-openapi.json``, reduced copy in tests/contract/; "item N" below is comparison.md's row):

- lists: ``POST /plan/{planId}/{job,jobstream,workstation,prompt}/query`` with ``QueryFilterPlan``
  (``{"filters": {"<kind>InPlanFilter": {...}}}``), bare array answers, the ``How-Many`` header (max
  10000, 0 = all in one shot); the continuation ``POST .../query_next`` with body ``FiltersPlan`` and the
  ``Last-Object`` header from the previous answer (items 1, 4, 5); the server-side status filter
  ``JobInPlanFilter.internalStatusList`` / ``statusList`` (item 3).
- jobs (``JobInPlan``): ``id``, ``name``, ``status: NodeStatus {internalStatus, commonStatus,
  canceled}``, ``jobStreamInPlan: JobStreamInPlanKey``, ``workstationInPlan``, ``jobDefinition:
  JobDefinitionInPlan {jobDefinitionInPlanKey.workstationInPlanKey, description, returnCode}``,
  ``timeInfo {actualStartTime, actualEndTime}``, ``timeRestriction {startTime}`` (singular),
  ``lastInRerunChain`` (items 6-14).
- dependencies: ``GET .../job/{jobId}`` answers ``JobInPlan`` whose ``dependencies`` is
  ``JobDependenciesInPlan``, an object of typed lists; successors are ``internalSuccessors`` /
  ``externalSuccessors`` on the same answer; ``GET .../job/{jobId}/predecessors``
  (``JobInPlanOnCriticalNetwork``) and ``GET .../job/{jobId}/jobsuccessors/preview``
  (``JobInPlanSuccessorsResult``) when the job's answer leaves them out (items 34-36). There is no
  ``/successors`` path.
- workstations (``WorkstationInPlan``): ``linkStatus`` LINKED / UNLINKED / FULLY_LINKED /
  NOT_APPLICABLE, ``jobmanUp``, ``writerUp``, ``type`` (items 16-19).
- prompts (``PromptInPlan``): ``promptInPlanKey.name``, ``number``, ``text``, ``status`` (items 29-31);
  the reply has no body: header ``Answer`` (item 33).
- resources (``ResourceInPlan``): see :mod:`.resources` (parsers and rendering together).
- actions: the seven job actions (underscored) answering 202; rerun's optional ``RerunDetails`` body;
  stream hold/release/cancel 202; workstation ``link`` 200, ``unlink`` 202 (items 22-28).
- the job log ``GET .../job/{jobId}/joblog`` answering ``JobLog {log, ...}`` or text (items 20-21).

Still UNKNOWN, kept here: the job id's format (item 37: ``WS;JSID;JOB`` as HCL's samples show, ``;``
sent as ``%3B``); error bodies (item 38: ``{"messages": [...]}`` from HCL's samples, 4xx = refusal);
the ``Answer`` literal (item 33: ``true``/``false`` per the spec's "Yes (true) or No (false)"); whether
``GET job/{id}`` fills ``dependencies`` (item 34: when absent, the predecessors path is read); the
format of ``JobInPlanOnCriticalNetwork.jobPredecessors`` strings (read as job ids); prompt status values
(item 31); the cursor's semantics (item 5: sent back as received); whether hold/release/cancel/kill/
confirm accept a body (item 25: none is sent, as the spec declares none); a job stream's name as a
fallback id (item 27).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from twschat.assistant.domain import Dependency, Job, JobStream, Prompt, Resource, Workstation
from twschat.assistant.tws import TwsError

from .dependencies import v1_dependencies, v1_predecessors, v1_successors, v1_successors_preview
from .resources import RESOURCE_DEPENDENCY_FILTER, v1_resource
from .shapes import (
    CONMAN_TO_SPEC,
    REST_TIME_FORMAT,
    Kind,
    ListRequest,
    dig,
    int_or_none,
    parse_time,
    status_of,
    text,
)

__all__ = ["REST_TIME_FORMAT", "ActionRequest", "ListRequest", "TwsApiDialect", "parse_time"]

_FILTER_KEY: Mapping[str, str] = {
    "job": "jobInPlanFilter",
    "jobstream": "jobStreamInPlanFilter",
    "workstation": "workstationInPlanFilter",
    "prompt": "promptInPlanFilter",
    "resource": "resourceInPlanFilter",
}


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One action PUT: target, body (None: no body) and headers."""

    target: str
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TwsApiDialect:
    """Plan REST API v1 (``/twsd/plan/current/...``): see the module docstring for the sources."""

    version: str = "v1"
    plan_id: str = "current"
    query_path: str = "/plan/{plan}/{kind}/query"
    query_next_path: str = "/plan/{plan}/{kind}/query_next"
    job_action_path: str = "/plan/{plan}/job/{job_id}/action/{action}"
    action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "rerun": "rerun",
            "hold": "hold",
            "release": "release",
            "cancel": "cancel",
            "kill": "kill",
            "confirm_succ": "confirm_succ",
            "confirm_abend": "confirm_abend",
        }
    )
    bodied_actions: frozenset[str] = frozenset({"rerun"})
    """Actions whose spec declares a request body (rerun: optional ``RerunDetails``; sent as ``{}`` as
    HCL's samples do). The others declare none, so none is sent (item 25)."""
    stream_action_path: str = "/plan/{plan}/jobstream/{job_id}/action/{action}"
    workstation_action_path: str = "/plan/{plan}/workstation/{job_id}/action/{action}"
    prompt_action_path: str = "/plan/{plan}/prompt/{job_id}/action/{action}"
    stream_action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "stream_hold": "hold",
            "stream_release": "release",
            "stream_cancel": "cancel",
        }
    )
    workstation_action_names: Mapping[str, str] = field(
        default_factory=lambda: {"link": "link", "unlink": "unlink"}
    )
    prompt_action_names: Mapping[str, str] = field(
        default_factory=lambda: {"reply_yes": "reply", "reply_no": "reply"}
    )
    job_log_path: str = "/plan/{plan}/job/{job_id}/joblog"
    job_path: str = "/plan/{plan}/job/{job_id}"
    predecessors_path: str = "/plan/{plan}/job/{job_id}/predecessors"
    successors_preview_path: str | None = "/plan/{plan}/job/{job_id}/jobsuccessors/preview"
    how_many_header: bool = True
    link_status_field: str = "linkStatus"
    """``WorkstationInPlan.linkStatus`` (LINKED, UNLINKED, FULLY_LINKED, NOT_APPLICABLE); empty: not read."""
    jobman_field: str = "jobmanUp"
    """``WorkstationInPlan.jobmanUp`` (boolean); empty: not read."""
    job_description_path: tuple[str, ...] = ("jobDefinition", "description")
    start_time_path: tuple[str, ...] = ("timeInfo", "actualStartTime")
    end_time_path: tuple[str, ...] = ("timeInfo", "actualEndTime")
    return_code_path: tuple[str, ...] = ("jobDefinition", "returnCode")
    at_time_path: tuple[str, ...] = ("timeRestriction", "startTime")
    resource_dependency_filter: str = RESOURCE_DEPENDENCY_FILTER
    """The job filter naming a resource its dependencies need (see :mod:`.resources`); "": none."""

    # -- paths
    def path(self, template: str, *, job_id: str = "", action: str = "", kind: str = "") -> str:
        # Job ids look like ``WKS;JSINTERNALID;JOBNAME``: reserved characters are encoded (``;`` -> %3B).
        return template.format(
            plan=quote(self.plan_id, safe=""), job_id=quote(job_id, safe=""), action=action, kind=kind
        )

    # -- lists (v1: a POST of the filter body; How-Many is the page size; query_next continues)
    def list_request(self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int) -> ListRequest:
        body = {"filters": self.filters_plan(kind, filters)}
        return ListRequest(
            "POST", self.path(self.query_path, kind=kind), json.dumps(body).encode(), self._how_many(limit)
        )

    def next_request(
        self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int, cursor: str
    ) -> ListRequest | None:
        """``POST .../query_next``: body ``FiltersPlan`` (not wrapped in ``filters``), the previous
        answer's ``Last-Object`` sent back as received. None when the answer gave no cursor."""
        if not cursor:
            return None
        body = json.dumps(self.filters_plan(kind, filters)).encode()
        headers = {**self._how_many(limit), "Last-Object": cursor}
        return ListRequest("POST", self.path(self.query_next_path, kind=kind), body, headers)

    def _how_many(self, limit: int) -> dict[str, str]:
        return {"How-Many": str(limit)} if self.how_many_header else {}

    def filters_plan(self, kind: Kind, filters: Mapping[str, Any]) -> dict[str, Any]:
        builders: dict[str, Callable[..., dict[str, Any]]] = {
            "job": self.job_filter,
            "jobstream": self.job_stream_filter,
            "workstation": self.workstation_filter,
            "prompt": self.prompt_filter,
            "resource": self.resource_filter,
        }
        return {_FILTER_KEY[kind]: builders[kind](**filters)}

    def job_filter(
        self,
        *,
        job_name: str = "",
        job_stream: str = "",
        workstation: str = "",
        last_in_rerun_chain: bool = True,
        statuses: Iterable[str] | None = None,
        resource: str = "",
    ) -> dict[str, Any]:
        flt: dict[str, Any] = {
            "jobName": job_name,
            "jobStreamName": job_stream,
            "workstationName": workstation,
        }
        if self.resource_dependency_filter:
            flt[self.resource_dependency_filter] = resource
        flt = {k: v for k, v in flt.items() if v}
        flt.update(self.status_filter(statuses))
        if last_in_rerun_chain:
            flt["lastInRerunChain"] = True  # HCL's rerun sample: only the last instance of each chain
        return flt

    def status_filter(self, statuses: Iterable[str] | None) -> dict[str, Any]:
        """``internalStatusList`` in the spec's words (FAIL -> FAILED). A cancelled job keeps its internal
        state (commonStatus CANCELED), so a filter asking for CANCELED is left to the client."""
        wanted = sorted({s.upper() for s in statuses}) if statuses is not None else []
        if not wanted or "CANCELED" in wanted:
            return {}
        return {"internalStatusList": [CONMAN_TO_SPEC.get(s, s) for s in wanted]}

    def job_stream_filter(self, *, job_stream: str = "", workstation: str = "") -> dict[str, Any]:
        flt = {"jobStreamName": job_stream, "workstationName": workstation}
        return {k: v for k, v in flt.items() if v}

    def workstation_filter(self, *, workstation: str = "") -> dict[str, Any]:
        return {"workstationName": workstation} if workstation else {}

    def prompt_filter(self, *, prompt: str = "") -> dict[str, Any]:
        """``PromptInPlanFilter.promptNumber`` for a numbered prompt, else ``promptName``."""
        if not prompt:
            return {}
        return {"promptNumber": int(prompt)} if prompt.isdigit() else {"promptName": prompt}

    def resource_filter(self, *, resource: str = "") -> dict[str, Any]:
        """``ResourceInPlanFilter.resourceName``."""
        return {"resourceName": resource} if resource else {}

    def page(self, data: Any, *, limit: int, offset: int) -> tuple[list[Mapping[str, Any]], bool]:
        """The items of one answer and whether more may remain (a full page: ``query_next`` continues)."""
        if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
            raise TwsError("bad_response", "expected a JSON array of objects")
        return data, limit > 0 and len(data) >= limit

    def cursor(self, headers: Any) -> str:
        """The answer's ``Last-Object`` header (the continuation; declared integer in the answer and
        string as a request parameter: sent back as received)."""
        return str(headers.get("Last-Object") or "") if headers is not None else ""

    # -- job log
    def job_log_target(self, job: Job) -> str:
        return self.path(self.job_log_path, job_id=job.id)

    def job_log_accept(self) -> str:
        return "application/json, text/plain;q=0.9"

    def parse_job_log(self, content_type: str, body: bytes) -> str:
        """``JobLog {"log": "..."}`` or plain text; a bare JSON string is accepted too."""
        raw = body.decode("utf-8", errors="replace")
        if "json" not in content_type.lower():
            return raw
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise TwsError("bad_response", "the joblog is not valid JSON") from exc
        if isinstance(data, Mapping):
            data = data.get("log")
        if isinstance(data, str):
            return data
        raise TwsError("bad_response", 'unexpected joblog JSON shape (expected {"log": "..."})')

    # -- actions
    def action_request(self, job: Job, name: str, justification: str = "") -> ActionRequest:
        body = b"{}" if name in self.bodied_actions else None
        target = self.path(self.job_action_path, job_id=job.id, action=name)
        return ActionRequest(target, body, self.justification_headers(justification))

    def action_target(self, job: Job, name: str) -> str:
        return self.action_request(job, name).target

    def other_action_request(
        self, kind: Literal["jobstream", "workstation"], ident: str, name: str, justification: str = ""
    ) -> ActionRequest:
        template = self.stream_action_path if kind == "jobstream" else self.workstation_action_path
        target = self.path(template, job_id=ident, action=name)
        return ActionRequest(target, None, self.justification_headers(justification))

    def reply_request(self, prompt: Prompt, answer: bool, justification: str = "") -> ActionRequest:
        """v1 ``relayPrompt``: no body, header ``Answer`` ("Yes (true) or No (false)")."""
        target = self.path(self.prompt_action_path, job_id=prompt.key or prompt.id, action="reply")
        headers = {"Answer": "true" if answer else "false", **self.justification_headers(justification)}
        return ActionRequest(target, None, headers)

    def justification_headers(self, justification: str) -> dict[str, str]:
        """v1 declares no justification header: the reason stays in this project's audit only."""
        return {}

    def refusal(self, status: int, messages: str) -> bool:
        """Whether an answer is the master refusing the action (the operator is told why). v1: any 4xx
        but 401/403/404 (HCL's samples; the spec declares no error answers)."""
        return 400 <= status < 500 and status not in (401, 403, 404)

    # -- items -> domain
    def parse_job(self, item: Mapping[str, Any]) -> Job:
        job_id = text(item.get("id"))
        if not job_id:
            raise TwsError("bad_response", "a job without an id")
        name = text(item.get("name"))
        stream_ws = text(dig(item, "jobStreamInPlan", "workstationKey", "name"))
        own_ws = text(dig(item, "jobDefinition", "jobDefinitionInPlanKey", "workstationInPlanKey", "name"))
        own_ws = own_ws or text(dig(item, "workstationInPlan", "name"))
        status = item.get("status")
        return Job(
            id=job_id,
            name=text(dig(item, *self.job_description_path)) or text(item.get("description")) or name,
            job_id=name,
            status=status_of(
                item, dig(status, "internalStatus"), dig(status, "commonStatus"), dig(status, "canceled")
            ),
            workstation=own_ws or stream_ws,
            job_stream=text(dig(item, "jobStreamInPlan", "name")),
            start_time=parse_time(dig(item, *self.start_time_path)),
            end_time=parse_time(dig(item, *self.end_time_path)),
            return_code=int_or_none(dig(item, *self.return_code_path)),
            at_time=parse_time(dig(item, *self.at_time_path)),
            # the job stream INSTANCE (JobStreamInPlanKey: id, name, startTime): a job's identity
            stream_id=text(dig(item, "jobStreamInPlan", "id")) or text(item.get("jobStreamId")),
            stream_start=parse_time(dig(item, "jobStreamInPlan", "startTime")),
        )

    def parse_job_stream(self, item: Mapping[str, Any]) -> JobStream:
        name = text(dig(item, "key", "name"))
        if not name:
            raise TwsError("bad_response", "a job stream without a name")
        status = item.get("status")
        return JobStream(
            name=name,
            workstation=text(dig(item, "key", "workstationKey", "name")),
            status=status_of(
                item, dig(status, "internalStatus"), dig(status, "commonStatus"), dig(status, "canceled")
            ),
            id=text(item.get("id")),
            start_time=parse_time(dig(item, "key", "startTime")),
        )

    def parse_prompt(self, item: Mapping[str, Any]) -> Prompt:
        """``PromptInPlan``: the operator names a prompt by its ``number`` (conman ``sp``) or its
        ``promptInPlanKey.name``; the reply addresses its ``id``. Status values: UNKNOWN (strings)."""
        ident = text(item.get("id"))
        number = int_or_none(item.get("number"))
        name = str(number) if number is not None else text(dig(item, "promptInPlanKey", "name")) or ident
        if not name:
            raise TwsError("bad_response", "a prompt without a name or id")
        status = text(item.get("status"))
        return Prompt(
            id=name,
            text=text(item.get("text")),
            status=status.upper().replace("_", " "),
            key=ident if ident and ident != name else "",
        )

    def parse_resource(self, item: Mapping[str, Any]) -> Resource:
        return v1_resource(item)

    def parse_workstation(self, item: Mapping[str, Any]) -> Workstation:
        name = text(dig(item, "workstationInPlanKey", "name")) or text(dig(item, "key", "name"))
        if not name:
            raise TwsError("bad_response", "a workstation without a name")
        return self.workstation(name, item, self.linked(item), self.jobman(item))

    @staticmethod
    def workstation(
        name: str, item: Mapping[str, Any], linked: bool | None, jobman: bool | None
    ) -> Workstation:
        """Only what the API says. "Offline" to an operator: unlinked or jobman down (conman ``sc``)."""
        status = "UNKNOWN" if linked is None else "ONLINE" if linked and jobman is not False else "OFFLINE"
        return Workstation(
            name=name,
            status=status,  # type: ignore[arg-type]
            linked=linked,
            jobman_running=jobman,
            kind=text(item.get("type")),
            id=text(item.get("id")),
        )

    def linked(self, item: Mapping[str, Any]) -> bool | None:
        """LINKED / FULLY_LINKED linked, UNLINKED unlinked; NOT_APPLICABLE, anything else or absent:
        unknown. (``L``/``F``/``U``, the plan view's letters, are accepted too.)"""
        value = item.get(self.link_status_field) if self.link_status_field else None
        if isinstance(value, bool):
            return value
        word = value.upper() if isinstance(value, str) else ""
        if word in {"L", "F", "LINKED", "FULLY_LINKED"}:
            return True
        if word in {"U", "UNLINKED"}:
            return False
        return None

    def jobman(self, item: Mapping[str, Any]) -> bool | None:
        value = item.get(self.jobman_field) if self.jobman_field else None
        return value if isinstance(value, bool) else None

    # -- dependencies (see .dependencies for the items)
    def job_target(self, job: Job) -> str:
        return self.path(self.job_path, job_id=job.id)

    def predecessors_target(self, job: Job) -> str:
        return self.path(self.predecessors_path, job_id=job.id)

    def successors_preview_target(self, job: Job) -> str | None:
        if self.successors_preview_path is None:
            return None
        return self.path(self.successors_preview_path, job_id=job.id)

    def parse_dependencies(self, data: Any) -> list[Dependency] | None:
        """The job's ``dependencies``; None when the answer leaves them out (then: the predecessors path)."""
        return v1_dependencies(data)

    def parse_predecessors(self, data: Any) -> list[Dependency]:
        return v1_predecessors(data)

    def parse_successors(self, data: Any) -> list[Dependency] | None:
        """``internalSuccessors`` + ``externalSuccessors``; None when the answer has neither."""
        return v1_successors(data)

    def parse_successors_preview(self, data: Any) -> list[Dependency]:
        return v1_successors_preview(data)
