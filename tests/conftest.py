"""Shared fixtures: fake AWS credentials, stores of every backend, a recording poster."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from twschat.core.frames import Frame
from twschat.core.ports import PostOutcome

ROOT = pathlib.Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


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
        from twschat.persistence.sqlite import SQLiteChatStore

        sqlite_store = SQLiteChatStore(tmp_path / "chat.db")
        yield sqlite_store
        sqlite_store.close()
        return
    from moto import mock_aws

    from twschat.persistence.dynamodb import DynamoDBChatStore, ensure_tables

    with mock_aws():
        ensure_tables(connections_table="conn", history_table="hist", audit_table="audit", region="us-east-1")
        yield DynamoDBChatStore("conn", "hist", audit_table="audit")
