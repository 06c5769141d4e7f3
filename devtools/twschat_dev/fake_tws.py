"""``twschat fake-tws``: a fake TWS plan REST API (v1, or v2 with ``--api v2``) over real HTTP, serving
the demo plan in the vendor's shapes.

Development and tests only: loopback addresses only, plain HTTP (the real client,
:mod:`twschat.adapters.tws_rest`, verifies TLS; pass ``tls=`` an ``ssl.SSLContext`` to serve HTTPS
with a test certificate). What it serves is rendered by :mod:`twschat.adapters.tws_rest.render` and
answered by :mod:`twschat_dev.fake_tws_plan`; tests/contract/ validates every request and answer
against the vendor's spec (reduced copies), so the fake cannot drift from it.

v1 (``/twsd/plan/current``): ``POST {job,jobstream,workstation,prompt,resource}/query`` and
``.../query_next`` (``How-Many``, ``Last-Object``); ``GET job/{jobId}`` (with ``dependencies``, ``internalSuccessors``,
``externalSuccessors``), ``GET job/{jobId}/predecessors``, ``GET job/{jobId}/jobsuccessors/preview``,
``GET job/{jobId}/joblog`` (``JobLog``); ``PUT job/{jobId}/action/{rerun,hold,release,cancel,kill,
confirm_succ,confirm_abend}`` (202), ``PUT jobstream/{id}/action/{hold,release,cancel}`` (202),
``PUT workstation/{id}/action/link`` (200) and ``unlink`` (202), ``PUT prompt/{id}/action/reply`` with
the ``Answer`` header and no body (202). A refusal: 400 with ``messages``.

v2 (``/twsd/api/v2/plan``): ``GET job|jobstream|workstation|prompt|resource?oql=&limit=&offset=`` (envelope
``{"count", "results"}``); ``GET job/{uuid}`` (with ``dependencies``); ``PUT job/{uuid}/action/{hold,
release,cancel,kill,confirm-succ,confirm-abend}``, ``PUT job/run/{runId}/action/rerun``, ``PUT
jobstream/{uuid}/action/*``, ``PUT workstation/{uuid}/action/{link,unlink}``, ``PUT prompt/{uuid}/
action/reply`` with a required body (all 200 with ``{"id"}``; a refusal is HTTP 500 wrapping AWSBIN076E,
as a real install answered); ``GET job/run/{runId}/joblog`` (plain text); a composite job key: 400.

Both: errors are JSON ``{"messages": [...]}``; auth is the configured basic user/password and/or
bearer API key (401 otherwise; none configured = open); faults, at start (``--fault``) or at run time:
``POST /__fault {"mode": "slow", "delay": 3}`` / ``{"mode": "500"}`` / ``{"mode": "401"}`` /
``{"mode": "none"}``; ``GET /__fault`` shows it; ``POST /__reset`` restores the plan and clears the
request log. The control endpoints need no auth. Every other request is recorded with its answer.

Over 400 lines: the routing tables and one short handler per operation of both APIs.
"""

from __future__ import annotations

import argparse
import base64
import errno
import hmac
import json
import re
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from twschat.adapters.tws_rest import is_loopback
from twschat.adapters.tws_rest.shapes import Kind
from twschat.assistant.demo import DemoTwsClient, PlanSpec
from twschat.assistant.tws import TwsError
from twschat_dev.fake_tws_plan import JOB_ACTIONS, LINK_STATUS, STREAM_ACTIONS, Answer, FakePlan
from twschat_dev.loopback import LoopbackServer, serve_until_stopped

__all__ = ["FakeTwsServer", "FaultMode", "RequestRecord", "register", "run"]

FaultMode = Literal["none", "slow", "500", "401"]
FAULT_MODES: tuple[str, ...] = ("none", "slow", "500", "401")
MAX_REQUEST_BYTES = 1024 * 1024
MAX_DELAY = 300.0
ApiVersion = Literal["v1", "v2"]
V2_ACTIONS = {a.replace("_", "-"): a for a in JOB_ACTIONS if a != "rerun"}

