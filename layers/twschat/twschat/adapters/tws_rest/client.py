"""``RestTwsClient``: the :class:`~twschat.assistant.tws.TwsClient` for a real master domain manager.

Speaks the TWS / IBM Workload Scheduler / HCL Workload Automation plan REST API v1
(``https://<mdm>:31116/twsd``) or v2, following the vendor's own OpenAPI specs
(shared/reference/tws-openapi/; reduced copies in tests/contract/, which hold this client and the fake
to them). Every shape of the API lives in the dialect (:mod:`.dialect`, :mod:`.dialect_v2`) with its
source: correct it there. The HTTP transport (TLS, auth, timeouts, retries) is :mod:`.transport`.

What it guarantees:

- **TLS, auth, bounded time, retries**: see :mod:`.transport` (verified TLS, basic or bearer,
  a total budget per call, retries only where nothing can be applied twice). Neither credentials nor
  the ``Authorization`` header are ever logged.
- **Errors** become :class:`~twschat.assistant.tws.TwsError`: refused/DNS/TLS -> ``unreachable``, timeout ->
  ``timeout``, 401/403 -> ``unauthorized``, 404 -> ``not_found``, 5xx after retries -> ``server``,
  unparsable body -> ``bad_response``. An action the master refuses is an ``ActionResult(accepted=False)``
  with the server's ``messages`` — a 4xx, or (v2) HTTP 500 wrapping AWSBIN076E.
- **Paging**: v1 asks ``How-Many`` rows and continues with ``query_next`` + ``Last-Object`` while a page
  comes back full; v2 pages with ``limit``/``offset``. At most ``max_pages`` pages: past that the
  :class:`~twschat.assistant.domain.Listing` is ``truncated`` and the operator is told.
- **Status filter** server-side (v1 ``internalStatusList``, v2 OQL), and again client-side.
- **Rerun chains**: job queries ask for the last instance of each rerun chain only, and the state after
  a rerun is the new instance.
- **The operator's reason** goes with every action where the API takes it (v2 ``Justification-*``).

Over 400 lines: one class holding every operation of the protocol (each a few lines over the dialect).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from twschat.assistant.domain import (
    ActionResult,
    Dependency,
    Job,
    JobAction,
    JobStream,
    Listing,
    Prompt,
    Resource,
    StreamAction,
    Workstation,
    WorkstationAction,
)
from twschat.assistant.tws import TwsError

from .credentials import CredentialsProvider, TwsCredentials, credentials_from_secret
from .dependencies import time_dependency
from .dialect import ActionRequest, Kind, TwsApiDialect
from .resources import needs_resource, waiting
from .transport import HttpTransport, Response, RetryPolicy, Timeouts, is_loopback

__all__ = [
    "CredentialsProvider",
    "RestTwsClient",
    "RetryPolicy",
    "Timeouts",
    "TwsCredentials",
    "credentials_from_secret",
    "is_loopback",
]

logger = logging.getLogger(__name__)

_JOB_DONE = {
    "rerun": "rerun submitted",
    "hold": "job held",
    "release": "job released",
    "cancel": "job cancelled",
    "kill": "job killed",
    "confirm_succ": "job confirmed SUCC",
    "confirm_abend": "job confirmed ABEND",
}


class RestTwsClient:
    """:class:`~twschat.assistant.tws.TwsClient` over the plan REST API (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: TwsCredentials | CredentialsProvider | None = None,
        ca_bundle: str = "",
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 500,
        max_pages: int = 20,
        dialect: TwsApiDialect | None = None,
        refresh_interval: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        successor_scan: int = 200,
    ) -> None:
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be positive")
        self._http = HttpTransport(
            base_url,
            credentials=credentials,
            ca_bundle=ca_bundle,
            timeouts=timeouts,
            retry=retry,
            refresh_interval=refresh_interval,
            sleep=sleep,
            rng=rng,
        )
        self.base_url = self._http.base_url
        self.timeouts = self._http.timeouts
        self.retry = self._http.retry
        self.page_size = page_size
        self.max_pages = max_pages
        self.dialect = dialect or TwsApiDialect()
        self.successor_scan = successor_scan
        """v2 has no successors operation: at most this many jobs' dependencies are read to find them."""
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        return f"RestTwsClient({self.base_url!r})"

    @property
    def refresh_interval(self) -> float:
        """Seconds between two re-reads of provider credentials after a 401 (see the transport)."""
        return self._http.refresh_interval

    @refresh_interval.setter
    def refresh_interval(self, seconds: float) -> None:
        self._http.refresh_interval = seconds

    # ------------------------------------------------------------------------------------- TwsClient
    def list_workstations(self, *, workstation: str = "") -> Listing[Workstation]:
        items, truncated = self._list("workstation", {"workstation": workstation})
        return Listing((self.dialect.parse_workstation(item) for item in items), truncated)

    def list_job_streams(self, *, job_stream: str = "", workstation: str = "") -> Listing[JobStream]:
        items, truncated = self._list("jobstream", {"job_stream": job_stream, "workstation": workstation})
        return Listing((self.dialect.parse_job_stream(item) for item in items), truncated)

    def list_jobs(
        self,
        *,
        statuses: Iterable[str] | None = None,
        job_name: str = "",
        job_stream: str = "",
        workstation: str = "",
        last_in_rerun_chain: bool = True,
    ) -> Listing[Job]:
        """Jobs in the current plan, the last instance of each rerun chain unless
        ``last_in_rerun_chain=False``; ``statuses`` (e.g. ``{"ABEND"}``) filtered by the master where
        the dialect can say it, and here again (a cancelled job keeps its internal state)."""
        filters: dict[str, Any] = {"job_name": job_name, "job_stream": job_stream, "workstation": workstation}
        if not last_in_rerun_chain:
            filters["last_in_rerun_chain"] = False
        wanted = {s.upper() for s in statuses} if statuses is not None else None
        if wanted is not None:
            filters["statuses"] = sorted(wanted)
        items, truncated = self._list("job", filters)
        jobs = [self.dialect.parse_job(item) for item in items]
        if wanted is not None:
            jobs = [j for j in jobs if j.status in wanted]
        return Listing(jobs, truncated)

    def list_prompts(self, *, prompt: str = "") -> Listing[Prompt]:
        """The plan's prompts (conman ``sp``)."""
        items, truncated = self._list("prompt", {"prompt": prompt})
        return Listing((self.dialect.parse_prompt(item) for item in items), truncated)

    def list_resources(self, *, resource: str = "") -> Listing[Resource]:
        """The plan's resources (conman ``sr``), with the jobs holding them."""
        items, truncated = self._list("resource", {"resource": resource})
        return Listing((self.dialect.parse_resource(item) for item in items), truncated)

    def resource_waiters(self, resource: Resource) -> Listing[Job]:
        """The jobs not started that need ``resource``: v1 asks the master (a job filter); v2 reads the
        dependencies of at most ``successor_scan`` waiting jobs (no such filter read)."""
        if self.dialect.resource_dependency_filter:
            items, truncated = self._list("job", {"resource": resource.name})
            return Listing(waiting([self.dialect.parse_job(item) for item in items]), truncated)
        jobs = waiting(self.list_jobs())
        found = [
            j
            for j in jobs[: self.successor_scan]
            if needs_resource(
                self.dialect.parse_dependencies(self._get_json(self.dialect.job_target(j), j)) or [], resource
            )
        ]
        return Listing(found, len(jobs) > self.successor_scan)

    def job_dependencies(self, job: Job) -> Listing[Dependency]:
        """The job's own answer (``dependencies``, its AT time); v1's ``predecessors`` path when that
        answer leaves the dependencies out."""
        data = self._get_json(self.dialect.job_target(job), job)
        deps = self.dialect.parse_dependencies(data)
        if deps is None:
            deps = self.dialect.parse_predecessors(self._get_json(self.dialect.predecessors_target(job), job))
        at = (
            time_dependency(self.dialect.parse_job(data))
            if isinstance(data, Mapping) and data.get("id")
            else []
        )
        return Listing([*deps, *at])

    def job_successors(self, job: Job) -> Listing[Dependency]:
        """v1: the job's ``internalSuccessors`` / ``externalSuccessors``, else ``jobsuccessors/preview``.
        v2 (no successors operation): the plan's jobs whose dependencies name this one."""
        preview = self.dialect.successors_preview_target(job)
        if preview is None:
            return self._scan_successors(job)
        found = self.dialect.parse_successors(self._get_json(self.dialect.job_target(job), job))
        if found is None:
            found = self.dialect.parse_successors_preview(self._get_json(preview, job))
        return Listing(found)

    def _scan_successors(self, job: Job) -> Listing[Dependency]:
        others = [j for j in self.list_jobs() if j.id != job.id]
        truncated = len(others) > self.successor_scan
        found = []
        for other in others[: self.successor_scan]:
            deps = (
                self.dialect.parse_dependencies(self._get_json(self.dialect.job_target(other), other)) or []
            )
            if any(
                d.kind == "job" and d.name == job.job_id and d.job_stream in ("", job.job_stream)
                for d in deps
            ):
                found.append(
                    Dependency(
                        "job",
                        other.job_id,
                        None,
                        job_stream=other.job_stream,
                        workstation=other.workstation,
                        status=other.status,
                    )
                )
        return Listing(found, truncated)

    def job_log(self, job: Job) -> str:
        resp = self._http.request(
            "GET", self.dialect.job_log_target(job), accept=self.dialect.job_log_accept()
        )
        if resp.status == 404:
            raise TwsError("not_found", resp.messages() or f"no joblog for {job.job_id or job.id}")
        self._raise_for_status(resp)
        return self.dialect.parse_job_log(resp.content_type, resp.body)

    # ---------------------------------------------------------------------------------------- actions
    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult[Job]:
        name = self.dialect.action_names.get(action)
        if not name:
            return ActionResult(action, job, False, f"action {action} is not supported by this TWS client")
        refused = self._put_action(action, job.id, self.dialect.action_request(job, name, justification))
        if refused is not None:
            return ActionResult(action, job, False, refused)
        detail = _JOB_DONE.get(action, "job cancelled")
        try:
            current = self._refetch(job, rerun=action == "rerun")
        except TwsError as exc:
            logger.warning("TWS %s of %s accepted; state not refreshed (%s)", action, job.id, exc.kind)
            return ActionResult(action, job, True, f"{detail} (state not refreshed: {exc.kind})")
        return ActionResult(action, current or job, True, detail)

    def act_stream(
        self, action: StreamAction, stream: JobStream, *, justification: str = ""
    ) -> ActionResult[JobStream]:
        name = self.dialect.stream_action_names.get(action)
        if not name:
            return ActionResult(action, stream, False, f"action {action} is not supported by this TWS client")
        request = self.dialect.other_action_request(
            "jobstream", stream.id or stream.name, name, justification
        )
        refused = self._put_action(action, stream.name, request)
        if refused is not None:
            return ActionResult(action, stream, False, refused)
        try:
            now = [
                s
                for s in self.list_job_streams(job_stream=stream.name)
                if (s.id or s.name) == (stream.id or stream.name)
            ]
        except TwsError as exc:
            return ActionResult(
                action, stream, True, f"job stream {name} sent (state not refreshed: {exc.kind})"
            )
        return ActionResult(action, now[0] if now else stream, True, f"job stream {name} sent")

    def act_workstation(
        self, action: WorkstationAction, workstation: Workstation, *, justification: str = ""
    ) -> ActionResult[Workstation]:
        name = self.dialect.workstation_action_names.get(action)
        if not name:
            return ActionResult(
                action, workstation, False, f"action {action} is not supported by this TWS client"
            )
        ident = workstation.id or workstation.name
        request = self.dialect.other_action_request("workstation", ident, name, justification)
        refused = self._put_action(action, workstation.name, request)
        if refused is not None:
            return ActionResult(action, workstation, False, refused)
        try:
            now = [
                w for w in self.list_workstations(workstation=workstation.name) if w.name == workstation.name
            ]
        except TwsError as exc:
            return ActionResult(action, workstation, True, f"{name} sent (state not refreshed: {exc.kind})")
        return ActionResult(action, now[0] if now else workstation, True, f"{name} sent")

    def reply_prompt(self, prompt: Prompt, answer: bool, *, justification: str = "") -> ActionResult[Prompt]:
        action = "reply_yes" if answer else "reply_no"
        if not self.dialect.prompt_action_names.get(action):
            return ActionResult(action, prompt, False, f"action {action} is not supported by this TWS client")
        refused = self._put_action(
            action, prompt.id, self.dialect.reply_request(prompt, answer, justification)
        )
        if refused is not None:
            return ActionResult(action, prompt, False, refused)
        replied = Prompt(prompt.id, prompt.text, "YES" if answer else "NO", prompt.key)
        try:
            now = next((p for p in self.list_prompts(prompt=prompt.id) if p.id == prompt.id), replied)
        except TwsError as exc:
            return ActionResult(action, replied, True, f"prompt answered (state not refreshed: {exc.kind})")
        return ActionResult(action, now, True, f"prompt answered {now.status}")

    # ----------------------------------------------------------------------------------------- helpers
    def _put_action(self, action: str, about: str, request: ActionRequest) -> str | None:
        """THE action PUT (never retried once sent): None when accepted, else the master's refusal (the
        dialect says which answers are refusals). 401/403/404/other 5xx raise :class:`TwsError`."""
        resp = self._http.request(
            "PUT", request.target, body=request.body, idempotent=False, headers=request.headers, keep_5xx=True
        )
        if 200 <= resp.status < 300:
            return None
        messages = resp.messages()
        if self.dialect.refusal(resp.status, messages):
            logger.info("TWS refused %s of %s: HTTP %s", action, about, resp.status)
            return messages or f"HTTP {resp.status}"
        self._raise_for_status(resp)
        return None  # pragma: no cover - _raise_for_status raised

    def _get_json(self, target: str, job: Job) -> Any:
        resp = self._http.request("GET", target)
        if resp.status == 404:
            raise TwsError("not_found", resp.messages() or f"{job.job_id or job.id} is not in the plan")
        self._raise_for_status(resp)
        return self._json(resp)

    def _refetch(self, job: Job, *, rerun: bool = False) -> Job | None:
        """The job as the plan shows it now: the last instance of its rerun chain. After a rerun (v1)
        that is a new instance with a new id; v2 keeps the job's id and adds a run."""
        candidates = [
            j
            for j in self.list_jobs(job_name=job.job_id, job_stream=job.job_stream)
            if j.job_stream == job.job_stream
            and j.workstation == job.workstation
            # the same job stream INSTANCE: one stream name can have several in a plan
            and (not (j.stream_id and job.stream_id) or j.stream_id == job.stream_id)
        ]
        if not rerun or self.dialect.version != "v1":
            exact = next((j for j in candidates if j.id == job.id), None)
            if exact is not None or len(candidates) != 1:
                return exact
        newer = [j for j in candidates if j.id != job.id]
        if rerun and len(newer) == 1:
            return newer[0]
        return candidates[0] if len(candidates) == 1 else None

    def _list(self, kind: Kind, filters: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
        """THE paging rule: the first page, then the dialect's continuation (v1 ``query_next`` with the
        answer's ``Last-Object``; v2 the next ``offset``) while the answer says more remain, at most
        ``max_pages`` pages. Returns the items and whether the list may be incomplete."""
        items: list[Mapping[str, Any]] = []
        offset = 0
        request = self.dialect.list_request(kind, filters, limit=self.page_size, offset=offset)
        for _ in range(self.max_pages):
            resp = self._http.request(
                request.method, request.target, body=request.body, headers=request.headers
            )
            self._raise_for_status(resp)
            page, more = self.dialect.page(self._json(resp), limit=self.page_size, offset=offset)
            items.extend(page)
            if not more:
                return items, False
            offset += len(page)
            cursor = self.dialect.cursor(resp.headers)
            following = self.dialect.next_request(
                kind, filters, limit=self.page_size, offset=offset, cursor=cursor
            )
            if following is None:
                break  # a full page without a continuation: the list may be incomplete
            request = following
        if kind not in self._warned:
            self._warned.add(kind)  # once per kind
            logger.warning("TWS %s list may be incomplete (%d items read)", kind, len(items))
        return items, True

    @staticmethod
    def _json(resp: Response) -> Any:
        try:
            return json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise TwsError("bad_response", f"HTTP {resp.status}: body is not JSON") from exc

    @staticmethod
    def _raise_for_status(resp: Response) -> None:
        if 200 <= resp.status < 300:
            return
        detail = f"HTTP {resp.status}" + (f": {msg}" if (msg := resp.messages()) else "")
        if resp.status in (401, 403):
            raise TwsError("unauthorized", detail)
        if resp.status == 404:
            raise TwsError("not_found", detail)
        if resp.status >= 500:
            raise TwsError("server", detail)
        raise TwsError("bad_response", detail)
