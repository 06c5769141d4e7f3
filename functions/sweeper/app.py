"""Sweeper (scheduled): closes idle connections and those near API Gateway's 2-hour cap.

Each client first gets a ``closing`` frame saying why and which ``conversationId`` to reconnect
with; then the connection is closed through the management API (API Gateway runs $disconnect).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.observability import bind_log_keys, logger, metrics, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    start_event(connection_id="-", route="sweep")
    counts = runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).sweep(
        poster=runtime.sweeper_poster()
    )
    return {"statusCode": 200, **counts}
