"""Powertools Logger, Metrics and Tracer shared by the handlers (one set per execution environment).

Keys are appended thread-safely: Lambda runs one event at a time, but the local gateway runs the
same handlers on worker threads.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

logger = Logger(service="twschat")
metrics = Metrics(namespace="TwsChat", service="twschat")
tracer = Tracer(service="twschat")


def bind_log_keys(**keys: str) -> None:
    logger.thread_safe_append_keys(**keys)


def start_event(*, connection_id: str, route: str) -> None:
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(connection_id=connection_id, route=route)


def parse_event(event: dict[str, Any], model: type[M], route: str) -> M | None:
    """The event as ``model``, or ``None`` (logged, without its content) when API Gateway sent another shape."""
    from aws_lambda_powertools.utilities.parser import parse
    from pydantic import ValidationError

    try:
        return parse(event=event, model=model)
    except ValidationError as exc:
        logger.warning("malformed event", extra={"route": route, "errors": exc.error_count()})
        return None
