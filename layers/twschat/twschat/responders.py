"""Choosing the responder (``RESPONDER``: rules or bedrock) and its TWS source (``TWS_MODE``: demo
or rest) from configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from twschat.assistant.tws import TwsClient
from twschat.config import Settings
from twschat.core.audit import AuditSink
from twschat.core.responder import Responder

if TYPE_CHECKING:
    from twschat.assistant.responder import RuleResponder
    from twschat.assistant.subscriptions import SubscriptionDesk
    from twschat.llm.memory import SummaryStore


def demo_state_path(settings: Settings, plan: str) -> Path | None:
    """Where the demo plan's state lives: beside the SQLite chat database (None on DynamoDB: a Lambda
    container keeps the demo plan in memory, as before)."""
    if settings.store_backend != "sqlite":
        return None
    return Path(settings.sqlite_path).with_name(f"demo-plan-{plan}.json")


def build_tws_client(settings: Settings) -> TwsClient:
    if settings.tws_mode == "demo":
        from twschat.assistant.demo import DemoTwsClient
        from twschat.assistant.demo_state import PersistentDemoTwsClient

        # TWS_DEMO_PLAN: small (default) or large (twschat serve --demo-plan large)
        plan = os.environ.get("TWS_DEMO_PLAN") or "small"
        # beside the SQLite chat database: the plan keeps what operators did, as the audit does
        path = demo_state_path(settings, plan)
        return DemoTwsClient(plan=plan) if path is None else PersistentDemoTwsClient(path, plan=plan)
    if settings.tws_mode == "rest":
        from twschat.adapters.tws_rest import build_rest_client

        if not settings.tws_base_url:
            raise ValueError("TWS_MODE=rest needs TWS_BASE_URL")
        # Credentials come from Secrets Manager in AWS; the plain variables exist for local use
        # (twschat serve --tws-url against twschat fake-tws) and are never logged.
        return build_rest_client(
            settings.tws_base_url,
            secret_arn=settings.tws_secret_arn,
            username=os.environ.get("TWS_USERNAME", ""),
            password=os.environ.get("TWS_PASSWORD", ""),
            api_key=os.environ.get("TWS_API_KEY", ""),
            ca_bundle=os.environ.get("TWS_CA_BUNDLE", ""),
            api_version=settings.tws_api_version,
        )
    raise ValueError(f"TWS_MODE must be demo or rest, got {settings.tws_mode!r}")


def build_responder(
    settings: Settings,
    audit: AuditSink | None = None,
    history: SummaryStore | None = None,
    alerts: SubscriptionDesk | None = None,
) -> Responder:
    """``alerts``: the alert store the subscription skills use (None: alerts are not offered)."""
    from twschat.assistant.responder import RuleResponder

    tws = build_tws_client(settings)
    rules = RuleResponder(
        tws,
        audit=audit,
        tz=settings.time_zone,
        require_justification=settings.require_justification,
        alerts=alerts,
        plan_start_of_day=settings.plan_start_of_day,
    )
    if settings.responder != "bedrock":
        return rules
    return _model_responder(settings, tws, rules, audit, history)


def _model_responder(
    settings: Settings,
    tws: TwsClient,
    rules: RuleResponder,
    audit: AuditSink | None,
    history: SummaryStore | None,
) -> Responder:
    """The LLM responder on Bedrock, the rules its fallback and its action path. boto3 honours
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME (twschat serve --bedrock-endpoint)."""
    from twschat.llm.bedrock import BedrockModelClient, Guardrail
    from twschat.llm.memory import ConversationMemory
    from twschat.llm.responder import BedrockResponder

    llm = settings.llm
    guardrail = Guardrail(llm.guardrail_id, llm.guardrail_version or "DRAFT") if llm.guardrail_id else None
    model = BedrockModelClient(guardrail=guardrail, prompt_cache=llm.prompt_cache)
    # The running summary (long conversations at flat cost) needs the history store it lives in.
    memory = (
        ConversationMemory(
            history,
            model,
            model_id=llm.summary_model_id or llm.model_id,
            every_turns=llm.summary_every_turns,
        )
        if history is not None and llm.summary_every_turns > 0
        else None
    )
    return BedrockResponder(
        tws,
        model,
        llm,
        audit=audit,
        fallback=rules,
        memory=memory,
        tz=settings.time_zone,
        require_justification=settings.require_justification,
    )
