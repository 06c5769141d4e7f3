"""``RestTwsClient``: the :class:`~twschat.core.tws.TwsClient` for a real master domain manager.

Speaks the TWS / IBM Workload Scheduler / HCL Workload Automation plan REST API v1
(``https://<mdm>:31116/twsd``; see shared/reference/tws-rest.md) with the standard library only
(``http.client`` + ``ssl``).

What it guarantees:

- **TLS** is verified against the system trust store, or against ``ca_bundle`` (a PEM file path, or
  PEM text) for the self-signed certificates common on masters. There is no switch to turn
  verification off. Plain ``http://`` is accepted only for loopback hosts (the fake server).
- **Auth**: basic (username/password) or ``Authorization: Bearer <API key>``. Credentials come from
  a static :class:`TwsCredentials` or a provider (:func:`credentials_from_secret`, cached by
  Powertools for 5 minutes; re-read with ``force_fetch`` after a 401 — for rotated secrets — at most
  once a minute).
  Neither credentials nor the ``Authorization`` header are ever logged or put in a ``repr``.
- **Bounded time**: a connect timeout and a per-read timeout on every attempt, and a total budget per
  logical call (all attempts, backoff sleeps and body reads) — see :class:`Timeouts`, :class:`RetryPolicy`.
- **Retries** (exponential backoff with jitter, bounded attempts and budget) only on 5xx, timeouts and
  connection failures, and only for the reads (the ``/query`` POSTs and the joblog GET). Never on 4xx.
  The action PUTs are not idempotent: they are retried only when the connection could not be made
  (refused, connect timeout) — nothing was sent; a read timeout or 5xx on a PUT is reported, not
  repeated (the action may have been applied).
- **Errors** become :class:`~twschat.core.tws.TwsError`: refused/DNS/TLS -> ``unreachable``, timeout ->
  ``timeout``, 401/403 -> ``unauthorized``, 404 -> ``not_found``, 5xx after retries -> ``server``,
  unparsable body -> ``bad_response``. An action the master refuses (other 4xx) is an
  ``ActionResult(accepted=False)`` with the server's ``messages``.

- **Paging**: v1 answers one page of ``How-Many`` rows and no source shows a continuation, so one page
  is read; when it comes back full the returned :class:`~twschat.assistant.domain.Listing` is
  ``truncated`` (the answer says the list may be incomplete and how to narrow it). v2 pages with
  ``limit``/``offset`` (at most ``max_pages`` pages; ``truncated`` when more remain).
- **Rerun chains**: job queries ask for the last instance of each rerun chain only, and the state after
  a rerun is the new instance.

Every shape of the API (paths, bodies, field names; confirmed or not) lives in
:mod:`twschat.adapters.tws_rest.dialect` (v1 and v2), with its source: correct it there.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any, Literal
from urllib.parse import urlsplit

from twschat.assistant.domain import (
    ActionResult,
    Dependency,
    Job,
    JobAction,
    JobStream,
    Listing,
    Prompt,
    StreamAction,
    Workstation,
    WorkstationAction,
)
from twschat.assistant.tws import TwsError

from .dialect import Kind, TwsApiDialect, dialect_for

__all__ = [
    "CredentialsProvider",
    "RestTwsClient",
    "RetryPolicy",
    "Timeouts",
    "TwsCredentials",
    "build_rest_client",
    "credentials_from_secret",
    "is_loopback",
]

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
USER_AGENT = "tws-chat"

TwsErrorKind = Literal["unreachable", "timeout", "unauthorized", "not_found", "server", "bad_response"]


# ------------------------------------------------------------------------------------------ credentials
@dataclass(frozen=True, slots=True, repr=False)
class TwsCredentials:
    """Basic (``username``/``password``) or bearer (``api_key``) credentials; empty = anonymous."""

    username: str = ""
    password: str = ""
    api_key: str = ""

    @property
    def scheme(self) -> Literal["bearer", "basic", "none"]:
        if self.api_key:
            return "bearer"
        if self.username:
            return "basic"
        return "none"

    def authorization(self) -> str | None:
        """The ``Authorization`` header value (never log it)."""
        if self.api_key:
            return f"Bearer {self.api_key}"
        if self.username:
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        return None

    def __repr__(self) -> str:
        return f"TwsCredentials(scheme={self.scheme!r})"


CredentialsProvider = Callable[[bool], TwsCredentials]
"""``provider(refresh) -> credentials``; ``refresh=True`` asks to bypass any cache (after a 401)."""


def credentials_from_secret(secret_arn: str, *, refresh: bool = False) -> TwsCredentials:
    """Read ``{"username": ..., "password": ...}`` or ``{"apiKey": ...}`` from Secrets Manager.

    Through Powertools Parameters (cached 300 s per execution environment). Failures become
    ``TwsError("unauthorized")`` without the secret's content.
    """
    from aws_lambda_powertools.utilities import parameters  # lazy: keeps cold imports small

    try:
        value = parameters.get_secret(secret_arn, transform="json", max_age=300, force_fetch=refresh)
    except Exception as exc:  # GetParameterError, TransformParameterError, botocore errors
        raise TwsError(
            "unauthorized", f"cannot read the TWS credentials secret ({type(exc).__name__})"
        ) from None
    if isinstance(value, Mapping):
        api_key = value.get("apiKey")
        if isinstance(api_key, str) and api_key:
            return TwsCredentials(api_key=api_key)
        username, password = value.get("username"), value.get("password")
        if isinstance(username, str) and username and isinstance(password, str):
            return TwsCredentials(username=username, password=password)
    raise TwsError("unauthorized", 'the TWS secret must hold {"username", "password"} or {"apiKey"}')


# --------------------------------------------------------------------------------------------- HTTP layer
@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. ``connect`` bounds the TCP connect + TLS handshake; ``read`` bounds each wait for bytes."""

    connect: float = 3.0
    read: float = 8.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` in total (first included); backoff ``base * 2**(n-1)`` capped at ``max_backoff``,
    half of it random (jitter); ``budget`` bounds one logical call (all attempts, sleeps, reads)."""

    attempts: int = 3
    base: float = 0.25
    max_backoff: float = 2.0
    budget: float = 12.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        delay = min(self.max_backoff, self.base * 2 ** (retry - 1))
        return delay / 2 + rng.uniform(0, delay / 2)


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Message
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "") or ""

    def messages(self) -> str:
        """The server's ``messages`` (or a short excerpt of the body) for error details."""
        try:
            data = json.loads(self.body.decode("utf-8", errors="replace"))
        except ValueError:
            return self.body[:200].decode("utf-8", errors="replace").strip()
        if isinstance(data, Mapping) and isinstance(data.get("messages"), list):
            return "; ".join(str(m) for m in data["messages"])
        return ""


class _Failure(Exception):
    """One attempt failed before an HTTP status was read."""

    def __init__(
        self, kind: TwsErrorKind, detail: str, *, retryable: bool, before_send: bool = False
    ) -> None:
        super().__init__(detail)
        self.kind: TwsErrorKind = kind
        self.detail = detail
        self.retryable = retryable
        self.before_send = before_send


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (plain HTTP is allowed only there)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ssl_context(ca_bundle: str) -> ssl.SSLContext:
    """Verifying context (hostname + chain), from the system store or the given PEM file/text."""
    if not ca_bundle:
        return ssl.create_default_context()
    if ca_bundle.lstrip().startswith("-----BEGIN"):
        return ssl.create_default_context(cadata=ca_bundle)
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"TWS CA bundle {ca_bundle!r} cannot be loaded: {exc}") from exc


class RestTwsClient:
    """:class:`~twschat.core.tws.TwsClient` over the plan REST API v1 (see the module docstring)."""

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
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise ValueError(f"TWS base URL must be https://host[:port]/twsd, got {base_url!r}")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError(
                "plain http:// is allowed only for loopback hosts; use https:// for a real master"
            )
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be positive")
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._base_path = parts.path
        self._ssl = _ssl_context(ca_bundle) if parts.scheme == "https" else None
        if isinstance(credentials, TwsCredentials) or credentials is None:
            static = credentials or TwsCredentials()
            self._provider: CredentialsProvider = lambda _refresh: static
            self._refreshable = False
        else:
            self._provider = credentials
            self._refreshable = True
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.max_pages = max_pages
        self.dialect = dialect or TwsApiDialect()
        self.refresh_interval = refresh_interval
        self._last_refresh = -float("inf")
        self._warned: set[str] = set()
        self._sleep = sleep
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"RestTwsClient({self.base_url!r})"

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
        ``last_in_rerun_chain=False``; ``statuses`` (e.g. ``{"ABEND"}``) is applied client-side."""
        filters: dict[str, Any] = {"job_name": job_name, "job_stream": job_stream, "workstation": workstation}
        if not last_in_rerun_chain:
            filters["last_in_rerun_chain"] = False
        items, truncated = self._list("job", filters)
        jobs = [self.dialect.parse_job(item) for item in items]
        if statuses is not None:
            wanted = {s.upper() for s in statuses}
            jobs = [j for j in jobs if j.status in wanted]
        return Listing(jobs, truncated)

    # -- reads (dependencies, prompts)
    def list_prompts(self, *, prompt: str = "") -> Listing[Prompt]:
        """The plan's prompts (conman ``sp``); path and fields UNCONFIRMED (see the dialect)."""
        items, truncated = self._list("prompt", {"prompt": prompt})
        return Listing((self.dialect.parse_prompt(item) for item in items), truncated)

    def job_dependencies(self, job: Job) -> Listing[Dependency]:
        return self._dependencies(self.dialect.dependencies_target(job), job)

    def job_successors(self, job: Job) -> Listing[Dependency]:
        return self._dependencies(self.dialect.successors_target(job), job)

    def _dependencies(self, target: str, job: Job) -> Listing[Dependency]:
        resp = self._request("GET", target)
        if resp.status == 404:
            raise TwsError("not_found", resp.messages() or f"no dependencies for {job.job_id or job.id}")
        self._raise_for_status(resp)
        items = self.dialect.dependency_items(self._json(resp))
        return Listing(self.dialect.parse_dependency(item) for item in items)

    def job_log(self, job: Job) -> str:
        resp = self._request("GET", self.dialect.job_log_target(job), accept=self.dialect.job_log_accept())
        if resp.status == 404:
            raise TwsError("not_found", resp.messages() or f"no joblog for {job.job_id or job.id}")
        self._raise_for_status(resp)
        return self.dialect.parse_job_log(resp.content_type, resp.body)

    def act(self, action: JobAction, job: Job) -> ActionResult[Job]:
        name = self.dialect.action_names.get(action)
        if not name:
            return ActionResult(action, job, False, f"action {action} is not supported by this TWS client")
        refused = self._put_action(action, job.id, self.dialect.action_target(job, name))
        if refused is not None:
            return ActionResult(action, job, False, refused)
        detail = {
            "rerun": "rerun submitted",
            "hold": "job held",
            "release": "job released",
            "kill": "job killed",
            "confirm_succ": "job confirmed SUCC",
            "confirm_abend": "job confirmed ABEND",
        }.get(action, "job cancelled")
        try:
            current = self._refetch(job, rerun=action == "rerun")
        except TwsError as exc:
            logger.warning("TWS %s of %s accepted; state not refreshed (%s)", action, job.id, exc.kind)
            return ActionResult(action, job, True, f"{detail} (state not refreshed: {exc.kind})")
        return ActionResult(action, current or job, True, detail)

    def act_stream(self, action: StreamAction, stream: JobStream) -> ActionResult[JobStream]:
        name = self.dialect.stream_action_names.get(action)
        if not name:
            return ActionResult(action, stream, False, f"action {action} is not supported by this TWS client")
        target = self.dialect.other_action_target("jobstream", stream.id or stream.name, name)
        refused = self._put_action(action, stream.name, target)
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
        self, action: WorkstationAction, workstation: Workstation
    ) -> ActionResult[Workstation]:
        name = self.dialect.workstation_action_names.get(action)
        if not name:
            return ActionResult(
                action, workstation, False, f"action {action} is not supported by this TWS client"
            )
        target = self.dialect.other_action_target("workstation", workstation.id or workstation.name, name)
        refused = self._put_action(action, workstation.name, target)
        if refused is not None:
            return ActionResult(action, workstation, False, refused)
        try:
            now = [
                w for w in self.list_workstations(workstation=workstation.name) if w.name == workstation.name
            ]
        except TwsError as exc:
            return ActionResult(action, workstation, True, f"{name} sent (state not refreshed: {exc.kind})")
        return ActionResult(action, now[0] if now else workstation, True, f"{name} sent")

    def reply_prompt(self, prompt: Prompt, answer: bool) -> ActionResult[Prompt]:
        action = "reply_yes" if answer else "reply_no"
        name = self.dialect.prompt_action_names.get(action)
        if not name:
            return ActionResult(action, prompt, False, f"action {action} is not supported by this TWS client")
        target = self.dialect.other_action_target("prompt", prompt.key or prompt.id, name)
        body = json.dumps(self.dialect.prompt_reply_body(answer)).encode()
        refused = self._put_action(action, prompt.id, target, body)
        if refused is not None:
            return ActionResult(action, prompt, False, refused)
        replied = Prompt(prompt.id, prompt.text, "YES" if answer else "NO", prompt.key)
        try:
            now = next((p for p in self.list_prompts(prompt=prompt.id) if p.id == prompt.id), replied)
        except TwsError as exc:
            return ActionResult(action, replied, True, f"prompt answered (state not refreshed: {exc.kind})")
        return ActionResult(action, now, True, f"prompt answered {now.status}")

    # ----------------------------------------------------------------------------------------- helpers
    def _put_action(self, action: str, about: str, target: str, body: bytes = b"{}") -> str | None:
        """THE action PUT (never retried once sent): None when accepted, else the master's refusal.
        401/403/404/5xx raise :class:`TwsError`."""
        resp = self._request("PUT", target, body=body, idempotent=False)
        if resp.status in (401, 403, 404) or resp.status >= 500:
            self._raise_for_status(resp)
        if not 200 <= resp.status < 300:
            logger.info("TWS refused %s of %s: HTTP %s", action, about, resp.status)
            return resp.messages() or f"HTTP {resp.status}"
        return None

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
        """THE paging rule. v1: one page of ``page_size`` rows (``How-Many``); a full page may be
        incomplete. v2: ``limit``/``offset`` pages while the envelope says more remain, at most
        ``max_pages``. Returns the items and whether the list may be incomplete."""
        items: list[Mapping[str, Any]] = []
        offset = 0
        for _ in range(self.max_pages):
            req = self.dialect.list_request(kind, filters, limit=self.page_size, offset=offset)
            resp = self._request(req.method, req.target, body=req.body)
            self._raise_for_status(resp)
            page, more = self.dialect.page(self._json(resp), limit=self.page_size, offset=offset)
            items.extend(page)
            if not more:
                return items, False
            if self.dialect.version == "v1":
                break  # no continuation in v1: say the list may be incomplete
            offset += len(page)
        if kind not in self._warned:
            self._warned.add(kind)  # once per kind: a plan of exactly page_size items is not an error
            logger.warning("TWS %s list may be incomplete (%d items read)", kind, len(items))
        return items, True

    @staticmethod
    def _json(resp: _Response) -> Any:
        try:
            return json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise TwsError("bad_response", f"HTTP {resp.status}: body is not JSON") from exc

    @staticmethod
    def _raise_for_status(resp: _Response) -> None:
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

    def _headers(self, accept: str, request_id: str, refresh: bool) -> dict[str, str]:
        headers = {
            "Accept": accept,
            "Content-Type": "application/json",
            "Request-Id": request_id,
            "User-Agent": USER_AGENT,
        }
        if self.dialect.how_many_header:
            headers["How-Many"] = str(self.page_size)
        authorization = self._provider(refresh).authorization()
        if authorization:
            headers["Authorization"] = authorization
        return headers

    def _request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        accept: str = "application/json",
        idempotent: bool = True,
    ) -> _Response:
        """One logical call: attempts with backoff inside the budget. Returns any answer below 500
        (callers map 4xx); raises ``TwsError`` for transport failures and for 5xx after retries."""
        if not target.startswith(self._base_path + "/"):
            target = self._base_path + target
        request_id = str(uuid.uuid4())
        policy = self.retry
        deadline = time.monotonic() + policy.budget
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            headers = self._headers(accept, request_id, refresh=refreshed)
            try:
                resp = self._send_once(method, target, body, headers, deadline)
            except _Failure as failure:
                error = TwsError(failure.kind, failure.detail)
                retry = failure.before_send or (idempotent and failure.retryable)
                outcome: str = failure.kind
            else:
                outcome = str(resp.status)
                logger.debug(
                    "TWS %s %s -> %s in %.0f ms (attempt %d, request %s)",
                    method,
                    target,
                    resp.status,
                    (time.monotonic() - started) * 1000,
                    attempt,
                    request_id,
                )
                if resp.status == 401 and not refreshed and self._may_refresh():
                    refreshed = True  # a rotated secret: read it again once, then retry right away
                    logger.info("TWS answered 401: re-reading credentials once (request %s)", request_id)
                    attempt -= 1
                    continue
                if resp.status < 500:
                    return resp
                error = TwsError(
                    "server", f"HTTP {resp.status}" + (f": {m}" if (m := resp.messages()) else "")
                )
                retry = idempotent
            if not retry or attempt >= policy.attempts:
                if attempt > 1:
                    error = TwsError(error.kind, f"{error.detail} (after {attempt} attempts)")
                raise error
            pause = policy.backoff(attempt, self._rng)
            if time.monotonic() + pause >= deadline:
                raise TwsError(error.kind, f"{error.detail} (gave up after {attempt} attempts: time budget)")
            logger.warning(
                "TWS %s %s failed (%s); retry %d/%d in %.2f s (request %s)",
                method,
                target,
                outcome,
                attempt,
                policy.attempts - 1,
                pause,
                request_id,
            )
            self._sleep(pause)

    def _may_refresh(self) -> bool:
        """Re-read provider credentials after a 401 at most once per ``refresh_interval`` seconds (a
        wrong secret must not turn every chat turn into a Secrets Manager call)."""
        if not self._refreshable or time.monotonic() - self._last_refresh < self.refresh_interval:
            return False
        self._last_refresh = time.monotonic()
        return True

    def _send_once(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str], deadline: float
    ) -> _Response:
        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Failure("timeout", "no answer within the time budget", retryable=False)
            return left

        connect_timeout = min(self.timeouts.connect, remaining())
        conn: http.client.HTTPConnection
        if self._ssl is not None:
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=connect_timeout, context=self._ssl
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=connect_timeout)
        where = f"{self._host}:{self._port}"
        try:
            try:
                conn.connect()
            except socket.gaierror:
                raise _Failure("unreachable", f"cannot resolve {self._host}", retryable=False) from None
            except ssl.SSLCertVerificationError as exc:
                raise _Failure(
                    "unreachable",
                    f"TLS certificate of {where} not trusted ({exc.verify_message}); set the CA bundle",
                    retryable=False,
                ) from None
            except TimeoutError:
                raise _Failure(
                    "timeout", f"connect to {where} timed out", retryable=True, before_send=True
                ) from None
            except ssl.SSLError as exc:
                raise _Failure(
                    "unreachable", f"TLS handshake with {where} failed ({exc.reason})", retryable=False
                ) from None
            except OSError as exc:
                raise _Failure(
                    "unreachable",
                    f"cannot connect to {where} ({exc.strerror or type(exc).__name__})",
                    retryable=True,
                    before_send=True,
                ) from None
            try:
                assert conn.sock is not None
                conn.sock.settimeout(min(self.timeouts.read, remaining()))
                conn.request(method, target, body=body, headers=dict(headers))
                raw = conn.getresponse()
                chunks: list[bytes] = []
                size = 0
                while True:
                    # Each read waits at most ``read`` (and never past the budget). http.client drops
                    # conn.sock when the server closes after answering; the timeout set above still holds.
                    left = min(self.timeouts.read, remaining())
                    if conn.sock is not None:
                        conn.sock.settimeout(left)
                    chunk = raw.read(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise _Failure("bad_response", "answer larger than 16 MiB", retryable=False)
                    chunks.append(chunk)
            except TimeoutError:
                raise _Failure(
                    "timeout", f"{where} did not answer within the timeout", retryable=True
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                raise _Failure(
                    "unreachable", f"connection to {where} dropped ({type(exc).__name__})", retryable=True
                ) from None
            return _Response(raw.status, raw.headers, b"".join(chunks), f"{self._scheme}://{where}{target}")
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------------- factory
def build_rest_client(
    base_url: str,
    *,
    secret_arn: str = "",
    username: str = "",
    password: str = "",
    api_key: str = "",
    ca_bundle: str = "",
    timeout: float | Timeouts = Timeouts(),
    retry: RetryPolicy | None = None,
    page_size: int = 500,
    dialect: TwsApiDialect | None = None,
    api_version: str = "v1",
) -> RestTwsClient:
    """The client from configuration (``TWS_BASE_URL``, ``TWS_SECRET_ARN``, ``TWS_CA_BUNDLE``, and for
    local use ``TWS_USERNAME``/``TWS_PASSWORD``/``TWS_API_KEY``).

    Credentials: the secret when ``secret_arn`` is set (read lazily on the first call, so a missing
    secret becomes a ``TwsError`` the operator sees, not a failed cold start), else ``api_key``, else
    ``username``/``password``. ``api_version`` (``TWS_API_VERSION``): ``v1`` (default) or ``v2`` (10.1
    FP1+), unless ``dialect`` is given. ``timeout`` is a :class:`Timeouts` or a number of seconds for reads
    (connect: at most 3 s). Raises ``ValueError`` for a bad URL or an unreadable CA bundle.
    """
    if not base_url:
        raise ValueError("TWS_BASE_URL is required for the REST client")
    credentials: TwsCredentials | CredentialsProvider
    if secret_arn:

        def credentials(refresh: bool) -> TwsCredentials:
            return credentials_from_secret(secret_arn, refresh=refresh)

    elif api_key:
        credentials = TwsCredentials(api_key=api_key)
    elif username:
        credentials = TwsCredentials(username=username, password=password)
    else:
        logger.warning("TWS REST client without credentials: requests are sent anonymously")
        credentials = TwsCredentials()
    timeouts = timeout if isinstance(timeout, Timeouts) else Timeouts(connect=min(3.0, timeout), read=timeout)
    return RestTwsClient(
        base_url,
        credentials=credentials,
        ca_bundle=ca_bundle,
        timeouts=timeouts,
        retry=retry,
        page_size=page_size,
        dialect=dialect or dialect_for(api_version),
    )
