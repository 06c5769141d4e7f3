"""A production-like demo plan, generated: hundreds of jobs over dozens of job streams.

What a real plan has and the small demo plan hides: the same job names in many streams (a job
definition reused, ``FTP_GET``, ``CLEANUP``...), two instances of one stream in a day (BILLING at 01:36
and 07:48 in Sao Paulo), rerun chains (an ABEND followed by its rerun), jobs on another workstation
than their stream's, resources and prompts, and an unlinked workstation. It keeps the case that made
identity matter: ``JOB002 / Data Processing`` in DATA_PIPELINE (ABEND) and in PAYROLL (SUCC) on the
same workstation. Times are minutes from "now", like the small plan; the rest is drawn from a seeded
generator, so the plan is the same on every run (``large_plan(seed)``).
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any, Literal

from .demo import PlanSpec

__all__ = ["LARGE_PLAN_SEED", "large_plan"]

LARGE_PLAN_SEED = 20240412

_Ws = tuple[str, Literal["ONLINE", "OFFLINE"], bool, bool, str, str]
_WORKSTATIONS: tuple[_Ws, ...] = (
    ("TWS_MASTER", "ONLINE", True, True, "MASTER", "0AAAAAAAAAAAAAW0"),
    ("TWS_AGENT1", "ONLINE", True, True, "FTA", "0AAAAAAAAAAAAAW1"),
    ("TWS_AGENT2", "OFFLINE", False, False, "FTA", "0AAAAAAAAAAAAAW2"),
    ("TWS_AGENT3", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAW3"),
    ("FTA_FIN1", "ONLINE", True, True, "FTA", "0AAAAAAAAAAAAAW4"),
    ("FTA_FIN2", "ONLINE", True, True, "FTA", "0AAAAAAAAAAAAAW5"),
    ("AGT_ETL1", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAW6"),
    ("AGT_ETL2", "OFFLINE", False, False, "AGENT", "0AAAAAAAAAAAAAW7"),
    ("AGT_DWH1", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAW8"),
    ("XA_SAPPRD", "ONLINE", True, True, "XA", "0AAAAAAAAAAAAAW9"),
    ("AGT_WEB1", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAWA"),
    ("AGT_BKP1", "ONLINE", True, True, "AGENT", "0AAAAAAAAAAAAAWB"),
)
_GENERATED_ON = tuple(w[0] for w in _WORKSTATIONS if w[0] not in ("TWS_MASTER", "TWS_AGENT2"))

# The hand-written part (the stories the conversation suite tells): name, workstation, id, start.
# NOW in the suite is 09:00 in Sao Paulo: -444 min is 01:36, -230 is 05:10, -72 is 07:48.
_FIXED_STREAMS: tuple[tuple[str, str, str, int], ...] = (
    ("DATA_PIPELINE", "TWS_AGENT2", "0AAAAAAAAAAAAAB2", -444),
    ("PAYROLL", "TWS_AGENT2", "0AAAAAAAAAAAAAB4", -230),
    ("BILLING", "TWS_AGENT1", "0AAAAAAAAAAAAAB5", -444),
    ("BILLING", "TWS_AGENT1", "0AAAAAAAAAAAAAB8", -72),
)
_FIXED_JOBS: tuple[tuple[str, str, str, str, int | None, int | None, int | None], ...] = (
    ("JOB002", "Data Processing", "0AAAAAAAAAAAAAB2", "ABEND", -440, 8, 12),
    ("JOB014", "Stock Reconciliation", "0AAAAAAAAAAAAAB2", "HOLD", None, None, None),
    ("JOB002", "Data Processing", "0AAAAAAAAAAAAAB4", "SUCC", -228, 11, 0),
    ("JOB004", "Payroll Calculation", "0AAAAAAAAAAAAAB4", "SUCC", -215, 20, 0),
    ("JOB005", "Invoice Export", "0AAAAAAAAAAAAAB5", "SUCC", -443, 35, 0),
    ("JOB007", "Customer Sync", "0AAAAAAAAAAAAAB5", "SUCC", -405, 9, 0),
    ("JOB005", "Invoice Export", "0AAAAAAAAAAAAAB8", "EXEC", -70, None, None),
    ("JOB007", "Customer Sync", "0AAAAAAAAAAAAAB8", "HOLD", None, None, None),
)
_FIXED_DEPENDENCIES: dict[str, tuple[tuple[Any, ...], ...]] = {
    "DATA_PIPELINE.JOB014": (("job", "JOB002"), ("prompt", "3"), ("resource", "ETL_DB_SLOTS", 2, 0)),
    "0AAAAAAAAAAAAAB8.JOB007": (("job", "JOB005"),),
    "0AAAAAAAAAAAAAB5.JOB007": (("job", "JOB005"),),
    "PAYROLL.JOB004": (("job", "JOB002"),),
}
_FIXED_LOGS: dict[str, tuple[tuple[int, str], ...]] = {
    "DATA_PIPELINE.JOB002": (
        (1, "INFO  Starting data processing batch (input=/data/in/sales_extract.csv)"),
        (36, "INFO  Loaded 1,284,331 rows into staging ETL.SALES_STG"),
        (454, "ERROR ORA-01653: unable to extend table ETL.SALES_FACT by 8192 in tablespace ETL_DATA"),
        (479, "INFO  Rollback complete. Exiting with code 12"),
    ),
    "PAYROLL.JOB002": ((1, "INFO  Payroll data processing started"), (640, "INFO  38,112 records processed")),
}

# The generated part: stream names (one instance each) and the steps their jobs are drawn from.
_STREAM_NAMES = (
    "FIN_GL_DAILY", "FIN_AP_DAILY", "FIN_AR_DAILY", "FIN_FX_RATES", "HR_EXPORT", "HR_TIMESHEET",
    "CRM_SYNC", "CRM_LEADS", "SAP_IDOC_IN", "SAP_IDOC_OUT", "SAP_MRP", "DWH_STAGE", "DWH_LOAD",
    "DWH_AGGR", "DWH_MARTS", "WEB_SITEMAP", "WEB_CACHE", "BKP_ORACLE", "BKP_FILES", "LOG_ROTATE",
    "SEC_AUDIT", "MKT_CAMPAIGN", "INV_STOCK", "INV_REPL", "LOGI_ROUTES", "LOGI_TRACKING",
    "CUST_NOTIFY", "EDI_PARTNER", "TAX_SPED", "REPORTS_DAILY",
)  # fmt: skip
_STEPS = (
    ("FTP_GET", "File Transfer In"),
    ("CHK_FILE", "Input File Check"),
    ("VALIDATE", "Input Validation"),
    ("LOAD_STG", "Staging Load"),
    ("TRANSFORM", "Data Transformation"),
    ("LOAD_DWH", "Warehouse Load"),
    ("AGGREGATE", "Aggregation"),
    ("RPT_GEN", "Report Generation"),
    ("EXPORT", "Data Export"),
    ("FTP_PUT", "File Transfer Out"),
    ("ARCHIVE", "Archive Inputs"),
    ("DB_STATS", "Gather DB Statistics"),
    ("CLEANUP", "Temp Cleanup"),
    ("NOTIFY", "Email Notifications"),
)
_ERRORS = (
    (12, "ERROR ORA-01653: unable to extend table in tablespace USERS"),
    (8, "ERROR file not found: /data/in/partner_*.csv"),
    (4, "ERROR ssh: connect to host sftp.partner.example port 22: Connection timed out"),
    (16, "ERROR ORA-01017: invalid username/password; logon denied"),
)
_PROMPTS: tuple[tuple[str, str, str], ...] = (
    ("1", "Fita TAPE01 montada para o backup mensal?", "ASKED"),
    ("2", "Arquivo do parceiro conferido?", "YES"),
    ("3", "Extrato de vendas do dia conferido para a reconciliação (JOB014)?", "ASKED"),
    ("4", "Janela de manutenção do SAP liberada?", "ASKED"),
    ("5", "Fechamento contábil autorizado pela controladoria?", "NOT ASKED"),
)
_RESOURCES = (("ETL_DB_SLOTS", 2, 0), ("SAP_RFC_CONN", 1, 3), ("TAPE_DRIVES", 1, 0))
"""What a generated job may need: name, units needed, units free (the free units are the plan's
resources' below; the seeded draws pick from this table, so its order and length are the plan's)."""
_FIXED_RESOURCES: tuple[tuple[str, str, int, tuple[tuple[str, int], ...]], ...] = (
    # the 07:48 BILLING instance's Invoice Export holds every ETL_DB_SLOTS unit: JOB014 waits
    ("ETL_DB_SLOTS", "AGT_ETL1", 4, (("0AAAAAAAAAAAAAB8.JOB005", 4),)),
    ("SAP_RFC_CONN", "XA_SAPPRD", 3, ()),
)
_USERS = {w[0]: ("batch" + w[0].split("_")[-1].lower()) for w in _WORKSTATIONS}


class _Generator:
    """Draws the generated streams from one seeded random source (the order of draws is the plan)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.streams: list[tuple[str, str, str, int]] = []
        self.jobs: list[tuple[str, str, str, str, int | None, int | None, int | None]] = []
        self.job_workstation: dict[str, str] = {}
        self.dependencies: dict[str, tuple[tuple[Any, ...], ...]] = {}
        self.at: dict[str, int] = {}
        self.logs: dict[str, tuple[tuple[int, str], ...]] = {}
        self.reruns: dict[str, tuple[str, int, int | None, int | None]] = {}

    def stream(self, index: int, name: str) -> None:
        rng = self.rng
        ws = rng.choice(_GENERATED_ON)
        sid = f"0AAAAAAAAAAAC{index:03d}"
        start = rng.randrange(-900, 480, 6)
        self.streams.append((name, ws, sid, start))
        picked = sorted(rng.sample(range(len(_STEPS)), rng.randint(8, 12)))
        clock: int | None = start
        previous = ""
        for step in picked:
            job_id, desc = _STEPS[step]
            key = f"{sid}.{job_id}"
            clock = self.job(key, job_id, desc, sid, clock)
            deps: list[tuple[Any, ...]] = [("job", previous)] if previous else []
            if rng.random() < 0.04:
                deps.append(("resource", *rng.choice(_RESOURCES)))
            if deps:
                self.dependencies[key] = tuple(deps)
            if not previous and start > 0:
                self.at[key] = start  # the first job waits for the stream's time
            if rng.random() < 0.06:
                self.job_workstation[key] = rng.choice(_GENERATED_ON)
            previous = job_id

    def job(self, key: str, job_id: str, desc: str, sid: str, clock: int | None) -> int | None:
        """One job of a stream that reached ``clock`` (None: an earlier job has not ended); returns
        when the next one may start."""
        rng = self.rng
        duration = rng.randint(2, 30)
        if clock is None or clock > 0:
            status = "HOLD" if clock is None else "SCHED"  # after a job not ended / before its time
            self.jobs.append((job_id, desc, sid, status, None, None, None))
            return None
        if clock + duration > 0:
            self.jobs.append((job_id, desc, sid, "EXEC", clock, None, None))
            return None
        if rng.random() < 0.07:
            rc, line = rng.choice(_ERRORS)
            self.jobs.append((job_id, desc, sid, "ABEND", clock, duration, rc))
            self.logs[key] = ((1, f"INFO  {desc} started"), (duration * 60 - 5, line))
            rerun_at = clock + duration + rng.randint(5, 40)
            if rng.random() < 0.5 or rerun_at >= 0:
                return None  # left in ABEND: what follows waits
            self.reruns[key] = ("SUCC", rerun_at, duration, 0)  # rerun by an operator, succeeded
            return rerun_at + duration + 1
        self.jobs.append((job_id, desc, sid, "SUCC", clock, duration, 0))
        return clock + duration + 1


