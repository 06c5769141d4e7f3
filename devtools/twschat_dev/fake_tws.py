"""``twschat fake-tws``: a fake TWS plan REST API v1 over real HTTP, serving the demo plan.

Development and tests only: loopback addresses only, plain HTTP (the real client,
:mod:`twschat.adapters.tws_rest`, verifies TLS; pass ``tls=`` an ``ssl.SSLContext`` to serve HTTPS
with a test certificate). Same paths and JSON shapes as shared/reference/tws-rest.md:

- ``POST /twsd/plan/current/{job,jobstream,workstation}/query`` with the filter bodies
  (``jobInPlanFilter`` / ``jobStreamInPlanFilter`` / ``workstationInPlanFilter``; ``*`` wildcards,
  case-sensitive). ``How-Many`` is required (400 without it, as some real endpoints do); when more
  items remain the answer carries ``Link: </twsd/...query?start=N>; rel="next"`` — the continuation the
  client assumes (unconfirmed for the real API; see ``TwsApiDialect.next_page``).
- ``PUT /twsd/plan/current/job/{jobId}/action/{rerun,hold,release,cancel}`` (``jobId`` URL-encoded,
  ``;`` as ``%3B``): 202 and the plan changes as :meth:`DemoTwsClient.act` changes it; 400 with
  ``messages`` when the job's state does not allow the action; 404 for an unknown job.
- ``GET /twsd/plan/current/job/{jobId}/joblog``: ``text/plain``; 404 when the job never ran.
- Errors: JSON ``{"messages": [...]}``.
- Auth: the configured basic user/password and/or bearer API key (401 otherwise); none configured =
  open.
- Faults, at start (``--fault``) or at run time: ``POST /__fault {"mode": "slow", "delay": 3}`` /
  ``{"mode": "500"}`` / ``{"mode": "401"}`` / ``{"mode": "none"}``; ``GET /__fault`` shows it;
  ``POST /__reset`` restores the plan and clears the request log. The control endpoints need no auth.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hmac
import json
import re
import signal
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

from twschat.adapters.tws_rest import is_loopback
from twschat.assistant.demo import DemoTwsClient
from twschat.assistant.domain import JobAction
from twschat.assistant.tws import TwsError

__all__ = ["FakeTwsServer", "FaultMode", "RequestRecord", "register", "run"]

FaultMode = Literal["none", "slow", "500", "401"]
FAULT_MODES: tuple[str, ...] = ("none", "slow", "500", "401")
ACTIONS: tuple[str, ...] = ("rerun", "hold", "release", "cancel")
MAX_REQUEST_BYTES = 1024 * 1024
MAX_DELAY = 300.0

_QUERY = re.compile(r"^/twsd/plan/current/(job|jobstream|workstation)/query$")
_ACTION = re.compile(r"^/twsd/plan/current/job/([^/]+)/action/([a-z]+)$")
_JOBLOG = re.compile(r"^/twsd/plan/current/job/([^/]+)/joblog$")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the server saw (no credentials: only which auth scheme was offered)."""

    method: str
    path: str
    status: int
    auth: str
    how_many: str
    request_id: str


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


