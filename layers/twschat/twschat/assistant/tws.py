"""The TWS data source seam: what the assistant may ask of a TWS plan, and the error it may get.

Two implementations are chosen by configuration (``TWS_MODE``): the demo plan kept as data
(:mod:`twschat.assistant.demo`) and the REST client for a real master domain manager
(``twschat.adapters.tws_rest``). The objects it returns are in :mod:`twschat.assistant.domain`
(shapes of the plan REST API, see shared/reference/tws-rest.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from twschat.core.exceptions import TwsChatError

from .domain import (
    ActionResult,
    Dependency,
    Job,
    JobAction,
    JobStream,
    Prompt,
    Resource,
    StreamAction,
    Workstation,
    WorkstationAction,
)

__all__ = ["TwsClient", "TwsError"]

TwsErrorKind = Literal["unreachable", "timeout", "unauthorized", "not_found", "server", "bad_response"]


class TwsError(TwsChatError):
    """The TWS source could not answer. ``kind`` tells the operator what to try."""

    def __init__(self, kind: TwsErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class TwsClient(Protocol):
    def list_workstations(self) -> Sequence[Workstation]: ...

    def list_job_streams(self) -> Sequence[JobStream]: ...

    def list_jobs(self) -> Sequence[Job]: ...

    def job_log(self, job: Job) -> str: ...

    # -- reads (dependencies, prompts)
    def list_prompts(self) -> Sequence[Prompt]:
        """The plan's prompts (conman ``sp``): asked, not asked and answered ones."""
        ...

    def job_dependencies(self, job: Job) -> Sequence[Dependency]:
        """What ``job`` waits for: predecessors, resources, prompts, files, time."""
        ...

    def job_successors(self, job: Job) -> Sequence[Dependency]:
        """The jobs that wait for ``job`` (``kind`` job)."""
        ...

    # -- reads (resources)
    def list_resources(self) -> Sequence[Resource]:
        """The plan's resources (conman ``sr``): units defined, available, and the jobs holding them."""
        ...

    def resource_waiters(self, resource: Resource) -> Sequence[Job]:
        """The jobs that have not started and need ``resource`` (they wait for its units)."""
        ...

    # -- actions: ``justification`` is the operator's reason, sent where the API takes it (v2 headers)
    def act(self, action: JobAction, job: Job, *, justification: str = "") -> ActionResult[Job]: ...

    def act_stream(
        self, action: StreamAction, stream: JobStream, *, justification: str = ""
    ) -> ActionResult[JobStream]:
        """hold / release / cancel a job stream (``stream_hold``...)."""
        ...

    def act_workstation(
        self, action: WorkstationAction, workstation: Workstation, *, justification: str = ""
    ) -> ActionResult[Workstation]:
        """link / unlink a workstation."""
        ...

    def reply_prompt(self, prompt: Prompt, answer: bool, *, justification: str = "") -> ActionResult[Prompt]:
        """Answer a prompt yes (True) or no (False)."""
        ...
