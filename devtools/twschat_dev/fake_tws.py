"""``twschat fake-tws``: a fake TWS plan REST API (v1, or v2 with ``--api v2``) over real HTTP, serving
the demo plan as a master sends it.

Development and tests only: loopback addresses only, plain HTTP (the real client,
:mod:`twschat.adapters.tws_rest`, verifies TLS; pass ``tls=`` an ``ssl.SSLContext`` to serve HTTPS
with a test certificate). Shapes from shared/reference/tws-rest.md (sources in
:mod:`twschat.adapters.tws_rest.dialect`); fields the client reads as UNCONFIRMED are served under the
names its dialect guesses.

v1 (``/twsd/plan/current``):

- ``POST .../{job,jobstream,workstation,prompt}/query`` with the filter bodies (``jobInPlanFilter`` /
  ``jobStreamInPlanFilter`` / ``workstationInPlanFilter`` / ``promptInPlanFilter``, the last
  UNCONFIRMED; ``*`` wildcards, case-sensitive). Answers a
  bare JSON array of at most ``How-Many`` rows (500 when absent) and nothing else: no continuation.
  Jobs: every instance of every rerun chain, or only the last ones with ``"lastInRerunChain": true``;
  ``workstationName`` matches the job's own workstation or its stream's. Streams: ``key.{name,
  startTime, workstationKey.name}`` and ``status.{internalStatus, commonStatus}``.
- ``PUT .../job/{jobId}/action/{rerun,hold,release,cancel}`` (``jobId`` URL-encoded, ``;`` as ``%3B``):
  202; a rerun adds a new instance (new id) to the job's rerun chain in the same stream. 400 with
  ``messages`` when the job's state does not allow the action; 404 for an unknown job.
- ``GET .../job/{jobId}/joblog``: JSON ``{"log": "..."}``; 404 when the job never ran.
- ``PUT .../job/{jobId}/action/{kill,confirm_succ,confirm_abend}``, ``PUT .../jobstream/{id}/action/
  {hold,release,cancel}``, ``PUT .../workstation/{id}/action/{link,unlink}`` and ``PUT .../prompt/{id}/
  action/reply`` with ``{"reply": "yes"|"no"}``: the shapes the client's dialect guesses (UNCONFIRMED);
  v2 the same under ``/twsd/api/v2/plan`` (job streams and workstations by UUID).

v2 (``/twsd/api/v2/plan``): ``GET job|jobstream|workstation|prompt?oql=...&limit=&offset=`` answering
``{"count", "results", "next"}`` (OQL: ``field = 'value'`` terms joined by AND); jobs are addressed by
UUID with their runs (the rerun chain) in ``jobruns``; ``PUT job/{uuid}/action/{name}`` answers 200 (a
composite ``WS;JS;JOB`` key: 400); ``GET job/run/{runId}/joblog`` answers plain text.

Both: errors are JSON ``{"messages": [...]}``; auth is the configured basic user/password and/or
bearer API key (401 otherwise; none configured = open); faults, at start (``--fault``) or at run time:
``POST /__fault {"mode": "slow", "delay": 3}`` / ``{"mode": "500"}`` / ``{"mode": "401"}`` /
``{"mode": "none"}``; ``GET /__fault`` shows it; ``POST /__reset`` restores the plan and clears the
request log. The control endpoints need no auth.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import re
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import NAMESPACE_URL, uuid5

from twschat.adapters.tws_rest import is_loopback
from twschat.assistant.demo import DemoTwsClient, PlanSpec, dependency_to_rest, plan_spec
from twschat.assistant.domain import JobAction, StreamAction, WorkstationAction
from twschat.assistant.tws import TwsError
from twschat_dev.loopback import LoopbackServer, serve_until_stopped

__all__ = ["FakeTwsServer", "FaultMode", "RequestRecord", "register", "run"]

FaultMode = Literal["none", "slow", "500", "401"]
FAULT_MODES: tuple[str, ...] = ("none", "slow", "500", "401")
ACTIONS: tuple[str, ...] = ("rerun", "hold", "release", "cancel", "kill", "confirm_succ", "confirm_abend")
OTHER_ACTIONS: dict[str, dict[str, str]] = {
    "jobstream": {"hold": "stream_hold", "release": "stream_release", "cancel": "stream_cancel"},
    "workstation": {"link": "link", "unlink": "unlink"},
    "prompt": {"reply": "reply"},
}
MAX_REQUEST_BYTES = 1024 * 1024
MAX_DELAY = 300.0

ApiVersion = Literal["v1", "v2"]
DEFAULT_HOW_MANY = 500

_QUERY = re.compile(r"^/twsd/plan/current/(job|jobstream|workstation|prompt)/query$")
_ACTION = re.compile(r"^/twsd/plan/current/job/([^/]+)/action/([a-z_]+)$")
_OTHER_ACTION = re.compile(
    r"^/twsd/(?:plan/current|api/v2/plan)/(jobstream|workstation|prompt)/([^/]+)/action/([a-z]+)$"
)
_JOBLOG = re.compile(r"^/twsd/plan/current/job/([^/]+)/joblog$")
_READ_JOB = re.compile(r"^/twsd/(plan/current|api/v2/plan)/job/([^/]+)(/successors)?$")
_V2_LIST = re.compile(r"^/twsd/api/v2/plan/(job|jobstream|workstation|prompt)$")
_V2_ACTION = re.compile(r"^/twsd/api/v2/plan/job/([^/]+)/action/([a-z-]+)$")
_V2_JOBLOG = re.compile(r"^/twsd/api/v2/plan/job/run/([^/]+)/joblog$")
_OQL_TERM = re.compile(r"^\s*(\w+)\s*=\s*'((?:[^']|'')*)'\s*$")
V2_ACTIONS: tuple[str, ...] = ("rerun", "hold", "release", "cancel", "kill", "confirm-succ", "confirm-abend")


def _uuid(key: str) -> str:
    """A stable UUID for a plan object (v2 addresses objects by UUID)."""
    return str(uuid5(NAMESPACE_URL, "fake-tws:" + key))


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the server saw (no credentials: only which auth scheme was offered)."""

    method: str
    path: str
    status: int
    auth: str
    how_many: str
    request_id: str
    query: str = ""
    """The raw query string (v2: ``oql``, ``limit``, ``offset``)."""
    body: bytes = b""
    content_type: str = ""
    accept: str = ""


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def _matches(filters: Mapping[str, Any], values: Mapping[str, str]) -> bool:
    for key, pattern in filters.items():
        if key not in values:
            continue  # unknown filter keys are ignored (the real server may be stricter)
        if not isinstance(pattern, str):
            return False
        if pattern and not _wildcard(pattern).match(values[key]):
            return False
    return True


