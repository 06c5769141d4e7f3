"""The fake Bedrock Runtime HTTP server (see the package docstring for the endpoints and faults)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast
from urllib.parse import unquote, urlsplit

from twschat.adapters.tws_rest import is_loopback
from twschat_dev.loopback import LoopbackServer

from .control import control
from .eventstream import event_message, exception_message, stream_events
from .model import (
    BedrockValidationError,
    FakeModel,
    PromptCache,
    Reply,
    count_tokens,
    prompt_pieces,
    validate,
)
from .script import Script

__all__ = ["FAULT_MODES", "FakeBedrockServer", "FaultMode", "ModelRequest"]

FaultMode = Literal["none", "throttle", "stream-error", "slow-first-token", "malformed-tool"]
FAULT_MODES: tuple[str, ...] = ("none", "throttle", "stream-error", "slow-first-token", "malformed-tool")
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_DELAY = 300.0
MAX_RECORDS = 500
DELTAS_BEFORE_STREAM_ERROR = 2

STREAM_ERROR = {
    "message": "The model stream failed (fault injected by the fake Bedrock).",
    "originalStatusCode": 500,
    "originalMessage": "Internal model error.",
}

_MODEL_PATH = re.compile(r"^/model/([^/]+)/(converse|converse-stream)$")
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One model call as the fake saw it (the body parsed; tokens of its reply, when it got one)."""

    operation: str
    model_id: str
    body: dict[str, Any]
    status: int
    input_tokens: int = 0
    output_tokens: int = 0
    fault: str = "none"
    scripted: bool = False
    """Answered from the script (``POST /__script``), not by the deterministic model."""
    index: int = 0
    """The request's number since the server started (set when recorded; ``GET /__requests?since=``)."""

    def to_json(self) -> dict[str, Any]:
        system = [
            str(b["text"]) for b in self.body.get("system") or [] if isinstance(b, dict) and "text" in b
        ]
        return {
            "index": self.index,
            "operation": self.operation,
            "modelId": self.model_id,
            "status": self.status,
            "fault": self.fault,
            "scripted": self.scripted,
            "system": system,
            "body": self.body,
        }


class FakeBedrockServer(LoopbackServer):
    name = "fake-bedrock"
    """``FakeBedrockServer(port=0).start()``, ``.url`` (the endpoint_url for boto3), ``.stop()``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, fault: FaultMode = "none", delay: float = 2.0
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the fake Bedrock listens on loopback addresses only, not {host!r}")
        self.host = host
        self.model = FakeModel()
        self.script = Script()
        self._recorded = 0
        self.cache = PromptCache()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.fault: FaultMode = "none"
        self.delay = 0.0
        self.times = 0
        """Requests the fault still applies to (0: every request until changed)."""
        self.requests: deque[ModelRequest] = deque(maxlen=MAX_RECORDS)
        self.counts: Counter[str] = Counter()
        self.last_usage: dict[str, Any] = {}
        self.set_fault(fault, delay)
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle (start, stop, context manager: LoopbackServer)
    @property
    def url(self) -> str:
        return self.origin()

    # -- state
    def set_fault(self, mode: str, delay: float | None = None, times: int = 0) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}, not {mode!r}")
        if delay is not None and not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} s")
        if times < 0:
            raise ValueError("times must be 0 (always) or a positive count")
        with self._lock:
            self.fault = cast(FaultMode, mode)
            self.times = times
            if delay is not None:
                self.delay = float(delay)

    def fault_state(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": self.fault, "delay": self.delay, "times": self.times}

    def _consume_fault(self) -> None:
        """A request got the fault: one fewer to go (back to ``none`` after the last)."""
        with self._lock:
            if self.fault != "none" and self.times:
                self.times -= 1
                if not self.times:
                    self.fault = "none"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.last_usage = {}
            self.cache.clear()
        self.script.clear()

    def request_log(self, since: int = 0) -> dict[str, Any]:
        """The recorded requests numbered above ``since`` (oldest first; the last 500 are kept) and
        ``last``, the number to pass as ``since`` next time."""
        with self._lock:
            found = [r.to_json() for r in self.requests if r.index > since]
            return {"requests": found, "last": self._recorded}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {
                    "converse": self.counts["converse"],
                    "converse-stream": self.counts["converse-stream"],
                    "total": self.counts["converse"] + self.counts["converse-stream"],
                },
                "status": {k[7:]: v for k, v in sorted(self.counts.items()) if k.startswith("status:")},
                "faults": {k[6:]: v for k, v in sorted(self.counts.items()) if k.startswith("fault:")},
                "last": dict(self.last_usage),
                "inputTokens": [r.input_tokens for r in self.requests if r.status == 200],
            }

    def _record(self, record: ModelRequest, usage: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._recorded += 1
            self.requests.append(replace(record, index=self._recorded))
            self.counts[record.operation] += 1
            self.counts[f"status:{record.status}"] += 1
            if record.fault != "none":
                self.counts[f"fault:{record.fault}"] += 1
            if usage is not None:
                self.last_usage = {"operation": record.operation, "modelId": record.model_id, **usage}

    def _reply(self, model_id: str, operation: str, body: dict[str, Any], malformed_tool: bool) -> Reply:
        """The scripted reply for a ConverseStream call when one is queued, else the model's; both
        after the request passes Bedrock's validation (raises ``BedrockValidationError``)."""
        validate(body)
        scripted = self.script.next() if operation == "converse-stream" else None
        reply = scripted or self.model.reply(body, malformed_tool=malformed_tool)
        with self._lock:
            reply.usage = self.cache.usage(model_id, prompt_pieces(body))
        reply.usage.output_tokens = sum(
            count_tokens(b.text) if b.kind == "text" else count_tokens(b.name + b.input_json())
            for b in reply.blocks
        )
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(_Handler):
            fake = server

        return Handler


