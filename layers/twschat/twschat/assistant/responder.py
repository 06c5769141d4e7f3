"""The rule-based responder: operator questions about the TWS plan answered from live plan data.

Pipeline per turn: load the previous reply's state -> recognize the intent (:mod:`.nlu`) -> the skill
registered for it (``_SKILLS``) -> a reply whose context is the new :class:`~.state.DialogueState`.
Actions go through :class:`~.actions.ActionDesk` (the one action path: permission, pending action,
confirmation, audit, ``TwsClient.act``); a TWS failure is a :class:`~.exceptions.TwsFailure` worded here.

Why this file is still over 400 lines: the skills still word their answers inline (pt and en); the
next step moves them to ``skills/`` returning message codes, rendered by ``messages/pt.py`` and
``messages/en.py`` catalogues, which leaves this module the pipeline alone.

``respond`` raises only :class:`~twschat.core.exceptions.StorageUnavailable` (the audit store could
not record a confirmed action, so it did not run; the chat service answers ``storage_unavailable``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twschat.core.audit import (
    RESULT_ACCEPTED,
    RESULT_FAILED,
    RESULT_REFUSED,
    RESULT_REJECTED,
    RESULT_REQUESTED,
    AuditRecord,
    AuditSink,
)
from twschat.core.exceptions import StorageUnavailable
from twschat.core.responder import Principal, Reply, ResponderRequest, Turn

from .actions import (
    REASON_NO_ROLE,
    REASON_OK,
    REASON_READ_ONLY,
    ActionDesk,
    AlreadySent,
    Expired,
    Gone,
    NotAllowed,
    Refused,
    TooEarly,
)
from .domain import (
    ACTIONS,
    JOB_FILTERS,
    STREAM_FILTERS,
    Job,
    JobAction,
    JobStream,
    Workstation,
    blocked,
    job_statuses,
)
from .exceptions import TwsFailure
from .nlu import INTENTS, Intent, recognize
from .plan import CatalogCache, TurnPlan
from .state import DialogueState, PendingAction
from .tws import TwsClient, TwsError

FAILED_STATES = job_statuses("failed")
RUNNING_STATES = job_statuses("running")
WAITING_STATES = job_statuses("waiting")
READY_STATES = job_statuses("ready")
SUCCESS_STATES = job_statuses("success")

__all__ = ["RuleResponder"]

_log = logging.getLogger(__name__)

_ACTIONS: tuple[JobAction, ...] = ("rerun", "hold", "release", "cancel")

# --------------------------------------------------------------------------------------------- wording
_STATE_LABEL = {
    "pt": {
        "abend": "em ABEND",
        "failed": "com falha (ABEND/FAIL/ERROR)",
        "running": "em execução",
        "waiting": "aguardando (HOLD/SCHED/...)",
        "hold": "em HOLD",
        "sched": "agendados (SCHED)",
        "ready": "prontos (READY)",
        "success": "concluídos com sucesso",
        "cancelled": "cancelados (CANCL)",
        "late": "rodando há mais de {m} min",
        "all": "no plano",
    },
    "en": {
        "abend": "in ABEND",
        "failed": "failed (ABEND/FAIL/ERROR)",
        "running": "running",
        "waiting": "waiting (HOLD/SCHED/...)",
        "hold": "on HOLD",
        "sched": "scheduled (SCHED)",
        "ready": "ready (READY)",
        "success": "completed successfully",
        "cancelled": "cancelled (CANCL)",
        "late": "running for more than {m} min",
        "all": "in the plan",
    },
}

_ACTION_WORDS = {
    "pt": {
        "rerun": ("o rerun de", "Rerun", "rerodar"),
        "hold": ("colocar em HOLD", "Hold", "colocar em HOLD"),
        "release": ("liberar (release)", "Release", "liberar"),
        "cancel": ("cancelar", "Cancelamento", "cancelar"),
    },
    "en": {
        "rerun": ("rerun", "Rerun", "rerun"),
        "hold": ("putting on HOLD", "Hold", "hold"),
        "release": ("releasing", "Release", "release"),
        "cancel": ("cancelling", "Cancel", "cancel"),
    },
}

_RESULT_WORDS = {
    "pt": {
        RESULT_ACCEPTED: "aceito pelo TWS",
        RESULT_REJECTED: "recusado pelo TWS",
        RESULT_FAILED: "falhou",
        RESULT_REQUESTED: "enviado, resultado desconhecido",
        RESULT_REFUSED: "negado (sem permissão)",
    },
    "en": {
        RESULT_ACCEPTED: "accepted by TWS",
        RESULT_REJECTED: "refused by TWS",
        RESULT_FAILED: "failed",
        RESULT_REQUESTED: "sent, outcome unknown",
        RESULT_REFUSED: "denied (no permission)",
    },
}

# A second confirmation of one pending action: what the audit says about the first (by result).
_ALREADY_SENT = {
    "pt": {
        "head": "{title} de {label} já foi enviado ao TWS, confirmado por {who} às {when}; não enviei de novo.",
        RESULT_ACCEPTED: "O TWS aceitou.",
        RESULT_REJECTED: "O TWS recusou: {detail}.",
        RESULT_FAILED: 'A chamada ao TWS falhou ({detail}): pode ter rodado ou não — confira com "status do {id}".',
        "unknown": 'O resultado não foi registrado (desconhecido): confira com "status do {id}" antes de pedir '
        "de novo.",
    },
    "en": {
        "head": "{title} of {label} was already sent to TWS, confirmed by {who} at {when}; I did not send it "
        "again.",
        RESULT_ACCEPTED: "TWS accepted it.",
        RESULT_REJECTED: "TWS refused it: {detail}.",
        RESULT_FAILED: 'The TWS call failed ({detail}): it may or may not have run — check with "status of {id}".',
        "unknown": 'Its outcome was not recorded (unknown): check with "status of {id}" before asking again.',
    },
}

# The explicit request for an action, as the operator would type it.
_ASK_FOR = {
    "pt": {
        "rerun": "reroda o {id}",
        "hold": "segura o {id}",
        "release": "libera o {id}",
        "cancel": "cancela o {id}",
    },
    "en": {"rerun": "rerun {id}", "hold": "hold {id}", "release": "release {id}", "cancel": "cancel {id}"},
}

_WHAT = {
    "pt": {
        "jobs": "listar os jobs",
        "workstations": "listar as workstations",
        "streams": "listar os job streams",
        "log": "buscar o log",
        "act": "executar a ação",
    },
    "en": {
        "jobs": "listing the jobs",
        "workstations": "listing the workstations",
        "streams": "listing the job streams",
        "log": "fetching the job log",
        "act": "running the action",
    },
}

_ERRORS = {
    "pt": {
        "unreachable": "Não consegui conectar ao TWS ao {what}. Verifique se o master está no ar "
        "e a rede/VPN, e tente de novo em instantes.",
        "timeout": "O TWS demorou demais para responder ao {what}. Tente de novo em instantes; "
        "se persistir, o master pode estar sobrecarregado.",
        "unauthorized": "O TWS recusou as credenciais ao {what} (não autorizado). Verifique o "
        "usuário/API key configurados para o chat.",
        "not_found": "O TWS não encontrou o que pedi ao {what} (pode ter saído do plano). "
        "Confira o nome/id e tente de novo.",
        "server": "O TWS respondeu com erro interno ao {what}. Tente de novo; se continuar, "
        "verifique os logs do master.",
        "bad_response": "O TWS respondeu em formato inesperado ao {what}. Tente de novo; se continuar, "
        "avise o suporte do chat.",
    },
    "en": {
        "unreachable": "I could not reach TWS while {what}. Check that the master is up and "
        "the network/VPN, then try again in a moment.",
        "timeout": "TWS took too long to answer while {what}. Try again in a moment; if it "
        "keeps happening the master may be overloaded.",
        "unauthorized": "TWS rejected the credentials while {what} (unauthorized). Check the "
        "user/API key configured for the chat.",
        "not_found": "TWS did not find what I asked for while {what} (it may have left the plan). "
        "Check the name/id and try again.",
        "server": "TWS answered with an internal error while {what}. Try again; if it persists, "
        "check the master's logs.",
        "bad_response": "TWS answered in an unexpected format while {what}. Try again; if it persists, "
        "tell the chat's support.",
    },
}

_HELP = {
    "pt": (
        "Posso consultar o plano do TWS e ajudar na operação:\n"
        '- jobs por estado: "quais jobs estão em abend?", "jobs rodando", "jobs em hold", "jobs atrasados"\n'
        '- um job: "status do JOB002", "log do JOB002", "por que o JOB002 falhou?"\n'
        '- job streams: "mostra os job streams"\n'
        '- workstations: "quais workstations estão offline?", "status da TWS_AGENT2"\n'
        '- resumo: "como está o ambiente?"\n'
        '- ações (com confirmação): "reroda o JOB002", "hold no JOB008", "libera o JOB007", '
        '"cancela o JOB009"'
    ),
    "en": (
        "I can query the TWS plan and help with operations:\n"
        '- jobs by state: "which jobs are in abend?", "running jobs", "jobs on hold", "late jobs"\n'
        '- one job: "status of JOB002", "log of JOB002", "why did JOB002 fail?"\n'
        '- job streams: "show the job streams"\n'
        '- workstations: "which workstations are offline?", "status of TWS_AGENT2"\n'
        '- summary: "how is the environment?"\n'
        '- actions (with confirmation): "rerun JOB002", "hold JOB008", "release JOB007", "cancel JOB009"'
    ),
}

_UNKNOWN = {
    "pt": "Não entendi. Posso listar jobs por estado, mostrar status e log de um job, job streams, "
    "workstations e o resumo do ambiente, e rerodar/segurar/liberar/cancelar jobs com confirmação. "
    'Tente, por exemplo: "quais jobs estão em abend?" ou "ajuda".',
    "en": "I did not understand. I can list jobs by state, show a job's status and log, job streams, "
    "workstations and an environment summary, and rerun/hold/release/cancel jobs with confirmation. "
    'Try, for example: "which jobs are in abend?" or "help".',
}

_BLOCKED = {
    "pt": {
        ("rerun", "running"): "{name} está em execução ({s}): não dá para rerodar agora.",
        ("rerun", "not_started"): '{name} ainda não rodou ({s}). Se está em HOLD, libere: "libera o {id}".',
        ("hold", "already_held"): "{name} já está em HOLD.",
        ("hold", "started"): "{name} está {s}: só dá para colocar em HOLD um job que ainda não começou.",
        ("release", "not_held"): "{name} não está em HOLD (está {s}): não há o que liberar.",
        ("cancel", "already_cancelled"): "{name} já está cancelado.",
        ("cancel", "finished"): "{name} já terminou ({s}): não há o que cancelar.",
        ("cancel", "running"): "{name} está em execução ({s}): cancelar um job rodando exige kill no conman.",
    },
    "en": {
        ("rerun", "running"): "{name} is running ({s}): it cannot be rerun now.",
        (
            "rerun",
            "not_started",
        ): '{name} has not run yet ({s}). If it is on HOLD, release it: "release {id}".',
        ("hold", "already_held"): "{name} is already on HOLD.",
        ("hold", "started"): "{name} is {s}: only a job that has not started can be put on HOLD.",
        ("release", "not_held"): "{name} is not on HOLD (it is {s}): nothing to release.",
        ("cancel", "already_cancelled"): "{name} is already cancelled.",
        ("cancel", "finished"): "{name} already finished ({s}): nothing to cancel.",
        ("cancel", "running"): "{name} is running ({s}): stopping a running job needs a kill in conman.",
    },
}


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # No tz database (slim images): Brazil has had a fixed -03:00 offset since 2019.
        if name == "America/Sao_Paulo":
            return timezone(timedelta(hours=-3), "-03")
        return UTC


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RuleResponder:
    """Rule-based :class:`~twschat.core.responder.Responder` over a :class:`TwsClient`."""

    def __init__(
        self,
        tws: TwsClient,
        *,
        audit: AuditSink | None = None,
        tz: str = "America/Sao_Paulo",
        clock: Callable[[], datetime] | None = None,
        pending_ttl_seconds: int = 300,
        list_cap: int = 20,
        long_running_minutes: int = 60,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        self._tws = tws
        self._audit = audit
        self._new_id = id_factory or (lambda: uuid.uuid4().hex)
        self._zone = _zone(tz)
        self._clock = clock or _utc_now
        self._ttl = int(pending_ttl_seconds)
        self._cap = max(1, int(list_cap))
        self._long = int(long_running_minutes)
        self._catalogs = CatalogCache()
        self._desk = ActionDesk(tws, audit, self._now, self._new_id, self._ttl)

    # ------------------------------------------------------------------------------------------ entry
    def respond(self, request: ResponderRequest) -> Reply:
        prev = _previous_context(request.history)
        lang = str(prev.get("lang") or request.default_language or "pt")
        if lang not in ("pt", "en"):
            lang = "pt"
        plan = TurnPlan(self._tws)
        intent: Intent | None = None
        try:
            intent = recognize(
                request.message,
                lambda: self._catalogs.for_plan(plan),
                previous=DialogueState.from_dict(prev),
                default_language=lang,
            )
            lang = intent.language if intent.language in ("pt", "en") else lang
            return self._dispatch(intent, request, prev, plan, lang)
        except TwsFailure as failure:
            name = intent.name if intent else "unknown"
            lang = failure.lang or lang
            text = (
                _ERRORS[lang]
                .get(failure.error.kind, _ERRORS[lang]["server"])
                .format(what=_WHAT[lang].get(failure.what, failure.what))
            )
            return Reply(text, lang, name, {"lang": lang, "intent": name, "error": failure.error.kind})
        except StorageUnavailable:
            # Not a bug to hide behind "internal error": the action did not run because it could not be
            # put on record; the service tells the operator the store is unavailable.
            raise
        except Exception:  # never let a bug in a rule break the conversation
            _log.exception("rule responder failed")
            name = intent.name if intent else "unknown"
            text = (
                "Tive um erro interno ao responder. Tente de novo ou reformule a pergunta."
                if lang == "pt"
                else "I hit an internal error while answering. Please try again or rephrase."
            )
            return Reply(text, lang, name, {"lang": lang, "intent": name, "error": "internal"})

    def _dispatch(
        self, intent: Intent, request: ResponderRequest, prev: Mapping[str, Any], plan: TurnPlan, lang: str
    ) -> Reply:
        skill = _SKILLS.get(intent.name, _unknown)
        return skill(self, _Turn(intent, request, prev, plan, lang))

    # ------------------------------------------------------------------------------------- small talk
    def _greeting(self, lang: str) -> Reply:
        text = (
            'Olá! Sou o assistente do TWS. Pergunte, por exemplo, "quais jobs estão em abend?" ou '
            '"como está o ambiente?".'
            if lang == "pt"
            else 'Hello! I am the TWS assistant. Ask, for example, "which jobs are in abend?" or '
            '"how is the environment?".'
        )
        return self._reply(text, lang, "greeting")

    def _thanks(self, lang: str) -> Reply:
        text = (
            "Por nada! Se precisar de mais alguma coisa do TWS, é só chamar."
            if lang == "pt"
            else "You're welcome! If you need anything else from TWS, just ask."
        )
        return self._reply(text, lang, "thanks")

    def _goodbye(self, lang: str) -> Reply:
        text = "Até logo! Bom turno." if lang == "pt" else "Bye! Have a good shift."
        return self._reply(text, lang, "goodbye")

    def _help(self, intent: Intent, lang: str) -> Reply:
        text = _HELP[lang]
        if intent.generic:
            text = (
                "Sobre o TWS, eu trabalho com o plano atual (jobs, job streams e workstations). "
                if lang == "pt"
                else "About TWS: I work with the current plan (jobs, job streams and workstations). "
            ) + text
        return self._reply(text, lang, "help")

    # ---------------------------------------------------------------------------------------- helpers
    def _reply(self, text: str, lang: str, intent: str, **context: Any) -> Reply:
        ctx: dict[str, Any] = {"lang": lang, "intent": intent}
        for key, value in context.items():
            if value not in ("", None, [], {}):
                ctx[key] = value
        return Reply(text, lang, intent, ctx)

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def _time(self, value: datetime | None, lang: str) -> str:
        if value is None:
            return "-"
        local = value.astimezone(self._zone)
        today = self._now().astimezone(self._zone).date()
        if local.date() == today:
            return local.strftime("%H:%M")
        return local.strftime("%d/%m %H:%M") if lang == "pt" else local.strftime("%Y-%m-%d %H:%M")

    def _duration(self, since: datetime | None, lang: str) -> str:
        if since is None:
            return ""
        minutes = max(0, int((self._now() - since).total_seconds() // 60))
        if minutes < 60:
            return f"{minutes} min"
        return f"{minutes // 60}h{minutes % 60:02d}{'min' if lang == 'pt' else 'm'}"

    def _is_late(self, job: Job) -> bool:
        if job.status not in RUNNING_STATES or job.start_time is None:
            return False
        return (self._now() - job.start_time) > timedelta(minutes=self._long)

    def _job_line(self, job: Job, lang: str, *, with_stream: bool = True) -> str:
        on = "em" if lang == "pt" else "on"
        parts = [f"{job.status} {on} {job.workstation}"]
        if with_stream and job.job_stream:
            parts.append(f"stream {job.job_stream}")
        if job.status in RUNNING_STATES and job.start_time is not None:
            since = "desde" if lang == "pt" else "since"
            parts.append(
                f"{since} {self._time(job.start_time, lang)} ({self._duration(job.start_time, lang)})"
            )
        elif job.end_time is not None:
            if job.return_code is not None:
                parts.append(f"rc {job.return_code}")
            ended = "fim" if lang == "pt" else "ended"
            parts.append(f"{ended} {self._time(job.end_time, lang)}")
        return f"- {job.name} ({job.job_id}) — " + ", ".join(parts)

    def _cap_lines(self, lines: list[str], lang: str, refine: str) -> list[str]:
        if len(lines) <= self._cap:
            return lines
        extra = len(lines) - self._cap
        more = (
            f"... mais {extra} — refine com {refine}"
            if lang == "pt"
            else f"... {extra} more — refine with {refine}"
        )
        return [*lines[: self._cap], more]

    def _failed_advice(self, jobs: Sequence[Job], plan: TurnPlan, lang: str) -> str:
        first = jobs[0].job_id
        offline = sorted(
            {j.workstation for j in jobs if (w := plan.workstation(j.workstation)) and w.status == "OFFLINE"}
        )
        if lang == "pt":
            text = (
                f'Sugestão: veja o log ("log do {first}"), confira as dependências (predecessores, recursos, '
                f'arquivos) e, corrigida a causa, peça o rerun ("reroda o {first}").'
            )
            if offline:
                text += f" Atenção: {', '.join(offline)} está OFFLINE — faça o link antes do rerun."
            return text
        text = (
            f'Advice: check the log ("log of {first}"), check its dependencies (predecessors, resources, '
            f'files) and, once the cause is fixed, ask for a rerun ("rerun {first}").'
        )
        if offline:
            text += f" Note: {', '.join(offline)} is OFFLINE — link it before the rerun."
        return text

    # ---------------------------------------------------------------------------------------- targets
    def _targets(
        self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str
    ) -> list[Job] | Reply:
        """The jobs a message is about: named ones, else the ones the previous reply pointed at."""
        if intent.jobs:
            found = [j for j in (plan.job(x.id) for x in intent.jobs) if j is not None]
            if found:
                return found
        if intent.missing and not intent.jobs:
            ids = ", ".join(m.upper() for m in intent.missing)
            return self._reply(
                f'Não encontrei {ids} no plano atual. Veja os jobs com "sj" ou "quais jobs estão em abend?".'
                if lang == "pt"
                else f'I did not find {ids} in the current plan. List the jobs with "sj" or '
                '"which jobs are in abend?".',
                lang,
                intent.name,
            )
        if intent.candidates:
            return self._ask_which(list(intent.candidates), intent, lang, ambiguous=True)
        if intent.stream and not intent.referent:
            in_stream = [j for j in plan.jobs if j.job_stream == intent.stream]
            if len(in_stream) == 1:
                return in_stream
            if in_stream:
                return self._ask_which(in_stream, intent, lang)
        prev_ids = [str(x) for x in prev.get("jobs", []) if isinstance(x, str)]
        focus = str(prev.get("focus") or "")
        if not focus and isinstance(prev.get("pending"), Mapping):
            focus = str(prev["pending"].get("job") or "")
        prev_jobs = [j for j in (plan.job(i) for i in prev_ids) if j is not None]
        ref = intent.referent
        if ref == "other":
            others = [j for j in prev_jobs if j.id != focus]
            if len(others) == 1:
                return others
            if others:
                return self._ask_which(others, intent, lang)
        elif ref in ("first", "second", "last"):
            index = {"first": 0, "second": 1, "last": -1}[ref]
            if prev_jobs and (index < len(prev_jobs)):
                return [prev_jobs[index]]
        else:
            if focus and (job := plan.job(focus)) is not None:
                return [job]
            if len(prev_jobs) == 1:
                return prev_jobs
            if len(prev_jobs) > 1:
                return self._ask_which(prev_jobs, intent, lang)
        return self._reply(
            'Qual job? Diga o nome ou o id, por exemplo: "status do JOB002" ou "log do JOB002".'
            if lang == "pt"
            else 'Which job? Give its name or id, for example: "status of JOB002" or "log of JOB002".',
            lang,
            intent.name,
        )

    def _ask_which(self, jobs: list[Job], intent: Intent, lang: str, *, ambiguous: bool = False) -> Reply:
        jobs = sorted(jobs, key=lambda j: j.job_id)
        lines = self._cap_lines([self._job_line(j, lang) for j in jobs], lang, '"status do JOB00X"')
        if lang == "pt":
            head = "Mais de um job combina:" if ambiguous else "Qual deles?"
            tail = f'Qual deles? Ex.: "status do {jobs[0].job_id}" ou "o primeiro".'
        else:
            head = "More than one job matches:" if ambiguous else "Which one?"
            tail = f'Which one? E.g. "status of {jobs[0].job_id}" or "the first one".'
        text = "\n".join([head, *lines, tail])
        return self._reply(text, lang, intent.name, jobs=[j.id for j in jobs[: self._cap]])

    # ------------------------------------------------------------------------------------------- jobs
    def _jobs_list(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        state = intent.state or "all"
        states = JOB_FILTERS.get(state)
        jobs: Sequence[Job] = plan.jobs
        scoped = False
        if intent.referent == "them":
            ids = {str(x) for x in prev.get("jobs", [])}
            if ids:
                jobs = [j for j in jobs if j.id in ids]
                scoped = True
        if intent.workstation:
            jobs = [j for j in jobs if j.workstation == intent.workstation]
        if intent.stream:
            jobs = [j for j in jobs if j.job_stream == intent.stream]
        scope = jobs

        def matches(job: Job) -> bool:
            if state == "late":
                return self._is_late(job)
            return states is None or job.status in states

        selected = sorted((j for j in scope if matches(j)), key=lambda j: j.job_id)
        label = _STATE_LABEL[lang][state].format(m=self._long)
        where = ""
        if intent.workstation:
            where += f" {'na' if lang == 'pt' else 'on'} {intent.workstation}"
        if intent.stream:
            where += f" {'no stream' if lang == 'pt' else 'in stream'} {intent.stream}"
        if scoped:
            where += " (entre os anteriores)" if lang == "pt" else " (among the previous ones)"
        also: list[Job] = []
        if state == "abend":
            also = sorted(
                (j for j in scope if j.status in FAILED_STATES and j not in selected), key=lambda j: j.job_id
            )
        if not selected:
            text = f"Nenhum job {label}{where}." if lang == "pt" else f"No jobs {label}{where}."
            if also:
                head = "Mas há jobs com falha:" if lang == "pt" else "But these jobs failed:"
                text += "\n" + "\n".join([head, *(self._job_line(j, lang) for j in also)])
                text += "\n" + self._failed_advice(also, plan, lang)
            return self._reply(
                text,
                lang,
                intent.name,
                state=state,
                workstation=intent.workstation,
                jobs=[j.id for j in also],
            )
        n = len(selected)
        noun = "job" if n == 1 else "jobs"
        lines = [f"{n} {noun} {label}{where}:"]
        refine = (
            ('"jobs em abend na TWS_AGENT1"' if lang == "pt" else '"jobs in abend on TWS_AGENT1"')
            if not intent.workstation
            else ('"status do JOB00X"' if lang == "pt" else '"status of JOB00X"')
        )
        lines += self._cap_lines([self._job_line(j, lang) for j in selected], lang, refine)
        if also:
            lines.append("Também com falha:" if lang == "pt" else "Also failed:")
            lines += [self._job_line(j, lang) for j in also]
        failed = [j for j in selected if j.status in FAILED_STATES] + also
        if failed:
            lines.append(self._failed_advice(failed, plan, lang))
        elif state == "late":
            first = selected[0].job_id
            lines.append(
                f'Sugestão: veja o log ("log do {first}") para ver se está preso (lock, recurso, '
                "espera de arquivo) e compare com a duração habitual; se estiver travado, avalie "
                "cancelar/kill no conman."
                if lang == "pt"
                else f'Advice: check the log ("log of {first}") to see whether it is stuck (lock, resource, '
                "file wait) and compare with its usual duration; if it hangs, consider a kill in conman."
            )
        elif state in ("hold", "waiting"):
            held = [j for j in selected if j.status == "HOLD"]
            if held:
                lines.append(
                    f'HOLD aguarda dependências; para liberar manualmente: "libera o {held[0].job_id}".'
                    if lang == "pt"
                    else f'HOLD waits on dependencies; to release it by hand: "release {held[0].job_id}".'
                )
        shown = selected[: self._cap]
        listed = [j.id for j in shown] + [j.id for j in also]
        focus = selected[0].id if n == 1 else ""
        return self._reply(
            "\n".join(lines),
            lang,
            intent.name,
            state=state,
            workstation=intent.workstation,
            jobs=listed,
            focus=focus,
        )

    def _job_status(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        targets = self._targets(intent, prev, plan, lang)
        if isinstance(targets, Reply):
            return targets
        lines = [self._job_line(j, lang) for j in targets]
        job = targets[0]
        if len(targets) == 1:
            lines[0] = lines[0][2:]
            lines += self._job_advice(job, plan, lang)
        focus = job.id if len(targets) == 1 else ""
        return self._reply(
            "\n".join(lines), lang, "job_status", jobs=_carry(prev, [j.id for j in targets]), focus=focus
        )

    def _job_advice(self, job: Job, plan: TurnPlan, lang: str) -> list[str]:
        pt = lang == "pt"
        if job.status in FAILED_STATES:
            return [self._failed_advice([job], plan, lang)]
        if self._is_late(job):
            return [
                f"Está rodando há mais de {self._long} min: veja o log "
                f'("log do {job.job_id}") para ver se está preso.'
                if pt
                else f"It has been running for more than {self._long} min: check the log "
                f'("log of {job.job_id}") to see whether it is stuck.'
            ]
        if job.status == "HOLD":
            return [
                f'Aguardando dependências. Para liberar manualmente: "libera o {job.job_id}".'
                if pt
                else f'Waiting on dependencies. To release it by hand: "release {job.job_id}".'
            ]
        if job.status == "SCHED":
            return ["Aguardando o horário de início (AT)." if pt else "Waiting for its start time (AT)."]
        if job.status == "INTRO":
            ws = plan.workstation(job.workstation)
            if ws is not None and ws.status == "OFFLINE":
                return [
                    f"Aguardando {ws.name} (OFFLINE) linkar para iniciar."
                    if pt
                    else f"Waiting for {ws.name} (OFFLINE) to link before it starts."
                ]
        return []

    def _job_log(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        targets = self._targets(intent, prev, plan, lang)
        if isinstance(targets, Reply):
            return targets
        job = targets[0]
        ctx_jobs = _carry(prev, [job.id])
        if job.start_time is None and job.status not in FAILED_STATES and job.status not in SUCCESS_STATES:
            text = (
                f"{job.name} ({job.job_id}) ainda não rodou (status {job.status}): não há log."
                if lang == "pt"
                else f"{job.name} ({job.job_id}) has not run yet (status {job.status}): there is no log."
            )
            return self._reply(text, lang, "job_log", jobs=ctx_jobs, focus=job.id)
        try:
            log = self._tws.job_log(job)
        except TwsError as err:
            if err.kind == "not_found":
                text = (
                    f"O TWS não tem log para {job.name} ({job.job_id}) (status {job.status})."
                    if lang == "pt"
                    else f"TWS has no log for {job.name} ({job.job_id}) (status {job.status})."
                )
                return self._reply(text, lang, "job_log", jobs=ctx_jobs, focus=job.id)
            raise TwsFailure(err, "log") from err
        all_lines = [ln.rstrip()[:200] for ln in log.splitlines() if ln.strip().strip("=")]
        tail = all_lines[-15:]
        error = _first_error(log)
        on = "em" if lang == "pt" else "on"
        if lang == "pt":
            head = f"Log de {job.name} ({job.job_id}) — {job.status} {on} {job.workstation}"
            head += f" (últimas {len(tail)} linhas):" if len(all_lines) > len(tail) else ":"
        else:
            head = f"Log of {job.name} ({job.job_id}) — {job.status} {on} {job.workstation}"
            head += f" (last {len(tail)} lines):" if len(all_lines) > len(tail) else ":"
        lines = [head, *tail]
        if error:
            lines.append(("Erro encontrado: " if lang == "pt" else "Error found: ") + error)
        if job.status in FAILED_STATES:
            lines.append(
                f'Corrigida a causa, peça o rerun: "reroda o {job.job_id}".'
                if lang == "pt"
                else f'Once the cause is fixed, ask for a rerun: "rerun {job.job_id}".'
            )
        return self._reply("\n".join(lines), lang, "job_log", jobs=ctx_jobs, focus=job.id)

    # -------------------------------------------------------------------------------- streams and ws
    def _job_streams(self, intent: Intent, plan: TurnPlan, lang: str) -> Reply:
        streams: Sequence[JobStream] = plan.streams
        if intent.workstation:
            streams = [s for s in streams if s.workstation == intent.workstation]
        wanted = STREAM_FILTERS.get(intent.state) if intent.state and intent.state != "all" else None
        if wanted is not None:
            streams = [s for s in streams if s.status in wanted]
        streams = sorted(streams, key=lambda s: (s.workstation, s.name))
        where = f" {'na' if lang == 'pt' else 'on'} {intent.workstation}" if intent.workstation else ""
        state_txt = f" ({'/'.join(sorted(wanted))})" if wanted else ""
        if not streams:
            text = (
                f"Nenhum job stream{state_txt}{where} no plano."
                if lang == "pt"
                else f"No job streams{state_txt}{where} in the plan."
            )
            return self._reply(text, lang, "job_streams", state=intent.state, workstation=intent.workstation)
        n = len(streams)
        on = "em" if lang == "pt" else "on"
        start = "início" if lang == "pt" else "start"
        lines = [f"{n} job stream{'s' if n != 1 else ''}{state_txt}{where}:"]
        rows = [
            f"- {s.name} ({s.workstation}) — {s.status}"
            + (f", {start} {self._time(s.start_time, lang)}" if s.start_time else "")
            for s in streams
        ]
        lines += self._cap_lines(
            rows, lang, '"job streams na TWS_AGENT1"' if lang == "pt" else '"job streams on TWS_AGENT1"'
        )
        bad = [s for s in streams if s.status in ("ABEND", "ERROR", "STUCK")]
        if bad:
            lines.append(
                f"{bad[0].name} {on} {bad[0].workstation} está {bad[0].status}: veja os jobs com "
                'falha ("quais jobs estão em abend?").'
                if lang == "pt"
                else f"{bad[0].name} {on} {bad[0].workstation} is {bad[0].status}: see the failed jobs "
                '("which jobs are in abend?").'
            )
        return self._reply(
            "\n".join(lines), lang, "job_streams", state=intent.state, workstation=intent.workstation
        )

    def _ws_details(self, ws: Workstation, lang: str) -> str:
        pt = lang == "pt"
        bits = ["linked" if ws.linked else "unlinked"]
        if pt:
            bits.append("jobman ativo" if ws.jobman_running else "jobman parado")
        else:
            bits.append("jobman running" if ws.jobman_running else "jobman down")
        if ws.kind:
            bits.append(ws.kind)
        return f"{ws.name} — {ws.status} ({', '.join(bits)})"

    def _offline_advice(self, ws: Workstation, plan: TurnPlan, lang: str) -> str:
        affected = [j for j in plan.jobs if j.workstation == ws.name and j.status not in SUCCESS_STATES]
        counts = _count_states(affected)
        if lang == "pt":
            text = (
                f"{ws.name} está OFFLINE: verifique o agente/netman na máquina e faça o link "
                f'(conman "link {ws.name}").'
            )
            if affected:
                text += f" Jobs afetados nela: {counts}."
            return text
        text = (
            f'{ws.name} is OFFLINE: check the agent/netman on the host and link it (conman "link {ws.name}").'
        )
        if affected:
            text += f" Affected jobs on it: {counts}."
        return text

    def _workstations(self, intent: Intent, plan: TurnPlan, lang: str) -> Reply:
        all_ws = sorted(plan.workstations, key=lambda w: w.name)
        flt = intent.ws_filter
        shown = [w for w in all_ws if not flt or w.status == flt.upper()]
        if flt == "offline" and not shown:
            text = (
                f"Nenhuma workstation OFFLINE: todas as {len(all_ws)} estão ONLINE."
                if lang == "pt"
                else f"No workstation is OFFLINE: all {len(all_ws)} are ONLINE."
            )
            return self._reply(text, lang, intent.name)
        if not shown:
            text = "Nenhuma workstation encontrada." if lang == "pt" else "No workstations found."
            return self._reply(text, lang, intent.name)
        n = len(shown)
        if lang == "pt":
            head = f"{n} workstation{'s' if n != 1 else ''}" + (f" {flt.upper()}" if flt else "") + ":"
        else:
            head = f"{n} workstation{'s' if n != 1 else ''}" + (f" {flt.upper()}" if flt else "") + ":"
        lines = [head]
        lines += self._cap_lines([f"- {self._ws_details(w, lang)}" for w in shown], lang, '"status da TWS_X"')
        if not flt:
            online = sum(1 for w in all_ws if w.status == "ONLINE")
            lines.append(
                f"{online} de {len(all_ws)} ONLINE." if lang == "pt" else f"{online} of {len(all_ws)} ONLINE."
            )
        for w in shown:
            if w.status == "OFFLINE":
                lines.append(self._offline_advice(w, plan, lang))
        focus_ws = shown[0].name if n == 1 else ""
        return self._reply("\n".join(lines), lang, intent.name, workstation=focus_ws)

    def _workstation_status(self, intent: Intent, plan: TurnPlan, lang: str) -> Reply:
        ws = plan.workstation(intent.workstation) if intent.workstation else None
        if ws is None:
            names = ", ".join(sorted(w.name for w in plan.workstations))
            text = (
                f"Não encontrei essa workstation no plano. Workstations: {names}."
                if lang == "pt"
                else f"I did not find that workstation in the plan. Workstations: {names}."
            )
            return self._reply(text, lang, "workstation_status")
        jobs = [j for j in plan.jobs if j.workstation == ws.name]
        lines = [self._ws_details(ws, lang)]
        if jobs:
            lines.append(
                f"Jobs nela: {_count_states(jobs)}."
                if lang == "pt"
                else f"Jobs on it: {_count_states(jobs)}."
            )
        if ws.status == "OFFLINE":
            lines.append(self._offline_advice(ws, plan, lang))
        failed = sorted((j for j in jobs if j.status in FAILED_STATES), key=lambda j: j.job_id)
        if failed:
            lines.append("Com falha:" if lang == "pt" else "Failed:")
            lines += [self._job_line(j, lang) for j in failed]
        return self._reply(
            "\n".join(lines), lang, "workstation_status", workstation=ws.name, jobs=[j.id for j in failed]
        )

    def _summary(self, plan: TurnPlan, lang: str) -> Reply:
        jobs = plan.jobs
        workstations = sorted(plan.workstations, key=lambda w: w.name)
        pt = lang == "pt"
        failed = sorted((j for j in jobs if j.status in FAILED_STATES), key=lambda j: j.job_id)
        running = [j for j in jobs if j.status in RUNNING_STATES]
        waiting = [j for j in jobs if j.status in WAITING_STATES]
        ready = [j for j in jobs if j.status in READY_STATES]
        done = [j for j in jobs if j.status in SUCCESS_STATES]
        cancelled = [j for j in jobs if j.status == "CANCL"]
        late = sorted((j for j in jobs if self._is_late(j)), key=lambda j: j.job_id)
        offline = [w for w in workstations if w.status == "OFFLINE"]
        parts = [
            (f"{len(failed)} com falha" if pt else f"{len(failed)} failed")
            + (f" ({_count_states(failed)})" if failed else ""),
            (f"{len(running)} em execução" if pt else f"{len(running)} running"),
            (f"{len(waiting)} aguardando" if pt else f"{len(waiting)} waiting")
            + (f" ({_count_states(waiting)})" if waiting else ""),
            (f"{len(ready)} READY"),
            (f"{len(done)} SUCC"),
            (f"{len(cancelled)} CANCL"),
        ]
        online = len(workstations) - len(offline)
        lines = [
            (f"Resumo do plano: {len(jobs)} jobs — " if pt else f"Plan summary: {len(jobs)} jobs — ")
            + ", ".join(parts)
            + ".",
            (
                f"Workstations: {online} de {len(workstations)} ONLINE"
                if pt
                else f"Workstations: {online} of {len(workstations)} ONLINE"
            )
            + (f"; OFFLINE: {', '.join(w.name for w in offline)}." if offline else "."),
        ]
        attention = [self._job_line(j, lang) for j in failed] + [self._job_line(j, lang) for j in late]
        if attention:
            lines.append("Atenção:" if pt else "Needs attention:")
            lines += self._cap_lines(attention, lang, '"jobs em abend"' if pt else '"jobs in abend"')
            lines.append(
                'Peça "log do JOBxxx" para ver a causa.' if pt else 'Ask "log of JOBxxx" to see the cause.'
            )
        else:
            lines.append("Nada pedindo atenção agora." if pt else "Nothing needs attention right now.")
        ids = [j.id for j in failed] + [j.id for j in late]
        return self._reply("\n".join(lines), lang, "plan_summary", jobs=ids[: self._cap])

    # ---------------------------------------------------------------------------------------- actions
    def _refusal(self, reason: str, action: str, principal: Principal, lang: str) -> str:
        verb = _ACTION_WORDS[lang][action][2]
        if lang == "pt":
            why = {
                REASON_READ_ONLY: "seu perfil é somente leitura (viewer)",
                REASON_NO_ROLE: "seu usuário não tem o papel de operador",
            }.get(reason, "ação não permitida")
            return f"Não posso {verb}: {why}. Peça a um operador (papel operator) para fazer isso."
        why = {
            REASON_READ_ONLY: "your profile is read-only (viewer)",
            REASON_NO_ROLE: "your user does not have the operator role",
        }.get(reason, "action not allowed")
        return f"I cannot {verb} that job: {why}. Ask an operator (operator role) to do it."

    def _blocked(self, action: str, job: Job, lang: str) -> str:
        """Why ``action`` makes no sense for ``job`` in its current state ("" when it does)."""
        reason = blocked(action, job)
        if reason is None:
            return ""
        return _BLOCKED[lang][(action, reason.reason)].format(
            name=f"{job.name} ({job.job_id})", s=job.status, id=job.job_id
        )

    def _action_request(
        self, intent: Intent, request: ResponderRequest, prev: Mapping[str, Any], plan: TurnPlan, lang: str
    ) -> Reply:
        action = intent.action
        if action not in _ACTIONS:
            return self._reply(_UNKNOWN[lang], lang, "unknown")
        reason = self._desk.permission(request, action, lambda: self._quiet_target(intent, prev, plan, lang))
        if reason != REASON_OK:
            return self._reply(self._refusal(reason, action, request.principal, lang), lang, intent.name)
        targets = self._targets(intent, prev, plan, lang)
        if isinstance(targets, Reply):
            return targets
        if len(targets) > 1:
            return self._ask_which(targets, intent, lang)
        job = targets[0]
        blocked = self._blocked(action, job, lang)
        if blocked:
            return self._reply(blocked, lang, intent.name, jobs=_carry(prev, [job.id]), focus=job.id)
        pending = self._desk.propose(action, job, lang).to_dict()
        text = self._question(pending, lang)
        if action == "rerun":
            ws = plan.workstation(job.workstation)
            if ws is not None and ws.status == "OFFLINE":
                text += (
                    f"\nAtenção: {ws.name} está OFFLINE; o job fica em INTRO até a workstation linkar."
                    if lang == "pt"
                    else f"\nNote: {ws.name} is OFFLINE; the job stays in INTRO until the workstation links."
                )
        text += self._recent_note(job, lang)
        return self._reply(
            text, lang, intent.name, jobs=_carry(prev, [job.id]), focus=job.id, pending=pending
        )

    def _question(self, pending: Mapping[str, Any], lang: str) -> str:
        """The confirmation question for ``pending`` (asked again word for word when the answer was not
        a clear yes or no), with the minutes it has left."""
        action = str(pending["action"])
        what = _ACTION_WORDS[lang][action][0]
        label = f"{pending.get('name', '')} ({pending.get('job_id', '')})"
        ws = pending.get("workstation", "")
        left = int(pending.get("expires_at", 0)) - int(self._now().timestamp())
        minutes = max(1, left // 60)
        if lang == "pt":
            return f"Confirma {what} {label} em {ws}? Responda sim ou não (expira em {minutes} min)."
        return f"Confirm {what} {label} on {ws}? Reply yes or no (expires in {minutes} min)."

    def _confirm(
        self, request: ResponderRequest, prev: Mapping[str, Any], plan: TurnPlan, lang: str
    ) -> Reply:
        pending = prev.get("pending")
        if not _is_pending(pending):
            pt = lang == "pt"
            text = (
                "Não há nenhuma ação pendente de confirmação, então nada foi feito. "
                'Peça a ação de novo, por exemplo: "reroda o JOB002".'
                if pt
                else "There is no action waiting for confirmation, so nothing was done. "
                'Ask again, e.g. "rerun JOB002".'
            )
            return self._reply(text, lang, "confirm_yes")
        confirming = PendingAction.from_dict(pending)
        assert isinstance(pending, Mapping) and confirming is not None
        # The outcome is told in the language of the question, even when the operator answers "yes" to it.
        lang = _pending_lang(pending, lang)
        pt = lang == "pt"
        action = confirming.action
        label = confirming.label
        asked_ms = _last_agent_turn(request.history).created_at_ms
        outcome = self._desk.confirm(request, confirming, asked_ms, plan, lang)
        if isinstance(outcome, TooEarly):
            text = (
                "Sua confirmação chegou antes da pergunta, então nada foi feito. "
                if pt
                else "Your confirmation arrived before the question was sent, so nothing was done. "
            ) + self._question(pending, lang)
            return self._reply(text, lang, "confirm_yes", focus=str(pending.get("job", "")), pending=pending)
        if isinstance(outcome, Refused):
            return self._reply(
                self._refusal(outcome.reason, action, request.principal, lang), lang, "confirm_yes"
            )
        if isinstance(outcome, AlreadySent):
            return self._already_sent(outcome.record, pending, lang)
        if isinstance(outcome, Expired):
            return self._expired(pending, lang, "confirm_yes")
        if isinstance(outcome, Gone):
            text = (
                f"{label} não está mais no plano atual; nada foi feito."
                if pt
                else f"{label} is no longer in the current plan; nothing was done."
            )
            return self._reply(text, lang, "confirm_yes")
        if isinstance(outcome, NotAllowed):
            job = outcome.blocked.job
            return self._reply(
                self._blocked(action, job, lang) + (" Nada foi feito." if pt else " Nothing was done."),
                lang,
                "confirm_yes",
                focus=job.id,
            )
        job, result = outcome.job, outcome.result
        title = _ACTION_WORDS[lang][action][1]
        after = result.job
        if result.accepted:
            text = (
                f"{title} de {job.name} ({job.job_id}) em {job.workstation} enviado ao TWS. Status agora: "
                f"{after.status}."
                if pt
                else f"{title} of {job.name} ({job.job_id}) on {job.workstation} sent to TWS. Status now: "
                f"{after.status}."
            )
            if after.status == "INTRO":
                text += (
                    f" {job.workstation} está OFFLINE: o job inicia quando ela linkar."
                    if pt
                    else f" {job.workstation} is OFFLINE: the job starts once it links."
                )
            text += (
                f' Acompanhe com "status do {job.job_id}".'
                if pt
                else f' Follow it with "status of {job.job_id}".'
            )
        else:
            text = (
                f"O TWS recusou {_ACTION_WORDS[lang][action][0]} {job.name} ({job.job_id}): {result.detail}."
                if pt
                else f"TWS refused {_ACTION_WORDS[lang][action][0]} {job.name} ({job.job_id}): "
                f"{result.detail}."
            )
        return self._reply(text, lang, "confirm_yes", jobs=[job.id], focus=job.id)

    def _expired(self, pending: Mapping[str, Any], lang: str, intent: str) -> Reply:
        what = _ACTION_WORDS[lang][str(pending["action"])][0]
        label = f"{pending.get('name', '')} ({pending.get('job_id', '')})"
        text = (
            f"A confirmação para {what} {label} expirou; nada foi feito. Peça de novo se ainda quiser."
            if lang == "pt"
            else f"The confirmation for {what} {label} expired; nothing was done. Ask again if you still want it."
        )
        return self._reply(text, lang, intent, focus=str(pending.get("job", "")))

    def _already_sent(self, record: AuditRecord, pending: Mapping[str, Any], lang: str) -> Reply:
        """The answer to a second confirmation of one pending action: what happened the first time."""
        action = str(pending["action"])
        label = f"{pending.get('name', '')} ({pending.get('job_id', '')})"
        job_id = str(pending.get("job_id", ""))
        title = _ACTION_WORDS[lang][action][1]
        when = self._at(record.at, lang)
        words = _ALREADY_SENT[lang]
        text = words["head"].format(title=title, label=label, who=record.username, when=when)
        text += " " + words.get(record.result, words["unknown"]).format(detail=record.detail, id=job_id)
        plan_id = str(pending.get("job", ""))
        return self._reply(text, lang, "confirm_yes", jobs=[plan_id], focus=plan_id)

    def _decline(self, prev: Mapping[str, Any], lang: str) -> Reply:
        pending = prev.get("pending")
        if _is_pending(pending):
            assert isinstance(pending, Mapping)
            lang = _pending_lang(pending, lang)
            action = str(pending["action"])
            label = f"{pending.get('name', '')} ({pending.get('job_id', '')})"
            what = _ACTION_WORDS[lang][action][0]
            text = (
                f"Ok, cancelei o pedido para {what} {label}. Nada foi feito."
                if lang == "pt"
                else f"OK, I dropped the request for {what} {label}. Nothing was done."
            )
            job_id = str(pending.get("job", ""))
            return self._reply(text, lang, "confirm_no", jobs=[job_id], focus=job_id)
        text = "Ok. Não havia nenhuma ação pendente." if lang == "pt" else "OK. There was no pending action."
        return self._reply(text, lang, "confirm_no")

    # A pending action lives for exactly one turn: the very next message must answer it. A clear
    # yes runs it, a no drops it, and an answer that is neither ("talvez", "hmm", gibberish) asks the
    # question again and keeps it. Anything else the operator asks (e.g. "status do JOB002") is
    # answered normally and drops it: a "sim" two questions later must not confirm an action the
    # operator may no longer have in mind.
    def _unclear(self, prev: Mapping[str, Any], lang: str) -> Reply:
        pending = prev.get("pending")
        if not _is_pending(pending):
            return self._reply(_UNKNOWN[lang], lang, "unknown")
        assert isinstance(pending, Mapping)
        lang = _pending_lang(pending, lang)
        if int(self._now().timestamp()) > int(pending.get("expires_at", 0)):
            return self._expired(pending, lang, "confirm_unclear")
        text = ("Não entendi se confirma. " if lang == "pt" else "I need a yes or a no. ") + self._question(
            pending, lang
        )
        return self._reply(text, lang, "confirm_unclear", focus=str(pending.get("job", "")), pending=pending)

    def _negated(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        """ "não reroda o JOB003": nothing is done, and a pending action for that job is dropped."""
        action = intent.action if intent.action in _ACTIONS else "rerun"
        job = self._quiet_target(intent, prev, plan, lang)
        verb = _ACTION_WORDS[lang][action][2]
        pt = lang == "pt"
        if job is not None:
            label = f"{job.name} ({job.job_id})"
            text = f"Ok, não vou {verb} {label}." if pt else f"OK, I will not {verb} {label}."
        else:
            text = f"Ok, não vou {verb} nada." if pt else f"OK, I will not {verb} anything."
        pending = prev.get("pending")
        if _is_pending(pending):
            assert isinstance(pending, Mapping)
            if job is None or pending.get("job") == job.id:
                text += " Cancelei o pedido pendente." if pt else " I dropped the pending request."
            else:
                what = _ACTION_WORDS[lang][str(pending["action"])][0]
                other = f"{pending.get('name', '')} ({pending.get('job_id', '')})"
                text += (
                    f" O pedido pendente para {what} {other} também foi descartado; peça de novo se ainda quiser."
                    if pt
                    else f" The pending request for {what} {other} was dropped too; ask again if you still want it."
                )
        text += " Nada foi feito." if pt else " Nothing was done."
        focus = job.id if job is not None else ""
        return self._reply(text, lang, intent.name, jobs=_carry(prev, [focus]) if focus else [], focus=focus)

    def _history(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        """ "quem reexecutou o JOB003?": the job's audit records of today and yesterday."""
        job = self._one_target(intent, prev, plan, lang)
        if isinstance(job, Reply):
            return job
        label = f"{job.name} ({job.job_id})"
        pt = lang == "pt"
        ctx = {"jobs": _carry(prev, [job.id]), "focus": job.id}
        if self._desk.audit is None:
            text = (
                "O registro de ações não está disponível nesta instalação."
                if pt
                else "The action record is not available in this installation."
            )
            return self._reply(text, lang, intent.name, **ctx)
        records = self._desk.records_for(job)
        action = intent.action if intent.action in _ACTIONS else ""
        if action:
            records = [r for r in records if r.action == action]
        if not records:
            if action:
                what = _ACTION_WORDS[lang][action][1]
                text = (
                    f"Nenhum registro de {what} em {label} hoje nem ontem."
                    if pt
                    else f"No {what.lower()} of {label} recorded today or yesterday."
                )
            else:
                text = (
                    f"Nenhuma ação registrada em {label} hoje nem ontem."
                    if pt
                    else f"No action on {label} recorded today or yesterday."
                )
            return self._reply(text, lang, intent.name, **ctx)
        head = (
            f"Ações registradas em {label} (hoje e ontem, mais recentes primeiro):"
            if pt
            else f"Actions recorded on {label} (today and yesterday, newest first):"
        )
        lines = [head, *(self._record_line(r, lang) for r in records[:5])]
        if len(records) > 5:
            lines.append(f"... mais {len(records) - 5}." if pt else f"... {len(records) - 5} more.")
        return self._reply("\n".join(lines), lang, intent.name, **ctx)

    def _advice(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Reply:
        """ "devo rerodar o JOB003?": the facts to decide on, and how to ask for it; nothing is proposed."""
        action = intent.action if intent.action in _ACTIONS else "rerun"
        job = self._one_target(intent, prev, plan, lang)
        if isinstance(job, Reply):
            return job
        pt = lang == "pt"
        lines = [self._job_line(job, lang)[2:]]
        if job.status in FAILED_STATES:
            error = self._log_error(job)
            if error:
                lines.append(("Erro no log: " if pt else "Error in the log: ") + error)
        blocked = self._blocked(action, job, lang)
        if blocked:
            lines.append(blocked)
        elif action == "rerun" and job.status in FAILED_STATES:
            lines.append(
                "Antes de rerodar, confirme que a causa foi corrigida (log, dependências, recursos)."
                if pt
                else "Before a rerun, make sure the cause was fixed (log, dependencies, resources)."
            )
        elif action == "rerun" and job.status in SUCCESS_STATES:
            lines.append(
                "Ele já terminou com sucesso: um rerun executa tudo de novo."
                if pt
                else "It already completed successfully: a rerun runs it all again."
            )
        note = self._recent_note(job, lang)
        if note:
            lines.append(note.strip())
        if not blocked:
            ask = _ASK_FOR[lang][action].format(id=job.job_id)
            lines.append(
                f'A decisão é sua. Se quiser, peça explicitamente: "{ask}" (vou pedir confirmação).'
                if pt
                else f'Your call. If you want it, ask explicitly: "{ask}" (I will ask for confirmation).'
            )
        return self._reply("\n".join(lines), lang, intent.name, jobs=_carry(prev, [job.id]), focus=job.id)

    # ------------------------------------------------------------------------------------ audit trail
    def _recent_note(self, job: Job, lang: str) -> str:
        """ "\\nAtenção: ..." about the job's latest executed action since yesterday ("" when none)."""
        latest = self._desk.latest_executed(job)
        if latest is None:
            return ""
        line = self._record_line(latest, lang)[2:]
        return (
            f"\nAtenção: última ação registrada nele: {line}."
            if lang == "pt"
            else (f"\nNote: latest action recorded on it: {line}.")
        )

    def _record_line(self, record: AuditRecord, lang: str) -> str:
        action = _ACTION_WORDS[lang].get(record.action, ("", record.action, ""))[1]
        result = _RESULT_WORDS[lang].get(record.result, record.result)
        if record.result in (RESULT_FAILED, RESULT_REJECTED) and record.detail:
            result += f" ({record.detail[:120]})"
        on = "em" if lang == "pt" else "on"
        who = record.username or record.user_id
        return f"- {self._at(record.at, lang)} {who}: {action} {on} {record.workstation} — {result}"

    def _at(self, iso: str, lang: str) -> str:
        try:
            return self._time(datetime.fromisoformat(iso), lang)
        except ValueError:
            return iso

    def _quiet_target(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Job | None:
        """The one job a message is about, or None when that would need a question (refusals, negations)."""
        try:
            targets = self._targets(intent, prev, plan, lang)
        except TwsFailure:
            return None
        return targets[0] if isinstance(targets, list) and len(targets) == 1 else None

    def _one_target(self, intent: Intent, prev: Mapping[str, Any], plan: TurnPlan, lang: str) -> Job | Reply:
        targets = self._targets(intent, prev, plan, lang)
        if isinstance(targets, Reply):
            return targets
        if len(targets) > 1:
            return self._ask_which(targets, intent, lang)
        return targets[0]

    def _log_error(self, job: Job) -> str:
        """The first error line of the job's log ("" when there is none or the log cannot be read)."""
        try:
            return _first_error(self._tws.job_log(job))
        except TwsError:
            return ""


# ---------------------------------------------------------------------------------------------- module
def _last_agent_turn(history: Sequence[Turn]) -> Turn:
    """The reply the message answers (an empty turn when there is none)."""
    return next((turn for turn in reversed(history) if turn.role == "agent"), Turn("agent", ""))


def _previous_context(history: Sequence[Turn]) -> Mapping[str, Any]:
    return _last_agent_turn(history).context or {}


def _is_pending(pending: Any) -> bool:
    """A pending action this version can confirm: one stored before actions had ids is not."""
    return (
        isinstance(pending, Mapping)
        and pending.get("action") in _ACTIONS
        and bool(pending.get("id"))
        and isinstance(pending.get("proposed_at"), int)
    )


def _pending_lang(pending: Mapping[str, Any], lang: str) -> str:
    stored = pending.get("lang")
    return stored if stored in ("pt", "en") else lang


def _carry(prev: Mapping[str, Any], ids: list[str]) -> list[str]:
    """Keep the previous list as referents when the new focus came from it ("and the other one?")."""
    prev_ids = [str(x) for x in prev.get("jobs", []) if isinstance(x, str)]
    if ids and all(i in prev_ids for i in ids):
        return prev_ids
    return ids


def _count_states(jobs: Sequence[Job]) -> str:
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j.status] = counts.get(j.status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


_ERROR_MARKERS = ("ERROR", "ORA-", "FATAL", "Exception", "AWSB", "SEVERE", "failed", "denied")


def _first_error(log: str) -> str:
    return next((ln.rstrip()[:200].strip() for ln in log.splitlines() if _looks_like_error(ln)), "")


def _looks_like_error(line: str) -> bool:
    if " INFO " in line:
        return False
    return any(m in line for m in _ERROR_MARKERS)


@dataclass(frozen=True, slots=True)
class _Turn:
    """What a skill gets: the recognized intent, the request, the previous state, the plan, the language."""

    intent: Intent
    request: ResponderRequest
    prev: Mapping[str, Any]
    plan: TurnPlan
    lang: str


Skill = Callable[[RuleResponder, _Turn], Reply]


def _unknown(r: RuleResponder, t: _Turn) -> Reply:
    return r._reply(_UNKNOWN[t.lang], t.lang, "unknown")


def _jobs_listing(r: RuleResponder, t: _Turn) -> Reply:
    return r._jobs_list(t.intent, t.prev, t.plan, t.lang)


def _action_request(r: RuleResponder, t: _Turn) -> Reply:
    return r._action_request(t.intent, t.request, t.prev, t.plan, t.lang)


# intent -> the skill that answers it (an intent not here is answered as not understood)
_SKILLS: dict[str, Skill] = {
    "greeting": lambda r, t: r._greeting(t.lang),
    "thanks": lambda r, t: r._thanks(t.lang),
    "goodbye": lambda r, t: r._goodbye(t.lang),
    "help": lambda r, t: r._help(t.intent, t.lang),
    "unknown": _unknown,
    **{name: _jobs_listing for name in INTENTS if name.startswith("jobs_")},
    "job_status": lambda r, t: r._job_status(t.intent, t.prev, t.plan, t.lang),
    "job_log": lambda r, t: r._job_log(t.intent, t.prev, t.plan, t.lang),
    "job_streams": lambda r, t: r._job_streams(t.intent, t.plan, t.lang),
    "workstations": lambda r, t: r._workstations(t.intent, t.plan, t.lang),
    "workstations_offline": lambda r, t: r._workstations(t.intent, t.plan, t.lang),
    "workstation_status": lambda r, t: r._workstation_status(t.intent, t.plan, t.lang),
    "plan_summary": lambda r, t: r._summary(t.plan, t.lang),
    "action_negated": lambda r, t: r._negated(t.intent, t.prev, t.plan, t.lang),
    "action_history": lambda r, t: r._history(t.intent, t.prev, t.plan, t.lang),
    "action_advice": lambda r, t: r._advice(t.intent, t.prev, t.plan, t.lang),
    **{f"action_{action}": _action_request for action in ACTIONS},
    "confirm_yes": lambda r, t: r._confirm(t.request, t.prev, t.plan, t.lang),
    "confirm_no": lambda r, t: r._decline(t.prev, t.lang),
    "confirm_unclear": lambda r, t: r._unclear(t.prev, t.lang),
}
