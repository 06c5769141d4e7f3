"""$disconnect: remove the connection record. The conversation's history stays."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.events import DisconnectEvent
from twschat.observability import bind_log_keys, logger, metrics, parse_event, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, DisconnectEvent, "$disconnect")
    if parsed is None:
        return {"statusCode": 400}
    request = parsed.request_context
    start_event(connection_id=request.connection_id, route="$disconnect")
    logger.info("disconnect", extra={"status_code": request.disconnect_status_code})
    runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).disconnect(
        connection_id=request.connection_id
    )
    return {"statusCode": 200}
