"""Choosing the responder and its TWS source from configuration."""

from __future__ import annotations

from twschat.config import Settings
from twschat.core.responder import Responder
from twschat.core.tws import TwsClient


def build_tws_client(settings: Settings) -> TwsClient:
    if settings.tws_mode == "demo":
        from twschat.core.demo_tws import DemoTwsClient

        return DemoTwsClient()
    raise ValueError(f"TWS_MODE {settings.tws_mode!r} is not supported (use demo)")


def build_responder(settings: Settings) -> Responder:
    from twschat.core.rules import RuleResponder

    return RuleResponder(build_tws_client(settings), tz=settings.time_zone)