@lru_cache(maxsize=4)
def large_plan(seed: int = LARGE_PLAN_SEED) -> PlanSpec:
    """The generated plan (the same for the same seed)."""
    gen = _Generator(seed)
    for index, name in enumerate(_STREAM_NAMES):
        gen.stream(index, name)
    # two waiting jobs also wait for a prompt (the first waiting job of two streams)
    waiting = [f"{sid}.{job_id}" for job_id, _d, sid, status, *_ in gen.jobs if status in ("HOLD", "SCHED")]
    for key, prompt in zip((waiting[0], waiting[len(waiting) // 2]), ("1", "4"), strict=True):
        gen.dependencies[key] = (*gen.dependencies.get(key, ()), ("prompt", prompt))
    # the one tape drive is held by the first generated job running now (none running: it is free)
    running = [f"{sid}.{job_id}" for job_id, _d, sid, status, *_ in gen.jobs if status == "EXEC"]
    tape = ("TAPE_DRIVES", "AGT_BKP1", 1, ((running[0], 1),) if running else ())
    return PlanSpec(
        workstations=_WORKSTATIONS,
        streams=(*_FIXED_STREAMS, *gen.streams),
        jobs=(*_FIXED_JOBS, *gen.jobs),
        job_workstation=gen.job_workstation,
        dependencies={**_FIXED_DEPENDENCIES, **gen.dependencies},
        at=gen.at,
        log_bodies={**_FIXED_LOGS, **gen.logs},
        prompts=_PROMPTS,
        resources=(*_FIXED_RESOURCES, tape),
        users=_USERS,
        reruns=gen.reruns,
    )