_V1 = "/twsd/plan/current"
_V2 = "/twsd/api/v2/plan"
_KINDS = "|".join(get_args(Kind))
"""The plan objects listed by query (v1) or GET (v2): the dialects' own list (a new read adds none here)."""
# (method, pattern) -> handler name; groups are URL-decoded path segments
_ROUTES_V1: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(rf"^{_V1}/({_KINDS})/query$"), "_v1_query"),
    ("POST", re.compile(rf"^{_V1}/({_KINDS})/query_next$"), "_v1_query_next"),
    ("GET", re.compile(rf"^{_V1}/job/([^/]+)$"), "_v1_job"),
    ("GET", re.compile(rf"^{_V1}/job/([^/]+)/predecessors$"), "_v1_predecessors"),
    ("GET", re.compile(rf"^{_V1}/job/([^/]+)/jobsuccessors/preview$"), "_v1_successors"),
    ("GET", re.compile(rf"^{_V1}/job/([^/]+)/joblog$"), "_v1_joblog"),
    ("PUT", re.compile(rf"^{_V1}/job/([^/]+)/action/([a-z_]+)$"), "_v1_act"),
    ("PUT", re.compile(rf"^{_V1}/jobstream/([^/]+)/action/([a-z_]+)$"), "_v1_act_stream"),
    ("PUT", re.compile(rf"^{_V1}/workstation/([^/]+)/action/([a-z_]+)$"), "_v1_act_workstation"),
    ("PUT", re.compile(rf"^{_V1}/prompt/([^/]+)/action/reply$"), "_v1_reply"),
)
_ROUTES_V2: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("GET", re.compile(rf"^{_V2}/({_KINDS})$"), "_v2_list"),
    ("GET", re.compile(rf"^{_V2}/job/run/([^/]+)/joblog$"), "_v2_joblog"),
    ("PUT", re.compile(rf"^{_V2}/job/run/([^/]+)/action/rerun$"), "_v2_rerun"),
    ("GET", re.compile(rf"^{_V2}/job/([^/]+)$"), "_v2_job"),
    ("PUT", re.compile(rf"^{_V2}/job/([^/]+)/action/([a-z-]+)$"), "_v2_act"),
    ("PUT", re.compile(rf"^{_V2}/jobstream/([^/]+)/action/([a-z-]+)$"), "_v2_act_stream"),
    ("PUT", re.compile(rf"^{_V2}/workstation/([^/]+)/action/([a-z-]+)$"), "_v2_act_workstation"),
    ("PUT", re.compile(rf"^{_V2}/prompt/([^/]+)/action/reply$"), "_v2_reply"),
)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the server saw and answered (no credentials: only which auth scheme was offered)."""

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
    headers: Mapping[str, str] = field(default_factory=dict)
    """Every request header but ``Authorization``."""
    response_body: bytes = b""
    response_content_type: str = ""
    response_headers: Mapping[str, str] = field(default_factory=dict)


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
        job_details: bool = True,
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
        self.fake_plan = FakePlan(clock, job_details=job_details, plan=plan)
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
    @property
    def _client(self) -> DemoTwsClient:
        """The demo client the plan is served from (a test may put another in its place)."""
        return self.fake_plan.client

    @_client.setter
    def _client(self, client: DemoTwsClient) -> None:
        self.fake_plan.client = client

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
        self.fake_plan.reset(clock)
        with self._lock:
            self.requests.clear()

    def plan(self) -> dict[str, Any]:
        """The plan as served now (v1 shapes, after actions; see ``render.render_plan``)."""
        return self.fake_plan.snapshot()

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
        parts = urlsplit(self.path)
        typed = bool(body) or status not in (HTTPStatus.OK, HTTPStatus.ACCEPTED, HTTPStatus.NO_CONTENT)
        if not parts.path.startswith(
            "/__"
        ):  # recorded before answering: a client never sees an unrecorded call
            self.fake._record(
                RequestRecord(
                    method=self.command,
                    path=parts.path,
                    status=status,
                    auth=(self.headers.get("Authorization") or "").partition(" ")[0].lower() or "none",
                    how_many=self.headers.get("How-Many") or "",
                    request_id=self.headers.get("Request-Id") or "",
                    query=parts.query,
                    body=getattr(self, "_request_body", b""),
                    content_type=self.headers.get("Content-Type") or "",
                    accept=self.headers.get("Accept") or "",
                    headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                    response_body=body,
                    response_content_type=content_type if typed else "",
                    response_headers={k.replace("_", "-"): v for k, v in headers.items()},
                )
            )
        self.send_response(status)
        if typed:
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

    def _answer(self, answer: Answer) -> None:
        headers = {k.replace("-", "_"): v for k, v in answer.headers.items()}
        if answer.body is None:
            self._send(answer.status, b"", **headers)
        elif isinstance(answer.body, str):
            self._send(
                answer.status, answer.body.encode(), content_type="text/plain; charset=utf-8", **headers
            )
        else:
            self._json(answer.status, answer.body, **headers)

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

    def _json_body(self) -> Any:
        try:
            return json.loads(self._request_body or b"{}")
        except ValueError:
            return None

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
            self._serve(path)

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
        elif path == "/__plan" and self.command == "POST":
            self._set_plan_state(body)
        elif path == "/__reset" and self.command == "POST":
            self.fake.reset()
            self._json(200, {"reset": True})
        else:
            self._error(404, f"no control endpoint {self.command} {path}")

    def _set_plan_state(self, body: bytes) -> None:
        """``{"job": "JOB014", "status": "SUCC"}`` or ``{"workstation": "TWS_AGENT2", "status": "ONLINE"}``
        (optional ``"stream"``): the plan changes as a master's would, for the alert watcher to see."""
        try:
            data = json.loads(body or b"{}")
            plan = self.fake.fake_plan
            with plan._lock:
                changed = plan.client.set_state(
                    job=str(data.get("job") or ""),
                    workstation=str(data.get("workstation") or ""),
                    status=str(data["status"]),
                    stream=str(data.get("stream") or ""),
                )
        except (ValueError, TypeError, KeyError, AttributeError, TwsError) as exc:
            self._error(400, f"bad plan change: {exc}")
            return
        self._json(200, {"changed": changed, "status": str(data["status"]).upper()})

    def _serve(self, path: str) -> None:
        fake = self.fake
        if self._read_body() is None:
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
        routes = _ROUTES_V2 if fake.api == "v2" else _ROUTES_V1
        allowed = []
        for method, pattern, name in routes:
            if match := pattern.match(path):
                if method == self.command:
                    getattr(self, name)(*(unquote(g) for g in match.groups()))
                    return
                allowed.append(method)
        if allowed:
            self._error(405, f"{self.command} is not allowed on {path}")
        else:
            self._error(404, f"AWSJCO404E The resource {path} was not found.")

    # -- v1
    def _v1_query(self, kind: str) -> None:
        body = self._json_body()
        filters = body.get("filters") if isinstance(body, Mapping) else None
        if body is None or not isinstance(filters or {}, Mapping):
            self._error(400, "AWSJCO011E The request body is not a valid QueryFilterPlan.")
            return
        self._answer(self.fake.fake_plan.query(kind, filters or {}, self.headers.get("How-Many") or "", None))

    def _v1_query_next(self, kind: str) -> None:
        body = self._json_body()  # FiltersPlan, not wrapped in "filters"
        last = self.headers.get("Last-Object")
        if not isinstance(body, Mapping) or not last:
            self._error(400, "AWSJCO013E query_next needs a FiltersPlan body and the Last-Object header.")
            return
        self._answer(self.fake.fake_plan.query(kind, body, self.headers.get("How-Many") or "", last))

    def _v1_job(self, job_id: str) -> None:
        self._answer(self.fake.fake_plan.job(job_id))

    def _v1_predecessors(self, job_id: str) -> None:
        self._answer(self.fake.fake_plan.predecessors(job_id))

    def _v1_successors(self, job_id: str) -> None:
        self._answer(self.fake.fake_plan.successors_preview(job_id))

    def _v1_joblog(self, job_id: str) -> None:
        log = self.fake.fake_plan.job_log(job_id=job_id)
        if log is None:
            self._error(404, f"AWSJPL010E No joblog is available for the job {job_id}.")
        else:
            self._json(200, {"log": log, "jobId": job_id})

    def _v1_act(self, job_id: str, action: str) -> None:
        if action not in JOB_ACTIONS:
            self._error(404, f"AWSJCO404E Unknown action {action}.")
        else:
            self._answer(self.fake.fake_plan.act(action, job_id=job_id))

    def _v1_act_stream(self, ident: str, name: str) -> None:
        if name not in STREAM_ACTIONS:
            self._error(404, f"AWSJCO404E Unknown action {name}.")
        else:
            self._answer(self.fake.fake_plan.act_stream(ident, name))

    def _v1_act_workstation(self, ident: str, name: str) -> None:
        if name not in LINK_STATUS:
            self._error(404, f"AWSJCO404E Unknown action {name}.")
        else:
            self._answer(self.fake.fake_plan.act_workstation(ident, name))

    def _v1_reply(self, ident: str) -> None:
        answer = (self.headers.get("Answer") or "").strip().lower()
        if answer not in ("true", "false", "yes", "no"):
            self._error(400, "AWSJCO400E The Answer header must be true (yes) or false (no).")
        else:
            self._answer(self.fake.fake_plan.reply(ident, answer in ("true", "yes")))

    # -- v2
    def _v2_list(self, kind: str) -> None:
        params = parse_qs(urlsplit(self.path).query)
        raw_limit = params.get("limit", ["10000"])[0]
        raw_offset = params.get("offset", ["0"])[0]
        if not raw_limit.isdigit() or not raw_offset.isdigit() or int(raw_limit) < 1:
            self._error(400, "AWSJCO010E limit and offset must be non-negative integers.")
            return
        oql = params.get("oql", [""])[0]
        self._answer(self.fake.fake_plan.v2_list(kind, oql, int(raw_limit), int(raw_offset)))

    def _v2_job(self, uuid: str) -> None:
        self._answer(self.fake.fake_plan.v2_job(uuid))

    def _v2_joblog(self, run_id: str) -> None:
        log = self.fake.fake_plan.job_log(run_id=run_id)
        if log is None:
            self._error(404, "No job run instances were found with the provided run ID.")
        else:
            self._send(200, log.encode(), content_type="text/plain; charset=utf-8")

    def _v2_rerun(self, run_id: str) -> None:
        self._answer(self.fake.fake_plan.act("rerun", run_id=run_id, v2=True))

    def _v2_act(self, uuid: str, name: str) -> None:
        if ";" in uuid:
            self._error(400, f"AWSBIO006E Field SCHED-NAME has a null value ({uuid} is not a job UUID).")
        elif name not in V2_ACTIONS:
            self._error(404, f"AWSJCO404E Unknown action {name}.")
        else:
            self._answer(self.fake.fake_plan.act(V2_ACTIONS[name], uuid=uuid, v2=True))

    def _v2_act_stream(self, ident: str, name: str) -> None:
        if name not in STREAM_ACTIONS:
            self._error(404, f"AWSJCO404E Unknown action {name}.")
        else:
            self._answer(self.fake.fake_plan.act_stream(ident, name, v2=True))

    def _v2_act_workstation(self, ident: str, name: str) -> None:
        if name not in LINK_STATUS:
            self._error(404, f"AWSJCO404E Unknown action {name}.")
        else:
            self._answer(self.fake.fake_plan.act_workstation(ident, name, v2=True))

    def _v2_reply(self, ident: str) -> None:
        body = self._json_body() if self._request_body else None
        answer = body.get("answer") if isinstance(body, Mapping) else None
        if not isinstance(answer, bool):
            self._error(400, "Bad Request: the PromptInPlanAnswer body is required.")
        else:
            self._answer(self.fake.fake_plan.reply(ident, answer, v2=True))


