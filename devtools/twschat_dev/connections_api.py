"""HTTP side of the local gateway: the ``@connections`` management API and the Lambda Invoke API.

Handlers reach it through boto3 exactly as in AWS, with local endpoints:
``apigatewaymanagementapi`` with ``endpoint_url=CONNECTIONS_API_URL`` and ``lambda`` through
``AWS_ENDPOINT_URL_LAMBDA``. A threaded stdlib server on its own loopback port (the WebSocket
server's HTTP parser only takes GET).

- ``POST|GET|DELETE /{stage}/@connections/{id}`` (or without the stage): post a frame (text when the
  body is UTF-8, else binary), describe, close. Unknown id -> 410 ``GoneException``.
- ``POST /{secret}/2015-03-31/functions/{name}/invocations``: ``X-Amz-Invocation-Type`` ``Event`` -> 202
  and a background run; ``RequestResponse`` -> the handler's JSON result; ``DryRun`` -> 204.

Anything on this machine can reach a loopback port, and a web page can make the browser POST to it,
so invoking a function (a forged ``$connect`` carries any identity) needs the server's secret, made
at start and known only to the handlers through ``AWS_ENDPOINT_URL_LAMBDA`` (boto3 keeps an endpoint
URL's path): :attr:`LocalApiServer.lambda_endpoint_url`. It is never logged. No browser has business
here: a request with an ``Origin`` header is refused, and an invocation whose body is declared
anything but JSON (the ``text/plain`` or form a page can send without a preflight) too.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("twschat-local")

MAX_POST_BYTES = 128 * 1024
"""API Gateway's message payload limit applies to PostToConnection too (413 PayloadTooLargeException)."""
INVOKE_PATH = ("2015-03-31", "functions")
JSON_CONTENT_TYPES = ("application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1")
"""What an invocation's body may be declared as; boto3 declares none."""


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    connected_at: float
    """Epoch seconds."""
    last_active_at: float
    source_ip: str
    user_agent: str

    def to_json(self) -> dict[str, Any]:
        return {
            "connectedAt": _iso(self.connected_at),
            "lastActiveAt": _iso(self.last_active_at),
            "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent},
        }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Connections(Protocol):
    """What the gateway (or ``twschat invoke``) exposes; called from HTTP worker threads."""

    def post(self, connection_id: str, data: bytes) -> bool: ...

    def describe(self, connection_id: str) -> ConnectionInfo | None: ...

    def delete(self, connection_id: str) -> bool: ...


