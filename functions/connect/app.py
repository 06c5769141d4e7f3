"""$connect: validate the query string, store the connection, start the welcome. Returns 200 or 400."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.events import ConnectEvent
from twschat.observability import bind_log_keys, logger, metrics, parse_event, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, ConnectEvent, "$connect")
    if parsed is None:
        return {"statusCode": 400, "body": "malformed connect request"}
    request = parsed.request_context
    start_event(connection_id=request.connection_id, route="$connect")
    principal = parsed.principal()
    if principal is None and runtime.settings().auth_mode != "none":
        # The authorizer guards $connect; reaching here without its context is a wiring error.
        logger.error("no authorizer context while AUTH_MODE requires one")
        return {"statusCode": 401, "body": "unauthorized"}
    outcome = runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).connect(
        connection_id=request.connection_id,
        query=parsed.query_string_parameters,
        domain_name=request.domain_name,
        stage=request.stage,
        principal=principal,
        welcome=runtime.welcome_trigger(),
    )
    if outcome.status_code != 200:
        logger.info("connect refused", extra={"reason": outcome.reason})
        return {"statusCode": outcome.status_code, "body": outcome.reason}
    return {"statusCode": 200}
