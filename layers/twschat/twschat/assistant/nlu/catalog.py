"""The entity catalogue: name indexes over the plan (jobs, workstations, job streams) for the NLU."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from twschat.core.language import tokenize

from ..domain import Job, Workstation
from .text import best_match
from .vocabulary import ID_LIKE, KNOWN

__all__ = ["Catalog", "CatalogSource"]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Name indexes over the plan the TWS client returned (built once per plan, reused while it holds)."""

    jobs: tuple[Job, ...]
    workstations: tuple[Workstation, ...] = ()
    streams: tuple[str, ...] = ()
    by_id_token: Mapping[str, tuple[Job, ...]] = field(default_factory=dict)
    """A job name's token -> every instance of it in the plan (one per job stream instance)."""
    by_number: Mapping[tuple[str, int], tuple[Job, ...]] = field(default_factory=dict)
    by_name: Mapping[tuple[str, ...], tuple[Job, ...]] = field(default_factory=dict)
    """A description's tokens -> every job instance carrying it."""
    by_name_token: Mapping[str, tuple[Job, ...]] = field(default_factory=dict)
    ws_by_token: Mapping[str, Workstation] = field(default_factory=dict)
    stream_by_token: Mapping[str, str] = field(default_factory=dict)
    name_sizes: tuple[int, ...] = ()
    fuzzy_names: tuple[str, ...] = ()
    """Tokens a typo may be corrected to: job ids, job name words, workstation and stream names."""

    @classmethod
    def build(
        cls, jobs: Iterable[Job], workstations: Iterable[Workstation] = (), streams: Iterable[str] = ()
    ) -> Catalog:
        jobs_t = tuple(jobs)
        ws_t = tuple(workstations)
        # A job name is unique only within one job stream instance: every index keeps all the instances
        # (the NLU asks which one when a name means more than one).
        by_id: dict[str, list[Job]] = {}
        by_number: dict[tuple[str, int], list[Job]] = {}
        by_name: dict[tuple[str, ...], list[Job]] = {}
        by_token: dict[str, list[Job]] = {}
        for job in jobs_t:
            jid = tokenize(job.job_id)
            if len(jid) == 1:
                by_id.setdefault(jid[0], []).append(job)
                m = ID_LIKE.match(jid[0])
                if m:
                    by_number.setdefault((m.group(1), int(m.group(2))), []).append(job)
            name = tuple(tokenize(job.name))
            if name:
                by_name.setdefault(name, []).append(job)
                if len(name) > 1:
                    by_name.setdefault(("".join(name),), []).append(job)
                for tok in set(name):
                    by_token.setdefault(tok, []).append(job)
        ws_by_token: dict[str, Workstation] = {}
        for ws in ws_t:
            folded = tokenize(ws.name)
            if len(folded) != 1:
                continue
            full = folded[0]
            ws_by_token[full] = ws
            short = full.split("_", 1)[1] if "_" in full else ""
            if short:
                ws_by_token.setdefault(short, ws)
        stream_by_token: dict[str, str] = {}
        stream_names: list[str] = []
        for st in (*streams, *(j.job_stream for j in jobs_t if j.job_stream)):
            stream_names.append(st)
            folded = tokenize(st)
            if len(folded) == 1:
                stream_by_token[folded[0]] = st
        fuzzy = sorted(
            {t for t in by_id if len(t) >= 5}
            | {t for t in by_token if len(t) >= 5 and t not in KNOWN}
            | {t for t in ws_by_token if len(t) >= 5}
            | {t for t in stream_by_token if len(t) >= 5}
        )
        return cls(
            jobs=jobs_t,
            workstations=ws_t,
            streams=tuple(sorted(set(stream_names))),
            by_id_token={k: tuple(v) for k, v in by_id.items()},
            by_number={k: tuple(v) for k, v in by_number.items()},
            by_name={k: tuple(v) for k, v in by_name.items()},
            by_name_token={k: tuple(v) for k, v in by_token.items()},
            ws_by_token=ws_by_token,
            stream_by_token=stream_by_token,
            name_sizes=tuple(sorted({len(k) for k in by_name}, reverse=True)),
            fuzzy_names=tuple(fuzzy),
        )

    fix_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def name_fix(self, tok: str) -> str | None:
        """The plan name word ``tok`` is a typo of, if exactly one is close enough."""
        try:
            return self.fix_cache[tok]
        except KeyError:
            pass
        if len(self.fix_cache) > 5000:
            self.fix_cache.clear()
        fix = self.fix_cache[tok] = best_match(tok, self.fuzzy_names) if len(tok) >= 5 else None
        return fix

    def job(self, plan_id: str) -> Job | None:
        return next((j for j in self.jobs if j.id == plan_id), None)


CatalogSource = Catalog | Callable[[], Catalog | None] | None
