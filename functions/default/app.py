"""$default: one chat turn (store the message, answer from the window or hand the turn to the worker,
store and post the reply), or a client request (history, conversations, ping)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.events import MessageEvent
from twschat.observability import bind_log_keys, logger, metrics, parse_event, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, MessageEvent, "$default")
    if parsed is None:
        return {"statusCode": 400}
    request = parsed.request_context
    start_event(connection_id=request.connection_id, route="$default")
    # The runtime wires the worker hand-over (Responder=bedrock) into the service.
    outcome = runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).handle_message(
        connection_id=request.connection_id,
        message_id=request.message_id,
        request_time_ms=int(request.request_time_epoch.timestamp() * 1000),
        body=parsed.body,
        is_base64=parsed.is_base64_encoded,
        poster=runtime.poster(request.domain_name, request.stage),
    )
    # API Gateway ignores a $default integration's response unless a route response is set up;
    # the status still tells the access log and `twschat invoke` what happened.
    return {"statusCode": 200, "body": outcome.status}
