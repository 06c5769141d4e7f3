"""Choosing the responder (``RESPONDER``: rules or bedrock) and its TWS source (``TWS_MODE``: demo
or rest) from configuration."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from twschat.assistant.tws import TwsClient
from twschat.config import Settings
from twschat.core.audit import AuditSink
from twschat.core.responder import Responder

if TYPE_CHECKING:
    from twschat.llm.memory import SummaryStore


def build_tws_client(settings: Settings) -> TwsClient:
    if settings.tws_mode == "demo":
        from twschat.assistant.demo import DemoTwsClient

        # TWS_DEMO_PLAN: small (default) or large (twschat serve --demo-plan large)
        return DemoTwsClient(plan=os.environ.get("TWS_DEMO_PLAN") or "small")
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
    settings: Settings, audit: AuditSink | None = None, history: SummaryStore | None = None
) -> Responder:
    from twschat.assistant.responder import RuleResponder

    tws = build_tws_client(settings)
    rules = RuleResponder(
        tws,
        audit=audit,
        tz=settings.time_zone,
        require_justification=settings.require_justification,
    )
    if settings.responder != "bedrock":
        return rules
    # The LLM responder: boto3 honours AWS_ENDPOINT_URL_BEDROCK_RUNTIME (twschat serve
    # --bedrock-endpoint); the rule responder answers whenever the model cannot.
    from twschat.llm.bedrock import BedrockModelClient
    from twschat.llm.memory import ConversationMemory
    from twschat.llm.responder import BedrockResponder

    model = BedrockModelClient()
    # The running summary (long conversations at flat cost) needs the history store it lives in.
    memory = (
        ConversationMemory(
            history,
            model,
            model_id=settings.llm_summary_model_id or settings.bedrock_model_id,
            every_turns=settings.llm_summary_every_turns,
        )
        if history is not None and settings.llm_summary_every_turns > 0
        else None
    )
    return BedrockResponder(
        tws,
        model,
        memory=memory,
        model_id=settings.bedrock_model_id,
        audit=audit,
        fallback=rules,
        tz=settings.time_zone,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        guardrail_id=settings.bedrock_guardrail_id,
        guardrail_version=settings.bedrock_guardrail_version,
        history_turns=settings.llm_history_turns,
        max_tool_rounds=settings.llm_max_tool_rounds,
        time_budget_seconds=settings.llm_time_budget_seconds,
        require_justification=settings.require_justification,
    )
