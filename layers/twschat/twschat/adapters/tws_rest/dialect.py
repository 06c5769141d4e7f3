"""The TWS plan REST API's shapes: THE place to correct the client (:class:`TwsApiDialect` for v1,
:class:`TwsApiDialectV2` for v2). Everything not confirmed by a source is named UNCONFIRMED here.

Sources of every shape (see shared/reference/tws-rest.md):

- HCL's samples (WorkloadAutomation/TWS_REST_API_Python_samples ``rerun.py``/``re_run.py``/``queryJS.py``/
  ``waconn/conn.py``, TWS_REST_API_Shell_script_samples ``jobRerun.sh``, WAdev0/PHP_TWS_REST_API_samples
  ``rerun.php``): the three ``/query`` POSTs and their ``filters`` bodies, ``How-Many`` (default 500),
  bare JSON array answers, ``"lastInRerunChain": true`` in the job filter, job ``id``/``name``/
  ``jobStreamInPlan.{name,startTime,workstationKey.name}``, job stream ``key.{name,startTime,
  workstationKey.name}``, the rerun PUT with ``{}`` answering 202, ``%3B`` for ``;`` in job ids, error
  bodies with ``messages``.
- WAdev0/TWSzOS_REST_API_Python_samples ``save_joblog.py``: ``GET .../job/{id}/joblog`` answering JSON
  ``{"log": "..."}`` (z/OS connector; plain text is accepted too).
- A public integration: the job's own workstation ``jobDefinition.jobDefinitionInPlanKey.
  workstationInPlanKey.name`` (the stream's may differ).
- Product docs (conman): internal statuses and ``status.commonStatus`` values (CANCELED for a cancelled
  job; CANCL only for internetwork dependencies).

v1 changes made here: the rerun-chain filter, the job's own workstation, ``{"log"}`` job logs, job
streams under ``key``, CANCELED from commonStatus, no paging continuation (one page of ``How-Many`` rows,
flagged as possibly incomplete when full), no invented link state (UNKNOWN unless reported).

v2 (10.1 FP1+, ``/twsd/api/v2``): paths, ``limit``/``offset`` and the ``{"count", "results", "next"}``
envelope, UUID-addressed action PUTs answering 200, run-id job logs (plain text) from the product docs'
REST API V2 pages as summarised in the reference; OQL ``name = '...'`` from third-party lab notes; every
field name of v2 items is UNCONFIRMED (modelled on a third-party client's ``PlanJob``/``JobRun``).

Prompts (conman ``sp`` / ``reply``): no public source shows them over REST (HCL's samples, the shell and
PHP samples and the z/OS samples have none). Every prompt shape here is UNCONFIRMED and follows the
other plan objects: v1 ``POST /plan/current/prompt/query`` with ``{"filters": {"promptInPlanFilter":
{...}}}`` answering a bare array; v2 ``GET /api/v2/plan/prompt`` with OQL and the envelope; items read
tolerantly (``name``/``promptName``/``key.name``, ``text``/``message``/``promptText``, ``status`` as a
string or ``{"internalStatus"}``; ``NOT_ASKED`` = ``NOT ASKED``); the reply PUT on the item's ``id``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

from twschat.assistant.domain import Dependency, DependencyKind, Job, JobStream, Prompt, Workstation
from twschat.assistant.tws import TwsError

__all__ = ["REST_TIME_FORMAT", "ListRequest", "TwsApiDialect", "TwsApiDialectV2", "dialect_for", "parse_time"]

logger = logging.getLogger(__name__)

REST_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
Kind = Literal["job", "jobstream", "workstation", "prompt"]


def _dig(item: Any, *path: str) -> Any:
    value: Any = item
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def parse_time(value: Any) -> datetime | None:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` (UTC), tolerating no fraction or an explicit offset; else None."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in (REST_TIME_FORMAT, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("unparsable TWS time %r", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _status(item: Any, internal: Any, common: Any) -> str:
    """The job's state: CANCELED when the plan marks it cancelled (commonStatus), else the internal one."""
    if isinstance(common, str) and common.upper() == "CANCELED":
        return "CANCELED"
    if isinstance(internal, str):
        return internal.upper()
    return _str(item.get("status")).upper() if isinstance(item, Mapping) else ""


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One page of a list: the HTTP method, the target (path and query) and the body (None: no body)."""

    method: str
    target: str
    body: bytes | None


@dataclass(frozen=True)
class TwsApiDialect:
    """Plan REST API v1 (``/twsd/plan/current/...``): see the module docstring for the sources."""

    version: str = "v1"
    plan_id: str = "current"
    job_query_path: str = "/plan/{plan}/job/query"
    job_stream_query_path: str = "/plan/{plan}/jobstream/query"
    workstation_query_path: str = "/plan/{plan}/workstation/query"
    job_action_path: str = "/plan/{plan}/job/{job_id}/action/{action}"
    action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "rerun": "rerun",  # confirmed
            "hold": "hold",  # UNCONFIRMED
            "release": "release",  # UNCONFIRMED
            "cancel": "cancel",  # UNCONFIRMED
            "kill": "kill",  # UNCONFIRMED
            "confirm_succ": "confirm_succ",  # UNCONFIRMED (multi-word v1 actions are snake_case)
            "confirm_abend": "confirm_abend",  # UNCONFIRMED
        }
    )
    # -- actions (kill, confirm, streams, workstations, prompts): no public sample shows the v1 shapes
    # of job stream, workstation or prompt actions; they follow the job action's (all UNCONFIRMED).
    stream_action_path: str = "/plan/{plan}/jobstream/{job_id}/action/{action}"  # UNCONFIRMED
    workstation_action_path: str = "/plan/{plan}/workstation/{job_id}/action/{action}"  # UNCONFIRMED
    prompt_action_path: str = "/plan/{plan}/prompt/{job_id}/action/{action}"  # UNCONFIRMED
    stream_action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "stream_hold": "hold",
            "stream_release": "release",
            "stream_cancel": "cancel",
        }
    )  # UNCONFIRMED
    workstation_action_names: Mapping[str, str] = field(
        default_factory=lambda: {"link": "link", "unlink": "unlink"}
    )  # UNCONFIRMED
    prompt_action_names: Mapping[str, str] = field(
        default_factory=lambda: {"reply_yes": "reply", "reply_no": "reply"}
    )  # UNCONFIRMED
    job_log_path: str = "/plan/{plan}/job/{job_id}/joblog"  # UNCONFIRMED for distributed (z/OS has it)
    # -- reads (prompts): UNCONFIRMED path, filter key and item fields (see the module docstring)
    prompt_query_path: str = "/plan/{plan}/prompt/query"  # UNCONFIRMED
    how_many_header: bool = True
    link_status_field: str = "linkStatus"
    """UNCONFIRMED: no public source shows a link-state field (the plan database view has
    ``Link_status`` L/U/F/N). Read only when present; absent means UNKNOWN."""
    job_description_path: tuple[str, ...] = ("jobDefinition", "description")  # UNCONFIRMED
    start_time_path: tuple[str, ...] = ("timeInfo", "actualStartTime")  # UNCONFIRMED
    end_time_path: tuple[str, ...] = ("timeInfo", "actualEndTime")  # UNCONFIRMED
    return_code_path: tuple[str, ...] = ("returnCode",)  # UNCONFIRMED
    # -- reads (dependencies). UNCONFIRMED for v1: a job by id answering the job with a ``dependencies``
    # array (v2 plan items carry one: HCL docs, "retrieving the predecessors of a job stream in the
    # plan"), and its successors under ``.../successors``.
    at_time_path: tuple[str, ...] = ("timeRestrictions", "startTime")  # UNCONFIRMED
    job_path: str = "/plan/{plan}/job/{job_id}"  # UNCONFIRMED
    job_successors_path: str = "/plan/{plan}/job/{job_id}/successors"  # UNCONFIRMED

    def dependencies_target(self, job: Job) -> str:
        return self.path(self.job_path, job_id=job.id)

    def successors_target(self, job: Job) -> str:
        return self.path(self.job_successors_path, job_id=job.id)

    def dependency_items(self, data: Any) -> list[Mapping[str, Any]]:
        """A job with ``dependencies``, a ``{"results"}`` envelope or a bare array (all accepted)."""
        if isinstance(data, Mapping):
            data = data.get("dependencies", data.get("results"))
        if not isinstance(data, list):
            raise TwsError("bad_response", "expected a list of dependencies")
        return [item for item in data if isinstance(item, Mapping)]

    def parse_dependency(self, item: Mapping[str, Any]) -> Dependency:
        """HCL docs (v2 plan items): ``dependencyType``, ``dependencyStatus``, ``satisfied``, ``jobName``,
        ``jobStreamName``, ``jobStreamWorkstation``. UNCONFIRMED: ``resourceName``, ``quantity``,
        ``available``, ``promptName``, ``promptText``, ``promptStatus``, ``fileName``, ``time``,
        ``status`` (a job's)."""
        kind_raw = _str(item.get("dependencyType")).upper()
        kind: DependencyKind = "job"
        for word, name in (
            ("JOBSTREAM", "stream"),
            ("JOB", "job"),
            ("RESOURCE", "resource"),
            ("PROMPT", "prompt"),
            ("FILE", "file"),
            ("TIME", "time"),
        ):
            if word in kind_raw:
                kind = name  # type: ignore[assignment]
                break
        satisfied = item.get("satisfied")
        if not isinstance(satisfied, bool):
            status = _str(item.get("dependencyStatus")).upper()
            satisfied = True if status in ("SATISFIED", "RELEASED") else False if status else None
        name = (
            _str(item.get("jobName"))
            or _str(item.get("resourceName"))
            or _str(item.get("promptName"))
            or _str(item.get("fileName"))
            or (_str(item.get("jobStreamName")) if kind == "stream" else "")
        )
        return Dependency(
            kind=kind,
            name=_name(name),
            satisfied=satisfied,
            job_stream=_str(item.get("jobStreamName")) if kind != "stream" else "",
            workstation=_name(item.get("workstation") or item.get("jobStreamWorkstation")),
            status=_str(item.get("status") or item.get("promptStatus")).upper(),
            text=_str(item.get("promptText")),
            quantity=_int_or_none(item.get("quantity")),
            available=_int_or_none(item.get("available")),
            at=parse_time(item.get("time")),
        )

    # -- paths
    def path(self, template: str, *, job_id: str = "", action: str = "") -> str:
        # Job ids look like ``WKS;JSINTERNALID;JOBNAME``: reserved characters are encoded (``;`` -> %3B).
        return template.format(
            plan=quote(self.plan_id, safe=""), job_id=quote(job_id, safe=""), action=action
        )

    # -- list requests (v1: one POST of the filter body; the page size is the How-Many header)
    def list_request(self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int) -> ListRequest:
        template = {
            "job": self.job_query_path,
            "jobstream": self.job_stream_query_path,
            "workstation": self.workstation_query_path,
            "prompt": self.prompt_query_path,
        }[kind]
        builders: dict[str, Callable[..., dict[str, Any]]] = {
            "job": self.job_filter,
            "jobstream": self.job_stream_filter,
            "workstation": self.workstation_filter,
            "prompt": self.prompt_filter,
        }
        body = builders[kind](**filters)
        return ListRequest("POST", self.path(template), json.dumps(body).encode())

    def job_filter(
        self,
        *,
        job_name: str = "",
        job_stream: str = "",
        workstation: str = "",
        last_in_rerun_chain: bool = True,
    ) -> dict[str, Any]:
        flt: dict[str, Any] = {
            "jobName": job_name,
            "jobStreamName": job_stream,
            "workstationName": workstation,
        }
        flt = {k: v for k, v in flt.items() if v}
        flt.update(self.status_filter())
        if last_in_rerun_chain:
            flt["lastInRerunChain"] = True  # HCL's rerun sample: only the last instance of each chain
        return {"filters": {"jobInPlanFilter": flt}}

    def status_filter(self) -> dict[str, Any]:
        """UNCONFIRMED: the server-side status filter key is unknown, so nothing is sent and the client
        filters on the status itself."""
        return {}

    def job_stream_filter(self, *, job_stream: str = "", workstation: str = "") -> dict[str, Any]:
        flt = {"jobStreamName": job_stream, "workstationName": workstation}
        return {"filters": {"jobStreamInPlanFilter": {k: v for k, v in flt.items() if v}}}

    def workstation_filter(self, *, workstation: str = "") -> dict[str, Any]:
        flt = {"workstationName": workstation}
        return {"filters": {"workstationInPlanFilter": {k: v for k, v in flt.items() if v}}}

    def prompt_filter(self, *, prompt: str = "") -> dict[str, Any]:
        """UNCONFIRMED: ``promptInPlanFilter`` and ``promptName`` follow the other plan filters."""
        flt = {"promptName": prompt}
        return {"filters": {"promptInPlanFilter": {k: v for k, v in flt.items() if v}}}

    def page(self, data: Any, *, limit: int, offset: int) -> tuple[list[Mapping[str, Any]], bool]:
        """The items of one answer and whether more may remain. v1 answers a bare array and no source
        shows a continuation: a full page may be incomplete (the caller says so; it does not page)."""
        if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
            raise TwsError("bad_response", "expected a JSON array of objects")
        return data, len(data) >= limit

    # -- job log
    def job_log_target(self, job: Job) -> str:
        return self.path(self.job_log_path, job_id=job.id)

    def job_log_accept(self) -> str:
        return "application/json, text/plain;q=0.9"

    def parse_job_log(self, content_type: str, body: bytes) -> str:
        """JSON ``{"log": "..."}`` (the z/OS sample) or plain text; a bare JSON string is accepted too."""
        text = body.decode("utf-8", errors="replace")
        if "json" not in content_type.lower():
            return text
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TwsError("bad_response", "the joblog is not valid JSON") from exc
        if isinstance(data, Mapping):
            data = data.get("log")
        if isinstance(data, str):
            return data
        raise TwsError("bad_response", 'unexpected joblog JSON shape (expected {"log": "..."})')

    # -- actions
    def action_target(self, job: Job, name: str) -> str:
        return self.path(self.job_action_path, job_id=job.id, action=name)

    def other_action_target(self, kind: Kind | Literal["prompt"], ident: str, name: str) -> str:
        """The PUT target of a job stream / workstation / prompt action (UNCONFIRMED shapes)."""
        template = {
            "jobstream": self.stream_action_path,
            "workstation": self.workstation_action_path,
            "prompt": self.prompt_action_path,
        }[kind]
        return self.path(template, job_id=ident, action=name)

    def prompt_reply_body(self, answer: bool) -> dict[str, Any]:
        """UNCONFIRMED: conman ``reply <prompt>;yes|no``; the REST body's key is unknown."""
        return {"reply": "yes" if answer else "no"}

    # -- items -> domain
    def parse_job(self, item: Mapping[str, Any]) -> Job:
        job_id = _str(item.get("id"))
        if not job_id:
            raise TwsError("bad_response", "a job without an id")
        name = _str(item.get("name"))
        stream_ws = _str(_dig(item, "jobStreamInPlan", "workstationKey", "name"))
        own_ws = _str(_dig(item, "jobDefinition", "jobDefinitionInPlanKey", "workstationInPlanKey", "name"))
        return Job(
            id=job_id,
            name=_str(_dig(item, *self.job_description_path)) or name,
            job_id=name,
            status=_status(
                item, _dig(item, "status", "internalStatus"), _dig(item, "status", "commonStatus")
            ),
            workstation=own_ws or stream_ws,
            job_stream=_str(_dig(item, "jobStreamInPlan", "name")),
            start_time=parse_time(_dig(item, *self.start_time_path)),
            end_time=parse_time(_dig(item, *self.end_time_path)),
            return_code=_int_or_none(_dig(item, *self.return_code_path)),
            at_time=parse_time(_dig(item, *self.at_time_path)),
            # the job stream INSTANCE (JobStreamInPlanKey: id, name, startTime): a job's identity
            stream_id=_str(_dig(item, "jobStreamInPlan", "id")) or _str(item.get("jobStreamId")),
            stream_start=parse_time(_dig(item, "jobStreamInPlan", "startTime")),
        )

    def parse_job_stream(self, item: Mapping[str, Any]) -> JobStream:
        name = _str(_dig(item, "key", "name"))
        if not name:
            raise TwsError("bad_response", "a job stream without a name")
        return JobStream(
            name=name,
            workstation=_str(_dig(item, "key", "workstationKey", "name")),
            status=_status(
                item, _dig(item, "status", "internalStatus"), _dig(item, "status", "commonStatus")
            ),
            id=_str(item.get("id")),
            start_time=parse_time(_dig(item, "key", "startTime")),
        )

    def parse_prompt(self, item: Mapping[str, Any]) -> Prompt:
        """UNCONFIRMED fields, read tolerantly: the prompt's number or name (``name``, ``promptName`` or
        ``key.name``; else its ``id``), its question (``text``, ``message`` or ``promptText``), its state
        (``status`` as a string or ``{"internalStatus"}``, or ``promptStatus``: ASKED, NOT ASKED, YES,
        NO). ``key`` is the ``id`` the reply PUT addresses when it differs from the name."""
        ident = _str(item.get("id"))
        name = _name(item.get("name") or item.get("promptName") or _dig(item, "key", "name")) or ident
        if not name:
            raise TwsError("bad_response", "a prompt without a name or id")
        status = item.get("status")
        if isinstance(status, Mapping):
            status = status.get("internalStatus") or status.get("status")
        status = _str(status) or _str(item.get("promptStatus"))
        text = _str(item.get("text")) or _str(item.get("message")) or _str(item.get("promptText"))
        return Prompt(
            id=name,
            text=text,
            status=status.upper().replace("_", " "),
            key=ident if ident and ident != name else "",
        )

    def parse_workstation(self, item: Mapping[str, Any]) -> Workstation:
        name = _str(_dig(item, "workstationInPlanKey", "name"))
        if not name:
            raise TwsError("bad_response", "a workstation without a name")
        return self._workstation(name, item)

    def _workstation(self, name: str, item: Mapping[str, Any]) -> Workstation:
        # Only what the API says: ``ssmRunning`` is the event-monitoring agent, not jobman nor the link.
        linked = self.linked(item)
        return Workstation(
            name=name,
            status="UNKNOWN" if linked is None else ("ONLINE" if linked else "OFFLINE"),
            linked=linked,
            jobman_running=None,
            kind=_str(item.get("type")),  # UNCONFIRMED field name
            id=_str(item.get("id")),
        )

    def linked(self, item: Mapping[str, Any]) -> bool | None:
        """The UNCONFIRMED link-state field, when present: L/F (or LINKED/FULLY_LINKED) linked, U (or
        UNLINKED) unlinked; anything else, or absent, is unknown."""
        if not self.link_status_field:
            return None
        value = item.get(self.link_status_field)
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            return None
        value = value.upper()
        if value in {"L", "F", "LINKED", "FULLY_LINKED"}:
            return True
        if value in {"U", "UNLINKED"}:
            return False
        return None


def _name(value: Any) -> str:
    """A v2 object path (``/FOLDER/NAME`` or ``/NAME``) -> its name."""
    return _str(value).rsplit("/", 1)[-1]


def _oql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class TwsApiDialectV2(TwsApiDialect):
    """Plan REST API v2 (10.1 FP1+): ``GET /twsd/api/v2/plan/{job,jobstream,workstation}`` with an OQL
    filter and ``limit``/``offset``, the ``{"count", "results", "next"}`` envelope, actions on the job's
    UUID answering 200, job logs per run (plain text). Item field names are all UNCONFIRMED."""

    version: str = "v2"
    job_list_path: str = "/api/v2/plan/job"
    job_stream_list_path: str = "/api/v2/plan/jobstream"
    workstation_list_path: str = "/api/v2/plan/workstation"  # UNCONFIRMED
    prompt_list_path: str = "/api/v2/plan/prompt"  # UNCONFIRMED (like the other plan objects)
    job_action_path: str = "/api/v2/plan/job/{job_id}/action/{action}"
    job_log_path: str = "/api/v2/plan/job/run/{job_id}/joblog"
    job_path: str = "/api/v2/plan/job/{job_id}"  # UNCONFIRMED (plan items carry ``dependencies``: docs)
    job_successors_path: str = "/api/v2/plan/job/{job_id}/successors"  # reference; answer UNCONFIRMED
    action_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "rerun": "rerun",
            "hold": "hold",
            "release": "release",
            "cancel": "cancel",
            # product docs (REST API V2), as summarised in the reference
            "kill": "kill",
            "confirm_succ": "confirm-succ",
            "confirm_abend": "confirm-abend",
        }
    )
    stream_action_path: str = "/api/v2/plan/jobstream/{job_id}/action/{action}"  # UNCONFIRMED
    workstation_action_path: str = "/api/v2/plan/workstation/{job_id}/action/{action}"  # UNCONFIRMED
    prompt_action_path: str = "/api/v2/plan/prompt/{job_id}/action/{action}"  # UNCONFIRMED
    how_many_header: bool = False
    oql_fields: Mapping[str, str] = field(
        default_factory=lambda: {
            "job_name": "name",  # third-party lab notes: ``name = '...'`` accepted (``key.name`` refused)
            "job_stream": "jobStreamName",  # UNCONFIRMED
            "workstation": "workstation",  # UNCONFIRMED
        }
    )

    def list_request(self, kind: Kind, filters: Mapping[str, Any], *, limit: int, offset: int) -> ListRequest:
        path = {
            "job": self.job_list_path,
            "jobstream": self.job_stream_list_path,
            "workstation": self.workstation_list_path,
            "prompt": self.prompt_list_path,
        }[kind]
        fields = dict(self.oql_fields)
        if kind == "jobstream":
            fields["job_stream"] = "name"  # UNCONFIRMED
        elif kind == "workstation":
            fields["workstation"] = "name"  # UNCONFIRMED
        elif kind == "prompt":
            fields["prompt"] = "name"  # UNCONFIRMED
        terms = [
            f"{fields[key]} = {_oql_quote(value)}"
            for key, value in filters.items()
            if key in fields and isinstance(value, str) and value
        ]
        query: dict[str, str] = {}
        if terms:
            query["oql"] = " AND ".join(terms)
        query.update(limit=str(limit), offset=str(offset))
        return ListRequest("GET", f"{path}?{urlencode(query, quote_via=quote)}", None)

    def page(self, data: Any, *, limit: int, offset: int) -> tuple[list[Mapping[str, Any]], bool]:
        if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
            raise TwsError("bad_response", 'expected a {"count", "results"} envelope')
        items = data["results"]
        if not all(isinstance(item, Mapping) for item in items):
            raise TwsError("bad_response", "expected results to be objects")
        count = _int_or_none(data.get("count"))
        more = bool(data.get("next")) or (count is not None and offset + len(items) < count)
        return items, more and bool(items)

    def job_log_target(self, job: Job) -> str:
        return self.path(self.job_log_path, job_id=job.run_id or job.id)

    def job_log_accept(self) -> str:
        return "text/plain, application/json;q=0.9"

    def action_target(self, job: Job, name: str) -> str:
        if ";" in job.id:
            # v2 addresses jobs by UUID: a composite WS;JS;JOB key is refused by the master.
            raise TwsError("bad_response", f"REST API v2 needs the job's UUID, not {job.id!r}")
        return self.path(self.job_action_path, job_id=job.id, action=name)

    def _last_run(self, item: Mapping[str, Any]) -> Mapping[str, Any]:
        runs = [r for r in item.get("jobruns") or () if isinstance(r, Mapping)]  # UNCONFIRMED
        last = [r for r in runs if r.get("lastInRerunChain") is True]
        return (last or runs or [{}])[-1]

    def parse_job(self, item: Mapping[str, Any]) -> Job:
        job_id = _str(item.get("id"))
        if not job_id:
            raise TwsError("bad_response", "a job without an id")
        run = self._last_run(item)
        name = _str(item.get("name"))
        internal = _dig(run, "compositeStatus", "status") or item.get("status")
        common = run.get("commonStatus") or item.get("commonStatus")
        if _dig(run, "compositeStatus", "canceled") is True:
            common = "CANCELED"
        return Job(
            id=job_id,
            name=_str(_dig(item, "jobDefinition", "description")) or name,
            job_id=name,
            status=_status({}, internal, common),
            workstation=_name(item.get("workstation")) or _name(item.get("jobStreamWorkstation")),
            job_stream=_str(item.get("jobStreamName")),
            start_time=parse_time(_dig(run, "timeInfo", "actualStartTime")),
            at_time=parse_time(_dig(item, *self.at_time_path)),
            end_time=parse_time(_dig(run, "timeInfo", "actualEndTime")),
            return_code=_int_or_none(run.get("returnCode")),
            run_id=_str(run.get("id")),
            # the job stream INSTANCE (v2 digest: jobStreamId, schedTime): a job's identity
            stream_id=_str(item.get("jobStreamId")),
            stream_start=parse_time(item.get("schedTime")),
        )

    def parse_job_stream(self, item: Mapping[str, Any]) -> JobStream:
        name = _str(item.get("name"))
        if not name:
            raise TwsError("bad_response", "a job stream without a name")
        return JobStream(
            name=name,
            workstation=_name(item.get("workstation")),
            status=_status(item, _dig(item, "compositeStatus", "status"), item.get("commonStatus")),
            id=_str(item.get("id")),
            start_time=parse_time(item.get("schedTime")),
        )

    def parse_workstation(self, item: Mapping[str, Any]) -> Workstation:
        name = _name(item.get("name"))
        if not name:
            raise TwsError("bad_response", "a workstation without a name")
        return self._workstation(name, item)


def dialect_for(version: str) -> TwsApiDialect:
    """``v1`` (default) or ``v2``; ValueError otherwise."""
    if version in ("", "v1"):
        return TwsApiDialect()
    if version == "v2":
        return TwsApiDialectV2()
    raise ValueError(f"TWS API version must be v1 or v2, got {version!r}")
