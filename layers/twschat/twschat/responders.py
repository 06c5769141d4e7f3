"""Choosing the responder and its TWS source from configuration (``TWS_MODE``: demo or rest)."""

from __future__ import annotations

import os

from twschat.assistant.tws import TwsClient
from twschat.config import Settings
from twschat.core.audit import AuditSink
from twschat.core.responder import Responder


def build_tws_client(settings: Settings) -> TwsClient:
    if settings.tws_mode == "demo":
        from twschat.assistant.demo import DemoTwsClient

        return DemoTwsClient()
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


def build_responder(settings: Settings, audit: AuditSink | None = None) -> Responder:
    from twschat.assistant.responder import RuleResponder

    return RuleResponder(
        build_tws_client(settings),
        audit=audit,
        tz=settings.time_zone,
        require_justification=settings.require_justification,
    )
