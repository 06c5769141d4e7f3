"""Welcome: invoked asynchronously by $connect; posts the welcome frame once the connection exists."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import runtime
from twschat.events import WelcomeEvent
from twschat.observability import bind_log_keys, logger, metrics, parse_event, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, WelcomeEvent, "welcome")
    if parsed is None:
        return {"statusCode": 400}
    start_event(connection_id=parsed.connection_id, route="welcome")
    sent = runtime.chat_service(metrics=metrics, bind_log_keys=bind_log_keys).send_welcome(
        connection_id=parsed.connection_id,
        poster=runtime.poster(parsed.domain_name, parsed.stage),
    )
    return {"statusCode": 200 if sent else 410}
