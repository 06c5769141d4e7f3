"""The HTTP transport of the TWS REST client (standard library only: ``http.client`` + ``ssl``).

TLS verified against the system store or a CA bundle (no switch to turn it off; plain ``http://`` only
for loopback hosts); a connect timeout and a per-read timeout on every attempt and a total budget per
logical call; retries with exponential backoff and jitter on 5xx, timeouts and connection failures for
idempotent calls only (an action PUT is retried only when nothing was sent); credentials re-read once
after a 401 (at most once per ``refresh_interval``). See :mod:`twschat.adapters.tws_rest.client`.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Literal
from urllib.parse import urlsplit

from twschat.assistant.tws import TwsError

from .credentials import CredentialsProvider, TwsCredentials

__all__ = ["HttpTransport", "Response", "RetryPolicy", "Timeouts", "is_loopback"]

logger = logging.getLogger("twschat.adapters.tws_rest.client")

MAX_BODY_BYTES = 16 * 1024 * 1024
USER_AGENT = "tws-chat"

TwsErrorKind = Literal["unreachable", "timeout", "unauthorized", "not_found", "server", "bad_response"]


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
class Response:
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


class HttpTransport:
    """One master's base URL, credentials, TLS context, timeouts and retry policy; :meth:`request`."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: TwsCredentials | CredentialsProvider | None = None,
        ca_bundle: str = "",
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
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
        self.refresh_interval = refresh_interval
        self._last_refresh = -float("inf")
        self._sleep = sleep
        self._rng = rng or random.Random()

    def _headers(
        self, accept: str, request_id: str, refresh: bool, extra: Mapping[str, str]
    ) -> dict[str, str]:
        headers = {
            "Accept": accept,
            "Content-Type": "application/json",
            "Request-Id": request_id,
            "User-Agent": USER_AGENT,
            **extra,
        }
        authorization = self._provider(refresh).authorization()
        if authorization:
            headers["Authorization"] = authorization
        return headers

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        accept: str = "application/json",
        idempotent: bool = True,
        headers: Mapping[str, str] | None = None,
        keep_5xx: bool = False,
    ) -> Response:
        """One logical call: attempts with backoff inside the budget. Returns any answer below 500
        (callers map 4xx), and a 5xx too with ``keep_5xx`` once no retry is left (a v2 master wraps
        refusals in HTTP 500); raises ``TwsError`` for transport failures and for 5xx after retries."""
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
            sent = self._headers(accept, request_id, refreshed, headers or {})
            try:
                resp = self._send_once(method, target, body, sent, deadline)
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
                if keep_5xx and (not retry or attempt >= policy.attempts):
                    return resp
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
    ) -> Response:
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
            return Response(raw.status, raw.headers, b"".join(chunks), f"{self._scheme}://{where}{target}")
        finally:
            conn.close()