# ------------------------------------------------------------------------------------------------- CLI
# The command's help in plain text (the module docstring above is for readers of the code).
_DESCRIPTION = (
    "A fake TWS plan REST API (v1, or v2 with --api v2) over real HTTP, serving the demo plan in the\n"
    "vendor's shapes (held to the vendor's OpenAPI spec by tests/contract). Development and tests only:\n"
    "loopback addresses, plain HTTP."
)
_EPILOG = """\
point the chat at it:
  twschat serve --tws-url http://127.0.0.1:31116/twsd [--tws-api v2]

at run time (no auth needed):
  POST /__fault  {"mode": "slow", "delay": 3} | {"mode": "500"} | {"mode": "401"} | {"mode": "none"}
  GET  /__fault  the fault in force
  POST /__plan   {"job": "JOB014", "status": "SUCC"} or {"workstation": "TWS_AGENT2", "status": "ONLINE"}
  POST /__reset  the plan as it started, and an empty request log

example:
  curl -X POST http://127.0.0.1:31116/__fault -d '{"mode": "slow", "delay": 3}'
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-tws",
        help="serve the demo plan through a fake TWS plan REST API v1 or v2 (loopback, plain HTTP)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            emit(
                f"fake-tws: port {args.port} on {args.host} is already in use (another fake-tws?); "
                "stop it, or choose another with --port (0 = any free port)"
            )
        else:
            emit(f"fake-tws: cannot listen on {args.host} port {args.port}: {exc.strerror or exc}")
        return 2
    except ValueError as exc:
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
