"""Portuguese (the default): every message code the skills use, and how times and durations read.

An entry is a ``str.format`` template over the message's parameters, or a function of them. The
English catalogue (:mod:`.en`) has exactly the same keys. Imports only :mod:`..answer` and :mod:`.forms`.
Over 400 lines on purpose: one flat table, read side by side with :mod:`.en`; split, it would hide keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..answer import When
from .forms import all_of, by_count, scoped

__all__ = ["MESSAGES"]


def _time(p: Mapping[str, Any]) -> str:
    value: When = p["value"]
    return value.local.strftime("%H:%M" if value.today else "%d/%m %H:%M")


def _duration(p: Mapping[str, Any]) -> str:
    n: int = p["value"].n
    return f"{n} min" if n < 60 else f"{n // 60}h{n % 60:02d}min"


MESSAGES: dict[str, str | Callable[[Mapping[str, Any]], str]] = {
    "time": _time,
    "duration": _duration,
    # ------------------------------------------------------------------------------- small talk
    "greeting": 'Olá! Sou o assistente do TWS. Pergunte, por exemplo, "quais jobs estão em abend?" ou '
    '"como está o ambiente?".',
    "thanks": "Por nada! Se precisar de mais alguma coisa do TWS, é só chamar.",
    "goodbye": "Até logo! Bom turno.",
    "help": (
        "Posso consultar o plano do TWS e ajudar na operação:\n"
        '- jobs por estado: "quais jobs estão em abend?", "jobs rodando", "jobs em hold", "jobs atrasados"\n'
        '- um job: "status do JOB002", "log do JOB002", "por que o JOB002 falhou?"\n'
        '- job streams: "mostra os job streams"\n'
        '- workstations: "quais workstations estão offline?", "status da TWS_AGENT2"\n'
        '- resumo: "como está o ambiente?"\n'
        '- ações (com confirmação): "reroda o JOB002", "hold no JOB008", "libera o JOB007", '
        '"cancela o JOB009"'
    ),
    "help.generic": "Sobre o TWS, eu trabalho com o plano atual (jobs, job streams e workstations). ",
    "unknown": "Não entendi. Posso listar jobs por estado, mostrar status e log de um job, job streams, "
    "workstations e o resumo do ambiente, e rerodar/segurar/liberar/cancelar jobs com confirmação. "
    'Tente, por exemplo: "quais jobs estão em abend?" ou "ajuda".',
    "internal_error": "Tive um erro interno ao responder. Tente de novo ou reformule a pergunta.",
    # ---------------------------------------------------------------------------- TWS failures
    "tws_error.unreachable": "Não consegui conectar ao TWS ao {what}. Verifique se o master está no ar "
    "e a rede/VPN, e tente de novo em instantes.",
    "tws_error.timeout": "O TWS demorou demais para responder ao {what}. Tente de novo em instantes; "
    "se persistir, o master pode estar sobrecarregado.",
    "tws_error.unauthorized": "O TWS recusou as credenciais ao {what} (não autorizado). Verifique o "
    "usuário/API key configurados para o chat.",
    "tws_error.not_found": "O TWS não encontrou o que pedi ao {what} (pode ter saído do plano). "
    "Confira o nome/id e tente de novo.",
    "tws_error.server": "O TWS respondeu com erro interno ao {what}. Tente de novo; se continuar, "
    "verifique os logs do master.",
    "tws_error.bad_response": "O TWS respondeu em formato inesperado ao {what}. Tente de novo; se continuar, "
    "avise o suporte do chat.",
    "what.jobs": "listar os jobs",
    "what.workstations": "listar as workstations",
    "what.streams": "listar os job streams",
    "what.log": "buscar o log",
    "what.act": "executar a ação",
    "what.prompts": "listar os prompts",
    # ----------------------------------------------------------------------------- job lines
    "job.line": "{name} ({job_id}) — {parts}",
    "job.where": "{status} em {workstation}",
    "job.stream": "stream {stream}",
    "job.stream_at": "stream {stream} ({at})",
    "job.since": "desde {at} ({running})",
    "job.rc": "rc {rc}",
    "job.ended": "fim {at}",
    "more": "... e mais {extra} — refine com {refine}",
    "refine.ask_which": '"status do JOB00X"',
    "refine.job_status": '"status do JOB00X"',
    "refine.jobs_on_workstation": '"jobs em abend na TWS_AGENT1"',
    "refine.streams_on_workstation": '"job streams na TWS_AGENT1"',
    "refine.workstation_status": '"status da TWS_X"',
    "refine.jobs_abend": '"jobs em abend"',
    # ------------------------------------------------------------------------------ referents
    "target.missing": 'Não encontrei {ids} no plano atual. Veja os jobs com "sj" ou "quais jobs estão em abend?".',
    "target.which_job": 'Qual job? Diga o nome ou o id, por exemplo: "status do JOB002" ou "log do JOB002".',
    "which.ambiguous": "Mais de um job combina. Qual deles?",
    "which.head": "Qual deles?",
    # one job name in several job stream instances: which instance?
    "which.instances": lambda p: (
        f"{p['id']} existe em {p['count']} {by_count(p, 'stream', 'streams', 'count')}: {p['options']}. Qual?"
    ),
    "which.instance": "{stream} ({status}, {at})",
    "which.instance_plain": "{stream} ({status})",
    "which.and": " e ",
    "which.and_more": " e mais {extra}",
    "which.stream_instances": lambda p: (
        f"O job stream {p['name']} tem {p['count']} {by_count(p, 'instância', 'instâncias', 'count')}: "
        f"{p['options']}. Qual?"
    ),
    "which.stream_instance": "{at} ({status})",
    "which.tail": 'Ex.: "status do {id}" ou "o primeiro".',
    # ----------------------------------------------------------------------------------- jobs
    "state.abend": "em ABEND",
    "state.failed": "com falha (ABEND/FAIL/ERROR)",
    "state.running": "em execução",
    "state.waiting": "aguardando (HOLD/SCHED/...)",
    "state.hold": "em HOLD",
    "state.sched": lambda p: by_count(p, "agendado", "agendados") + " (SCHED)",
    "state.ready": lambda p: by_count(p, "pronto", "prontos") + " (READY)",
    "state.success": lambda p: by_count(p, "concluído", "concluídos") + " com sucesso",
    "state.cancelled": lambda p: by_count(p, "cancelado", "cancelados"),
    "state.late": lambda p: by_count(p, "atrasado", "atrasados"),
    "late.running": "Rodando há mais de {m} min (ou bem além da duração estimada):",
    "late.not_started": "Sem iniciar no horário:",
    "late.due": " — previsto {at}",
    "late.ask_why": 'Para saber o que seguram: "por que o {id} está esperando?".',
    "state.all": "no plano",
    "where.workstation": " na {workstation}",
    "where.stream": " no stream {stream}",
    "where.among_previous": " (entre os anteriores)",
    "jobs.none": lambda p: f"Nenhum job {scoped(p['label'], p['where'])}.",
    "jobs.but_failed": "Mas há jobs com falha:",
    "jobs.count": lambda p: f"{p['n']} {by_count(p, 'job', 'jobs')} {scoped(p['label'], p['where'])}:",
    "jobs.also_failed": "Também com falha:",
    "advice.failed": 'Sugestão: veja o log ("log do {id}"), confira as dependências (predecessores, recursos, '
    'arquivos) e, corrigida a causa, peça o rerun ("reroda o {id}").',
    "advice.failed_offline": " Atenção: {workstations} está OFFLINE — faça o link antes do rerun.",
    "advice.late": 'Sugestão: veja o log ("log do {id}") para ver se está preso (lock, recurso, '
    "espera de arquivo) e compare com a duração habitual; se estiver travado, avalie "
    "cancelar/kill no conman.",
    "advice.release_held": 'HOLD aguarda dependências; para liberar manualmente: "libera o {id}".',
    "advice.job_late": 'Está rodando há mais de {m} min: veja o log ("log do {id}") para ver se está preso.',
    "advice.job_hold": 'Aguardando dependências. Para liberar manualmente: "libera o {id}".',
    "advice.job_sched": "Aguardando o horário de início (AT).",
    "advice.job_intro_offline": 'Aguardando {workstation} (OFFLINE) linkar para iniciar: "linka a {workstation}".',
    "advice.job_intro": "Em INTRO: o TWS já submeteu o job e a {workstation} ainda não o iniciou; se não sair "
    'de INTRO em alguns minutos, veja o agente ("status da {workstation}").',
    "log.not_run": "{name} ({job_id}) ainda não rodou (status {status}): não há log.",
    "log.none": "O TWS não tem log para {name} ({job_id}) (status {status}).",
    "log.head": "Log de {name} ({job_id}) — {status} em {workstation}",
    "log.last_lines": lambda p: " (última linha):" if p["n"] == 1 else f" (últimas {p['n']} linhas):",
    "log.error_found": "Erro encontrado: {error}",
    "log.rerun_hint": 'Corrigida a causa, peça o rerun: "reroda o {id}".',
    # -- why a job failed: the diagnosis (skills/diagnosis.py)
    "why.errors": "Erro no log:",
    "why.no_error": "O log não tem uma linha de erro reconhecível.",
    "why.cause.tablespace": "Causa provável: o tablespace {name} está cheio (o banco não conseguiu estender a tabela).",
    "why.cause.unlinked": "Causa provável: a workstation {workstation} não está linkada (o TWS não conseguiu lançar o job).",
    "why.cause.file": "Causa provável: um arquivo que o job usa não foi encontrado.",
    "why.cause.credentials": "Causa provável: credenciais recusadas (usuário/senha do job).",
    "why.next.tablespace": 'Próximo passo: peça ao DBA para ampliar o tablespace {name}; depois, "reroda o {id}".',
    "why.next.unlinked": 'Próximo passo: "linka a {workstation}"; linkada, "reroda o {id}".',
    "why.next.file": 'Próximo passo: confira se o arquivo chegou no caminho esperado; depois, "reroda o {id}".',
    "why.next.credentials": 'Próximo passo: corrija o usuário/senha que o job usa; depois, "reroda o {id}".',
    "why.next.unknown": 'Veja o log completo ("log do {id}"); corrigida a causa, peça "reroda o {id}".',
    # ------------------------------------------------------------------ streams, workstations
    "streams.none": "Nenhum job stream{states}{where} no plano.",
    "streams.count": lambda p: f"{p['n']} job stream{'s' if p['n'] != 1 else ''}{p['states']}{p['where']}:",
    "streams.row": "{name} ({workstation}) — {status}",
    "streams.row_start": ", início {at}",
    "streams.bad": '{name} em {workstation} está {status}: veja os jobs com falha ("quais jobs estão em abend?").',
    "ws.linked": "linked",
    "ws.unlinked": "unlinked",
    "ws.jobman_running": "jobman ativo",
    "ws.jobman_down": "jobman parado",
    "ws.details": "{name} — {status} ({bits})",
    "ws.offline_advice": '{name} está OFFLINE: verifique o agente/netman na máquina e faça o link (conman "link {name}").',
    "ws.affected_jobs": " Jobs afetados nela: {counts}.",
    "ws.none_offline": lambda p: (
        "Nenhuma workstation OFFLINE" + all_of(p, ": a única está ONLINE.", ": todas as {n} estão ONLINE.")
    ),
    "ws.none": "Nenhuma workstation encontrada.",
    "ws.count": lambda p: (
        f"{p['n']} workstation{'s' if p['n'] != 1 else ''}" + (f" {p['filter']}" if p["filter"] else "") + ":"
    ),
    "ws.state_unknown": 'A API do TWS não informa o estado de link de: {names} (confira com conman "sc").',
    "ws.online_of": "{online} de {total} ONLINE.",
    "ws.not_found": "Não encontrei essa workstation no plano. Workstations: {names}.",
    "ws.jobs_on_it": "Jobs nela: {counts}.",
    "ws.failed": "Com falha:",
    "summary.failed": "{n} com falha",
    "summary.running": "{n} em execução",
    "summary.waiting": "{n} aguardando",
    "summary.head": lambda p: (
        f"Resumo do plano: {p['total']} {by_count(p, 'job', 'jobs', 'total')} — {p['parts']}."
    ),
    "summary.workstations": "Workstations: {online} de {total} ONLINE",
    "summary.attention": "Atenção:",
    "summary.ask_log": 'Peça "log do JOBxxx" para ver a causa.',
    "summary.nothing": "Nada pedindo atenção agora.",
    # -------------------------------------------------------------------------------- actions
    "action.rerun.what": "o rerun de",
    "action.rerun.title": "Rerun",
    "action.rerun.sent": "enviado",
    "action.rerun.verb": "rerodar",
    "action.hold.what": "colocar em HOLD",
    "action.hold.title": "Hold",
    "action.hold.sent": "enviado",
    "action.hold.verb": "colocar em HOLD",
    "action.release.what": "liberar (release)",
    "action.release.title": "Release",
    "action.release.sent": "enviado",
    "action.release.verb": "liberar",
    "action.cancel.what": "cancelar",
    "action.cancel.title": "Cancelamento",
    "action.cancel.sent": "enviado",
    "action.cancel.verb": "cancelar",
    "ask.rerun": "reroda o {id}",
    "ask.hold": "segura o {id}",
    "ask.release": "libera o {id}",
    "ask.cancel": "cancela o {id}",
    "blocked.rerun.running": "{name} está em execução ({s}): não dá para rerodar agora.",
    "blocked.rerun.not_started": "{name} ainda não rodou ({s}): não há o que rerodar.",
    "blocked.rerun.held": '{name} está em HOLD e ainda não rodou: para que rode, libere: "libera o {id}".',
    "blocked.hold.already_held": "{name} já está em HOLD.",
    "blocked.hold.started": "{name} está {s}: só dá para colocar em HOLD um job que ainda não começou.",
    "blocked.release.not_held": "{name} não está em HOLD (está {s}): não há o que liberar.",
    "blocked.cancel.already_cancelled": "{name} já está cancelado.",
    "blocked.cancel.finished": "{name} já terminou ({s}): não há o que cancelar.",
    "blocked.cancel.running": '{name} está em execução ({s}): para interromper um job rodando, peça "mata o {id}".',
    # -- actions (kill, confirm, streams, workstations, prompts, justification)
    "action.kill.what": "o kill de",
    "action.kill.title": "Kill",
    "action.kill.sent": "enviado",
    "action.kill.verb": "matar (kill)",
    "action.confirm_succ.what": "marcar como SUCC",
    "action.confirm_succ.title": "Confirmação SUCC",
    "action.confirm_succ.sent": "enviada",
    "action.confirm_succ.verb": "confirmar como SUCC",
    "action.confirm_abend.what": "marcar como ABEND",
    "action.confirm_abend.title": "Confirmação ABEND",
    "action.confirm_abend.sent": "enviada",
    "action.confirm_abend.verb": "confirmar como ABEND",
    "action.stream_hold.what": "colocar em HOLD o job stream",
    "action.stream_hold.title": "Hold do job stream",
    "action.stream_hold.sent": "enviado",
    "action.stream_hold.verb": "colocar o job stream em HOLD",
    "action.stream_release.what": "liberar (release) o job stream",
    "action.stream_release.title": "Release do job stream",
    "action.stream_release.sent": "enviado",
    "action.stream_release.verb": "liberar o job stream",
    "action.stream_cancel.what": "cancelar o job stream",
    "action.stream_cancel.title": "Cancelamento do job stream",
    "action.stream_cancel.sent": "enviado",
    "action.stream_cancel.verb": "cancelar o job stream",
    "action.link.what": "o link da workstation",
    "action.link.title": "Link da workstation",
    "action.link.sent": "enviado",
    "action.link.verb": "linkar a workstation",
    "action.unlink.what": "o unlink da workstation",
    "action.unlink.title": "Unlink da workstation",
    "action.unlink.sent": "enviado",
    "action.unlink.verb": "deslinkar a workstation",
    "action.reply_yes.what": "responder SIM ao prompt",
    "action.reply_yes.title": "Resposta SIM ao prompt",
    "action.reply_yes.sent": "enviada",
    "action.reply_yes.verb": "responder ao prompt",
    "action.reply_no.what": "responder NÃO ao prompt",
    "action.reply_no.title": "Resposta NÃO ao prompt",
    "action.reply_no.sent": "enviada",
    "action.reply_no.verb": "responder ao prompt",
    "ask.kill": "mata o {id}",
    "ask.confirm_succ": "confirma o {id} como SUCC",
    "ask.confirm_abend": "confirma o {id} como ABEND",
    "ask.stream_hold": "segura o stream {id}",
    "ask.stream_release": "libera o stream {id}",
    "ask.stream_cancel": "cancela o stream {id}",
    "ask.link": "linka a {id}",
    "ask.unlink": "deslinka a {id}",
    "ask.reply_yes": "responde sim ao prompt {id}",
    "ask.reply_no": "responde não ao prompt {id}",
    "blocked.kill.not_running": "{name} não está em execução (está {s}): só dá para matar (kill) um job rodando.",
    "blocked.confirm_succ.already": "{name} já está {s}.",
    "blocked.confirm_succ.cancelled": "{name} está cancelado ({s}): não há o que confirmar.",
    "blocked.confirm_succ.running": '{name} ainda está em execução ({s}): espere terminar ou peça "mata o {id}".',
    "blocked.confirm_abend.already": "{name} já está {s}.",
    "blocked.confirm_abend.cancelled": "{name} está cancelado ({s}): não há o que confirmar.",
    "blocked.confirm_abend.running": '{name} ainda está em execução ({s}): espere terminar ou peça "mata o {id}".',
    "blocked.stream_hold.already_held": "O job stream {name} já está em HOLD.",
    "blocked.stream_hold.finished": "O job stream {name} já terminou ({s}): não há o que segurar.",
    "blocked.stream_release.not_held": "O job stream {name} não está em HOLD (está {s}): não há o que liberar.",
    "blocked.stream_cancel.already_cancelled": "O job stream {name} já está cancelado.",
    "blocked.stream_cancel.finished": "O job stream {name} já terminou ({s}): não há o que cancelar.",
    "blocked.link.already_linked": "{name} já está linkada ({s}).",
    "blocked.unlink.already_unlinked": "{name} já está deslinkada ({s}).",
    "blocked.reply_yes.already_answered": "O prompt {name} já foi respondido ({s}).",
    "blocked.reply_no.already_answered": "O prompt {name} já foi respondido ({s}).",
    "confirm.question_plain": "Confirma {what} {label}? Responda sim ou não (expira em {minutes} min).",
    "confirm.reason": " Motivo: {reason}.",
    "reason.ask": "Para {what} {label}, qual o motivo? (fica registrado na auditoria)",
    "confirm.sent_plain": "{title} {label} {sent} ao TWS. Status agora: {status}.",
    "confirm.instance": ", stream {stream} ({at})",
    "confirm.instance_plain": ", stream {stream}",
    "confirm.stream_at": " ({at})",
    "confirm.follow_ws": ' Acompanhe com "status da {name}".',
    "confirm.refused_by_tws_plain": "O TWS recusou {what} {label}: {detail}.",
    "target.which_stream": 'Qual job stream? Diga o nome, por exemplo: "segura o stream BILLING". Job streams: {names}.',
    "target.which_workstation": 'Qual workstation? Diga o nome, por exemplo: "linka a TWS_AGENT2". Workstations: {names}.',
    "target.which_prompt": 'Qual prompt? Diga o número, por exemplo: "responde sim ao prompt 1". Prompts: {ids}.',
    "target.no_prompt": "Não há prompts no plano atual.",
    "refusal": "Não posso {verb}: {why}. Peça a um operador (papel operator) para fazer isso.",
    "refusal.read_only": "seu perfil é somente leitura (viewer)",
    "refusal.no_role": "seu usuário não tem o papel de operador",
    "refusal.other": "ação não permitida",
    "confirm.question": "Confirma {what} {label} em {workstation}{instance}? Responda sim ou não (expira em {minutes} min).",
    "confirm.rerun_offline": "Atenção: {workstation} está OFFLINE; o job fica em INTRO até a workstation linkar.",
    "confirm.nothing_pending": "Não há nenhuma ação pendente de confirmação, então nada foi feito. "
    'Peça a ação de novo, por exemplo: "reroda o JOB002".',
    "confirm.too_early": "Sua confirmação chegou antes da pergunta, então nada foi feito. ",
    "confirm.unclear": "Não entendi se confirma. ",
    "confirm.gone": "{label} não está mais no plano atual; nada foi feito.",
    "confirm.expired": "A confirmação para {what} {label} expirou; nada foi feito. Peça de novo se ainda quiser.",
    "confirm.sent": "{title} de {name} ({job_id}) em {workstation} {sent} ao TWS. Status agora: {status}.",
    "confirm.starts_when_linked": " {workstation} está OFFLINE: o job inicia quando ela linkar.",
    "confirm.follow": ' Acompanhe com "status do {id}".',
    "confirm.refused_by_tws": "O TWS recusou {what} {name} ({job_id}): {detail}.",
    "nothing_done": " Nada foi feito.",
    "already.head": "{title} de {label} já foi {sent} ao TWS, confirmado por {who} às {when}; não enviei de novo.",
    "already.accepted": "O TWS aceitou.",
    "already.rejected": "O TWS recusou: {detail}.",
    "already.failed": 'A chamada ao TWS falhou ({detail}): pode ter rodado ou não — confira com "status do {id}".',
    "already.unknown": 'O resultado não foi registrado (desconhecido): confira com "status do {id}" antes de pedir '
    "de novo.",
    "decline.dropped": "Ok, cancelei o pedido para {what} {label}. Nada foi feito.",
    "decline.nothing_pending": "Ok. Não havia nenhuma ação pendente.",
    "negated.job": "Ok, não vou {verb} {label}.",
    "negated.nothing": "Ok, não vou {verb} nada.",
    "negated.dropped": " Cancelei o pedido pendente.",
    "negated.dropped_other": " O pedido pendente para {what} {label} também foi descartado; peça de novo se "
    "ainda quiser.",
    # ----------------------------------------------------------------------------- audit trail
    "result.accepted": "aceito pelo TWS",
    "result.rejected": "recusado pelo TWS",
    "result.failed": "falhou",
    "result.requested": "enviado, resultado desconhecido",
    "result.refused": "negado (sem permissão)",
    "record.line": "{at} {who}: {action} em {workstation} — {result}",
    "recent_note": "Atenção: última ação registrada nele: {line}.",
    "history.unavailable": "O registro de ações não está disponível nesta instalação.",
    "history.none_of_action": "Nenhum registro de {title} em {label} hoje nem ontem.",
    "history.none": "Nenhuma ação registrada em {label} hoje nem ontem.",
    "label.stream": "job stream {name}",
    "label.workstation": "workstation {name}",
    "label.prompt": "prompt {name}",
    "history.head": "Ações registradas em {label} (hoje e ontem, mais recentes primeiro):",
    "history.more": "... mais {n}.",
    "advice.log_error": "Erro no log: {error}",
    "advice.rerun_failed": "Antes de rerodar, confirme que a causa foi corrigida (log, dependências, recursos).",
    "advice.rerun_succeeded": "Ele já terminou com sucesso: um rerun executa tudo de novo.",
    "advice.ask": 'A decisão é sua. Se quiser, peça explicitamente: "{ask}" (vou pedir confirmação).',
    # -- reads (streams, dependencies, prompts, schedule)
    "where.today": " hoje (plano desde {since})",
    "deps.head": lambda p: (
        f"{p['name']} ({p['job_id']}) — {p['status']} em {p['workstation']} — aguarda "
        f"{p['n']} {'dependência' if p['n'] == 1 else 'dependências'}:"
    ),
    "deps.none": "{name} ({job_id}) — {status}: não tem dependências no plano.",
    "deps.all_met": lambda p: (
        f"{p['name']} ({p['job_id']}) — {p['status']}: "
        + all_of(
            p,
            "a única dependência já está satisfeita.",
            "todas as {n} dependências já estão satisfeitas.",
            ".",
        )
    ),
    "deps.unknown": "O TWS não informou as dependências de {name} ({job_id}) (status {status}); "
    'confira no conman ("sj {job_id};deps").',
    "deps.met": "Já satisfeitas: {names}.",
    "deps.job": "predecessor {name} ({id}), stream {stream} — {status}",
    "deps.stream": "job stream predecessor {name} — {status}",
    "deps.prompt": 'prompt {id}: "{text}" — {status}, aguardando resposta',
    "deps.prompt_answered": 'prompt {id}: "{text}" — respondido {status}: o job não inicia por ele',
    "deps.resource": "recurso {name}: precisa de {quantity}, disponíveis {available}",
    "deps.time": "horário: AT {at} (daqui a {ahead})",
    "deps.file": "arquivo {name}",
    "deps.advice_failed": 'O predecessor {id} está {status}: veja "log do {id}" e, corrigida a causa, '
    'peça "reroda o {id}".',
    "deps.advice_prompt": 'Prompts pendentes: veja com "quais prompts estão esperando resposta?".',
    "succ.head": lambda p: (
        f"{p['n']} {'job depende' if p['n'] == 1 else 'jobs dependem'} de {p['name']} ({p['job_id']}):"
    ),
    "succ.none": "Nenhum job do plano depende de {name} ({job_id}).",
    "succ.unknown": "O TWS não informou os sucessores de {name} ({job_id}).",
    "succ.blocked": "Enquanto {id} estiver {status}, eles não começam.",
    "due.head": lambda p: (
        f"{p['n']} {'job previsto' if p['n'] == 1 else 'jobs previstos'} para as próximas {p['hours']} h "
        f"(até {p['until']}):"
    ),
    "due.none": "Nenhum job previsto para as próximas {hours} h (até {until}).",
    "due.at": "{at} ",
    "due.overdue": "Já passaram do horário e ainda aguardam: {ids} "
    '(pergunte "por que o {id} está esperando?").',
    "prompts.head": lambda p: f"{p['n']} prompt{'s' if p['n'] != 1 else ''} aguardando resposta:",
    "prompts.row": 'prompt {id}: "{text}" — {status}',
    "prompts.hint": 'Para responder: "{yes}" ou "{no}" (vou pedir confirmação).',
    "prompts.none_waiting": "Nenhum prompt aguardando resposta.",
    "prompts.answered": lambda p: f"Já {by_count(p, 'respondido', 'respondidos')}: {p['ids']}.",
    "prompts.answered_one": "Esse prompt já foi respondido ({status}): não há o que responder.",
    "prompts.not_found": "Não encontrei o prompt {id} no plano. Prompts: {ids}.",
    "prompts.unknown": 'O TWS não informou os prompts do plano; confira no conman ("sp").',
    "prompts.may_be_incomplete": "Atenção: o TWS devolveu uma página cheia, então a lista pode estar "
    'incompleta; confira no conman ("sp").',
    "refine.prompt": '"mostra o prompt N"',
    "list.may_be_incomplete": "Atenção: o TWS devolveu uma página cheia, então a lista pode estar incompleta; "
    'restrinja por workstation ou stream (ex.: "jobs na TWS_AGENT1", "jobs do stream BILLING").',
    # ---------------------------------------------------------------------- suggested answers
    "quick.yes": "sim",
    "quick.no": "não",
    "quick.log": "log do {id}",
    # ------------------------------------------------------------------ resources (conman "sr")
    "what.resources": "listar os recursos",
    "resources.head": lambda p: f"{p['n']} recurso{'s' if p['n'] != 1 else ''} no plano:",
    "resources.head_exhausted": lambda p: (
        f"{p['n']} recurso{'s' if p['n'] != 1 else ''} esgotado{'s' if p['n'] != 1 else ''} "
        "(nenhuma unidade livre):"
    ),
    "resources.row": "{name} ({workstation}): {available} de {quantity} livres; em uso por: {holders}",
    "resources.none": "O plano não tem recursos.",
    "resources.none_exhausted": "Nenhum recurso esgotado: os {n} recursos do plano têm unidades livres.",
    "resources.holders": lambda p: f"Em uso por {p['n']} job{'s' if p['n'] != 1 else ''}:",
    "resources.no_holder": "Nenhum job está usando esse recurso agora.",
    "resources.held": "{line}; segura {n}",
    "resources.holder": "{job} (stream {stream}); segura {n}",
    "resources.waiting": lambda p: (
        f"{p['n']} job{'s' if p['n'] != 1 else ''} ainda não "
        f"{'começaram' if p['n'] != 1 else 'começou'} e "
        f"precisa{'m' if p['n'] != 1 else ''} do {p['name']}:"
    ),
    "resources.none_waiting": "Nenhum job está esperando pelo {name}.",
    "resources.waiting_unknown": "O TWS não informou quais jobs esperam por esse recurso.",
    "resources.advice_exhausted": "Eles só começam quando unidades do {name} forem liberadas (quando os "
    "jobs que o seguram terminarem).",
    "resources.not_found": "Não encontrei o recurso {name} no plano. Recursos: {names}.",
    "resources.which": "De qual recurso? Recursos: {names}.",
    "resources.unknown": 'O TWS não informou os recursos do plano; confira no conman ("sr").',
    "resources.may_be_incomplete": "Atenção: o TWS devolveu uma página cheia, então a lista pode estar "
    "incompleta.",
    "refine.resource": '"como está o recurso NOME"',
    "ask.resource_waiting": "quem está esperando o recurso {name}?",
}
