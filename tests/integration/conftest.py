"""Integration fixtures: DynamoDB Local (the official jar, Java 17) and ``twschat serve`` subprocesses.

DynamoDB Local is installed by ``bash .ci/dynamodb-local.sh``. Without the jar or java the DynamoDB
tests are skipped, unless ``TWSCHAT_REQUIRE_DYNAMODB_LOCAL=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest

from twschat_dev.dynamodb_local import DynamoDBLocalUnavailable, running
from twschat_dev.gateway import serve_command

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, *, alive: Any = None, timeout: float = START_TIMEOUT_S) -> None:
    """Poll until 127.0.0.1:port accepts TCP connections (``alive()`` false -> give up at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"process exited before opening port {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} not open after {timeout:.0f} s")


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    required = os.environ.get("TWSCHAT_REQUIRE_DYNAMODB_LOCAL") == "1"
    try:
        with running(ROOT / ".cache" / "dynamodb-local", timeout=START_TIMEOUT_S) as endpoint:
            yield endpoint
    except DynamoDBLocalUnavailable as exc:
        message = f"DynamoDB Local unavailable: {exc} (install: bash .ci/dynamodb-local.sh; needs Java 17)"
        if required:
            pytest.fail(message + " [TWSCHAT_REQUIRE_DYNAMODB_LOCAL=1]", pytrace=False)
        pytest.skip(message)


def dynamodb_client(endpoint: str) -> Any:
    """A client of DynamoDB Local that sees the gateway's tables.

    DynamoDB Local keeps one set of tables per access key and region. A fresh session reads the
    credentials the gateway gets from this environment; boto3's default session may hold others,
    cached while an earlier test ran under moto (which sets its own fake keys).
    """
    return boto3.session.Session().client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


class GatewayProcess:
    """``twschat serve`` in a subprocess on free loopback ports; output goes to files (never a full pipe)."""

    def __init__(
        self,
        data_dir: Path,
        log_dir: Path,
        *,
        dynamodb_endpoint: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.extra_args = list(extra_args)
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.dynamodb_endpoint = dynamodb_endpoint
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.runs = 0
        self.returncodes: list[int] = []

    @property
    def url(self) -> str:
        return f"ws://localhost:{self.port}"

    @property
    def stdout_path(self) -> Path:
        return self.log_dir / f"gateway-{self.runs}.out"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / f"gateway-{self.runs}.err"

    def start(self, *, same_port: bool = False) -> GatewayProcess:
        """Start (again); ``same_port`` restarts where clients will look for it (a restart)."""
        assert self.process is None, "already running"
        self.runs += 1
        self.port = self.port if same_port and self.port else free_port()
        api_port = free_port()
        cmd = serve_command(
            TEMPLATE,
            port=self.port,
            api_port=api_port,
            data_dir=self.data_dir,
            dynamodb_endpoint=self.dynamodb_endpoint,
            extra_args=self.extra_args,
        )
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(cmd, cwd=self.log_dir, stdout=out, stderr=err, env=env)
        try:
            wait_for_port(self.port, alive=lambda: self.process is not None and self.process.poll() is None)
        except Exception:
            self.stop()
            raise RuntimeError(f"gateway did not start:\n{self.output()}") from None
        return self

    @contextlib.contextmanager
    def running(self) -> Iterator[GatewayProcess]:
        """Started for the block, then stopped; it must exit cleanly (0) after Ctrl-C."""
        self.start()
        try:
            yield self
        finally:
            code = self.stop()
            assert code == 0, f"gateway exited with {code}:\n{self.output()}"

    def stop(self) -> int:
        """SIGINT (Ctrl-C), like a developer; the gateway closes connections and runs $disconnect."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise AssertionError(
                f"gateway ignored SIGINT for {STOP_TIMEOUT_S:.0f} s:\n{self.output()}"
            ) from None
        self.returncodes.append(code)
        return code

    def output(self, run: int | None = None) -> str:
        """stdout + stderr of one run (default: the latest)."""
        run = run or self.runs
        parts = [(self.log_dir / f"gateway-{run}.{ext}") for ext in ("out", "err")]
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in parts if p.exists())

    def json_logs(self, message: str | None = None) -> list[dict[str, Any]]:
        """The handlers' JSON log lines (Powertools) of the latest run, optionally one message only."""
        found = []
        for line in self.output().splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if message is None or entry.get("message") == message:
                found.append(entry)
        return found


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def gateway(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GatewayProcess]:
    endpoint = request.getfixturevalue("dynamodb_endpoint") if store == "dynamodb" else None
    with GatewayProcess(tmp_path / "data", tmp_path, dynamodb_endpoint=endpoint).running() as proc:
        yield proc


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """Make (not start) gateways sharing one data folder, e.g. to restart; all stopped at the end."""
    made: list[GatewayProcess] = []

    def make(dynamodb_endpoint: str | None = None, extra_args: Sequence[str] = ()) -> GatewayProcess:
        made.append(
            GatewayProcess(
                tmp_path / "data", tmp_path, dynamodb_endpoint=dynamodb_endpoint, extra_args=extra_args
            )
        )
        return made[-1]

    yield make
    for proc in made:
        proc.stop()
