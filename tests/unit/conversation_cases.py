"""The conversation table: single utterances (pt and en) and multi-turn scenarios.

Every case names the intent the rule engine must recognize and text the reply must (and must not)
contain. The demo plan runs on a fixed clock (NOW = 2024-04-12 12:00 UTC = 09:00 in Sao Paulo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

NOW = datetime(2024, 4, 12, 12, 0, tzinfo=UTC)

JOB002 = "TWS_AGENT2;0AAAAAAAAAAAAAB2;JOB002"


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    expect: tuple[str, ...] = ()
    """Substrings the reply must contain."""
    absent: tuple[str, ...] = ()
    """Substrings the reply must not contain."""
    lang: str = "pt"


def c(text: str, intent: str, *expect: str, absent: tuple[str, ...] = (), lang: str = "pt") -> Case:
    return Case(text, intent, tuple(expect), absent, lang)


def e(text: str, intent: str, *expect: str, absent: tuple[str, ...] = ()) -> Case:
    return Case(text, intent, tuple(expect), absent, "en")


PT_CASES: list[Case] = [
    # failed jobs
    c(
        "qual job esta em abend?",
        "jobs_failed",
        "Data Processing (JOB002)",
        "TWS_AGENT2",
        "log",
        "dependências",
    ),
    c("qual job está em ABEND?", "jobs_failed", "1 job em ABEND", "JOB002"),
    c("Quais Jobs Estão Em ABEND???", "jobs_failed", "JOB002"),
    c("qaul job esta em abned", "jobs_failed", "JOB002"),
    c("algum job abendou?", "jobs_failed", "JOB002", "reroda o JOB002"),
    c("tem job com erro?", "jobs_failed", "JOB002", "Payroll Calculation (JOB004)", "FAIL"),
    c("quais jobs falharam?", "jobs_failed", "JOB004", "com falha"),
    c("jobs em abend na TWS_AGENT2", "jobs_failed", "na TWS_AGENT2", "JOB002"),
    c("jobs em abend na TWS_AGENT1", "jobs_failed", "Nenhum job em ABEND na TWS_AGENT1"),
    c("quais jobs estao em abend na tws agent2", "jobs_failed", "JOB002"),
    # running / waiting / ready / success / cancelled / late
    c(
        "me mostre os jobs rodando agora",
        "jobs_running",
        "Invoice Export (JOB005)",
        "Data Warehouse Load (JOB006)",
    ),
    c("quais jobs estão em execução?", "jobs_running", "2 jobs em execução"),
    c("jobs rodnado", "jobs_running", "JOB005"),
    c("JOBS RODANDO", "jobs_running", "desde"),
    c("o que está executando?", "jobs_running", "JOB006", absent=("JOB002",)),
    c(
        "jobs em hold",
        "jobs_waiting",
        "Customer Sync (JOB007)",
        "Stock Reconciliation (JOB014)",
        "libera o JOB007",
    ),
    c("quais jobs estão esperando?", "jobs_waiting", "JOB009", "JOB015"),
    c("jobs agendados", "jobs_waiting", "Month End Close (JOB009)", absent=("JOB007",)),
    c("quais jobs estão prontos?", "jobs_ready", "Log Rotation (JOB008)"),
    c("jobs concluídos com sucesso", "jobs_success", "Daily Backup (JOB001)", "Report Generation (JOB003)"),
    c("quais jobs terminaram", "jobs_success", "JOB012"),
    c("jobs cancelados", "jobs_cancelled", "Temp Cleanup (JOB010)"),
    c("jobs atrasados", "jobs_late", "Data Warehouse Load (JOB006)", "60 min"),
    c("tem algum job demorando muito?", "jobs_late", "JOB006", absent=("JOB005",)),
    # listings
    c("lista os jobs", "jobs_list", "15 jobs no plano"),
    c("sj", "jobs_list", "15 jobs"),
    c("sj TWS_AGENT2", "jobs_list", "na TWS_AGENT2", "JOB014", absent=("JOB001",)),
    c("jobs na agent1", "jobs_list", "na TWS_AGENT1", "JOB007"),
    # one job
    c("status do JOB002", "job_status", "Data Processing (JOB002) — ABEND em TWS_AGENT2", "rc 12", "04:58"),
    c("status do job002", "job_status", "JOB002", "log do JOB002"),
    c("como está o JOB006?", "job_status", "EXEC", "5h10min"),
    c("status do data processing", "job_status", "(JOB002)"),
    c("status do jbo002", "job_status", "Data Processing"),
    c("o JOB007 está em hold?", "job_status", "HOLD", "libera o JOB007"),
    c("status do job 5", "job_status", "Invoice Export (JOB005)"),
    c("status do JOB999", "job_status", "Não encontrei JOB999"),
    c("status do backup", "job_status", "Mais de um job", "JOB001", "JOB012"),
    # logs
    c("preciso ver o log do job JOB002", "job_log", "ORA-01653", "reroda o JOB002"),
    c("por que o JOB002 falhou?", "job_log", "Erro no log", "ORA-01653", "tablespace ETL_DATA está cheio"),
    c("log do payroll", "job_log", "AWSBHT061E", "not linked"),
    c("mostra o stdlist do JOB006", "job_log", "lock"),
    c("log do JOB009", "job_log", "ainda não rodou"),
    # job streams
    c("mostra os job streams", "job_streams", "7 job streams", "DATA_PIPELINE (TWS_AGENT2) — ABEND"),
    c("ss", "job_streams", "DAILY_BACKUP"),
    c(
        "quais job streams estão em abend?",
        "job_streams",
        "DATA_PIPELINE",
        "PAYROLL",
        absent=("DAILY_BACKUP",),
    ),
    # workstations
    c(
        "quais são as workstations disponíveis?",
        "workstations",
        "TWS_MASTER — ONLINE",
        "TWS_AGENT1 — ONLINE",
        "TWS_AGENT2 — OFFLINE",
    ),
    c("sc", "workstations", "3 de 4 ONLINE"),
    c("wrokstations", "workstations", "TWS_AGENT3"),
    c(
        "quais workstations estão offline?",
        "workstations_offline",
        "TWS_AGENT2",
        "link",
        absent=("TWS_AGENT1",),
    ),
    c("tem alguma máquina fora do ar?", "workstations_offline", "TWS_AGENT2 — OFFLINE"),
    c("quais agentes estão caídos", "workstations_offline", "TWS_AGENT2"),
    c("status da TWS_AGENT2", "workstation_status", "OFFLINE", "Jobs nela", "JOB002"),
    c("o agente 2 está fora do ar?", "workstation_status", "TWS_AGENT2 — OFFLINE"),
    c("a TWS_AGNET1 está online?", "workstation_status", "TWS_AGENT1 — ONLINE"),
    # summary
    c("como está o ambiente?", "plan_summary", "Resumo do plano", "15 jobs", "OFFLINE: TWS_AGENT2"),
    c("como esta a malha", "plan_summary", "Atenção", "JOB002"),
    c("visão geral", "plan_summary", "Workstations: 3 de 4 ONLINE"),
    # actions (confirmation asked, nothing executed)
    c(
        "reroda o JOB002",
        "action_rerun",
        # issue 16: the confirmation names the job stream instance
        "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2, stream DATA_PIPELINE (04:50)? Responda sim ou não",
    ),
    c("rr JOB002", "action_rerun", "Confirma o rerun", "expira em 5 min"),
    c("reorda o JOB002", "action_rerun", "Confirma o rerun de Data Processing"),
    c("roda de novo o data processing", "action_rerun", "(JOB002)"),
    c("coloca o JOB008 em hold", "action_hold", "Confirma colocar em HOLD Log Rotation (JOB008)"),
    c("segura o JOB015", "action_hold", "Audit Report (JOB015)"),
    c("libera o JOB007", "action_release", "Confirma liberar (release) Customer Sync (JOB007)"),
    c("cancela o JOB009", "action_cancel", "Confirma cancelar Month End Close (JOB009)"),
    c("reroda o JOB005", "action_rerun", "está em execução", absent=("Confirma",)),
    c("libera o JOB001", "action_release", "não está em HOLD", absent=("Confirma",)),
    # negations and questions about an action: answered, never a confirmation prompt
    c(
        "não reroda o JOB003",
        "action_negated",
        "Ok, não vou rerodar Report Generation (JOB003)",
        "Nada foi feito",
        absent=("Confirma",),
    ),
    c(
        "nunca cancele o JOB015",
        "action_negated",
        "não vou cancelar Audit Report (JOB015)",
        absent=("Confirma",),
    ),
    c(
        "quem reexecutou o JOB003?",
        "action_history",
        "Nenhum registro de Rerun em Report Generation (JOB003) hoje nem ontem",
        absent=("Confirma",),
    ),
    c("quem rodou o JOB003", "action_history", "Nenhuma ação registrada em Report Generation (JOB003)"),
    c(
        "devo rerodar o JOB003?",
        "action_advice",
        "SUCC em TWS_AGENT1",
        'peça explicitamente: "reroda o JOB003"',
        absent=("Confirma",),
    ),
    c("posso rerodar o JOB002?", "action_advice", "ORA-01653", absent=("Confirma",)),
    # a request and a yes pasted in one frame: at most the question, never the action
    c("reroda o JOB004\nsim", "action_rerun", "Confirma o rerun de Payroll Calculation (JOB004)"),
    # confirmations without anything pending
    c("sim", "confirm_yes", "Não há nenhuma ação pendente"),
    c("não", "confirm_no", "Não havia nenhuma ação pendente"),
    # small talk, help, unknown
    c("obrigado pela ajuda", "thanks", "Por nada"),
    c("valeu!", "thanks", "Por nada"),
    c("oi", "greeting", "Olá"),
    c("bom dia", "greeting", "Olá"),
    c("o que você sabe fazer?", "help", "jobs por estado", "reroda o JOB002"),
    c("ajuda", "help", "workstations"),
    c("o que é o TWS?", "help", "plano atual", "quais jobs estão em abend?"),
    c("tchau", "goodbye", "Até logo"),
    c("qual a previsão do tempo?", "unknown", "Não entendi", absent=("previsão",)),
    c("asdkjh qwe", "unknown", "Não entendi", absent=("asdkjh",)),
]

EN_CASES: list[Case] = [
    e(
        "which jobs are in abend?",
        "jobs_failed",
        "Data Processing (JOB002)",
        "on TWS_AGENT2",
        "check the log",
    ),
    e("what's failing?", "jobs_failed", "JOB004", "dependencies"),
    e("show me failed jobs", "jobs_failed", "JOB002"),
    e("show me the running jobs", "jobs_running", "JOB005", "running"),
    e("what is running right now", "jobs_running", "JOB006"),
    e("which jobs are on hold?", "jobs_waiting", "JOB007", "release JOB007"),
    e("which jobs are waiting?", "jobs_waiting", "JOB009"),
    e("which jobs are ready?", "jobs_ready", "JOB008"),
    e("which jobs succeeded?", "jobs_success", "JOB001", "completed successfully"),
    e("list the cancelled jobs", "jobs_cancelled", "JOB010"),
    e("which jobs are late?", "jobs_late", "JOB006", "more than 60 min"),
    e("any long running jobs?", "jobs_late", "JOB006"),
    e("list all jobs", "jobs_list", "15 jobs in the plan"),
    e("what is the status of JOB002?", "job_status", "ABEND on TWS_AGENT2"),
    e("how long has JOB006 been running?", "job_status", "5h10m"),
    e("what is the status of data processing?", "job_status", "(JOB002)"),
    e("why did JOB002 fail?", "job_log", "ORA-01653", "Error in the log", "tablespace ETL_DATA is full"),
    e("show the log of JOB002", "job_log", "Log of Data Processing"),
    e("show me the log of data procesing", "job_log", "ORA-01653"),
    e("show the job streams", "job_streams", "DATA_PIPELINE", "7 job streams"),
    e("list the workstations", "workstations", "TWS_AGENT2 — OFFLINE", "3 of 4 ONLINE"),
    e("which workstations are offline?", "workstations_offline", "TWS_AGENT2", absent=("TWS_AGENT1",)),
    e("list workstations that are down", "workstations_offline", "link"),
    e("is TWS_AGENT2 online?", "workstation_status", "TWS_AGENT2 — OFFLINE", "Jobs on it"),
    e("how is the environment?", "plan_summary", "Plan summary", "15 jobs"),
    e("give me an overview", "plan_summary", "Needs attention"),
    e(
        "please rerun JOB002",
        "action_rerun",
        "Confirm rerun Data Processing (JOB002) on TWS_AGENT2, stream DATA_PIPELINE (04:50)? Reply yes or no",
    ),
    e("put JOB008 on hold", "action_hold", "Confirm putting on HOLD Log Rotation (JOB008)"),
    e("please release JOB007", "action_release", "Confirm releasing Customer Sync (JOB007)"),
    e("cancel JOB009 please", "action_cancel", "Confirm cancelling Month End Close (JOB009)"),
    e(
        "don't rerun JOB003",
        "action_negated",
        "OK, I will not rerun Report Generation (JOB003)",
        "Nothing was done",
        absent=("Confirm",),
    ),
    e(
        "never cancel JOB015",
        "action_negated",
        "I will not cancel Audit Report (JOB015)",
        absent=("Confirm",),
    ),
    e(
        "who reran JOB003?",
        "action_history",
        "No rerun of Report Generation (JOB003) recorded today or yesterday",
        absent=("Confirm",),
    ),
    e(
        "should I rerun JOB003?",
        "action_advice",
        "SUCC on TWS_AGENT1",
        'ask explicitly: "rerun JOB003"',
        absent=("Confirm",),
    ),
    e("can I rerun JOB002?", "action_advice", "ORA-01653", absent=("Confirm",)),
    e("please rerun JOB004\nyes", "action_rerun", "Confirm rerun Payroll Calculation (JOB004)"),
    e("yes", "confirm_yes", "There is no action waiting"),
    e("nope", "confirm_no", "There was no pending action"),
    e("thanks!", "thanks", "You're welcome"),
    e("hello", "greeting", "Hello"),
    e("good morning", "greeting", "TWS assistant"),
    e("what can you do?", "help", "jobs by state"),
    e("tell me about tws", "help", "current plan"),
    e("what is the weather like?", "unknown", "I did not understand", absent=("weather",)),
    e("bye", "goodbye", "Bye"),
]


# ------------------------------------------------------------------------------------------ scenarios
@dataclass(frozen=True)
class Step:
    text: str
    intent: str
    expect: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    advance_seconds: int = 0
    """Move the injected clock forward before this turn."""


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    roles: tuple[str, ...] = ("operator",)
    audits: tuple[tuple[str, str, str], ...] = ()
    """Expected audit records, in order: (action, job plan id suffix, result)."""
    final_status: dict[str, str] = field(default_factory=dict)
    """Job id (JOB00X) -> status in the demo plan after the scenario."""
    final_in_stream: dict[str, str] = field(default_factory=dict)
    """``STREAM.JOB`` -> status after the scenario (a job name in several streams: the instance)."""


def s(text: str, intent: str, *expect: str, absent: tuple[str, ...] = (), advance: int = 0) -> Step:
    return Step(text, intent, tuple(expect), absent, advance)


SCENARIOS: list[Scenario] = [
    Scenario(
        "abend, log, rerun, confirm",
        (
            s("qual job esta em abend?", "jobs_failed", "Data Processing (JOB002)"),
            s("e o log dele?", "job_log", "ORA-01653", "Data Processing (JOB002)"),
            s(
                "reroda esse",
                "action_rerun",
                "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2, stream DATA_PIPELINE (04:50)?",
            ),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)", "INTRO"),
            s("status do JOB002", "job_status", "INTRO em TWS_AGENT2"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "status, log, rerun, declined",
        (
            s("status do JOB002", "job_status", "ABEND"),
            s("e o log dele?", "job_log", "ORA-01653"),
            s("reroda esse", "action_rerun", "Confirma o rerun"),
            s("não", "confirm_no", "cancelei o pedido", "Nada foi feito"),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "confirmation expires",
        (
            s("reroda o JOB002", "action_rerun", "expira em 5 min"),
            s("sim", "confirm_yes", "expirou", "nada foi feito", advance=301),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "confirmation just in time",
        (
            s("reroda o JOB002", "action_rerun", "Confirma"),
            s("sim", "confirm_yes", "Rerun de Data Processing", advance=299),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "yes with nothing pending",
        (
            s("status do JOB001", "job_status", "SUCC"),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente", absent=("Rerun",)),
        ),
        final_status={"JOB001": "SUCC"},
    ),
    Scenario(
        "viewer is refused",
        (
            s("reroda o JOB002", "action_rerun", "somente leitura", "viewer", absent=("Confirma",)),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente"),
        ),
        roles=("viewer",),
        audits=(("rerun", "JOB002", "refused"),),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "a pending action does not survive another question",
        (
            s("reroda o JOB002", "action_rerun", "Confirma"),
            s("status do JOB001", "job_status", "Daily Backup"),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "workstation follow-up on a listing",
        (
            s("quais jobs estão em hold?", "jobs_waiting", "JOB007", "JOB014"),
            s(
                "e na TWS_AGENT1?",
                "jobs_waiting",
                "na TWS_AGENT1",
                "Customer Sync (JOB007)",
                absent=("JOB014",),
            ),
            s("e na TWS_AGENT2?", "jobs_waiting", "Stock Reconciliation (JOB014)", absent=("JOB007",)),
        ),
    ),
    Scenario(
        "workstations then one of them",
        (
            s("quais são as workstations disponíveis?", "workstations", "TWS_AGENT2 — OFFLINE"),
            s("e a TWS_AGENT2?", "workstation_status", "unlinked", "Jobs nela"),
        ),
    ),
    Scenario(
        "which of them are in abend",
        (
            s("como está o ambiente?", "plan_summary", "Atenção"),
            s(
                "quais deles estão em abend?",
                "jobs_failed",
                "entre os anteriores",
                "JOB002",
                absent=("JOB006",),
            ),
        ),
    ),
    Scenario(
        "english: abend then the other one",
        (
            s("which jobs are in abend?", "jobs_failed", "Data Processing (JOB002)", "Also failed"),
            s("and the other one?", "job_status", "Payroll Calculation (JOB004) — FAIL on TWS_AGENT2"),
            s("why did it fail?", "job_log", "AWSBHT061E"),
        ),
    ),
    Scenario(
        "english: rerun confirmed",
        (
            s(
                "please rerun JOB002",
                "action_rerun",
                "Confirm rerun Data Processing (JOB002) on TWS_AGENT2, stream DATA_PIPELINE (04:50)?",
            ),
            s("yes", "confirm_yes", "Rerun of Data Processing (JOB002) on TWS_AGENT2 sent to TWS"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "english: no cancels",
        (
            s("cancel JOB009 please", "action_cancel", "Confirm cancelling Month End Close (JOB009)"),
            s("no", "confirm_no", "Nothing was done"),
        ),
        final_status={"JOB009": "SCHED"},
    ),
    Scenario(
        "hold then release",
        (
            s("coloca o JOB008 em hold", "action_hold", "Confirma colocar em HOLD Log Rotation (JOB008)"),
            s("sim", "confirm_yes", "Status agora: HOLD"),
            s("libera ele", "action_release", "Confirma liberar (release) Log Rotation (JOB008)"),
            s("s", "confirm_yes", "Status agora: READY"),
        ),
        audits=(("hold", "JOB008", "accepted"), ("release", "JOB008", "accepted")),
        final_status={"JOB008": "READY"},
    ),
    Scenario(
        "a negation drops the pending action",
        (
            s("reroda o JOB002", "action_rerun", "Confirma o rerun"),
            s("não reroda o JOB002", "action_negated", "Cancelei o pedido pendente", absent=("Confirma",)),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "english: a negation drops the pending action",
        (
            s("please rerun JOB002", "action_rerun", "Confirm rerun"),
            s("don't rerun JOB002", "action_negated", "I dropped the pending request", absent=("Confirm",)),
            s("yes", "confirm_yes", "There is no action waiting"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "neither yes nor no asks again",
        (
            s("reroda o JOB002", "action_rerun", "Confirma o rerun"),
            s("talvez", "confirm_unclear", "Não entendi se confirma", "Confirma o rerun de Data Processing"),
            s("hmm", "confirm_unclear", "Confirma o rerun de Data Processing"),
            s("sei lá", "confirm_unclear", "Confirma o rerun de Data Processing"),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "english: maybe asks again",
        (
            s("please rerun JOB002", "action_rerun", "Confirm rerun"),
            s("maybe", "confirm_unclear", "I need a yes or a no", "Confirm rerun Data Processing"),
            s("yes", "confirm_yes", "Rerun of Data Processing (JOB002) on TWS_AGENT2 sent to TWS"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "yes to a portuguese question is answered in portuguese",
        (
            s("reroda o JOB002", "action_rerun", "Confirma o rerun"),
            s("yes", "confirm_yes", "Rerun de Data Processing (JOB002) em TWS_AGENT2 enviado ao TWS"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "who reran it: the audit answers",
        (
            s("quem reexecutou o JOB002?", "action_history", "Nenhum registro de Rerun"),
            s("reroda o JOB002", "action_rerun", "Confirma o rerun"),
            s("sim", "confirm_yes", "enviado ao TWS"),
            s(
                "quem reexecutou o JOB002?",
                "action_history",
                "09:00 maria: Rerun em TWS_AGENT2 — aceito pelo TWS",
            ),
            s("who reran JOB002?", "action_history", "09:00 maria: Rerun on TWS_AGENT2 — accepted by TWS"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_status={"JOB002": "INTRO"},
    ),
    Scenario(
        "should I rerun: facts, no question, so a yes confirms nothing",
        (
            s(
                "devo rerodar o JOB002?",
                "action_advice",
                "ORA-01653",
                '"reroda o JOB002"',
                absent=("Confirma",),
            ),
            s("sim", "confirm_yes", "Não há nenhuma ação pendente"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "english: should I rerun, then yes",
        (
            s("should I rerun JOB002?", "action_advice", "ORA-01653", '"rerun JOB002"', absent=("Confirm",)),
            s("yes", "confirm_yes", "There is no action waiting"),
        ),
        final_status={"JOB002": "ABEND"},
    ),
    Scenario(
        "ambiguous name then the first one",
        (
            s("log do backup", "job_log", "Mais de um job", "JOB001", "JOB012"),
            s("o primeiro", "job_log", "Log de Daily Backup (JOB001)"),
            s("e o outro?", "job_log", "Log de Database Backup (JOB012)"),
        ),
    ),
]


# ------------------------------------------------------ reads (streams, dependencies, prompts, schedule)
PT_CASES += [
    c(
        "mostra os jobs do stream BILLING",
        "jobs_list",
        "2 jobs no stream BILLING",
        "Invoice Export (JOB005)",
        "Customer Sync (JOB007)",
        absent=("DAILY_BACKUP", "job streams"),
    ),
    c("jobs do job stream payroll", "jobs_list", "JOB004", absent=("JOB001",)),
    c(
        "quantos jobs rodaram com sucesso hoje?",
        "jobs_success",
        "4 jobs concluídos com sucesso hoje",
        absent=("JOB012",),
    ),
]
EN_CASES += [
    e("jobs of stream BILLING", "jobs_list", "JOB005", "JOB007", absent=("DAILY_BACKUP",)),
    e("how many jobs succeeded today?", "jobs_success", "4 jobs", "today", absent=("JOB012",)),
]


# ---------------------------------- actions (kill, confirm, streams, workstations, prompts, justification)
PT_CASES += [
    # "kill no JOB006" used to answer the job's status
    c(
        "kill no JOB006",
        "action_kill",
        "Confirma o kill de Data Warehouse Load (JOB006) em TWS_AGENT3",
        absent=("desde",),
    ),
    c("mata o JOB006", "action_kill", "Confirma o kill de Data Warehouse Load (JOB006)", "sim ou não"),
    c("kill JOB005", "action_kill", "Confirma o kill de Invoice Export (JOB005)"),
    c("mata o JOB002", "action_kill", "não está em execução", absent=("Confirma",)),
    c("não mata o JOB006", "action_negated", "não vou matar (kill)", "Nada foi feito"),
    c(
        "confirma o JOB002 como SUCC",
        "action_confirm_succ",
        "Confirma marcar como SUCC Data Processing (JOB002)",
    ),
    c("confirma o JOB002 como ABEND", "action_confirm_abend", "já está ABEND", absent=("Confirma",)),
    c(
        "segura o stream BILLING",
        "action_stream_hold",
        "Confirma colocar em HOLD o job stream BILLING em TWS_AGENT1",
    ),
    c("hs REPORTS", "action_stream_hold", "o job stream REPORTS"),
    c("libera o stream BILLING", "action_stream_release", "não está em HOLD", absent=("Confirma",)),
    c("cancela o stream DWH_LOAD", "action_stream_cancel", "Confirma cancelar o job stream DWH_LOAD"),
    c("cs BILLING", "action_stream_cancel", "job stream BILLING"),
    # "linka a TWS_AGENT2" used to repeat the workstation's status line
    c(
        "linka a TWS_AGENT2",
        "action_link",
        "Confirma o link da workstation TWS_AGENT2?",
        absent=("unlinked",),
    ),
    c("linka a TWS_AGENT1", "action_link", "TWS_AGENT1 já está linkada", absent=("Confirma",)),
    c("deslinka a TWS_AGENT1", "action_unlink", "Confirma o unlink da workstation TWS_AGENT1?"),
    c("responde sim ao prompt 1", "action_reply_yes", 'Confirma responder SIM ao prompt 1 ("Fita TAPE01'),
    c("responde não ao prompt 2", "action_reply_no", "O prompt 2", "já foi respondido (YES)"),
    c(
        "reroda o JOB002 porque o banco voltou",
        "action_rerun",
        "Confirma o rerun de Data Processing (JOB002)",
        "Motivo: o banco voltou",
    ),
]
EN_CASES += [
    e(
        "please kill JOB006",
        "action_kill",
        "Confirm killing Data Warehouse Load (JOB006) on TWS_AGENT3, stream DWH_LOAD (03:20)?",
    ),
    e("confirm JOB002 succ", "action_confirm_succ", "Confirm marking as SUCC Data Processing (JOB002)"),
    e("hold the stream BILLING", "action_stream_hold", "Confirm putting on HOLD the job stream BILLING"),
    e("please release stream BILLING", "action_stream_release", "Job stream BILLING is not on HOLD"),
    e(
        "please cancel the stream DWH_LOAD",
        "action_stream_cancel",
        "Confirm cancelling the job stream DWH_LOAD",
    ),
    e("please link TWS_AGENT2", "action_link", "Confirm linking the workstation TWS_AGENT2?"),
    e("please unlink TWS_AGENT1", "action_unlink", "Confirm unlinking the workstation TWS_AGENT1?"),
    e("reply yes to prompt 1", "action_reply_yes", "Confirm replying YES to prompt 1"),
    e("reply no to prompt 1", "action_reply_no", "Confirm replying NO to prompt 1"),
    e(
        "rerun JOB002 because the DB is back",
        "action_rerun",
        "Confirm rerun Data Processing (JOB002)",
        "Reason: the DB is back",
    ),
]
SCENARIOS += [
    Scenario(
        "kill a running job, then its log",
        (
            s("mata o JOB006", "action_kill", "Confirma o kill de Data Warehouse Load (JOB006)"),
            s("sim", "confirm_yes", "Kill de Data Warehouse Load (JOB006) em TWS_AGENT3 enviado", "ABEND"),
            s("log do JOB006", "job_log", "killed"),
        ),
        audits=(("kill", "JOB006", "accepted"),),
        final_status={"JOB006": "ABEND"},
    ),
    Scenario(
        "mata esse",
        (
            s("status do JOB005", "job_status", "EXEC"),
            s("mata esse", "action_kill", "Invoice Export (JOB005)"),
            s("sim", "confirm_yes", "Kill de Invoice Export (JOB005)"),
        ),
        audits=(("kill", "JOB005", "accepted"),),
        final_status={"JOB005": "ABEND"},
    ),
    Scenario(
        "english: kill it",
        (
            s("status of JOB006", "job_status", "EXEC"),
            s("kill it", "action_kill", "Confirm killing Data Warehouse Load (JOB006)"),
            s("yes", "confirm_yes", "Kill of Data Warehouse Load (JOB006)", "ABEND"),
        ),
        audits=(("kill", "JOB006", "accepted"),),
        final_status={"JOB006": "ABEND"},
    ),
    Scenario(
        "confirm SUCC",
        (
            s("confirma o JOB002 como SUCC", "action_confirm_succ", "marcar como SUCC"),
            s("sim", "confirm_yes", "Confirmação SUCC de Data Processing (JOB002)", "SUCC"),
        ),
        audits=(("confirm_succ", "JOB002", "accepted"),),
        final_status={"JOB002": "SUCC"},
    ),
    Scenario(
        "job stream hold then release",
        (
            s("segura o stream BILLING", "action_stream_hold", "job stream BILLING"),
            s("sim", "confirm_yes", "Hold do job stream BILLING enviado ao TWS. Status agora: HOLD."),
            s("libera o stream BILLING", "action_stream_release", "liberar (release) o job stream BILLING"),
            s("sim", "confirm_yes", "Release do job stream BILLING enviado ao TWS"),
        ),
        audits=(("stream_hold", "BILLING", "accepted"), ("stream_release", "BILLING", "accepted")),
    ),
    Scenario(
        "english: cancel a job stream",
        (
            s("please cancel the stream REPORTS", "action_stream_cancel", "job stream REPORTS"),
            s("yes", "confirm_yes", "Cancel of job stream REPORTS sent to TWS"),
        ),
        audits=(("stream_cancel", "REPORTS", "accepted"),),
        final_status={"JOB015": "CANCELED", "JOB003": "SUCC"},
    ),
    Scenario(
        "link a workstation",
        (
            s("linka a TWS_AGENT2", "action_link", "Confirma o link da workstation TWS_AGENT2?"),
            s("sim", "confirm_yes", "Link da workstation TWS_AGENT2 enviado ao TWS. Status agora: ONLINE."),
            s("status da TWS_AGENT2", "workstation_status", "ONLINE"),
        ),
        audits=(("link", "TWS_AGENT2", "accepted"),),
    ),
    Scenario(
        "english: unlink, declined",
        (
            s("please unlink TWS_AGENT1", "action_unlink", "Confirm unlinking the workstation TWS_AGENT1?"),
            s("no", "confirm_no", "Nothing was done"),
        ),
    ),
    Scenario(
        "viewer may not kill",
        (s("mata o JOB006", "action_kill", "somente leitura", absent=("Confirma",)),),
        roles=("viewer",),
        audits=(("kill", "JOB006", "refused"),),
        final_status={"JOB006": "EXEC"},
    ),
    Scenario(
        "rerun with a reason",
        (
            s("reroda o JOB002 porque o banco voltou", "action_rerun", "Motivo: o banco voltou"),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
    ),
]
PT_CASES += [
    c(
        "por que o JOB014 está esperando?",
        "job_dependencies",
        "aguarda 3 dependências",
        "Data Processing (JOB002), stream DATA_PIPELINE — ABEND",
        "prompt 3",
        "recurso ETL_DB_SLOTS: precisa de 2, disponíveis 0",
    ),
    c("o JOB014 depende de quem?", "job_dependencies", "JOB002", "ETL_DB_SLOTS"),
    c("o que depende do JOB002?", "job_successors", "1 job depende de Data Processing (JOB002)", "JOB014"),
    c(
        "quais jobs vão rodar nas próximas 2 horas?",
        "due_jobs",
        "1 job previsto para as próximas 2 h",
        "10:30 Month End Close (JOB009)",
        absent=("JOB015", "JOB001"),
    ),
]
EN_CASES += [
    e("why is JOB014 waiting?", "job_dependencies", "waits for 3 dependencies", "ETL_DB_SLOTS: needs 2"),
    e("what depends on JOB002?", "job_successors", "1 job depends on Data Processing (JOB002)", "JOB014"),
    e("jobs due in the next 3 hours", "due_jobs", "2 jobs due in the next 3 h", "JOB009", "JOB015"),
]


# ------------------------------------------------------------ reads (prompts waiting for an answer)
PROMPT_1 = 'prompt 1: "Fita TAPE01 montada para o Month End Close (JOB009)?" — ASKED'
PROMPT_3 = 'prompt 3: "Extrato de vendas do dia conferido para a reconciliação (JOB014)?" — ASKED'
PT_CASES += [
    c(
        "quais prompts estão esperando resposta?",
        "prompts",
        "2 prompts aguardando resposta:",
        PROMPT_1,
        PROMPT_3,
        '"responde sim ao prompt 1"',
        absent=("Arquivo do parceiro", "JOB007"),
    ),
    c("sp", "prompts", "2 prompts aguardando resposta", PROMPT_3),
    c("tem algum prompt pendente?", "prompts", "2 prompts aguardando resposta"),
    c(
        "mostra o prompt 2",
        "prompts",
        'prompt 2: "Arquivo do parceiro conferido?" — YES',
        "já foi respondido",
    ),
    c("prompt 7", "prompts", "Não encontrei o prompt 7", "Prompts: 1, 2, 3"),
]
EN_CASES += [
    e(
        "show pending prompts",
        "prompts",
        "2 prompts waiting for an answer:",
        PROMPT_1,
        '"reply yes to prompt 1"',
    ),
    e("which prompts are waiting for a reply?", "prompts", "2 prompts waiting", PROMPT_3),
]
SCENARIOS += [
    Scenario(
        "prompts: list, reply yes, the job no longer waits for it",
        (
            s("quais prompts estão esperando resposta?", "prompts", "2 prompts aguardando resposta"),
            s("responde sim ao prompt 3", "action_reply_yes", "Confirma responder SIM ao prompt 3"),
            s("sim", "confirm_yes", "Resposta SIM ao prompt 3", "YES"),
            s("sp", "prompts", "1 prompt aguardando resposta", PROMPT_1, absent=(PROMPT_3,)),
            s(
                "por que o JOB014 está esperando?",
                "job_dependencies",
                "aguarda 2 dependências",
                "Já satisfeitas: 3",
            ),
        ),
        audits=(
            ("reply_yes", "Extrato de vendas do dia conferido para a reconciliação (JOB014)?", "accepted"),
        ),
    ),
    Scenario(
        "english: prompts, reply no",
        (
            s("show pending prompts", "prompts", "2 prompts waiting for an answer"),
            s("reply no to prompt 1", "action_reply_no", "Confirm replying NO to prompt 1"),
            s("yes", "confirm_yes", "NO"),
            s("show pending prompts", "prompts", "1 prompt waiting for an answer", PROMPT_3),
        ),
        audits=(("reply_no", "Fita TAPE01 montada para o Month End Close (JOB009)?", "accepted"),),
    ),
]

# ------------------------------------------------------------- reads (resources, conman "sr")
ETL_ROW = "ETL_DB_SLOTS (TWS_MASTER): 0 de 4 livres; em uso por: JOB006"
PT_CASES += [
    c("quais recursos estão esgotados?", "resources", "1 recurso esgotado", ETL_ROW, absent=("ERP_API",)),
    c("sr", "resources", "2 recursos no plano:", ETL_ROW, "ERP_API_SLOTS (TWS_AGENT1): 1 de 2 livres"),
    c(
        "como está o recurso ETL_DB_SLOTS?",
        "resources",
        ETL_ROW,
        "Data Warehouse Load (JOB006)",
        "; segura 4",
        "1 job ainda não começou e precisa do ETL_DB_SLOTS:",
        "Stock Reconciliation (JOB014)",
    ),
    c("quem está esperando o recurso ETL_DB_SLOTS?", "resource_waiting", "Stock Reconciliation (JOB014)"),
]
EN_CASES += [
    e("show resources", "resources", "2 resources in the plan:", "0 of 4 free; in use by: JOB006"),
    e("which resources are exhausted?", "resources", "1 exhausted resource (no unit free):"),
    e(
        "who is waiting for resource ERP_API_SLOTS?",
        "resource_waiting",
        "No job is waiting for ERP_API_SLOTS.",
    ),
]
SCENARIOS += [
    Scenario(
        "resources: exhausted, who waits, the holder killed frees the units",
        (
            s("quais recursos estão esgotados?", "resources", ETL_ROW),
            s("e quem está esperando ele?", "resource_waiting", "Stock Reconciliation (JOB014)"),
            s("mata o JOB006", "action_kill", "Confirma o kill de Data Warehouse Load (JOB006)"),
            s("sim", "confirm_yes", "ABEND"),
            s("quais recursos estão esgotados?", "resources", "Nenhum recurso esgotado"),
        ),
        audits=(("kill", "JOB006", "accepted"),),
    ),
]

# ------------------------------- history, advice and negation for job streams and workstations
PT_CASES += [
    c(
        "devo segurar o stream BILLING?",
        "action_advice",
        "BILLING (TWS_AGENT1) — EXEC",
        '"segura o stream BILLING"',
        absent=("Confirma", "Qual deles"),
    ),
    c("não segura o stream BILLING", "action_negated", "não vou colocar o job stream em HOLD BILLING"),
    c(
        "não linka a TWS_AGENT2",
        "action_negated",
        "não vou linkar a workstation TWS_AGENT2",
        absent=("nada.",),
    ),
    c("quem segurou o stream BILLING?", "action_history", "job stream BILLING", absent=("JOB005",)),
]
EN_CASES += [
    e(
        "should I link TWS_AGENT2?",
        "action_advice",
        "TWS_AGENT2 — OFFLINE",
        '"link TWS_AGENT2"',
        absent=("Confirm",),
    ),
    e("who held stream BILLING?", "action_history", "job stream BILLING"),
    e("don't hold the stream BILLING", "action_negated", "BILLING", absent=("anything",)),
]
SCENARIOS += [
    Scenario(
        "who held the stream, who linked the workstation",
        (
            s("segura o stream BILLING", "action_stream_hold", "job stream BILLING"),
            s("sim", "confirm_yes", "Hold do job stream BILLING enviado"),
            s("quem segurou o stream BILLING?", "action_history", "maria: Hold do job stream em TWS_AGENT1"),
            s("linka a TWS_AGENT2", "action_link", "TWS_AGENT2"),
            s("sim", "confirm_yes", "Link da workstation TWS_AGENT2 enviado"),
            s("who linked TWS_AGENT2?", "action_history", "maria: Link of workstation on TWS_AGENT2"),
        ),
        audits=(("stream_hold", "BILLING", "accepted"), ("link", "TWS_AGENT2", "accepted")),
    ),
]


# ------------------------------------------------ the large plan (issue 16): names repeat, instances
def _large_counts() -> tuple[int, int, int]:
    """Jobs, ABEND jobs and job streams of the generated large plan, read from the plan itself."""
    from twschat.assistant.demo import DemoTwsClient

    tws = DemoTwsClient(clock=lambda: NOW, plan="large")
    jobs = tws.list_jobs()
    return len(jobs), sum(1 for j in jobs if j.status == "ABEND"), len(tws.list_job_streams())


LARGE_JOBS, LARGE_ABENDS, LARGE_STREAMS = _large_counts()
LIST_CAP = 20
"""The responder's default listing cap: a listing shows this many, then "e mais N"."""
JOB002_WHICH = "JOB002 existe em 2 streams: DATA_PIPELINE (ABEND, 01:36) e PAYROLL (SUCC, 05:10). Qual?"
BILLING_WHICH = "O job stream BILLING tem 2 instâncias: 01:36 (SUCC) e 07:48 (EXEC). Qual?"


