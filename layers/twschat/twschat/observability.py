"""Powertools Logger, Metrics and Tracer shared by the handlers (one set per execution environment).

Keys are appended thread-safely: Lambda runs one event at a time, but the local gateway runs the
same handlers on worker threads.

Tracing: Powertools' ``Tracer()`` loads the X-Ray SDK (and patches boto3) even when it is disabled,
about 300 ms of every cold start. The template's ``Tracing`` parameter chooses: ``lambda`` (the
default) is Lambda's own active tracing (a segment per invocation, no SDK in the function);
``powertools`` adds the SDK's subsegments (handler, boto3 calls), paid at cold start; ``off``.
The handlers' ``@tracer.capture_lambda_handler`` then is Powertools' decorator, or the identity.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


class HandlerTracer(Protocol):
    def capture_lambda_handler(self, lambda_handler: F) -> F: ...


class _Untraced:
    """Stands in for Powertools' Tracer when the SDK's tracing is off: nothing to load, nothing to wrap."""

    def capture_lambda_handler(self, lambda_handler: F) -> F:
        return lambda_handler


def sdk_tracing_enabled(env: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Powertools' own switch: POWERTOOLS_TRACE_DISABLED (the template sets it from ``Tracing``)."""
    return env.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() not in ("1", "true")


def _tracer() -> HandlerTracer:
    if not sdk_tracing_enabled():
        return _Untraced()
    from aws_lambda_powertools import Tracer

    return Tracer(service="twschat")  # type: ignore[return-value]


logger = Logger(service="twschat")
metrics = Metrics(namespace="TwsChat", service="twschat")
tracer = _tracer()


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
