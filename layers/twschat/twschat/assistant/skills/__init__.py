"""The skills: one function per intent, ``Turn -> Answer`` (wording-free), registered per module.

:data:`SKILLS` maps every intent of :data:`~twschat.assistant.nlu.INTENTS` to its skill; the
modules' tables are merged here and an intent registered twice is an error at import time.

- :mod:`.smalltalk` greeting, thanks, goodbye, help, not understood
- :mod:`.jobs` listings by state, one job's status and log
- :mod:`.plan_views` job streams, workstations, the summary
- :mod:`.actions` action requests, confirmations, negations
- :mod:`.audit` who did what to a job, "devo rerodar?"
- :mod:`.dependencies` why a job waits, what depends on it, jobs due in the next hours
- :mod:`.prompts` prompts waiting for an answer (conman ``sp``)
- :mod:`.alerts` alert subscriptions: subscribe, list, cancel (issue 18)
- :mod:`.resources` resources: exhausted ones, one resource's holders and waiters (conman ``sr``)
- :mod:`.referents` which job a message is about ("e o log dele?", "and the other one?")
- :mod:`.base` the :class:`SkillContext` a skill gets (``Turn``, its former name) and the shared builders
"""

from __future__ import annotations

from collections.abc import Mapping

from . import actions, alerts, audit, jobs, plan_views, prompts, resources, smalltalk
from . import dependencies as reads_dependencies
from .base import Services, Skill, SkillContext, Turn, last_agent_turn

__all__ = ["SKILLS", "Services", "Skill", "SkillContext", "Turn", "last_agent_turn"]


def _registry(*tables: Mapping[str, Skill]) -> dict[str, Skill]:
    merged: dict[str, Skill] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise ValueError(f"intents with two skills: {sorted(twice)}")
        merged.update(table)
    return merged


SKILLS: Mapping[str, Skill] = _registry(
    smalltalk.SKILLS,
    jobs.SKILLS,
    plan_views.SKILLS,
    actions.SKILLS,
    audit.SKILLS,
    reads_dependencies.SKILLS,
    prompts.SKILLS,
    alerts.SKILLS,
    resources.SKILLS,
)