# Issue 17 section 2: answers that agree with each other
_WAITING = ("aguardando resposta", "Prompts pendentes")
SCENARIOS += [
    Scenario(
        "a prompt answered NO is not waiting in the job's dependencies either",
        (
            s("responde não ao prompt 3", "action_reply_no", "prompt 3"),
            s("sim", "confirm_yes", "NO"),
            s("por que o JOB014 está esperando?", "job_dependencies", "prompt 3", "NO", absent=_WAITING),
            s("quais prompts estão aguardando?", "prompts", "3 (NO)", absent=("prompt 3:",)),
        ),
        audits=(
            ("reply_no", "Extrato de vendas do dia conferido para a reconciliação (JOB014)?", "accepted"),
        ),
    ),
]

LARGE_PT_CASES: list[Case] = [
    c(
        "quais jobs estão em abend?",
        "jobs_failed",
        f"{LARGE_ABENDS} jobs em ABEND",
        "Data Processing (JOB002) — ABEND em TWS_AGENT2, stream DATA_PIPELINE",
        absent=("PAYROLL",),
    ),
    c("lista os jobs", "jobs_list", f"{LARGE_JOBS} jobs no plano", f"... e mais {LARGE_JOBS - LIST_CAP} —"),
    c(
        "jobs do stream BILLING",
        "jobs_list",
        "Invoice Export (JOB005) — SUCC em TWS_AGENT1, stream BILLING (01:36)",
        "Invoice Export (JOB005) — EXEC em TWS_AGENT1, stream BILLING (07:48)",
    ),
    c("status do JOB002", "job_status", JOB002_WHICH, absent=("rc 12",)),
    c(
        "status do JOB002 do PAYROLL",
        "job_status",
        "Data Processing (JOB002) — SUCC em TWS_AGENT2, stream PAYROLL",
    ),
    c("reroda o JOB002", "action_rerun", JOB002_WHICH, absent=("Confirma",)),
    c(
        "reroda o JOB002 do DATA_PIPELINE",
        "action_rerun",
        "Confirma o rerun de Data Processing (JOB002) em TWS_AGENT2, stream DATA_PIPELINE (01:36)?",
    ),
    c(
        "log do JOB005",
        "job_log",
        "JOB005 existe em 2 streams: BILLING (SUCC, 01:36) e BILLING (EXEC, 07:48). Qual?",
    ),
    c("segura o stream BILLING", "action_stream_hold", BILLING_WHICH, absent=("Confirma",)),
    c(
        "segura o stream BILLING das 07:48",
        "action_stream_hold",
        "Confirma colocar em HOLD o job stream BILLING em TWS_AGENT1 (07:48)?",
    ),
    c("status do CHK_FILE", "job_status", "CHK_FILE existe em", "e mais", "Qual?"),
    c("como está o ambiente?", "plan_summary", f"{LARGE_JOBS} jobs", "OFFLINE: AGT_ETL2, TWS_AGENT2"),
    c("mostra os job streams", "job_streams", f"{LARGE_STREAMS} job streams", "e mais"),
    c("o que depende do JOB002 do DATA_PIPELINE?", "job_successors", "Stock Reconciliation (JOB014)"),
    # its predecessor is the JOB005 of its own BILLING instance (EXEC), not the 01:36 one (SUCC)
    c(
        "por que o JOB007 do BILLING das 07:48 está esperando?",
        "job_dependencies",
        "aguarda 1 dependência",
        "predecessor Invoice Export (JOB005), stream BILLING — EXEC",
    ),
]
LARGE_EN_CASES: list[Case] = [
    e(
        "which jobs are in abend?",
        "jobs_failed",
        "Data Processing (JOB002) — ABEND on TWS_AGENT2, stream DATA_PIPELINE",
        absent=("PAYROLL",),
    ),
    e(
        "list all jobs",
        "jobs_list",
        f"{LARGE_JOBS} jobs in the plan",
        f"... and {LARGE_JOBS - LIST_CAP} more",
    ),
    e(
        "what is the status of JOB002?",
        "job_status",
        "JOB002 exists in 2 streams: DATA_PIPELINE (ABEND, 01:36) and PAYROLL (SUCC, 05:10). Which one?",
    ),
    e(
        "hold the stream BILLING",
        "action_stream_hold",
        "Job stream BILLING has 2 instances: 01:36 (SUCC) and 07:48 (EXEC). Which one?",
    ),
    e(
        "please rerun JOB002 of DATA_PIPELINE",
        "action_rerun",
        "Confirm rerun Data Processing (JOB002) on TWS_AGENT2, stream DATA_PIPELINE (01:36)?",
    ),
]
LARGE_SCENARIOS: list[Scenario] = [
    Scenario(
        "large: the listed JOB002 is the one rerun, PAYROLL's is never touched",
        (
            s("quais jobs estão em abend?", "jobs_failed", "stream DATA_PIPELINE"),
            s("reroda o JOB002", "action_rerun", "stream DATA_PIPELINE (01:36)?"),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)", "INTRO"),
            s("status do JOB002", "job_status", "INTRO em TWS_AGENT2, stream DATA_PIPELINE"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_in_stream={"DATA_PIPELINE.JOB002": "INTRO", "PAYROLL.JOB002": "SUCC"},
    ),
    Scenario(
        "large: which JOB002? the stream answers",
        (
            s("reroda o JOB002", "action_rerun", JOB002_WHICH),
            s("o do PAYROLL", "action_rerun", "stream PAYROLL (05:10)?"),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_in_stream={"DATA_PIPELINE.JOB002": "ABEND", "PAYROLL.JOB002": "INTRO"},
    ),
    Scenario(
        "large: the audit of one instance is not another's",
        (
            s("reroda o JOB002 do PAYROLL", "action_rerun", "stream PAYROLL (05:10)?"),
            s("sim", "confirm_yes", "Rerun de Data Processing (JOB002)"),
            s("quem reexecutou o JOB002 do DATA_PIPELINE?", "action_history", "Nenhum registro de Rerun"),
            s("quem reexecutou o JOB002 do PAYROLL?", "action_history", "maria: Rerun em TWS_AGENT2"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
    ),
    Scenario(
        "large: which BILLING? the time answers",
        (
            s("segura o stream BILLING", "action_stream_hold", BILLING_WHICH),
            s("a das 07:48", "action_stream_hold", "o job stream BILLING em TWS_AGENT1 (07:48)?"),
            s("sim", "confirm_yes", "Hold do job stream BILLING (07:48) enviado ao TWS"),
        ),
        audits=(("stream_hold", "BILLING", "accepted"),),
    ),
    Scenario(
        "large: which one? an ordinal answers",
        (
            s("log do JOB005", "job_log", "JOB005 existe em 2 streams"),
            s(
                "o segundo",
                "job_log",
                "Log de Invoice Export (JOB005)",
                "0AAAAAAAAAAAAAB8",
                absent=("Qual?",),
            ),
        ),
    ),
    Scenario(
        "large english: the listed instance, confirmed",
        (
            s("which jobs are in abend?", "jobs_failed", "stream DATA_PIPELINE"),
            s("please rerun JOB002", "action_rerun", "on TWS_AGENT2, stream DATA_PIPELINE (01:36)?"),
            s("yes", "confirm_yes", "Rerun of Data Processing (JOB002)"),
        ),
        audits=(("rerun", "JOB002", "accepted"),),
        final_in_stream={"DATA_PIPELINE.JOB002": "INTRO", "PAYROLL.JOB002": "SUCC"},
    ),
]

# -- alerts (issue 18): the intents; what the skills keep in the alert store is asserted with a real
# store in tests/unit/test_alert_skills.py (this suite's responder has none: "not available")
PT_CASES += [
    c("me avisa quando o JOB014 terminar", "alert_subscribe"),
    c("me avisa se o JOB002 abendar de novo", "alert_subscribe"),
    c("avise qualquer ABEND no stream BILLING", "alert_subscribe"),
    c("avise quando a TWS_AGENT2 voltar", "alert_subscribe"),
    c("quais avisos eu tenho?", "alert_list"),
    c("para de me avisar do JOB014", "alert_cancel"),
    c("cancela todos os avisos", "alert_cancel_all", absent=("Confirma",)),
]
EN_CASES += [
    e("notify me when JOB014 finishes", "alert_subscribe"),
    e("what alerts do I have?", "alert_list"),
    e("stop notifying me about JOB014", "alert_cancel"),
    e("cancel all my alerts", "alert_cancel_all", absent=("Confirm",)),
]
