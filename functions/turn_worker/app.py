"""Turn worker: invoked asynchronously by $default (Responder=bedrock); answers a stored turn, streamed,
with no API Gateway 29 s integration timeout over it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.events import TurnEvent
from twschat.observability import bind_log_keys, logger, metrics, parse_event, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, TurnEvent, "turn")
    if parsed is None:
        return {"statusCode": 400}
    start_event(connection_id=parsed.connection_id, route="turn")
    outcome = runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).run_turn(
        connection_id=parsed.connection_id,
        message_id=parsed.message_id,
        request_time_ms=parsed.request_time_ms,
        poster=runtime.poster(parsed.domain_name, parsed.stage),
    )
    return {"statusCode": 200, "body": outcome.status}
