"""bench/run_all.py on a machine without DynamoDB Local: the benchmarks that need it are skipped with
the reason in the summary and in the document, never a bare "failed to run: exit code 1"."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = "bash .ci/dynamodb-local.sh"


@pytest.fixture()
def bench(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[ModuleType, ModuleType]]:
    """run_all and machine, with DynamoDB Local looked for in an empty directory (a fresh clone)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import machine
    import run_all

    monkeypatch.setattr(machine, "DYNAMODB_LOCAL_DIR", tmp_path / "dynamodb-local")
    yield run_all, machine


def test_missing_dynamodb_local_names_the_install_script(bench: tuple[ModuleType, ModuleType]) -> None:
    _, machine = bench
    reason = machine.dynamodb_local_missing(install=False)
    assert "not installed" in reason and INSTALL_HINT in reason


def test_without_npm_and_java_nothing_is_installed(
    bench: tuple[ModuleType, ModuleType], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, machine = bench
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    logged: list[str] = []
    reason = machine.dynamodb_local_missing(install=True, log=logged.append)
    assert INSTALL_HINT in reason and reason.endswith("npm and java not found")
    assert logged == []  # the install script was not run


def test_skipped_benchmark_reason_in_summary_and_document(
    bench: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    run_all, _ = bench
    output = tmp_path / "performance.md"
    assert run_all.main(["--only", "history", "--no-install", "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("| [Per-turn DynamoDB cost")]
    assert INSTALL_HINT in row and row.endswith("| skipped |")
    section = text.split('<a id="history"></a>', 1)[1]
    assert f"DynamoDB Local not installed: run `{INSTALL_HINT}`" in section
    assert "(not run)" in section and "```text" not in section  # no output block, no stderr
    assert "failed to run" not in text


def test_a_failed_benchmark_shows_its_error_line(
    bench: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    run_all, _ = bench
    # The benchmarks' own failure when the jar is missing, from a real interpreter.
    code = (
        "import pathlib\nfrom twschat_dev import dynamodb_local\n"
        f"with dynamodb_local.running(pathlib.Path({str(tmp_path)!r})):\n    pass\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    history = next(b for b in run_all.BENCHES if b.key == "history")
    outcome = run_all.Outcome(history, history.command(False), done.returncode, 1.0, "", done.stderr, None)
    headline, status = run_all.status_of(outcome)
    assert status == "**failed to run**"
    assert headline.startswith("exit code 1: ")
    assert headline.endswith(f"DynamoDBLocal.jar not found: run {INSTALL_HINT}")
