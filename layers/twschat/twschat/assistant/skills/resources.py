"""Resources in the plan (conman ``sr``): "quais recursos estão esgotados?", "como está o recurso
ETL_DB_SLOTS?", "show resources", and after one resource "e quem está esperando ele?". Each with its
workstation, units defined and free, the jobs holding it and the jobs waiting for its units. What the
read means (exhausted, holders, waiters) is :mod:`..projections`', shared with the model's tool."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..answer import Answer, Msg, Part, lines, msg
from ..domain import Resource, is_truncated
from ..projections import ResourceView, exhausted, find_resource, read_resources, resource_view
from .base import Skill, Turn, bullet_item, cap_lines, job_line

__all__ = ["SKILLS"]


def _units(value: int | None) -> int | str:
    return "?" if value is None else value


def _row(r: Resource) -> Msg:
    return msg(
        "resources.row",
        name=r.name,
        workstation=r.workstation or "-",
        available=_units(r.available),
        quantity=_units(r.quantity),
        holders=", ".join(h.job for h in r.holders) or "-",
    )


def _about(t: Turn, answer: Answer, resource: str) -> Answer:
    """The answer, leaving the resource it was about for the follow-ups ("e quem está esperando ele?")."""
    return dataclasses.replace(answer, state=dataclasses.replace(answer.state, resource=resource))


def _names(found: Sequence[Resource]) -> str:
    return ", ".join(r.name for r in found) or "-"


def _wanted(t: Turn, found: Sequence[Resource]) -> Resource | Answer | None:
    """The resource the message names, else the one the previous reply was about; an answer when the
    name is not in the plan; None when neither names one."""
    name = t.intent.resource or t.prev.resource
    if not name:
        return None
    one = find_resource(found, name)
    if one is None:
        return t.answer(msg("resources.not_found", name=name.upper(), names=_names(found)))
    return one


def _holders(t: Turn, view: ResourceView) -> list[Part]:
    if not view.holders:
        return [msg("resources.no_holder")]
    out: list[Part] = [msg("resources.holders", n=len(view.holders))]
    for holder, job in view.holders:
        units = _units(holder.quantity)
        if job is not None:
            out.append(bullet_item(msg("resources.held", line=job_line(t, job, bullet=False), n=units)))
        else:
            stream = holder.job_stream or "-"
            out.append(bullet_item(msg("resources.holder", job=holder.job, stream=stream, n=units)))
    return out


def _waiters(t: Turn, view: ResourceView) -> list[Part]:
    if view.waiting is None:
        return [msg("resources.waiting_unknown")]
    if not view.waiting:
        return [msg("resources.none_waiting", name=view.resource.name)]
    out: list[Part] = [msg("resources.waiting", n=len(view.waiting), name=view.resource.name)]
    out += cap_lines(t, [job_line(t, j) for j in view.waiting], msg("refine.job_status"))
    if view.waiting_truncated:
        out.append(msg("resources.may_be_incomplete"))
    return out


def _one(t: Turn, resource: Resource, *, only_waiting: bool = False) -> Answer:
    view = resource_view(t.plan, resource)
    out: list[Part] = [] if only_waiting else [_row(resource), *_holders(t, view)]
    out += _waiters(t, view)
    if resource.exhausted and view.waiting:
        out.append(msg("resources.advice_exhausted", name=resource.name))
    waiting = view.waiting or ()
    jobs = [j.id for j in (waiting if only_waiting else view.jobs)]
    focus = waiting[0].id if len(waiting) == 1 else ""
    quick = () if only_waiting or not waiting else (msg("ask.resource_waiting", name=resource.name),)
    answer = t.answer(lines(*out), jobs=jobs, focus=focus, quick=quick)
    return _about(t, answer, resource.name)


def _resources(t: Turn) -> Answer:
    found = read_resources(t.services.tws)
    if found is None:
        return t.answer(msg("resources.unknown"))
    one = _wanted(t, found) if t.intent.resource else None
    if isinstance(one, Answer | Resource):
        return one if isinstance(one, Answer) else _one(t, one)
    if not found:
        return t.answer(msg("resources.none"))
    only_exhausted = t.intent.state == "exhausted"
    shown = exhausted(found) if only_exhausted else list(found)
    out: list[Part] = []
    if only_exhausted and not shown:
        out.append(msg("resources.none_exhausted", n=len(found)))
    else:
        head = "resources.head_exhausted" if only_exhausted else "resources.head"
        out.append(msg(head, n=len(shown)))
        out += cap_lines(t, [bullet_item(_row(r)) for r in shown], msg("refine.resource"))
    if is_truncated(found):
        out.append(msg("resources.may_be_incomplete"))
    quick = tuple(msg("ask.resource_waiting", name=r.name) for r in exhausted(shown)[:2])
    answer = t.answer(lines(*out), state=t.intent.state, quick=quick)
    return _about(t, answer, shown[0].name) if len(shown) == 1 else answer


def _resource_waiting(t: Turn) -> Answer:
    found = read_resources(t.services.tws)
    if found is None:
        return t.answer(msg("resources.unknown"))
    one = _wanted(t, found)
    if one is None:
        return t.answer(msg("resources.which", names=_names(found)))
    return one if isinstance(one, Answer) else _one(t, one, only_waiting=True)


SKILLS: dict[str, Skill] = {"resources": _resources, "resource_waiting": _resource_waiting}
