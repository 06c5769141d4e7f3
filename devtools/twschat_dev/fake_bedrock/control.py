"""The fake's control endpoints (``/__fault``, ``/__stats``, ``/__reset``, ``/__script``,
``/__requests``): what tests and developers use to steer it and to read what it was sent."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .script import ScriptError, parse_script

if TYPE_CHECKING:
    from .server import FakeBedrockServer

__all__ = ["control"]

Answer = tuple[int, Any]


def _fault(fake: FakeBedrockServer, method: str, body: bytes) -> Answer:
    if method == "GET":
        return 200, fake.fault_state()
    try:
        data = json.loads(body or b"{}")
        delay = data.get("delay")
        fake.set_fault(
            str(data.get("mode", "none")),
            float(delay) if delay is not None else None,
            int(data.get("times") or 0),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        return 400, {"message": f"bad fault request: {exc}"}
    return 200, fake.fault_state()


def _script(fake: FakeBedrockServer, method: str, body: bytes) -> Answer:
    if method == "DELETE":
        fake.script.clear()
    elif method == "POST":
        try:
            fake.script.load(parse_script(json.loads(body or b"[]")))
        except ValueError as exc:  # ScriptError, or a body that is not JSON
            detail = str(exc) if isinstance(exc, ScriptError) else "the body is not JSON"
            return 400, {"message": f"bad script: {detail}"}
    return 200, fake.script.state()


def _requests(fake: FakeBedrockServer, query: str) -> Answer:
    try:
        since = int((parse_qs(query).get("since") or ["0"])[-1])
    except ValueError:
        return 400, {"message": "since must be an integer (a request's index)"}
    return 200, fake.request_log(since)


def control(fake: FakeBedrockServer, method: str, target: str, body: bytes) -> Answer:
    """``(status, JSON)`` for a request to a control endpoint (``target``: path and query)."""
    parts = urlsplit(target)
    path = parts.path
    if path == "/__fault" and method in ("GET", "POST"):
        return _fault(fake, method, body)
    if path == "/__script" and method in ("GET", "POST", "DELETE"):
        return _script(fake, method, body)
    if path == "/__requests" and method == "GET":
        return _requests(fake, parts.query)
    if path == "/__stats" and method == "GET":
        return 200, fake.stats()
    if path == "/__reset" and method == "POST":
        fake.reset()
        return 200, {"reset": True}
    return 404, {"message": f"no control endpoint {method} {path}"}