class Functions(Protocol):
    def resolve(self, name: str) -> str | None: ...

    def invoke(self, logical_id: str, event: Any, *, asynchronous: bool = False) -> Any: ...

    def invoke_async(self, logical_id: str, event: Any) -> None: ...


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up shutdown

    def __init__(
        self,
        connections: Connections,
        functions: Functions,
        *,
        stage: str | None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.connections = connections
        self.functions = functions
        self.stage = stage
        """Accepted path prefix; ``None`` accepts any stage (``twschat invoke``)."""
        self.jwks: dict[str, Any] | None = None
        """Served at ``/.well-known/jwks.json`` with ``--auth local`` (what Cognito serves in AWS)."""
        self.invoke_secret = secrets.token_urlsafe(32)
        """The first path segment of every Lambda Invoke request: only the handlers are told it."""
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def lambda_endpoint_url(self) -> str:
        """``AWS_ENDPOINT_URL_LAMBDA`` for the handlers: the Invoke API, behind the secret."""
        return f"http://127.0.0.1:{self.port}/{self.invoke_secret}"

    def handler_environment(self) -> dict[str, str]:
        """What the handlers' environment needs to reach this server's Lambda Invoke API."""
        return {"AWS_ENDPOINT_URL_LAMBDA": self.lambda_endpoint_url}

    def redact(self, text: str) -> str:
        """``text`` fit for a log line: the invoke secret replaced."""
        return text.replace(self.invoke_secret, "[secret]")

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="twschat-local-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()


def _invoke_target(parts: list[str], secret: str) -> tuple[str, bool] | None:
    """``(function name, secret given)`` when ``parts`` is a Lambda Invoke path, with or without a
    (right or wrong) secret in front; None for any other path."""
    if len(parts) < 4 or parts[-4:-2] != list(INVOKE_PATH) or parts[-1] != "invocations" or len(parts) > 5:
        return None
    given = parts[0] if len(parts) == 5 else ""
    return parts[-2], hmac.compare_digest(given.encode(), secret.encode())


class _Handler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped after this
    server_version = "twschat-local"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("api %s", self.server.redact(format % args))

    # -- dispatch
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        if body is None:
            return
        if self.headers.get("Origin") is not None:
            self._error(403, "AccessDeniedException", "browser requests are refused (Origin header)")
            return
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
        invoke = _invoke_target(parts, self.server.invoke_secret)
        if invoke is not None:
            self._guarded_invoke(method, invoke, body)
            return
        try:
            if parts == [".well-known", "jwks.json"] and self.server.jwks is not None and method == "GET":
                self._json(200, self.server.jwks)
            elif len(parts) >= 2 and parts[-2] == "@connections" and len(parts) <= 3:
                if len(parts) == 3 and self.server.stage is not None and parts[0] != self.server.stage:
                    self._error(403, "ForbiddenException", "Forbidden")
                    return
                self._connections(method, parts[-1], body)
            else:
                self._error(
                    404, "NotFoundException", f"no local API at {method} {self.server.redact(self.path)}"
                )
        except Exception as exc:
            log.exception("local API %s %s failed", method, self.server.redact(self.path))
            self._error(500, "InternalServerError", f"{type(exc).__name__}: {exc}")

    def _guarded_invoke(self, method: str, target: tuple[str, bool], body: bytes) -> None:
        """An invocation runs only with the secret, as POST, with a body declared JSON (or undeclared)."""
        function_name, authorized = target
        if not authorized:
            self._error(
                403, "AccessDeniedException", "the local Lambda Invoke API needs the gateway's secret"
            )
            return
        if method != "POST":
            self._error(405, "MethodNotAllowed", "use POST")
            return
        content_type = self.headers.get("Content-Type")
        if content_type is not None and content_type.split(";")[0].strip().lower() not in JSON_CONTENT_TYPES:
            self._error(415, "UnsupportedMediaTypeException", "the invocation payload must be JSON")
            return
        try:
            self._invoke(function_name, body)
        except Exception as exc:
            log.exception("local API invocation of %s failed", function_name)
            self._error(500, "InternalServerError", f"{type(exc).__name__}: {exc}")

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 6 * 1024 * 1024:
            self._error(413, "RequestEntityTooLargeException", "request too large")
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    # -- @connections
    def _connections(self, method: str, connection_id: str, body: bytes) -> None:
        conns = self.server.connections
        gone = f"connection {connection_id} is gone (unknown, not yet open, or closed)"
        if method == "POST":
            if len(body) > MAX_POST_BYTES:
                self._error(
                    413,
                    "PayloadTooLargeException",
                    f"payload of {len(body)} bytes exceeds {MAX_POST_BYTES} bytes",
                )
            elif conns.post(connection_id, body):
                self._send(200, b"")
            else:
                self._error(410, "GoneException", gone)
        elif method == "GET":
            info = conns.describe(connection_id)
            if info is None:
                self._error(410, "GoneException", gone)
            else:
                self._json(200, info.to_json())
        elif method == "DELETE":
            if conns.delete(connection_id):
                self._send(204, b"")
            else:
                self._error(410, "GoneException", gone)
        else:
            self._error(405, "MethodNotAllowed", f"{method} is not supported on @connections")

    # -- Lambda Invoke
    def _invoke(self, function_name: str, body: bytes) -> None:
        functions = self.server.functions
        logical_id = functions.resolve(function_name)
        if logical_id is None:
            self._error(
                404,
                "ResourceNotFoundException",
                f"Function not found: {function_name}",
                extra={"Type": "User"},
            )
            return
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError:
            self._error(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json",
                extra={"Type": "User"},
            )
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "Event":
            functions.invoke_async(logical_id, event)
            self._send(202, b"")
        elif invocation_type == "DryRun":
            self._send(204, b"")
        elif invocation_type == "RequestResponse":
            start = time.perf_counter()
            try:
                result = functions.invoke(logical_id, event)
            except Exception as exc:
                payload = {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
                self._json(
                    200, payload, {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"}
                )
                return
            log.debug("invoke %s took %.0f ms", logical_id, (time.perf_counter() - start) * 1000)
            self._json(200, result, {"X-Amz-Executed-Version": "$LATEST"})
        else:
            self._error(400, "InvalidParameterValueException", f"bad X-Amz-Invocation-Type {invocation_type}")

    # -- responses
    def _error(self, status: int, error_type: str, message: str, extra: dict[str, str] | None = None) -> None:
        payload = {"message": message, **(extra or {})}
        self._json(status, payload, {"x-amzn-ErrorType": error_type})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers, "application/json")

    def _send(
        self, status: int, data: bytes, headers: dict[str, str] | None = None, content_type: str | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
