"""Shared fixtures: fake AWS credentials, stores of every backend, a recording poster."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from twschat.core.frames import Frame
from twschat.core.ports import PostOutcome

ROOT = pathlib.Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"

# CI runs the unit and functional suites a second time with the wall clock moved ahead
# (TWSCHAT_CLOCK_OFFSET_DAYS=365, see scripts/test.sh): a test that compares a fixed date with the
# real clock fails there today instead of on a fresh clone next month. time-machine moves
# time.time() and datetime.now() and leaves the monotonic clocks alone.
CLOCK_OFFSET_DAYS = int(os.environ.get("TWSCHAT_CLOCK_OFFSET_DAYS", "0") or 0)
_traveller: Any = None


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    if CLOCK_OFFSET_DAYS and _traveller is None:
        import time_machine

        destination = dt.datetime.now(dt.UTC) + dt.timedelta(days=CLOCK_OFFSET_DAYS)
        _traveller = time_machine.travel(destination, tick=True)
        _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config: pytest.Config) -> str | None:
    if CLOCK_OFFSET_DAYS:
        return f"wall clock moved {CLOCK_OFFSET_DAYS} days ahead: {dt.datetime.now(dt.UTC).isoformat()}"
    return None


# The epoch the sample events in events/ are stamped with (requestTimeEpoch), 2026-11-25 12:00 UTC.
EVENTS_EPOCH = 1_795_608_000


@pytest.fixture
def clock_at_events() -> Iterator[None]:
    """The wall clock set (ticking) to the sample events' epoch.

    The service stamps a reply with its clock and compares a later frame's requestTimeEpoch with
    it (a confirmation counts only after its prompt): tests that send fixed-time events need the
    service's clock in the same era, on any date the suite runs.
    """
    import time_machine

    with time_machine.travel(dt.datetime.fromtimestamp(EVENTS_EPOCH, dt.UTC), tick=True):
        yield


def validity_window(margin: dt.timedelta = dt.timedelta(hours=1)) -> tuple[dt.datetime, dt.datetime]:
    """A certificate validity that holds on the test's clock and on OpenSSL's.

    OpenSSL reads the real clock, which time-machine does not move: a certificate made "valid from
    now" on a clock moved a year ahead is not yet valid to OpenSSL. Cover both instants.
    """
    moved = dt.datetime.now(dt.UTC)
    if _traveller is not None:
        import time_machine

        real = dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), dt.UTC)
    else:
        real = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    return min(moved, real) - margin, max(moved, real) + margin


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing in the unit and functional suites may reach a real AWS account.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TwsChatTest",
    }.items():
        monkeypatch.setenv(name, value)


class RecordingPoster:
    """A FramePoster that keeps every frame, and can play a connection that is gone or not yet open."""

    def __init__(
        self, *, gone: set[str] | None = None, fail: bool = False, not_ready_checks: int = 0
    ) -> None:
        self.frames: list[tuple[str, Frame]] = []
        self.gone = gone or set()
        self.fail = fail
        self.not_ready_checks = not_ready_checks
        self.checks = 0
        self.closed: list[str] = []

    def post(self, connection_id: str, frame: Frame) -> PostOutcome:
        if connection_id in self.gone:
            return PostOutcome.GONE
        if self.fail:
            return PostOutcome.FAILED
        self.frames.append((connection_id, frame))
        return PostOutcome.SENT

    def is_connected(self, connection_id: str) -> bool:
        self.checks += 1
        if self.checks <= self.not_ready_checks:
            return False
        return connection_id not in self.gone

    def close(self, connection_id: str) -> PostOutcome:
        self.closed.append(connection_id)
        return PostOutcome.GONE if connection_id in self.gone else PostOutcome.SENT

    def sent(self, connection_id: str | None = None) -> list[Frame]:
        return [f for c, f in self.frames if connection_id is None or c == connection_id]


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture(params=["sqlite", "dynamodb-moto"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[object]:
    if request.param == "sqlite":
        from twschat.persistence.sqlite import sqlite_stores

        sqlite_store = sqlite_stores(tmp_path / "chat.db")
        yield sqlite_store
        sqlite_store.close()
        return
    from moto import mock_aws

    from twschat.persistence.dynamodb import dynamodb_stores
    from twschat.persistence.tables import ensure_tables

    with mock_aws():
        ensure_tables(connections_table="conn", history_table="hist", audit_table="audit", region="us-east-1")
        yield dynamodb_stores("conn", "hist", audit_table="audit")