class _Handler(BaseHTTPRequestHandler):
    fake: FakeBedrockServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeBedrock/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plain responses
    def _send(self, status: int, data: Any, **headers: str) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _aws_error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, {"message": message}, **{"x-amzn-ErrorType": error_type + _ERROR_TYPE_SUFFIX})

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_REQUEST_BYTES:
            self._aws_error(400, "ValidationException", "Invalid Content-Length.")
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        if path.startswith("/__"):
            self._send(*control(self.fake, self.command, self.path, body))
        elif (match := _MODEL_PATH.match(path)) and self.command == "POST":
            self._model(unquote(match.group(1)), match.group(2), body)
        else:
            self._aws_error(404, "UnknownOperationException", f"No operation {self.command} {path}.")

    # -- the model
    def _model(self, model_id: str, operation: str, raw: bytes) -> None:
        fake = self.fake
        started = time.monotonic()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            fake._record(ModelRequest(operation, model_id, {}, 400))
            self._aws_error(
                400,
                "ValidationException",
                "Malformed input request, please reformat your input and try again.",
            )
            return
        with fake._lock:
            fault, delay = fake.fault, fake.delay
        if fault == "throttle":
            fake._consume_fault()
            fake._record(ModelRequest(operation, model_id, body, 429, fault=fault))
            self._aws_error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
            return
        try:
            reply = fake._reply(model_id, operation, body, malformed_tool=fault == "malformed-tool")
        except BedrockValidationError as exc:
            fake._record(ModelRequest(operation, model_id, body, 400))
            self._aws_error(400, "ValidationException", str(exc))
            return
        except Exception as exc:  # a shape the fake does not understand: say so, keep serving
            fake._record(ModelRequest(operation, model_id, body, 500))
            self._aws_error(500, "InternalServerException", f"The fake Bedrock failed: {exc!r}")
            return
        if fault == "malformed-tool" and (
            reply.scripted or not any(b.raw_input is not None for b in reply.blocks)
        ):
            fault = "none"  # no tool call to break (a script says its own rawInput): the fault waits
        if fault != "none":
            fake._consume_fault()
        usage = {**reply.usage.to_json(), "stopReason": reply.stop_reason}
        record = ModelRequest(
            operation,
            model_id,
            body,
            200,
            reply.usage.input_tokens,
            reply.usage.output_tokens,
            fault,
            scripted=reply.scripted,
        )
        if operation == "converse":
            self._converse(reply, fault, delay, started, record, usage)
        else:
            self._converse_stream(reply, fault, delay, started, record, usage)

    def _converse(
        self,
        reply: Reply,
        fault: str,
        delay: float,
        started: float,
        record: ModelRequest,
        usage: dict[str, Any],
    ) -> None:
        fake = self.fake
        if fault == "slow-first-token" and fake._stopping.wait(delay):
            return
        if fault == "stream-error":
            fake._record(ModelRequest(record.operation, record.model_id, record.body, 424, fault=fault))
            self._aws_error(
                424,
                "ModelErrorException",
                "The model failed to respond (fault injected by the fake Bedrock).",
            )
            return
        fake._record(record, usage)
        self._send(
            200,
            {
                "output": {
                    "message": {"role": "assistant", "content": [b.to_content() for b in reply.blocks]}
                },
                "stopReason": reply.stop_reason,
                "usage": reply.usage.to_json(),
                "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
            },
        )

    def _converse_stream(
        self,
        reply: Reply,
        fault: str,
        delay: float,
        started: float,
        record: ModelRequest,
        usage: dict[str, Any],
    ) -> None:
        fake = self.fake
        fake._record(record, usage)
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        deltas = 0
        try:
            for event_type, payload in stream_events(reply, lambda: int((time.monotonic() - started) * 1000)):
                first = event_type == "contentBlockDelta" and not deltas
                if first and fault == "slow-first-token" and fake._stopping.wait(delay):
                    break
                if fault == "stream-error" and (
                    (event_type == "contentBlockDelta" and deltas == DELTAS_BEFORE_STREAM_ERROR)
                    or event_type == "contentBlockStop"
                ):
                    self._chunk(exception_message("modelStreamErrorException", STREAM_ERROR))
                    break
                deltas += event_type == "contentBlockDelta"
                self._chunk(event_message(event_type, payload))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
