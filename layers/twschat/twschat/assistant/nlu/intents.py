"""Intent recognition for TWS operators' messages (Portuguese first, English understood).

Keyword tables are compiled once at import. A message is folded (case, accents, punctuation), split
into tokens, unknown tokens are corrected against the keywords and against the names in the plan
(small typos), entities (jobs by name or id, workstations, job streams) are matched against the plan
the TWS client returns, and a short decision list picks the intent. Follow-ups ("e o log dele?",
"reroda esse", "e na TWS_AGENT1?") are recognized here; the responder resolves their referents from
the stored context of the previous reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twschat.core.language import EN_MARKERS, PT_MARKERS, tokenize, words

from ..tws import (
    FAILED_STATES,
    READY_STATES,
    RUNNING_STATES,
    SUCCESS_STATES,
    WAITING_STATES,
    Job,
    Workstation,
)
from .text import best_match, edit_distance, max_typos

__all__ = [
    "INTENTS",
    "STATE_INTENT",
    "STATE_SETS",
    "Catalog",
    "Intent",
    "recognize",
]

# -------------------------------------------------------------------------------------------- vocabulary
# concept -> (pt words, en words). Words are folded (no accents, lower case).
_VOCAB: dict[str, tuple[str, str]] = {
    "greet": ("oi ola opa salve eai alo", "hello hi hey hiya greetings"),
    "thanks": (
        "obrigado obrigada obg brigado brigada valeu vlw agradeco grato grata",
        "thanks thank thx ty cheers",
    ),
    "bye": ("tchau falou flw adeus", "bye goodbye cya"),
    "help": ("ajuda ajude socorro comandos funcionalidades menu", "help commands capabilities features"),
    "yes": (
        "sim s confirmo confirma confirmado confirmar pode claro isso positivo manda bora certo",
        "yes y yep yeah yup sure confirm confirmed proceed go okay ok",
    ),
    "no": ("nao n negativo esquece deixa nada", "no nope nah abort"),
    # Negation of what follows ("não reroda", "don't rerun"); "nao" (a "no") negates as well.
    "neg": ("nunca jamais", "dont not never doesnt didnt shouldnt"),
    # Undecided answers: while an action waits for a yes/no they ask the question again.
    "maybe": ("talvez sei", "maybe perhaps dunno unsure"),
    # Questions about an action, never the action itself.
    "who": ("quem", "who"),
    "when": ("quando", "when"),
    "should": ("devo devemos deveria deveriamos posso podemos", "should shall worth"),
    "job": ("job jobs tarefa tarefas processo processos rotina rotinas sj showjobs", "task tasks"),
    "stream": (
        "stream streams jobstream jobstreams schedule schedules ss showschedules cadeia cadeias fluxo fluxos",
        "",
    ),
    "ws": (
        "workstation workstations ws cpu cpus agente agentes servidor servidores maquina maquinas estacao "
        "estacoes sc showcpus node nodes host hosts",
        "agent agents server servers machine machines",
    ),
    "plan": (
        "ambiente plano malha resumo geral saude panorama situacao visao producao coisas",
        "environment plan summary overview health overall",
    ),
    "log": ("log logs joblog stdlist saida", "output"),
    "why": ("porque pq motivo causa", "why reason cause"),
    "status": ("status estado", "state"),
    "rerun": (
        "reroda rerodar rerode rerodem rerun rr reexecuta reexecutar reexecute reprocessa reprocessar "
        "reinicia reiniciar reinicie resubmete resubmeter rerodou reexecutou reprocessou reiniciou rerodado "
        "reexecutado reprocessado",
        "rerun rerunning restart resubmit retry reran restarted",
    ),
    "run": ("roda rodar rode executa executar execute", "run"),
    "again": ("novamente denovo", "again"),
    "hold": ("hold segura segurar segure pausa pausar pause suspende suspender", "hold pause"),
    "hold_state": ("", "held"),
    "ran": ("rodou rodaram rodado rodados executou executaram executado executados", "ran"),
    "hold_verb": ("coloca colocar coloque poe por ponha bota botar deixa deixar", "put place set"),
    "release": ("libera liberar libere solta soltar solte rj release liberou", "release unhold resume"),
    "cancel": ("cancela cancelar cancele cj cancelou", "cancel"),
    "abend": ("abend abends abendou abendaram abendado abendados abendando abendp abenp", "abended"),
    "failed": (
        "falha falhas falhou falharam falhando falhado falhados erro erros problema problemas quebrou "
        "quebrado quebrados fail errored",
        "failed failing failure failures error errors broken problem problems",
    ),
    "running": (
        "rodando executando exec execucao andamento processando ativo ativos rodam intro",
        "running executing active",
    ),
    "waiting": (
        "esperando aguardando espera pendente pendentes parado parados bloqueado bloqueados travado travados "
        "preso presos",
        "waiting pending blocked stuck",
    ),
    "sched": ("sched agendado agendados programado programados", "scheduled"),
    "ready": ("ready pronto prontos", ""),
    "success": (
        "succ sucesso concluido concluidos terminado terminados terminaram finalizado finalizados "
        "finalizaram completo completos",
        "success successful succeeded completed done finished",
    ),
    "cancelled": ("cancl cancelado cancelados cancelada canceladas", "cancelled canceled"),
    "late": (
        "atrasado atrasados atrasada atrasadas atraso demorando demorado demorados lento lentos demora",
        "late delayed overdue slow longrunning",
    ),
    "offline": (
        "offline caida caidas caido caidos caiu desligada desligadas desconectada desconectadas inativa "
        "inativas indisponivel indisponiveis unlinked unlink fora",
        "down disconnected",
    ),
    "online": ("online ligada ligadas conectada conectadas linked ativa ativas", "up connected"),
    "list": (
        "qual quais lista listar liste mostra mostrar mostre exibe exibir ver veja quantos quantas todos "
        "todas",
        "which what list show display all many",
    ),
    "be": ("esta estao ta tao sao", "is are"),
    "ref_this": ("dele dela ele ela esse essa este esta isso nele nela", "it its this that him"),
    "ref_other": ("outro outra", "other another"),
    "ref_them": ("deles delas eles elas esses essas estes nesses", "them those these"),
    "ref_first": ("primeiro primeira", "first"),
    "ref_second": ("segundo segunda", "second"),
    "ref_last": ("ultimo ultima", "last"),
    "tws": ("tws hwa iws twsd maestro workload scheduler automation conman", ""),
    "and": ("e tambem", "and also"),
}

# Two-word phrases folded into one concept (checked before single words).
_PHRASES: dict[tuple[str, str], str] = {
    ("bom", "dia"): "greet",
    ("boa", "tarde"): "greet",
    ("boa", "noite"): "greet",
    ("good", "morning"): "greet",
    ("good", "afternoon"): "greet",
    ("good", "evening"): "greet",
    ("tudo", "bem"): "greet",
    ("ate", "logo"): "bye",
    ("ate", "mais"): "bye",
    ("see", "you"): "bye",
    ("de", "novo"): "again",
    ("outra", "vez"): "again",
    ("one", "more"): "again",
    ("job", "stream"): "stream",
    ("job", "streams"): "stream",
    ("long", "running"): "late",
    ("muito", "tempo"): "late",
    ("too", "long"): "late",
    ("no", "ar"): "online",
    ("do", "ar"): "offline",
    ("visao", "geral"): "plan",
    ("em", "hold"): "hold_state",
    ("in", "hold"): "hold_state",
    ("on", "hold"): "hold_state",
    ("held", "jobs"): "hold_state",
    ("por", "que"): "why",
    ("pra", "que"): "why",
    ("deu", "erro"): "failed",
    ("deram", "erro"): "failed",
    ("com", "erro"): "failed",
    ("em", "erro"): "failed",
    ("ok", "obrigado"): "thanks",
    ("de", "nada"): "thanks",
    ("can", "i"): "should",
    ("a", "pena"): "should",
    ("not", "sure"): "maybe",
}

_STOPWORDS = words(
    """
    o a os as um uma uns umas de do da dos das em no na nos nas num numa para pra pro pros por pelo pela pelos
    pelas com sem que se me te meu minha seu sua voce vc voces vcs eu nos agora hoje ainda ja so favor
    porfavor
    tem tinha tiver ha foi foram ser estar estava estavam fica ficou aqui ali la onde quando como quanto
    mais menos muito muita bem tudo sobre entre ate apos antes depois algum alguma alguns algumas nenhum
    nenhuma quero queria preciso precisava gostaria poderia consegue consegue sabe saber fazer faz fala fale
    dizer diga diz me mim olhar olha checar verificar verifica checa vou vai pode agora hoje atual atuais
    disponivel disponiveis existem existe temos tenho the an of to in on at for by from with about is are was
    were be been do does did can could would should will me my you your we our us please pls now today current
    currently right there here any some get tell give check see look know want need let lets whats wheres
    hows dont cant wont im id ive we its so just only still yet how when where who whom kind of sort hmm
    um uh oh ah well then than also very really tempo hora horas one ones long been has have had
    coisa algo alguem isto aquilo qualquer
    """
)

# Technical words operators use in both languages: they do not tell the language.
_NEUTRAL = words(
    "job jobs online offline status log logs joblog stdlist stream streams jobstream jobstreams "
    "workstation workstations ws cpu cpus node nodes host hosts schedule schedules hold ready abend "
    "abends exec succ cancl sched intro fail sj ss sc rr rj cj tws hwa iws twsd conman rerun release ok "
    "linked unlinked menu agent agents server servers abenp abendp"
)

INTENTS: tuple[str, ...] = (
    "greeting",
    "thanks",
    "goodbye",
    "help",
    "jobs_failed",
    "jobs_running",
    "jobs_waiting",
    "jobs_ready",
    "jobs_success",
    "jobs_cancelled",
    "jobs_late",
    "jobs_list",
    "job_status",
    "job_log",
    "job_streams",
    "workstations",
    "workstations_offline",
    "workstation_status",
    "plan_summary",
    "action_rerun",
    "action_hold",
    "action_release",
    "action_cancel",
    "action_negated",
    "action_history",
    "action_advice",
    "confirm_yes",
    "confirm_no",
    "confirm_unclear",
    "unknown",
)

# state key -> the conman internal states it covers (None: no filter; "late" is computed from times).
STATE_SETS: dict[str, frozenset[str] | None] = {
    "abend": frozenset({"ABEND", "ABENP"}),
    "failed": FAILED_STATES,
    "running": RUNNING_STATES,
    "waiting": WAITING_STATES,
    "hold": frozenset({"HOLD"}),
    "sched": frozenset({"SCHED"}),
    "ready": READY_STATES,
    "success": SUCCESS_STATES,
    "cancelled": frozenset({"CANCL"}),
    "late": RUNNING_STATES,
    "all": None,
}
STATE_INTENT: dict[str, str] = {
    "abend": "jobs_failed",
    "failed": "jobs_failed",
    "running": "jobs_running",
    "waiting": "jobs_waiting",
    "hold": "jobs_waiting",
    "sched": "jobs_waiting",
    "ready": "jobs_ready",
    "success": "jobs_success",
    "cancelled": "jobs_cancelled",
    "late": "jobs_late",
    "all": "jobs_list",
}
_STATE_CONCEPTS = (
    "abend",
    "failed",
    "running",
    "waiting",
    "hold_state",
    "hold",
    "sched",
    "ready",
    "success",
    "cancelled",
    "late",
)
_INTERNAL_STATES = {
    "abend": "abend",
    "abenp": "abend",
    "fail": "failed",
    "exec": "running",
    "intro": "running",
    "hold": "hold",
    "sched": "sched",
    "ready": "ready",
    "succ": "success",
    "cancl": "cancelled",
}


def _compile_vocab() -> tuple[
    dict[str, str], dict[str, str], frozenset[str], frozenset[str], tuple[str, ...]
]:
    concept_of: dict[str, str] = {}
    lang_of: dict[str, str] = {}
    for concept, (pt, en) in _VOCAB.items():
        for lang, wordlist in (("pt", pt), ("en", en)):
            for w in wordlist.split():
                concept_of.setdefault(w, concept)
                lang_of.setdefault(w, lang)
    pt_words = frozenset(PT_MARKERS | {w for w, lang in lang_of.items() if lang == "pt"})
    en_words = frozenset(EN_MARKERS | {w for w, lang in lang_of.items() if lang == "en"})
    shared = (pt_words & en_words) | _NEUTRAL
    # Words long enough to be typo-corrected; short ones (sim, ss, rr) must be exact.
    fuzzable = tuple(sorted(w for w in concept_of if len(w) >= 4))
    return concept_of, lang_of, pt_words - shared, en_words - shared, fuzzable


_CONCEPT_OF, _LANG_OF, _PT_WORDS, _EN_WORDS, _FUZZABLE = _compile_vocab()
_KNOWN = frozenset(_CONCEPT_OF) | _STOPWORDS | {w for pair in _PHRASES for w in pair}
_ID_LIKE = re.compile(r"^([a-z]+)_?(\d{1,6})$")
_NUMBER = re.compile(r"^\d{1,6}$")


# ---------------------------------------------------------------------------------------------- catalog
@dataclass(frozen=True, slots=True)
class Catalog:
    """Name indexes over the plan the TWS client returned (built once per plan, reused while it holds)."""

    jobs: tuple[Job, ...]
    workstations: tuple[Workstation, ...] = ()
    streams: tuple[str, ...] = ()
    by_id_token: Mapping[str, Job] = field(default_factory=dict)
    by_number: Mapping[tuple[str, int], tuple[Job, ...]] = field(default_factory=dict)
    by_name: Mapping[tuple[str, ...], Job] = field(default_factory=dict)
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
        by_id: dict[str, Job] = {}
        by_number: dict[tuple[str, int], list[Job]] = {}
        by_name: dict[tuple[str, ...], Job] = {}
        by_token: dict[str, list[Job]] = {}
        for job in jobs_t:
            jid = tokenize(job.job_id)
            if len(jid) == 1:
                by_id[jid[0]] = job
                m = _ID_LIKE.match(jid[0])
                if m:
                    by_number.setdefault((m.group(1), int(m.group(2))), []).append(job)
            name = tuple(tokenize(job.name))
            if name:
                by_name[name] = job
                if len(name) > 1:
                    by_name[("".join(name),)] = job
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
            | {t for t in by_token if len(t) >= 5 and t not in _KNOWN}
            | {t for t in ws_by_token if len(t) >= 5}
            | {t for t in stream_by_token if len(t) >= 5}
        )
        return cls(
            jobs=jobs_t,
            workstations=ws_t,
            streams=tuple(sorted(set(stream_names))),
            by_id_token=by_id,
            by_number={k: tuple(v) for k, v in by_number.items()},
            by_name=by_name,
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


# ----------------------------------------------------------------------------------------------- intent
@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    language: str = "pt"
    state: str = ""
    """A key of :data:`STATE_SETS` for job / stream listings."""
    action: str = ""
    jobs: tuple[Job, ...] = ()
    """Jobs the message named (by name, id or plan id)."""
    candidates: tuple[Job, ...] = ()
    """Jobs a partial name could mean ("o backup") when it is ambiguous."""
    missing: tuple[str, ...] = ()
    """Job ids the message named that are not in the plan (folded, e.g. ``job999``)."""
    workstation: str = ""
    missing_workstation: str = ""
    stream: str = ""
    ws_filter: str = ""
    """``offline`` / ``online`` for workstation listings."""
    referent: str = ""
    """``this`` / ``other`` / ``them`` / ``first`` / ``second`` / ``last`` when the message points back."""
    followup: bool = False
    """An elliptical follow-up ("e na TWS_AGENT1?"): repeat the previous question with this change."""
    generic: bool = False
    """A question about TWS in general (answered with what the assistant can do)."""


def _language(tokens: Sequence[str], raw: str, default: str) -> str:
    if any(ch in raw for ch in "ãõçáéíóúâêôà"):
        return "pt"
    pt = sum(1 for t in tokens if t in _PT_WORDS)
    en = sum(1 for t in tokens if t in _EN_WORDS)
    if pt > en:
        return "pt"
    if en > pt:
        return "en"
    return default


_VOCAB_FIX: dict[str, str | None] = {}


def _vocab_fix(tok: str) -> str | None:
    try:
        return _VOCAB_FIX[tok]
    except KeyError:
        pass
    if len(_VOCAB_FIX) > 20000:
        _VOCAB_FIX.clear()
    fix = _VOCAB_FIX[tok] = best_match(tok, _FUZZABLE)
    return fix


def _correct(tok: str, catalog: Catalog | None) -> str:
    """The keyword or plan name ``tok`` most likely is (itself when nothing is close enough)."""
    if tok in _KNOWN or len(tok) < 4:
        return tok
    if catalog is not None and (
        tok in catalog.by_id_token
        or tok in catalog.by_name_token
        or tok in catalog.ws_by_token
        or tok in catalog.stream_by_token
    ):
        return tok
    vocab = _vocab_fix(tok)
    name = catalog.name_fix(tok) if catalog is not None else None
    if vocab and name:
        if edit_distance(tok, name, max_typos(name)) < edit_distance(tok, vocab, max_typos(vocab)):
            return name
        return vocab
    return vocab or name or tok


def _needs_catalog(tokens: Sequence[str]) -> bool:
    return any(t not in _KNOWN or _NUMBER.match(t) for t in tokens)


def recognize(
    text: str,
    catalog: CatalogSource = None,
    *,
    previous: Mapping[str, Any] | None = None,
    default_language: str = "pt",
) -> Intent:
    """The intent of one message.

    ``catalog`` (or a callable returning it, called only when the message may name something) gives
    the plan's names; ``previous`` is the stored context of the last reply (its ``intent`` and whether
    an action is ``pending``) for elliptical follow-ups and yes/no.
    """
    raw_tokens = tokenize(text)
    prev = previous or {}
    lang_default = str(prev.get("lang") or default_language)
    if not raw_tokens:
        return Intent("unknown", lang_default)

    cat: Catalog | None = None
    if isinstance(catalog, Catalog):
        cat = catalog
    elif catalog is not None and _needs_catalog(raw_tokens):
        cat = catalog()

    tokens = [_correct(t, cat) for t in raw_tokens]
    lang = _language(tokens, text, lang_default)
    n = len(tokens)
    consumed = [False] * n

    # ---- entities
    jobs: list[Job] = []
    missing: list[str] = []
    candidates: tuple[Job, ...] = ()
    workstation = ""
    missing_ws = ""
    stream = ""

    def add_job(job: Job) -> None:
        if job not in jobs:
            jobs.append(job)

    if cat is not None:
        # full job names ("data processing", "dataprocessing"), longest first
        for size in cat.name_sizes:
            for i in range(n - size + 1):
                if any(consumed[i : i + size]):
                    continue
                job = cat.by_name.get(tuple(tokens[i : i + size]))
                if job is not None:
                    add_job(job)
                    for k in range(i, i + size):
                        consumed[k] = True
        for i, tok in enumerate(tokens):
            if consumed[i]:
                continue
            if tok in cat.by_id_token:
                add_job(cat.by_id_token[tok])
                consumed[i] = True
            elif tok in cat.ws_by_token and tok not in _KNOWN:
                workstation = cat.ws_by_token[tok].name
                consumed[i] = True
            elif tok in cat.stream_by_token:
                stream = cat.stream_by_token[tok]
                consumed[i] = True
                named = cat.by_name_token.get(tok, ())
                if len(named) == 1:  # "payroll": the PAYROLL stream and its Payroll Calculation job
                    add_job(named[0])
            elif i + 1 < n and _NUMBER.match(tokens[i + 1]) and not consumed[i + 1]:
                # "job 2", "agent 2", "agente 2"
                number = int(tokens[i + 1])
                prefix = "job" if _CONCEPT_OF.get(tok) == "job" else tok
                hits = cat.by_number.get((prefix, number), ())
                joined = best_match(f"{tok}{tokens[i + 1]}", tuple(cat.ws_by_token))
                if len(hits) == 1:
                    add_job(hits[0])
                    consumed[i] = consumed[i + 1] = True
                elif joined is not None:
                    workstation = cat.ws_by_token[joined].name
                    consumed[i] = consumed[i + 1] = True
                elif prefix == "job":
                    missing.append(f"job{tokens[i + 1]}")
                    consumed[i] = consumed[i + 1] = True
        for i, tok in enumerate(tokens):
            if consumed[i] or tok in _KNOWN:
                continue
            m = _ID_LIKE.match(tok)
            if m and (m.group(1), int(m.group(2))) in cat.by_number:
                hits = cat.by_number[(m.group(1), int(m.group(2)))]
                if len(hits) == 1:
                    add_job(hits[0])
                    consumed[i] = True
                    continue
            if m and m.group(1) in ("job", "jb", "jbo", "ojb"):
                missing.append(tok)
                consumed[i] = True
                continue
            # a distinctive word of a job name ("o payroll", "processing")
            partial = cat.by_name_token.get(tok, ())
            if len(tok) >= 4 and partial:
                consumed[i] = True
                if len(partial) == 1:
                    add_job(partial[0])
                elif not jobs:
                    candidates = partial
            elif m and m.group(1) in ("tws", "agent", "agente", "cpu", "ws"):
                missing_ws = tok
                consumed[i] = True

    # ---- concepts
    concepts: dict[str, int] = {}
    i = 0
    while i < n:
        if consumed[i]:
            i += 1
            continue
        if i + 1 < n and not consumed[i + 1]:
            phrase = _PHRASES.get((tokens[i], tokens[i + 1]))
            if phrase:
                concepts.setdefault(phrase, i)
                i += 2
                continue
        concept = _CONCEPT_OF.get(tokens[i])
        if concept:
            concepts.setdefault(concept, i)
        i += 1

    def has(*names: str) -> bool:
        return any(c in concepts for c in names)

    unknown_tokens = [t for k, t in enumerate(tokens) if not consumed[k] and t not in _KNOWN]
    content = [c for c in concepts if c not in ("list", "be", "and", "ref_this", "ref_them")]
    first = tokens[0]
    pending = bool(prev.get("pending"))
    state = _state_key(concepts, tokens, consumed)
    if candidates and (state or has("ws", "stream", "plan")):
        # "report", "data": a common word, not a job, when the message is about something else
        candidates = ()
    target = bool(jobs) or bool(candidates) or bool(missing)
    referent = ""
    for key, ref in (
        ("ref_other", "other"),
        ("ref_first", "first"),
        ("ref_second", "second"),
        ("ref_last", "last"),
        ("ref_them", "them"),
        ("ref_this", "this"),
    ):
        if key in concepts:
            referent = ref
            break

    def make(name: str, **kw: Any) -> Intent:
        kw.setdefault("jobs", tuple(jobs))
        kw.setdefault("candidates", candidates)
        kw.setdefault("missing", tuple(missing))
        kw.setdefault("workstation", workstation)
        kw.setdefault("missing_workstation", missing_ws)
        kw.setdefault("stream", stream)
        kw.setdefault("referent", referent)
        return Intent(name, lang, **kw)

    # ---- yes / no: short answers only, a yes never hides inside a longer request
    short = n <= 5 and not target and not workstation and not unknown_tokens
    answer_words = _ANSWER_CONCEPTS
    if pending and short and has("maybe"):  # "talvez", "sei lá", "sim, talvez": neither yes nor no
        return make("confirm_unclear")
    if short and has("no", "neg") and not has("yes") and all(c in answer_words for c in concepts):
        return make("confirm_no")
    if (
        short
        and has("yes")
        and not has("no", "neg")
        and all(c in answer_words for c in concepts)
        and (pending or not has("rerun", "hold", "release", "cancel", "run"))
    ):
        return make("confirm_yes")
    if pending and short and first in ("cancela", "cancel") and len(concepts) == 1:
        return make("confirm_no")

    # ---- thanks / bye before help ("obrigado pela ajuda")
    if has("thanks") and not target and not has("rerun", "hold", "release", "cancel", "log", "why"):
        return make("thanks")
    if has("bye") and not target and len(content) <= 2:
        return make("goodbye")

    listing = has("list") and not target and not referent

    # ---- actions
    action = ""
    if has("rerun") or (has("run") and has("again")):
        action = "rerun"
    elif has("release"):
        action = "release"
    elif has("cancel"):
        action = "cancel"
    elif has("hold", "hold_state"):
        verb = has("hold_verb") or first in _HOLD_FIRST
        bare = has("hold") and not has("hold_state") and not listing
        if verb or bare or (has("hold_state") and target and not has("be", "list")):
            action = "hold"
    elif has("run") and (target or referent == "this") and not has("list", "be"):
        action = "rerun"
    # Only an instruction to act asks for a confirmation. A negation ("não reroda o JOB003"), a question
    # about past actions ("quem reexecutou o JOB003?") or for advice ("devo rerodar o JOB003?") and a
    # why ("por que não roda?") are answered, and nothing is ever proposed from them.
    if action and not (listing and state) and not has("why"):
        if _negated(tokens, concepts):
            return make("action_negated", action=action)
        # "when did JOB002 run?" is about the plan (its status has the times), "when was it rerun?" the audit
        bare_run = action == "rerun" and not has("rerun", "again")
        if has("who") or (has("when") and not bare_run):
            return make("action_history", action=action)
        if has("should"):
            return make("action_advice", action=action)
        if not has("when"):
            return make(f"action_{action}", action=action)
    if has("who") and has("ran") and (target or referent):  # "quem rodou o JOB003?"
        return make("action_history")

    # ---- logs and why
    if has("log"):
        return make("job_log")
    if has("why") and (target or referent or not (has("job") and state)):
        return make("job_log")
    if target and state == "failed" and any(t in ("erro", "error", "problema", "problem") for t in tokens):
        return make("job_log")

    # ---- job streams
    if has("stream"):
        return make("job_streams", state=state if state != "all" else "")

    # ---- workstations
    if has("ws") or missing_ws or (workstation and not has("job") and not state and not target):
        if has("run", "ran") and workstation:
            return make("jobs_list", state="all")
        if not workstation and (has("offline") or (has("waiting") and has("ws"))):
            return make("workstations_offline", ws_filter="offline")
        if workstation and not has("job") and not state:
            elliptical = not has("ws", "status", "online", "offline", "list") and not target
            if elliptical and prev.get("intent", "") in _LISTING_INTENTS:
                return _followup(prev, lang, workstation)
            return make("workstation_status")
        if missing_ws and not workstation:
            return make("workstation_status")
        if has("online"):
            return make("workstations", ws_filter="online")
        if not has("job") and not state:
            return make("workstations")
    if has("offline") and not has("job") and not state and not target:
        return make("workstations_offline", ws_filter="offline")

    # ---- one job
    if target:
        if state and not jobs and not candidates:
            return make(STATE_INTENT[state], state=state)
        if not content and prev.get("intent") in ("job_log", "job_status") and first in ("e", "and"):
            return make(str(prev["intent"]), followup=True)
        return make("job_status")

    # ---- job listings
    if state:
        return make(STATE_INTENT[state], state=state)
    if has("job", "ran") or (workstation and has("list")):
        if referent in ("other", "first", "second", "last") and not has("list"):
            return make("job_status", followup=True)
        return make("jobs_list", state="all")

    # ---- plan summary
    if has("plan") or (has("status") and not referent):
        return make("plan_summary")

    # ---- follow-ups pointing back ("and the other one?", "e o primeiro?", "e ele?")
    if referent in ("other", "first", "second", "last") or (referent == "this" and has("status", "and")):
        nxt = str(prev.get("intent") or "job_status")
        if nxt not in ("job_log", "job_status"):
            nxt = "job_status"
        return make(nxt, followup=True)

    # ---- help, greetings, TWS in general
    capability = (
        has("help")
        or ("sabe" in tokens and "fazer" in tokens)
        or ("voce" in tokens and "faz" in tokens)
        or ("can" in tokens and "you" in tokens and "do" in tokens)
        or ("what" in tokens and "do" in tokens and "you" in tokens)
    )
    if capability:
        return make("help")
    if has("greet"):
        return make("greeting")
    if has("tws"):
        return make("help", generic=True)
    if has("yes") and not unknown_tokens:
        return make("confirm_yes")
    if pending:  # "hmm", "?", anything not understood while a yes/no is awaited: ask the question again
        return make("confirm_unclear")
    return make("unknown")


_ANSWER_CONCEPTS = frozenset(
    {
        "yes",
        "no",
        "neg",
        "thanks",
        "and",
        "rerun",
        "hold",
        "release",
        "cancel",
        "again",
        "run",
        "ref_this",
        "be",
    }
)
_NEGATIONS = frozenset({"nao", "nunca", "jamais", "dont", "not", "never", "doesnt", "didnt", "shouldnt"})
_ACTION_CONCEPTS = ("rerun", "run", "release", "cancel", "hold", "hold_verb", "hold_state")


def _negated(tokens: Sequence[str], concepts: Mapping[str, int]) -> bool:
    """A negation before the first action word: "não reroda", "don't rerun", "nunca cancele"."""
    first_action = min(concepts[c] for c in _ACTION_CONCEPTS if c in concepts)
    return any(t in _NEGATIONS for t in tokens[:first_action])


_HOLD_FIRST = frozenset(
    {"hold", "segura", "segurar", "segure", "pausa", "pausar", "pause", "suspende", "suspender"}
)
_LISTING_INTENTS = frozenset(
    {
        "jobs_failed",
        "jobs_running",
        "jobs_waiting",
        "jobs_ready",
        "jobs_success",
        "jobs_cancelled",
        "jobs_late",
        "jobs_list",
        "job_streams",
        "workstation_status",
    }
)


def _followup(prev: Mapping[str, Any], lang: str, workstation: str) -> Intent:
    name = str(prev.get("intent", "jobs_list"))
    state = str(prev.get("state") or "")
    if name.startswith("jobs_") and not state:
        state = "all"
    return Intent(name, lang, state=state, workstation=workstation, followup=True)


def _state_key(concepts: Mapping[str, int], tokens: Sequence[str], consumed: Sequence[bool]) -> str:
    """The job state the message asks about, most specific first."""
    for i, tok in enumerate(tokens):
        if not consumed[i] and tok in _INTERNAL_STATES and tok != "hold":
            return _INTERNAL_STATES[tok]
    present = [c for c in _STATE_CONCEPTS if c in concepts]
    if not present:
        return ""
    order = {
        "abend": "abend",
        "failed": "failed",
        "late": "late",
        "running": "running",
        "hold_state": "hold",
        "hold": "hold",
        "sched": "sched",
        "waiting": "waiting",
        "ready": "ready",
        "success": "success",
        "cancelled": "cancelled",
    }
    # earliest mention wins when two states are named ("rodando ou em hold")
    first = min(present, key=lambda c: concepts[c])
    return order[first]
