"""The NLU's vocabulary: concepts and their words in Portuguese and English, compiled once at import.

A word maps to one concept (``"reroda"`` -> ``rerun``); two-word phrases fold into one (``"bom dia"`` ->
``greet``). Words are folded (no accents, lower case). The words of each language, minus the ones
both share and the technical ones operators use in either, are the markers language detection counts.
"""

from __future__ import annotations

import re

from twschat.core.language import EN_MARKERS, PT_MARKERS, LanguageMarkers, words

from .text import best_match

# -------------------------------------------------------------------------------------------- vocabulary
# concept -> (pt words, en words). Words are folded (no accents, lower case).
VOCAB: dict[str, tuple[str, str]] = {
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
    "should": (
        "devo devemos deveria deveriamos posso podemos seguro recomendado recomendavel aconselhavel",
        "should shall worth safe advisable recommended",
    ),
    "someone": ("alguem", "someone somebody anyone anybody"),
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
    "hold": (
        "hold segura segurar segure pausa pausar pause suspende suspender segurou seguraram pausou suspendeu",
        "hold pause",
    ),
    "hold_state": ("", "held"),
    "ran": ("rodou rodaram rodado rodados executou executaram executado executados", "ran"),
    "hold_verb": ("coloca colocar coloque poe por ponha bota botar deixa deixar", "put place set"),
    "release": ("libera liberar libere solta soltar solte rj release liberou", "release unhold resume"),
    "cancel": ("cancela cancelar cancele cj cancelou", "cancel"),
    # -- actions (kill, confirm, streams, workstations, prompts)
    "kill": ("mata matar mate kill", "kill"),
    "hs": ("hs", ""),  # conman hold sched
    "rs": ("rs", ""),  # conman release sched
    "cs": ("cs", ""),  # conman cancel sched
    "unlink": ("deslinka deslinkar deslinke unlink deslinkou", "unlink"),
    "link": ("linka linkar linke relinka relinkar link linkou relinkou", "link relink"),
    "reply": ("responde responder responda reply", "reply answer respond"),
    # conman "sp" (showprompts): the prompts waiting for an answer
    "prompt": ("prompt prompts sp showprompts", ""),
    "mark": ("marca marcar marque", "mark"),
    "abend": (
        "abend abends abendou abendaram abendado abendados abendando abendp abenp abendar abende abendarem",
        "abended",
    ),
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
        "inativas indisponivel indisponiveis unlinked fora",
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
    # -- reads (streams, dependencies, prompts, schedule)
    "depend": ("depende dependem", "depends depend"),
    "deps": (
        "dependencia dependencias predecessor predecessores antecessor antecessores",
        "dependencies dependency predecessors prerequisites",
    ),
    "succ": ("sucessor sucessores dependentes", "successors successor dependents"),
    "next": ("proxima proximas proximo proximos previstos previsto", "next upcoming due"),
    # -- reads (resources): conman "sr" (showresources); an exhausted one has no unit free
    "resource": ("recurso recursos sr showresources", "resource resources"),
    "exhausted": (
        "esgotado esgotados esgotada esgotadas esgotou lotado lotados",
        "exhausted depleted",
    ),
    "tws": ("tws hwa iws twsd maestro workload scheduler automation conman", ""),
    "and": ("e tambem", "and also"),
    # -- alerts (issue 18): "me avisa quando o JOB014 terminar", "para de me avisar", "quais avisos?"
    "alert": (
        "avisa avise avisar avisem aviso avisos avisando notifica notifique notificar notificacao "
        "notificacoes alerta alertas alerte alertar",
        "notify notifying notification notifications alert alerts alerting warn",
    ),
    "alert_stop": ("pare parar chega desativa desative remova apaga apague", "stop unsubscribe"),
    "finish": (
        "terminar termine terminarem acabar acabe finalizar finalize concluir conclua",
        "finish finishes ends complete completes",
    ),
    "back": ("voltar volte volta voltou", "back recovers"),
    "change": ("mudar mude mudou muda mudanca mudancas", "change changes changed"),
}

# Two-word phrases folded into one concept (checked before single words).
PHRASES: dict[tuple[str, str], str] = {
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

STOPWORDS = words(
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
    coisa algo alguem isto aquilo qualquer resposta respostas
    """
)

# Technical words operators use in both languages: they do not tell the language.
NEUTRAL = words(
    "job jobs online offline status log logs joblog stdlist stream streams jobstream jobstreams "
    "workstation workstations ws cpu cpus node nodes host hosts schedule schedules hold ready abend "
    "abends exec succ cancl sched intro fail sj ss sc rr rj cj tws hwa iws twsd conman rerun release ok "
    "linked unlinked menu agent agents server servers abenp abendp kill link unlink reply prompt prompts "
    "hs rs cs sp showprompts sr showresources"
)

STATE_CONCEPTS = (
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
INTERNAL_STATES = {
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
    for concept, (pt, en) in VOCAB.items():
        for lang, wordlist in (("pt", pt), ("en", en)):
            for w in wordlist.split():
                concept_of.setdefault(w, concept)
                lang_of.setdefault(w, lang)
    pt_words = frozenset(PT_MARKERS | {w for w, lang in lang_of.items() if lang == "pt"})
    en_words = frozenset(EN_MARKERS | {w for w, lang in lang_of.items() if lang == "en"})
    shared = (pt_words & en_words) | NEUTRAL
    # Words long enough to be typo-corrected; short ones (sim, ss, rr) must be exact.
    fuzzable = tuple(sorted(w for w in concept_of if len(w) >= 4))
    return concept_of, lang_of, pt_words - shared, en_words - shared, fuzzable


CONCEPT_OF, _LANG_OF, _PT_WORDS, _EN_WORDS, FUZZABLE = _compile_vocab()
KNOWN = frozenset(CONCEPT_OF) | STOPWORDS | {w for pair in PHRASES for w in pair}
ID_LIKE = re.compile(r"^([a-z]+)_?(\d{1,6})$")
NUMBER = re.compile(r"^\d{1,6}$")
MARKERS = LanguageMarkers(pt=_PT_WORDS, en=_EN_WORDS)

_VOCAB_FIX: dict[str, str | None] = {}


def vocab_fix(tok: str) -> str | None:
    """The keyword ``tok`` is a typo of, if exactly one is close enough (memoized)."""
    try:
        return _VOCAB_FIX[tok]
    except KeyError:
        pass
    if len(_VOCAB_FIX) > 20000:
        _VOCAB_FIX.clear()
    fix = _VOCAB_FIX[tok] = best_match(tok, FUZZABLE)
    return fix


ANSWER_CONCEPTS = frozenset(
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
        "kill",
        "ref_this",
        "be",
    }
)
NEGATIONS = frozenset({"nao", "nunca", "jamais", "dont", "not", "never", "doesnt", "didnt", "shouldnt"})
ACTION_CONCEPTS = (
    "rerun",
    "run",
    "release",
    "cancel",
    "hold",
    "hold_verb",
    "hold_state",
    # -- actions (kill, confirm, streams, workstations, prompts): "confirma" (yes) starts a confirm
    "kill",
    "hs",
    "rs",
    "cs",
    "link",
    "unlink",
    "reply",
    "mark",
    "yes",
)


HOLD_FIRST = frozenset(
    {"hold", "segura", "segurar", "segure", "pausa", "pausar", "pause", "suspende", "suspender"}
)
