"""The demo plan's state on disk, beside the chat database (issue 17): a restarted local gateway keeps
what operators did to the plan (reruns, holds, links, prompt replies), as it keeps the conversations
and the audit. ``twschat serve --reset-demo`` deletes the file: the plan starts over.

One JSON file per demo plan (``demo-plan-small.json``), written after every accepted change; a file
that is missing or unreadable starts the plan afresh (logged). Times are stored as they were (the
plan is built relative to the clock when it starts over, not when it is loaded).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from . import domain as d
from .demo import DemoTwsClient, PlanSpec

__all__ = ["PersistentDemoTwsClient"]

_log = logging.getLogger(__name__)

_STATE = (
    "_workstations",
    "_streams",
    "_jobs",
    "_logs",
    "_superseded",
    "_root",
    "_kept_state",
    "_prompts",
    "_stream_state",
)
"""The demo client's attributes an operator's action changes: everything else is rebuilt from the spec."""
_TYPES: dict[str, type] = {cls.__name__: cls for cls in (d.Job, d.JobStream, d.Prompt, d.Workstation)}
_VERSION = 1
_Result = TypeVar("_Result")


class PersistentDemoTwsClient(DemoTwsClient):
    """The demo plan, loaded from ``path`` when it is there and saved to it after every change."""

    def __init__(
        self, path: Path, clock: Callable[[], datetime] | None = None, plan: PlanSpec | str = "small"
    ) -> None:
        super().__init__(clock=clock, plan=plan)
        self._path = path
        self._load()

    def _load(self) -> None:
        try:
            stored = json.loads(self._path.read_text(encoding="utf-8"), object_hook=_decode)
            if stored.get("version") != _VERSION:
                raise ValueError(f"version {stored.get('version')!r}")
            state = {name: stored["state"][name] for name in _STATE}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as err:
            _log.warning("demo plan state unreadable (%s); starting the plan over", type(err).__name__)
            return
        for name, value in state.items():
            setattr(self, name, value)

    def _save(self) -> None:
        state = {name: getattr(self, name) for name in _STATE}
        body = json.dumps({"version": _VERSION, "state": state}, default=_encode, ensure_ascii=False)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_suffix(".tmp")
        partial.write_text(body, encoding="utf-8")
        os.replace(partial, self._path)  # never a half-written plan

    def act(self, action: d.JobAction, job: d.Job, *, justification: str = "") -> d.ActionResult[d.Job]:
        return self._saved(super().act(action, job, justification=justification))

    def act_stream(
        self, action: d.StreamAction, stream: d.JobStream, *, justification: str = ""
    ) -> d.ActionResult[d.JobStream]:
        return self._saved(super().act_stream(action, stream, justification=justification))

    def act_workstation(
        self, action: d.WorkstationAction, workstation: d.Workstation, *, justification: str = ""
    ) -> d.ActionResult[d.Workstation]:
        return self._saved(super().act_workstation(action, workstation, justification=justification))

    def reply_prompt(
        self, prompt: d.Prompt, answer: bool, *, justification: str = ""
    ) -> d.ActionResult[d.Prompt]:
        return self._saved(super().reply_prompt(prompt, answer, justification=justification))

    def _saved(self, result: _Result) -> _Result:
        self._save()
        return result


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "$type": type(value).__name__,
            **{f.name: getattr(value, f.name) for f in dataclasses.fields(value)},
        }
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, set | frozenset):
        return {"$set": sorted(value)}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode(raw: dict[str, Any]) -> Any:
    if "$datetime" in raw:
        return datetime.fromisoformat(raw["$datetime"])
    if "$seconds" in raw:
        return timedelta(seconds=raw["$seconds"])
    if "$set" in raw:
        return set(raw["$set"])
    if "$type" in raw:
        fields = {k: v for k, v in raw.items() if k != "$type"}
        return _TYPES[raw["$type"]](**fields)
    return raw
