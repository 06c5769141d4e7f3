"""The fake TWS's answers over a demo plan, in the vendor's shapes (:mod:`twschat.adapters.tws_rest.render`).

Each method takes what a request carries and returns an :class:`Answer` (status, JSON or text body,
headers); the HTTP side (:mod:`twschat_dev.fake_tws`) routes, authenticates, injects faults and records.
Error bodies are ``{"messages": [...]}`` (HCL's samples; the spec declares none).

v1: queries answer at most ``How-Many`` rows (0 = all; absent = 500; over 10000 = 400) with the
``Last-Object`` and ``How-Many-Returned`` headers; ``query_next`` continues after the object its
``Last-Object`` header names; filters ``jobName``/``jobStreamName``/``workstationName`` (``*``
wildcards), ``lastInRerunChain``, ``internalStatusList``/``statusList``, ``promptName``/``promptNumber``.
v2: the ``{"count", "results"}`` envelope, OQL ``field = 'v'`` and ``field IN ['a','b']`` terms joined
by AND, refusals as HTTP 500 wrapping AWSBIN076E (as a real install answered).

Over 400 lines: one method per operation of the API the client uses, both versions (the shapes are
rendered elsewhere: this is only which objects answer a request).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from twschat.adapters.tws_rest.render import (
    dependency_to_v2,
    job_detail_to_rest,
    job_stream_to_v2,
    job_to_rest,
    prompt_to_v2,
    render_plan,
    uuid_of,
    workstation_to_v2,
)
from twschat.adapters.tws_rest.resources import RESOURCE_DEPENDENCY_FILTER, resource_to_rest, resource_to_v2
from twschat.adapters.tws_rest.shapes import CONMAN_TO_SPEC, common_status, rest_time
from twschat.assistant.demo import DemoTwsClient, PlanSpec, plan_spec
from twschat.assistant.domain import ActionResult, Job, JobAction, JobStream, StreamAction, WorkstationAction
from twschat.assistant.tws import TwsError

__all__ = ["Answer", "FakePlan"]

DEFAULT_HOW_MANY = 500
MAX_HOW_MANY = 10000
JOB_ACTIONS: tuple[str, ...] = ("rerun", "hold", "release", "cancel", "kill", "confirm_succ", "confirm_abend")
STREAM_ACTIONS = {"hold": "stream_hold", "release": "stream_release", "cancel": "stream_cancel"}
LINK_STATUS = {"link": 200, "unlink": 202}
"""v1 answers: ``link`` 200, ``unlink`` 202 (the spec)."""
_OQL_EQ = re.compile(r"^\s*([\w.]+)\s*=\s*'((?:[^']|'')*)'\s*$")
_OQL_IN = re.compile(r"^\s*([\w.]+)\s+IN\s+\[(.*)\]\s*$")
_OQL_VALUE = re.compile(r"'((?:[^']|'')*)'")
REFUSED_V2 = (
    "AWSJSY404E An internal error occurred: AWSBIN076E The operation cannot be performed. "
    "The job or the current instance of the job is in an incorrect state. {detail}"
)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any = None
    """JSON-ready data, or ``str`` for a text/plain answer, or None for no body."""
    headers: Mapping[str, str] = field(default_factory=dict)


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"messages": [message]})


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def _matches(filters: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    for key, pattern in filters.items():
        if key not in values:
            continue  # unknown filter keys are ignored (the real server may be stricter)
        value = values[key]
        if isinstance(pattern, list):
            if value not in pattern and not (isinstance(value, list) and set(value) & set(pattern)):
                return False
        elif isinstance(pattern, str):
            if pattern and not _wildcard(pattern).match(str(value)):
                return False
        elif pattern != value:
            return False
    return True


def _oql(oql: str) -> dict[str, list[str]] | None:
    """``field = 'v'`` / ``field IN ['a','b']`` terms joined by AND -> field: accepted values."""
    terms: dict[str, list[str]] = {}
    for part in re.split(r"\s+AND\s+", oql) if oql.strip() else ():
        if match := _OQL_EQ.match(part):
            terms[match.group(1)] = [match.group(2).replace("''", "'")]
        elif match := _OQL_IN.match(part):
            terms[match.group(1)] = [v.replace("''", "'") for v in _OQL_VALUE.findall(match.group(2))]
        else:
            return None
    return terms


class FakePlan:
    """A demo plan and the answers to the API's operations over it (thread-safe)."""

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        *,
        job_details: bool = True,
        plan: PlanSpec | str = "small",
    ) -> None:
        self.job_details = job_details
        """False: ``GET job/{id}`` leaves out dependencies and successors (whether a master fills them is
        UNKNOWN), so the client reads ``predecessors`` and ``jobsuccessors/preview``."""
        self._lock = threading.Lock()
        self._clock = clock
        self._plan = plan_spec(plan)
        """The demo plan served ("small", "large" or a test's own PlanSpec)."""
        self.client = DemoTwsClient(clock=clock, plan=self._plan)

    def reset(self, clock: Callable[[], datetime] | None = None) -> None:
        with self._lock:
            if clock is not None:
                self._clock = clock
            self.client = DemoTwsClient(clock=self._clock, plan=self._plan)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return render_plan(self.client)

    # ------------------------------------------------------------------------------------ v1 reads
    def query(self, kind: str, filters: Mapping[str, Any], how_many: str, after: str | None) -> Answer:
        """``query`` (``after`` None) or ``query_next`` (``after``: the ``Last-Object`` received)."""
        raw = how_many.strip()
        if raw and (not raw.isdigit() or int(raw) > MAX_HOW_MANY):
            return _error(400, "AWSJCO010E The How-Many header must be an integer from 0 to 10000.")
        limit = int(raw) if raw else DEFAULT_HOW_MANY
        items = self._v1_items(kind, filters)
        if after is not None:
            ids = [str(item.get("id", "")) for item in items]
            if after not in ids:
                return _error(400, f"AWSJCO012E The Last-Object {after} is not in the answer set.")
            items = items[ids.index(after) + 1 :]
        page = items if limit == 0 else items[:limit]
        headers = {"How-Many-Returned": str(len(page))}
        if page:
            headers["Last-Object"] = str(page[-1].get("id", ""))
        return Answer(200, page, headers)

    def _resources(self) -> list[tuple[Any, dict[str, Any]]]:
        """Each resource with its v1 item (the holders' stream instances' start times filled)."""
        with self._lock:
            starts = {s.id: s.start_time for s in self.client.list_job_streams()}
            return [(r, resource_to_rest(r, starts)) for r in self.client.list_resources()]

    def _needing(self, name: str) -> set[str]:
        """The plan ids of the jobs whose dependencies name resource ``name`` (``resourceDependencyName``)."""
        with self._lock:
            client = self.client
            return {
                j.id
                for j in client.list_jobs()
                if any(d.kind == "resource" and d.name == name for d in client.job_dependencies(j))
            }

    def _v1_items(self, kind: str, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
        plan = self.snapshot()
        if kind == "resource":
            flt = filters.get("resourceInPlanFilter") or {}
            return [item for r, item in self._resources() if _matches(flt, {"resourceName": r.name})]
        if kind == "job":
            flt = dict(filters.get("jobInPlanFilter") or {})
            last_only = flt.pop("lastInRerunChain", False) is True
            needing = flt.pop(RESOURCE_DEPENDENCY_FILTER, None)
            ids = self._needing(str(needing)) if needing is not None else None
            out = []
            for j in plan["jobs"]:
                if ids is not None and j["id"] not in ids:
                    continue
                values = {
                    "jobName": j["name"],
                    "jobStreamName": j["jobStreamInPlan"]["name"],
                    "internalStatusList": j["status"]["internalStatus"],
                    "statusList": j["status"]["commonStatus"],
                }
                own = j["workstationInPlan"]["name"]
                stream_ws = j["jobStreamInPlan"]["workstationKey"]["name"]
                if last_only and not j["lastInRerunChain"]:
                    continue
                if _matches(flt, {**values, "workstationName": own}) or _matches(
                    flt, {**values, "workstationName": stream_ws}
                ):
                    out.append(j)
            return out
        if kind == "jobstream":
            flt = filters.get("jobStreamInPlanFilter") or {}
            return [
                s
                for s in plan["jobStreams"]
                if _matches(
                    flt,
                    {
                        "jobStreamName": s["key"]["name"],
                        "workstationName": s["key"]["workstationKey"]["name"],
                    },
                )
            ]
        if kind == "prompt":
            flt = filters.get("promptInPlanFilter") or {}
            return [
                p
                for p in plan["prompts"]
                if _matches(
                    flt, {"promptName": p["promptInPlanKey"]["name"], "promptNumber": p.get("number")}
                )
            ]
        flt = filters.get("workstationInPlanFilter") or {}
        return [
            w
            for w in plan["workstations"]
            if _matches(flt, {"workstationName": w["workstationInPlanKey"]["name"]})
        ]

    def _instance(self, *, job_id: str = "", uuid: str = "", run_id: str = "") -> tuple[Job, bool] | None:
        for job, last, root in self.client.instances():
            if (job_id and job.id == job_id) or (run_id and uuid_of("run:" + job.id) == run_id):
                return job, last
            if uuid and last and uuid_of(root) == uuid:
                return job, last
        return None

    def job(self, job_id: str) -> Answer:
        """``GET .../job/{jobId}``: the job with its dependencies and successors."""
        with self._lock:
            found = self._instance(job_id=job_id)
            if found is None:
                return _error(404, f"AWSJPL001E The job {job_id} was not found in the plan.")
            job, last = found
            streams = {s.name: s for s in self.client.list_job_streams()}
            deps = self.client.job_dependencies(job)
            succ = self.client.job_successors(job)
            kept = self.client.kept_state(job.id)
        if not self.job_details:
            return Answer(200, job_to_rest(job, streams.get(job.job_stream), internal_status=kept, last=last))
        return Answer(200, job_detail_to_rest(job, streams, deps, succ, internal_status=kept, last=last))

    def predecessors(self, job_id: str) -> Answer:
        """``JobInPlanOnCriticalNetwork``: ``jobPredecessors`` (ids) and the non-job ``dependencies``."""
        with self._lock:
            found = self._instance(job_id=job_id)
            if found is None:
                return _error(404, f"AWSJPL001E The job {job_id} was not found in the plan.")
            streams = {s.name: s for s in self.client.list_job_streams()}
            item = job_detail_to_rest(found[0], streams, self.client.job_dependencies(found[0]), ())
        internal = item["dependencies"].get("internalDependencyInPlan", [])
        with self._lock:
            by_name = {j.job_id: j.id for j in self.client.list_jobs()}
        deps = {k: v for k, v in item["dependencies"].items() if k != "internalDependencyInPlan"}
        body = {
            "id": item["id"],
            "key": {"name": item["name"], "jobStreamInPlanKey": item["jobStreamInPlan"]},
            "status": item["status"],
            "jobPredecessors": [by_name[d["jobInPlanKey"]["name"]] for d in internal],
            "dependencies": deps,
        }
        return Answer(200, body)

    def successors_preview(self, job_id: str) -> Answer:
        """``JobInPlanSuccessorsResult``: ``values`` of ``JobInPlanOnCriticalNetwork``."""
        with self._lock:
            found = self._instance(job_id=job_id)
            if found is None:
                return _error(404, f"AWSJPL001E The job {job_id} was not found in the plan.")
            streams = {s.name: s for s in self.client.list_job_streams()}
            jobs = {j.job_id: j for j in self.client.list_jobs()}
            succ = [jobs[d.name] for d in self.client.job_successors(found[0]) if d.name in jobs]
        values = []
        for s in succ:
            item = job_to_rest(s, streams.get(s.job_stream))
            values.append(
                {
                    "id": s.id,
                    "key": {"name": s.job_id, "jobStreamInPlanKey": item["jobStreamInPlan"]},
                    "status": item["status"],
                }
            )
        return Answer(200, {"values": values})

    def job_log(self, *, job_id: str = "", run_id: str = "") -> str | None:
        with self._lock:
            found = self._instance(job_id=job_id, run_id=run_id)
            if found is None:
                return None
            try:
                return self.client.job_log(found[0])
            except TwsError:
                return None

    # --------------------------------------------------------------------------------- actions
    def act(
        self, action: str, *, job_id: str = "", uuid: str = "", run_id: str = "", v2: bool = False
    ) -> Answer:
        with self._lock:
            found = self._instance(job_id=job_id, uuid=uuid, run_id=run_id)
            if found is None:
                return _error(
                    404, f"AWSJPL001E The job {job_id or uuid or run_id} was not found in the plan."
                )
            result = self.client.act(cast(JobAction, action), found[0])
        return self._acted(result, f"The {action} action", 202, v2, uuid or run_id)

    def act_stream(self, ident: str, name: str, *, v2: bool = False) -> Answer:
        with self._lock:
            client = self.client
            stream = next(
                (s for s in client.list_job_streams() if ident in (s.id, uuid_of(s.id), s.name)), None
            )
            if stream is None:
                return _error(404, f"AWSJPL001E The job stream {ident} was not found in the plan.")
            result = client.act_stream(cast(StreamAction, STREAM_ACTIONS[name]), stream)
        return self._acted(result, f"The job stream {name}", 202, v2, ident)

    def act_workstation(self, ident: str, name: str, *, v2: bool = False) -> Answer:
        with self._lock:
            client = self.client
            ws = next((w for w in client.list_workstations() if ident in (w.id, uuid_of(w.id), w.name)), None)
            if ws is None:
                return _error(404, f"AWSJPL001E The workstation {ident} was not found in the plan.")
            result = client.act_workstation(cast(WorkstationAction, name), ws)
        return self._acted(result, f"The {name}", LINK_STATUS[name], v2, ident)

    def reply(self, ident: str, answer: bool, *, v2: bool = False) -> Answer:
        with self._lock:
            client = self.client
            prompt = next(
                (p for p in client.list_prompts() if ident in (p.id, p.key, uuid_of("prompt:" + p.id))), None
            )
            if prompt is None:
                return _error(404, f"AWSJPL001E The prompt {ident} was not found in the plan.")
            result = client.reply_prompt(prompt, answer)
        return self._acted(result, "The reply", 202, v2, ident)

    @staticmethod
    def _acted(result: ActionResult[Any], what: str, v1_status: int, v2: bool, ident: str) -> Answer:
        if result.accepted:
            return Answer(200, {"id": ident}) if v2 else Answer(v1_status)
        if v2:
            return _error(500, REFUSED_V2.format(detail=result.detail))
        return _error(400, f"AWSJPL020E {what} cannot be performed: {result.detail}")

    # ------------------------------------------------------------------------------------ v2 reads
    def v2_list(self, kind: str, oql: str, limit: int, offset: int) -> Answer:
        terms = _oql(oql)
        rows = self._v2_rows(kind)
        known = set(rows[0][1]) if rows else set()
        if terms is None or any(name not in known for name in terms):
            return _error(400, "OQL_FILTER_SYNTAX_ERROR The oql filter is not valid.")
        items = [item for item, values in rows if all(values.get(k) in v for k, v in terms.items())]
        return Answer(200, {"count": len(items), "results": items[offset : offset + limit]})

    def v2_job(self, uuid: str) -> Answer:
        with self._lock:
            found = self._instance(uuid=uuid)
            if found is None:
                return _error(404, "No job with the provided ID was found in the plan.")
            deps = self.client.job_dependencies(found[0])
        row = next(item for item, _values in self._v2_rows("job") if item["id"] == uuid)
        return Answer(
            200, {**row, "dependencies": [dependency_to_v2(d, found[0]) for d in deps if d.kind != "time"]}
        )

    def _v2_rows(self, kind: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every object of ``kind`` in the v2 shape, with the values OQL terms match."""
        with self._lock:
            client = self.client
            if kind == "jobstream":
                return [
                    (job_stream_to_v2(s), {"name": s.name, "workstation": s.workstation})
                    for s in client.list_job_streams()
                ]
            if kind == "workstation":
                return [(workstation_to_v2(w), {"name": w.name}) for w in client.list_workstations()]
            if kind == "prompt":
                return [(prompt_to_v2(p), {"name": p.id}) for p in client.list_prompts()]
            if kind == "resource":
                return self._v2_resources()
            instances = client.instances()
            kept = {j.id: client.kept_state(j.id) for j, _last, _root in instances}
            streams = {s.id: s for s in client.list_job_streams()}
            stream_ws = {s.name: s.workstation for s in client.list_job_streams()}
        return self._v2_jobs(instances, kept, stream_ws, streams)

    def _v2_resources(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Resources by UUID; their holders' job stream instances by the UUID v2 gives them."""
        starts = {uuid_of(s.id): s.start_time for s in self.client.list_job_streams()}
        rows = []
        for r in self.client.list_resources():
            holders = tuple(replace(h, stream_id=uuid_of(h.stream_id)) for h in r.holders if h.stream_id)
            item = resource_to_v2(replace(r, holders=holders), starts, uuid_of("resource:" + r.id))
            rows.append((item, {"name": r.name}))
        return rows

    @staticmethod
    def _v2_jobs(
        instances: Any,
        kept: Mapping[str, str],
        stream_ws: Mapping[str, str],
        streams: Mapping[str, JobStream] | None = None,
    ) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Jobs by UUID (the chain's first instance), their runs (the rerun chain) in ``jobruns``."""
        jobs: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
        for job, last, root in instances:
            if root not in jobs:
                item = {
                    "id": uuid_of(root),
                    "name": job.job_id,
                    "workstation": "/" + job.workstation,
                    "jobStreamName": job.job_stream,
                    "jobStreamWorkstation": "/" + stream_ws.get(job.job_stream, job.workstation),
                    # the job stream INSTANCE (JobInPlanV2.jobStreamId, schedTime): a job's identity
                    **(
                        {
                            "jobStreamId": uuid_of(job.stream_id),
                            "schedTime": rest_time((streams or {})[job.stream_id].start_time),
                        }
                        if job.stream_id and job.stream_id in (streams or {})
                        else {}
                    ),
                    "jobDefinition": {"description": job.name},
                    "timeRestrictions": {"startTime": rest_time(job.at_time)} if job.at_time else {},
                    "jobruns": [],
                }
                jobs[root] = (
                    item,
                    {"name": job.job_id, "jobStreamName": job.job_stream, "workstation": job.workstation},
                )
            internal = kept.get(job.id) or ("HOLD" if job.status == "CANCELED" else job.status)
            run = {
                "id": uuid_of("run:" + job.id),
                "jobId": uuid_of(root),
                "lastInRerunChain": last,
                "compositeStatus": {
                    "status": CONMAN_TO_SPEC.get(internal, internal),
                    "canceled": job.status == "CANCELED",
                },
                "commonStatus": common_status(job.status),
                "returnCode": job.return_code,
                "timeInfo": {
                    "actualStartTime": rest_time(job.start_time),
                    "actualEndTime": rest_time(job.end_time),
                },
            }
            run["timeInfo"] = {k: v for k, v in run["timeInfo"].items() if v is not None}
            jobs[root][0]["jobruns"].append({k: v for k, v in run.items() if v is not None})
            if last:
                jobs[root][1]["jobruns.compositeStatus.status"] = run["compositeStatus"]["status"]
        return list(jobs.values())