class FakeTwsServer:
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
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the fake TWS listens on loopback addresses only, not {host!r}")
        self.host = host
        self.username = username
        self.password = password
        self.api_key = api_key
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clock = clock
        """The demo plan's "now" (tests pin it); None is the wall clock."""
        self._client = DemoTwsClient(clock=clock)
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

    # -- lifecycle
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL for the client, e.g. ``http://127.0.0.1:31116/twsd``."""
        scheme = "https" if self._tls is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/twsd"

    def start(self) -> FakeTwsServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-tws", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in the slow fault
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTwsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
            self._client = DemoTwsClient(clock=self._clock)
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

    def _query(
        self, kind: str, body: Mapping[str, Any], start: int, how_many: int
    ) -> tuple[list[Any], int | None]:
        filters = body.get("filters") if isinstance(body, Mapping) else None
        filters = filters if isinstance(filters, Mapping) else {}
        with self._lock:
            plan = self._client.snapshot()
        items: list[dict[str, Any]]
        if kind == "job":
            flt = filters.get("jobInPlanFilter") or {}
            items = [
                j
                for j in plan["jobs"]
                if _matches(
                    flt,
                    {
                        "jobName": j["name"],
                        "jobStreamName": j["jobStreamInPlan"]["name"],
                        "workstationName": j["jobStreamInPlan"]["workstationKey"]["name"],
                    },
                )
            ]
        elif kind == "jobstream":
            flt = filters.get("jobStreamInPlanFilter") or {}
            items = [
                s
                for s in plan["jobStreams"]
                if _matches(flt, {"jobStreamName": s["name"], "workstationName": s["workstationKey"]["name"]})
            ]
        else:
            flt = filters.get("workstationInPlanFilter") or {}
            items = [
                w
                for w in plan["workstations"]
                if _matches(flt, {"workstationName": w["workstationInPlanKey"]["name"]})
            ]
        page = items[start : start + how_many]
        nxt = start + how_many if start + how_many < len(items) else None
        return page, nxt

    def _act(self, job_id: str, action: str) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            job = next((j for j in self._client.list_jobs() if j.id == job_id), None)
            if job is None:
                return 404, {"messages": [f"AWSJPL001E The job {job_id} was not found in the plan."]}
            result = self._client.act(cast(JobAction, action), job)
        if not result.accepted:
            return 400, {"messages": [f"AWSJPL020E The {action} action cannot be performed: {result.detail}"]}
        return 202, None

    def _job_log(self, job_id: str) -> str | None:
        with self._lock:
            job = next((j for j in self._client.list_jobs() if j.id == job_id), None)
            if job is None:
                return None
            try:
                return self._client.job_log(job)
            except TwsError:
                return None

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
        return self.rfile.read(length) if length else b""

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

        if match := _QUERY.match(path):
            if self.command != "POST":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            self._query(match.group(1), body, query)
        elif match := _ACTION.match(path):
            if self.command != "PUT":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            action = match.group(2)
            if action not in ACTIONS:
                self._error(404, f"AWSJCO404E Unknown action {action}.")
                return
            status, data = fake._act(unquote(match.group(1)), action)
            if data is None:
                self._send(status)
            else:
                self._json(status, data)
        elif match := _JOBLOG.match(path):
            if self.command != "GET":
                self._error(405, f"{self.command} is not allowed on {path}")
                return
            job_id = unquote(match.group(1))
            log = fake._job_log(job_id)
            if log is None:
                self._error(404, f"AWSJPL010E No joblog is available for the job {job_id}.")
                return
            self._send(200, log.encode(), content_type="text/plain; charset=utf-8")
        else:
            self._error(404, f"AWSJCO404E The resource {path} was not found.")

    def _query(self, kind: str, body: bytes, query: str) -> None:
        raw = (self.headers.get("How-Many") or "").strip()
        if not raw.isdigit() or int(raw) < 1:
            self._error(400, "AWSJCO010E The How-Many header is missing or not a positive integer.")
            return
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            self._error(400, "AWSJCO011E The request body is not valid JSON.")
            return
        start_values = parse_qs(query).get("start", ["0"])
        start = int(start_values[0]) if start_values[0].isdigit() else 0
        page, nxt = self.fake._query(kind, data, start, int(raw))
        headers = {}
        if nxt is not None:
            headers["Link"] = f'</twsd/plan/current/{kind}/query?start={nxt}>; rel="next"'
        self._json(200, page, **headers)


# ------------------------------------------------------------------------------------------------- CLI
def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-tws",
        help="serve the demo plan through a fake TWS plan REST API v1 (loopback, plain HTTP)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=31116, help="port (default 31116; 0 = any free port)")
    parser.add_argument("--user", default="", help="basic auth user (with --password)")
    parser.add_argument("--password", default="", help="basic auth password")
    parser.add_argument("--api-key", default="", help="bearer API key")
    parser.add_argument("--fault", choices=FAULT_MODES, default="none", help="fault to inject from the start")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the slow fault waits (default 3)")
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
        )
    except (ValueError, OSError) as exc:
        emit(f"fake-tws: {exc}")
        return 2
    auth = [f"basic user {args.user}"] if args.user else []
    auth += ["bearer API key"] if args.api_key else []
    emit(f"fake TWS REST API v1 at {server.url} (plain HTTP, loopback only; the real client verifies TLS)")
    emit(f"auth: {' or '.join(auth) if auth else 'none (open)'}; fault: {server.fault}")
    control = server.url.rsplit("/twsd", 1)[0] + "/__fault"
    emit(f'faults at run time: curl -X POST {control} -d \'{{"mode": "slow", "delay": 3}}\'')

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        emit("fake-tws: stopping")
    finally:
        server._stopping.set()
        server._httpd.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fake-tws")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fake-tws", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
