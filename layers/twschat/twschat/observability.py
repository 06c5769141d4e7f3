"""Powertools Logger, Metrics and Tracer shared by the handlers (one set per execution environment).

Keys are appended thread-safely: Lambda runs one event at a time, but the local gateway runs the
same handlers on worker threads.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="twschat")
metrics = Metrics(namespace="TwsChat", service="twschat")
tracer = Tracer(service="twschat")


def bind_log_keys(**keys: str) -> None:
    logger.thread_safe_append_keys(**keys)


def start_event(*, connection_id: str, route: str) -> None:
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(connection_id=connection_id, route=route)
