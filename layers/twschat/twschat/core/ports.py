"""What the chat service needs from the outside world, stated as protocols (adapters implement them)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol

from twschat.core.frames import Frame


class PostOutcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"
    """The connection no longer exists (HTTP 410): its record must go, the history stays."""
    FAILED = "failed"


class FramePoster(Protocol):
    """Posts frames to WebSocket connections (the API Gateway connections API, or a test fake)."""

    def post(self, connection_id: str, frame: Frame) -> PostOutcome: ...

    def is_connected(self, connection_id: str) -> bool: ...

    def close(self, connection_id: str) -> PostOutcome:
        """Close the connection from the server side (API Gateway then runs ``$disconnect``)."""
        ...


class WelcomeTrigger(Protocol):
    """Starts the welcome after ``$connect`` has returned (API Gateway refuses posts before that)."""

    def trigger(self, payload: Mapping[str, Any]) -> None: ...


class TurnDispatcher(Protocol):
    """Hands a stored turn to the turn worker (asynchronously): replies past API Gateway's 29 s."""

    def dispatch(self, payload: Mapping[str, Any]) -> bool:
        """True when the worker will run (the invoke was accepted)."""
        ...


class MetricsSink(Protocol):
    """The slice of Powertools' ``Metrics`` the service uses."""

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...


class NullMetrics:
    def add_metric(self, name: str, unit: Any, value: float) -> None:
        return None
