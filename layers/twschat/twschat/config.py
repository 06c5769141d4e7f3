"""Configuration from environment variables, with the defaults the README documents.

Read once per cold start (``Settings.from_env``); tests build ``Settings`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from twschat.llm.settings import DEFAULT_KEEP_MESSAGES, LlmSettings

StoreBackend = Literal["dynamodb", "sqlite"]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in a template parameter must fail loudly at cold start
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    connections_table: str = "twschat-connections"
    history_table: str = "twschat-history"
    audit_table: str = "twschat-audit"
    store_backend: StoreBackend = "dynamodb"
    sqlite_path: str = ".twschat/twschat.db"
    history_window: int = 20
    max_message_chars: int = 4000
    default_agent: str = "tws-general"
    agents: tuple[str, ...] = ("tws-general",)
    """The agents a client may choose at ``$connect`` (lowercase); the default agent is among them."""
    max_connections_per_user: int = 10
    """Open connections one user may hold; 0 for no cap."""
    default_language: str = "pt"
    connection_ttl_seconds: int = 3 * 3600
    history_retention_days: int = 0
    """0 keeps history forever; otherwise each message gets a TTL of that many days."""
    welcome_function_name: str = ""
    turn_worker_function_name: str = ""
    """TURN_WORKER_FUNCTION_NAME (``$default`` only): with RESPONDER=bedrock, the function that answers a
    turn past API Gateway's 29 s (:meth:`hands_turns_to_worker`)."""
    connections_api_url: str = ""
    """Overrides ``https://{domainName}/{stage}`` (the local gateway sets it)."""
    tws_mode: str = "demo"
    tws_base_url: str = ""
    tws_api_version: str = "v1"
    """TWS_API_VERSION: v1 (plan REST API, default) or v2 (10.1 FP1+)."""
    tws_secret_arn: str = ""
    time_zone: str = "America/Sao_Paulo"
    plan_start_of_day: str = "00:00"
    """``HH:MM`` in ``time_zone`` when the production plan's day starts (what "hoje"/"today" means),
    when the TWS does not say."""
    require_justification: bool = False
    """REQUIRE_JUSTIFICATION=true: no action runs without the operator's reason (asked for when missing)."""
    auth_mode: str = "none"
    """none (development: everyone is the anonymous operator), cognito, or local (twschat serve --auth local)."""
    rate_limit_per_minute: int = 30
    idle_timeout_seconds: int = 300
    """Our own inactivity timeout, below API Gateway's 10 minutes, enforced by the sweeper."""
    max_connection_seconds: int = 7200
    """API Gateway's connection cap; the sweeper warns and closes ``closing_margin_seconds`` before it."""
    closing_margin_seconds: int = 300
    responder: str = "rules"
    """RESPONDER: rules (default) or bedrock (the LLM responder; the rules stay its fallback)."""
    llm: LlmSettings = field(default_factory=LlmSettings)
    """The LLM responder's settings (RESPONDER=bedrock), one nested dataclass."""
    create_missing_tables: bool = False
    """Local development only (``twschat serve --dynamodb-endpoint``): recreate tables that vanished
    (DynamoDB Local restarted in memory). Never set in AWS, where the stack owns the tables."""

    # The LLM settings' earlier flat names, read-only.
    @property
    def bedrock_model_id(self) -> str:
        return self.llm.model_id

    @property
    def llm_max_tokens(self) -> int:
        return self.llm.max_tokens

    @property
    def llm_temperature(self) -> float:
        return self.llm.temperature

    @property
    def bedrock_guardrail_id(self) -> str:
        return self.llm.guardrail_id

    @property
    def bedrock_guardrail_version(self) -> str:
        return self.llm.guardrail_version

    @property
    def llm_history_turns(self) -> int:
        return self.llm.history_turns

    @property
    def llm_summary_model_id(self) -> str:
        return self.llm.summary_model_id

    @property
    def llm_summary_every_turns(self) -> int:
        return self.llm.summary_every_turns

    @property
    def llm_max_tool_rounds(self) -> int:
        return self.llm.max_tool_rounds

    @property
    def llm_time_budget_seconds(self) -> int:
        return int(self.llm.time_budget_seconds)

    @property
    def hands_turns_to_worker(self) -> bool:
        """``$default`` stores the turn and the worker answers it: a model's reply can take longer
        than API Gateway's 29 s; the rules answer in the route."""
        return self.responder == "bedrock" and bool(self.turn_worker_function_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend, window, max_chars, auth_mode, responder = _checked(env)
        d = cls()
        agents = tuple(
            dict.fromkeys(a.strip().lower() for a in env.get("AGENTS", "").split(",") if a.strip())
        ) or (env.get("DEFAULT_AGENT", "").strip().lower() or d.default_agent,)
        default_agent = env.get("DEFAULT_AGENT", "").strip().lower() or agents[0]
        if default_agent not in agents:
            agents = (default_agent, *agents)
        settings = cls(
            connections_table=env.get("CONNECTIONS_TABLE", d.connections_table),
            history_table=env.get("HISTORY_TABLE", d.history_table),
            audit_table=env.get("AUDIT_TABLE", d.audit_table),
            store_backend=backend,
            sqlite_path=env.get("SQLITE_PATH", d.sqlite_path),
            history_window=window,
            max_message_chars=max_chars,
            default_agent=default_agent,
            agents=agents,
            max_connections_per_user=_int(env, "MAX_CONNECTIONS_PER_USER", d.max_connections_per_user),
            default_language=env.get("DEFAULT_LANGUAGE", d.default_language) or d.default_language,
            connection_ttl_seconds=_int(env, "CONNECTION_TTL_SECONDS", 3 * 3600),
            history_retention_days=_int(env, "HISTORY_RETENTION_DAYS", 0),
            welcome_function_name=env.get("WELCOME_FUNCTION_NAME", ""),
            turn_worker_function_name=env.get("TURN_WORKER_FUNCTION_NAME", "").strip(),
            connections_api_url=env.get("CONNECTIONS_API_URL", ""),
            tws_mode=env.get("TWS_MODE", "demo") or "demo",
            tws_base_url=env.get("TWS_BASE_URL", ""),
            tws_api_version=env.get("TWS_API_VERSION", "v1") or "v1",
            tws_secret_arn=env.get("TWS_SECRET_ARN", ""),
            time_zone=env.get("TIME_ZONE", d.time_zone) or d.time_zone,
            plan_start_of_day=_plan_start(env),
            require_justification=env.get("REQUIRE_JUSTIFICATION", "").strip().lower()
            in ("true", "1", "yes"),
            auth_mode=auth_mode,
            rate_limit_per_minute=_int(env, "RATE_LIMIT_PER_MINUTE", 30),
            idle_timeout_seconds=_int(env, "IDLE_TIMEOUT_SECONDS", 300),
            max_connection_seconds=_int(env, "MAX_CONNECTION_SECONDS", 7200),
            closing_margin_seconds=_int(env, "CLOSING_MARGIN_SECONDS", 300),
            responder=responder,
            llm=_llm_settings(env),
            create_missing_tables=env.get("CREATE_MISSING_TABLES", "").strip().lower() in ("1", "true"),
        )
        if settings.responder == "bedrock" and settings.llm.summary_every_turns > 0:
            # The running summary folds what leaves the window; a smaller window would drop messages
            # before any summary holds them.
            needed = DEFAULT_KEEP_MESSAGES + 2 * settings.llm.summary_every_turns
            if settings.history_window < needed:
                raise ValueError(
                    f"HISTORY_WINDOW must be at least {needed} with RESPONDER=bedrock and "
                    f"LLM_SUMMARY_EVERY_TURNS={settings.llm.summary_every_turns}"
                )
        return settings


def _llm_settings(env: Mapping[str, str]) -> LlmSettings:
    raw_temperature = env.get("LLM_TEMPERATURE", "").strip()
    try:
        temperature = float(raw_temperature) if raw_temperature else 0.2
    except ValueError as exc:
        raise ValueError(f"LLM_TEMPERATURE must be a number, got {raw_temperature!r}") from exc
    if not 0 <= temperature <= 1:
        raise ValueError("LLM_TEMPERATURE must be between 0 and 1")
    max_tokens = _int(env, "LLM_MAX_TOKENS", 1024)
    if not 1 <= max_tokens <= 8192:
        raise ValueError("LLM_MAX_TOKENS must be between 1 and 8192")
    d = LlmSettings()
    return LlmSettings(
        model_id=env.get("BEDROCK_MODEL_ID", "").strip() or d.model_id,
        max_tokens=max_tokens,
        temperature=temperature,
        guardrail_id=env.get("BEDROCK_GUARDRAIL_ID", "").strip(),
        guardrail_version=env.get("BEDROCK_GUARDRAIL_VERSION", "").strip(),
        history_turns=_int(env, "LLM_HISTORY_TURNS", d.history_turns),
        summary_model_id=env.get("LLM_SUMMARY_MODEL_ID", "").strip(),
        summary_every_turns=_int(env, "LLM_SUMMARY_EVERY_TURNS", d.summary_every_turns),
        max_tool_rounds=_int(env, "LLM_MAX_TOOL_ROUNDS", d.max_tool_rounds),
        time_budget_seconds=_int(env, "LLM_TIME_BUDGET_SECONDS", int(d.time_budget_seconds)),
    )


def _checked(env: Mapping[str, str]) -> tuple[StoreBackend, int, int, str, str]:
    """The settings that refuse a bad value at cold start: backend, window, size, auth, responder."""
    backend = env.get("STORE_BACKEND", "dynamodb").strip().lower() or "dynamodb"
    if backend not in ("dynamodb", "sqlite"):
        raise ValueError(f"STORE_BACKEND must be dynamodb or sqlite, got {backend!r}")
    window = _int(env, "HISTORY_WINDOW", 20)
    max_chars = _int(env, "MAX_MESSAGE_CHARS", 4000)
    if not 1 <= window <= 200:
        raise ValueError("HISTORY_WINDOW must be between 1 and 200")
    if not 1 <= max_chars <= 30000:
        raise ValueError("MAX_MESSAGE_CHARS must be between 1 and 30000")
    auth_mode = env.get("AUTH_MODE", "none").strip().lower() or "none"
    if auth_mode not in ("none", "cognito", "local"):
        raise ValueError(f"AUTH_MODE must be none, cognito or local, got {auth_mode!r}")
    responder = env.get("RESPONDER", "rules").strip().lower() or "rules"
    if responder not in ("rules", "bedrock"):
        raise ValueError(f"RESPONDER must be rules or bedrock, got {responder!r}")
    return cast(StoreBackend, backend), window, max_chars, auth_mode, responder


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Alerts over the open connection (issue 18): where subscriptions live and what the watcher does.
    Apart from :class:`Settings` so a function that never alerts reads none of it."""

    alerts_table: str = "twschat-alerts"
    team_alerts: Literal["off", "abend"] = "off"
    """TEAM_ALERTS=abend: every new ABEND/FAIL and every workstation that goes down reaches every
    connected operator."""
    max_subscriptions_per_user: int = 20
    watch_interval_seconds: int = 60
    subscription_ttl_seconds: int = 0
    """0: a subscription lasts until the end of the plan day (midnight in TIME_ZONE); else this long."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertSettings:
        env = os.environ if env is None else env
        team = env.get("TEAM_ALERTS", "off").strip().lower() or "off"
        if team not in ("off", "abend"):
            raise ValueError(f"TEAM_ALERTS must be off or abend, got {team!r}")
        d = cls()
        interval = _int(env, "WATCH_INTERVAL_SECONDS", d.watch_interval_seconds)
        if interval < 1:
            raise ValueError("WATCH_INTERVAL_SECONDS must be at least 1")
        return cls(
            alerts_table=env.get("ALERTS_TABLE", d.alerts_table) or d.alerts_table,
            team_alerts=team,  # type: ignore[arg-type]
            max_subscriptions_per_user=_int(env, "MAX_SUBSCRIPTIONS_PER_USER", d.max_subscriptions_per_user),
            watch_interval_seconds=interval,
            subscription_ttl_seconds=_int(env, "SUBSCRIPTION_TTL_SECONDS", 0),
        )


def _plan_start(env: Mapping[str, str]) -> str:
    """PLAN_START_OF_DAY as ``HH:MM`` (default 00:00); ValueError for anything else."""
    value = env.get("PLAN_START_OF_DAY", "").strip() or "00:00"
    hours, _, minutes = value.partition(":")
    if not (
        hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60
    ):
        raise ValueError(f"PLAN_START_OF_DAY must be HH:MM (00:00-23:59), got {value!r}")
    return f"{int(hours):02d}:{minutes}"