class FakeTwsServer(LoopbackServer):
    name = "fake-tws"
    """The fake server on a background thread: ``FakeTwsServer(port=0).start()``, ``.url``, ``.stop()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        username: str = "",
        password: str = "",
        api_key: str = "",
        fault: FaultMode = "none",
        delay: float = 3.0,
        tls: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] | None = None,
        api: ApiVersion = "v1",
        plan: PlanSpec | str = "small",
    ) -> None:
        if api not in ("v1", "v2"):
            raise ValueError(f"api must be v1 or v2, not {api!r}")
        if not is_loopback(host):
            raise ValueError(f"the fake TWS listens on loopback addresses only, not {host!r}")
        self.host = host
        self.api: ApiVersion = api
        self.username = username
        self.password = password
        self.api_key = api_key
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clock = clock
        """The demo plan's "now" (tests pin it); None is the wall clock."""
        self._plan = plan_spec(plan)
        """The demo plan served ("small", "large" or a test's own PlanSpec)."""
        self._client = DemoTwsClient(clock=clock, plan=self._plan)
        self.requests: list[RequestRecord] = []
        self.fault: FaultMode = "none"
        self.delay = 0.0
        self.set_fault(fault, delay)
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._tls = tls
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    # -- lifecycle (start, stop, context manager: LoopbackServer)
    @property
    def url(self) -> str:
        """Base URL for the client, e.g. ``http://127.0.0.1:31116/twsd``."""
        return self.origin("https" if self._tls is not None else "http") + "/twsd"

    # -- state
    def set_fault(self, mode: str, delay: float | None = None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}, not {mode!r}")
        if delay is not None and not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} s")
        with self._lock:
            self.fault = cast(FaultMode, mode)
            if delay is not None:
                self.delay = float(delay)

    def reset(self, clock: Callable[[], datetime] | None = None) -> None:
        """A fresh demo plan (actions undone), on ``clock`` if given, and no recorded requests."""
        with self._lock:
            if clock is not None:
                self._clock = clock
            self._client = DemoTwsClient(clock=self._clock, plan=self._plan)
            self.requests.clear()

    def plan(self) -> dict[str, Any]:
        """The plan as served now (the ``demo_plan()`` shape, after actions)."""
        with self._lock:
            return self._client.snapshot()

    def count(self, method: str = "", path_prefix: str = "") -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (not method or r.method == method) and r.path.startswith(path_prefix)
            )

    # -- request handling (called on handler threads)
    def _authorized(self, header: str) -> bool:
        if not (self.username or self.api_key):
            return True
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and self.api_key:
            return hmac.compare_digest(value.strip().encode(), self.api_key.encode())
        if scheme.lower() == "basic" and self.username:
            try:
                decoded = base64.b64decode(value.strip(), validate=True)
            except ValueError:
                return False
            expected = f"{self.username}:{self.password}".encode()
            return hmac.compare_digest(decoded, expected)
        return False

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    # v1
    def _query(self, kind: str, body: Mapping[str, Any], how_many: int) -> list[Any]:
        filters = body.get("filters") if isinstance(body, Mapping) else None
        filters = filters if isinstance(filters, Mapping) else {}
        with self._lock:
            plan = self._client.snapshot()
        items: list[dict[str, Any]]
        if kind == "job":
            flt = dict(filters.get("jobInPlanFilter") or {})
            last_only = flt.pop("lastInRerunChain", False) is True
            items = []
            for j in plan["jobs"]:
                last = j.pop("lastInRerunChain")  # bookkeeping, not served
                own = j["jobDefinition"]["jobDefinitionInPlanKey"]["workstationInPlanKey"]["name"]
                stream_ws = j["jobStreamInPlan"]["workstationKey"]["name"]
                if last_only and not last:
                    continue
                values = {"jobName": j["name"], "jobStreamName": j["jobStreamInPlan"]["name"]}
                if _matches(flt, {**values, "workstationName": own}) or _matches(
                    flt, {**values, "workstationName": stream_ws}
                ):
                    items.append(j)
        elif kind == "jobstream":
            flt = filters.get("jobStreamInPlanFilter") or {}
            items = [
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
        elif kind == "prompt":
            flt = filters.get("promptInPlanFilter") or {}
            items = [pr for pr in plan["prompts"] if _matches(flt, {"promptName": pr["name"]})]
        else:
            flt = filters.get("workstationInPlanFilter") or {}
            items = [
                w
                for w in plan["workstations"]
                if _matches(flt, {"workstationName": w["workstationInPlanKey"]["name"]})
            ]
        return items[:how_many]  # one page, no continuation (none is documented)

    def _act(self, job_id: str, action: str) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            job = next((j for j, _last, _root in self._client.instances() if j.id == job_id), None)
            if job is None:
                return 404, {"messages": [f"AWSJPL001E The job {job_id} was not found in the plan."]}
            result = self._client.act(cast(JobAction, action), job)
        if not result.accepted:
            return 400, {"messages": [f"AWSJPL020E The {action} action cannot be performed: {result.detail}"]}
        return (202 if self.api == "v1" else 200), None

    def _act_other(self, kind: str, ident: str, name: str, body: bytes) -> tuple[int, dict[str, Any] | None]:
        """A job stream / workstation / prompt action, by id (v1), UUID (v2) or name."""
        action = OTHER_ACTIONS[kind].get(name)
        if action is None:
            return 404, {"messages": [f"AWSJCO404E Unknown action {name}."]}
        result: Any
        with self._lock:
            client = self._client
            if kind == "jobstream":
                stream = next(
                    (s for s in client.list_job_streams() if ident in (s.id, _uuid(s.id), s.name)), None
                )
                if stream is None:
                    return 404, {
                        "messages": [f"AWSJPL001E The job stream {ident} was not found in the plan."]
                    }
                result = client.act_stream(cast(StreamAction, action), stream)
            elif kind == "workstation":
                ws = next(
                    (w for w in client.list_workstations() if ident in (w.id, _uuid(w.id), w.name)), None
                )
                if ws is None:
                    return 404, {
                        "messages": [f"AWSJPL001E The workstation {ident} was not found in the plan."]
                    }
                result = client.act_workstation(cast(WorkstationAction, action), ws)
            else:
                prompt = next(
                    (p for p in client.list_prompts() if ident in (p.id, p.key, _uuid("prompt:" + p.id))),
                    None,
                )
                if prompt is None:
                    return 404, {"messages": [f"AWSJPL001E The prompt {ident} was not found in the plan."]}
                try:
                    answer = json.loads(body or b"{}").get("reply")
                except (ValueError, AttributeError):
                    answer = None
                if answer not in ("yes", "no"):
                    return 400, {"messages": ['AWSJCO400E The reply must be {"reply": "yes"|"no"}.']}
                result = client.reply_prompt(prompt, answer == "yes")
        if not result.accepted:
            return 400, {"messages": [f"AWSJPL020E The {name} action cannot be performed: {result.detail}"]}
        return (202 if self.api == "v1" else 200), None

    def _job_log(self, job_id: str) -> str | None:
        with self._lock:
            job = next((j for j, _last, _root in self._client.instances() if j.id == job_id), None)
            if job is None:
                return None
            try:
                return self._client.job_log(job)
            except TwsError:
                return None

    # v2
    def _v2_items(self, kind: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every object of ``kind`` in the v2 shape, with the values OQL terms match."""
        with self._lock:
            plan = self._client.snapshot()
            roots = {j.id: root for j, _last, root in self._client.instances()}
        out: list[tuple[dict[str, Any], dict[str, str]]] = []
        if kind == "job":
            jobs: dict[str, dict[str, Any]] = {}
            for j in plan["jobs"]:
                root = roots[j["id"]]
                own = j["jobDefinition"]["jobDefinitionInPlanKey"]["workstationInPlanKey"]["name"]
                item = jobs.get(root)
                if item is None:
                    item = jobs[root] = {
                        "id": _uuid(root),
                        "name": j["name"],
                        "workstation": "/" + own,
                        "jobStreamName": j["jobStreamInPlan"]["name"],
                        "jobStreamWorkstation": "/" + j["jobStreamInPlan"]["workstationKey"]["name"],
                        "jobStreamId": _uuid(j["jobStreamInPlan"]["id"]),
                        "schedTime": j["jobStreamInPlan"]["startTime"],
                        "jobDefinition": {"description": j["jobDefinition"]["description"]},
                        "timeRestrictions": j["timeRestrictions"],
                        "jobruns": [],
                    }
                    out.append(
                        (
                            item,
                            {"name": j["name"], "jobStreamName": item["jobStreamName"], "workstation": own},
                        )
                    )
                item["jobruns"].append(
                    {
                        "id": _uuid("run:" + j["id"]),
                        "lastInRerunChain": j["lastInRerunChain"],
                        "compositeStatus": {
                            "status": j["status"]["internalStatus"],
                            "canceled": j["status"]["commonStatus"] == "CANCELED",
                        },
                        "commonStatus": j["status"]["commonStatus"],
                        "returnCode": j["returnCode"],
                        "timeInfo": j["timeInfo"],
                    }
                )
        elif kind == "jobstream":
            for st in plan["jobStreams"]:
                key = st["key"]
                item = {
                    "id": _uuid(st["id"]),
                    "name": key["name"],
                    "workstation": "/" + key["workstationKey"]["name"],
                    "schedTime": key["startTime"],
                    "compositeStatus": {"status": st["status"]["internalStatus"]},
                    "commonStatus": st["status"]["commonStatus"],
                }
                out.append((item, {"name": key["name"], "workstation": key["workstationKey"]["name"]}))
        elif kind == "prompt":
            for pr in plan["prompts"]:
                item = {**pr, "id": _uuid("prompt:" + pr["name"])}
                out.append((item, {"name": pr["name"]}))
        else:
            for w in plan["workstations"]:
                name = w["workstationInPlanKey"]["name"]
                item = {"id": _uuid(w["id"]), "name": "/" + name, "type": w["type"]}
                if "linkStatus" in w:
                    item["linkStatus"] = w["linkStatus"]
                out.append((item, {"name": name}))
        return out

    def _v2_list(self, kind: str, oql: str, limit: int, offset: int) -> dict[str, Any] | None:
        terms: dict[str, str] = {}
        for part in re.split(r"\s+AND\s+", oql) if oql.strip() else ():
            match = _OQL_TERM.match(part)
            if not match:
                return None
            terms[match.group(1)] = match.group(2).replace("''", "'")
        rows = self._v2_items(kind)
        known = set(rows[0][1]) if rows else set()
        if any(field not in known for field in terms):
            return None
        items = [item for item, values in rows if all(values.get(k) == v for k, v in terms.items())]
        page = items[offset : offset + limit]
        more = offset + len(page) < len(items)
        nxt = f"/twsd/api/v2/plan/{kind}?limit={limit}&offset={offset + len(page)}" if more else None
        return {"count": len(items), "results": page, "next": nxt}

    def _v2_instance(self, *, uuid: str = "", run_id: str = "") -> Any:
        """The job instance a v2 UUID (the last of its chain) or run id names, or None."""
        with self._lock:
            instances = self._client.instances()
        if run_id:
            return next((j for j, _last, _root in instances if _uuid("run:" + j.id) == run_id), None)
        return next((j for j, last, root in instances if last and _uuid(root) == uuid), None)

    def _v2_act(self, uuid: str, action: str) -> tuple[int, dict[str, Any] | None]:
        if ";" in uuid:
            return 400, {"messages": [f"AWSJCO400E The job id {uuid} is not a valid UUID."]}
        job = self._v2_instance(uuid=uuid)
        if job is None:
            return 404, {"messages": [f"AWSJPL001E The job {uuid} was not found in the plan."]}
        action = action.replace("-", "_")  # v2 confirm-succ / confirm-abend
        if action not in ACTIONS:
            return 400, {"messages": [f"AWSJCO401E The fake TWS does not implement {action}."]}
        return self._act(job.id, action)

    # -- reads (dependencies)
    def _read_deps(self, api: str, ident: str, successors: bool) -> list[dict[str, Any]] | None:
        with self._lock:
            client = self._client
            instances = client.instances()
            if api == "v1":
                job = next((j for j, _last, _root in instances if j.id == ident), None)
            else:
                job = next((j for j, last, root in instances if last and _uuid(root) == ident), None)
            if job is None:
                return None
            deps = client.job_successors(job) if successors else client.job_dependencies(job)
        return [dependency_to_rest(d) for d in deps]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(_FakeTwsHandler):
            fake = server

        return Handler


class _FakeTwsHandler(BaseHTTPRequestHandler):
    fake: FakeTwsServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeTWS/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the CLI prints its own lines
        pass

    # -- responses
    def _send(
        self, status: int, body: bytes = b"", content_type: str = "application/json", **headers: str
    ) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/__"):  # recorded before answering, so a client never sees an unrecorded call
            self.fake._record(
                RequestRecord(
                    method=self.command,
                    path=path,
                    status=status,
                    auth=(self.headers.get("Authorization") or "").partition(" ")[0].lower() or "none",
                    how_many=self.headers.get("How-Many") or "",
                    request_id=self.headers.get("Request-Id") or "",
                    query=urlsplit(self.path).query,
                    body=getattr(self, "_request_body", b""),
                    content_type=self.headers.get("Content-Type") or "",
                    accept=self.headers.get("Accept") or "",
                )
            )
        self.send_response(status)
        if body or status not in (HTTPStatus.ACCEPTED, HTTPStatus.NO_CONTENT):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        rid = self.headers.get("Request-Id")
        if rid:
            self.send_header("Request-Id", rid[:100])
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, **headers: str) -> None:
        self._send(status, json.dumps(data).encode(), **headers)

    def _error(self, status: int, *messages: str) -> None:
        self._json(status, {"messages": list(messages)})

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_REQUEST_BYTES:
            self._error(400, "AWSJCO001E Invalid Content-Length.")
            return None
        self._request_body = self.rfile.read(length) if length else b""
        return self._request_body

    # -- dispatch
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/__"):
            self._control(path)
        else:
            self._serve(path, urlsplit(self.path).query)

    def _control(self, path: str) -> None:
        body = self._read_body()
        if body is None:
            return
        if path == "/__fault" and self.command == "GET":
            self._json(200, {"mode": self.fake.fault, "delay": self.fake.delay})
        elif path == "/__fault" and self.command == "POST":
            try:
                data = json.loads(body or b"{}")
                delay = data.get("delay")
                self.fake.set_fault(
                    str(data.get("mode", "none")), float(delay) if delay is not None else None
                )
            except (ValueError, TypeError, AttributeError) as exc:
                self._error(400, f"bad fault request: {exc}")
                return
            self._json(200, {"mode": self.fake.fault, "delay": self.fake.delay})
        elif path == "/__reset" and self.command == "POST":
            self.fake.reset()
            self._json(200, {"reset": True})
        else:
            self._error(404, f"no control endpoint {self.command} {path}")

    def _serve(self, path: str, query: str) -> None:
        fake = self.fake
        body = self._read_body()
        if body is None:
            return
        fault, delay = fake.fault, fake.delay
        if fault == "slow" and fake._stopping.wait(delay):
            return  # stopping: drop the request
        if fault == "401" or not fake._authorized(self.headers.get("Authorization") or ""):
            self._error(401, "AWSJCO005E You are not authorized to perform the requested operation.")
            return
        if fault == "500":
            self._error(500, "AWSJCO999E Internal server error (fault injected by the fake TWS).")
            return
        if self.command == "GET" and (match := _READ_JOB.match(path)):  # -- reads (dependencies)
            self._dependencies(match.group(1), unquote(match.group(2)), match.group(3) or "")
            return

        if match := _OTHER_ACTION.match(path):
            if self.command != "PUT" or ("/api/v2/" in path) != (fake.api == "v2"):
                self._error(405 if self.command != "PUT" else 404, f"{self.command} is not allowed on {path}")
                return
            self._answer(*fake._act_other(match.group(1), unquote(match.group(2)), match.group(3), body))
        elif fake.api == "v2":
            self._serve_v2(path, query)
        elif match := _QUERY.match(path):
            if self.command != "POST":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            self._query(match.group(1), body)
        elif match := _ACTION.match(path):
            if self.command != "PUT":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            action = match.group(2)
            if action not in ACTIONS:
                self._error(404, f"AWSJCO404E Unknown action {action}.")
                return
            self._answer(*fake._act(unquote(match.group(1)), action))
        elif match := _JOBLOG.match(path):
            if self.command != "GET":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            job_id = unquote(match.group(1))
            log = fake._job_log(job_id)
            if log is None:
                self._error(404, f"AWSJPL010E No joblog is available for the job {job_id}.")
                return
            self._json(200, {"log": log})
        else:
            self._error(404, f"AWSJCO404E The resource {path} was not found.")

    def _dependencies(self, api: str, ident: str, successors: str) -> None:
        fake = self.fake
        if (api == "api/v2/plan") != (fake.api == "v2"):
            self._error(404, f"AWSJCO404E The resource {self.path} was not found.")
            return
        deps = fake._read_deps(fake.api, ident, bool(successors))
        if deps is None:
            self._error(404, f"AWSJPL001E The job {ident} was not found in the plan.")
        elif successors:
            self._json(200, deps if fake.api == "v1" else {"count": len(deps), "results": deps, "next": None})
        else:
            self._json(200, {"id": ident, "dependencies": deps})

    def _answer(self, status: int, data: dict[str, Any] | None) -> None:
        if data is None:
            self._send(status)
        else:
            self._json(status, data)

    def _serve_v2(self, path: str, query: str) -> None:
        fake = self.fake
        if match := _V2_LIST.match(path):
            if self.command != "GET":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            params = parse_qs(query)
            raw_limit = params.get("limit", ["50"])[0]
            raw_offset = params.get("offset", ["0"])[0]
            if not raw_limit.isdigit() or not raw_offset.isdigit() or int(raw_limit) < 1:
                self._error(400, "AWSJCO010E limit and offset must be non-negative integers.")
                return
            answer = fake._v2_list(
                match.group(1), params.get("oql", [""])[0], int(raw_limit), int(raw_offset)
            )
            if answer is None:
                self._error(400, "OQL_FILTER_SYNTAX_ERROR The oql filter is not valid.")
                return
            self._json(200, answer)
        elif match := _V2_ACTION.match(path):
            if self.command != "PUT":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            action = match.group(2)
            if action not in V2_ACTIONS:
                self._error(404, f"AWSJCO404E Unknown action {action}.")
                return
            self._answer(*fake._v2_act(unquote(match.group(1)), action))
        elif match := _V2_JOBLOG.match(path):
            if self.command != "GET":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            run_id = unquote(match.group(1))
            job = fake._v2_instance(run_id=run_id)
            log = fake._job_log(job.id) if job is not None else None
            if log is None:
                self._error(404, f"AWSJPL010E No joblog is available for the run {run_id}.")
                return
            self._send(200, log.encode(), content_type="text/plain; charset=utf-8")
        else:
            self._error(404, f"AWSJCO404E The resource {path} was not found.")

    def _query(self, kind: str, body: bytes) -> None:
        raw = (self.headers.get("How-Many") or "").strip()
        if raw and (not raw.isdigit() or int(raw) < 1):
            self._error(400, "AWSJCO010E The How-Many header is not a positive integer.")
            return
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            self._error(400, "AWSJCO011E The request body is not valid JSON.")
            return
        self._json(200, self.fake._query(kind, data, int(raw) if raw else DEFAULT_HOW_MANY))


# ------------------------------------------------------------------------------------------------- CLI
def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-tws",
        help="serve the demo plan through a fake TWS plan REST API v1 or v2 (loopback, plain HTTP)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=31116, help="port (default 31116; 0 = any free port)")
    parser.add_argument("--user", default="", help="basic auth user (with --password)")
    parser.add_argument("--password", default="", help="basic auth password")
    parser.add_argument("--api-key", default="", help="bearer API key")
    parser.add_argument("--fault", choices=FAULT_MODES, default="none", help="fault to inject from the start")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the slow fault waits (default 3)")
    parser.add_argument(
        "--api", choices=("v1", "v2"), default="v1", help="REST API version to speak (default v1)"
    )
    parser.add_argument(
        "--plan", choices=("small", "large"), default="small", help="demo plan to serve (default small)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, *, out: Callable[[str], None] | None = None) -> int:
    emit = out or (lambda line: print(line, flush=True))
    if bool(args.user) != bool(args.password):
        emit("fake-tws: --user and --password go together")
        return 2
    try:
        server = FakeTwsServer(
            args.host,
            args.port,
            username=args.user,
            password=args.password,
            api_key=args.api_key,
            fault=args.fault,
            delay=args.delay,
            api=getattr(args, "api", "v1"),
            plan=getattr(args, "plan", "small"),
        )
    except (ValueError, OSError) as exc:
        emit(f"fake-tws: {exc}")
        return 2
    auth = [f"basic user {args.user}"] if args.user else []
    auth += ["bearer API key"] if args.api_key else []
    emit(
        f"fake TWS REST API {server.api} at {server.url} (plain HTTP, loopback only; the real client verifies TLS)"
    )
    emit(f"auth: {' or '.join(auth) if auth else 'none (open)'}; fault: {server.fault}")
    control = server.url.rsplit("/twsd", 1)[0] + "/__fault"
    emit(f'faults at run time: curl -X POST {control} -d \'{{"mode": "slow", "delay": 3}}\'')

    return serve_until_stopped(server, emit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fake-tws")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fake-tws", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
