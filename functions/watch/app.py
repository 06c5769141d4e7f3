"""Alert watcher (scheduled, issue 18): one cycle per run — read what is watched from the TWS, diff
against the last snapshot, push each new alert once to its subscribers' connections (and, with
TeamAlerts=abend, every new ABEND and downed workstation to every connected operator)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat import watching
from twschat.observability import logger, metrics, start_event, tracer


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    start_event(connection_id="-", route="watch")
    report = watching.run_once()
    figures = {k: v for k, v in asdict(report).items() if k != "alert_ids"}
    for name, key in (
        ("AlertsPosted", "posted"),
        ("AlertChanges", "changes"),
        ("AlertDuplicates", "duplicates"),
    ):
        metrics.add_metric(name=name, unit="Count", value=figures[key])
    logger.info("watch cycle", extra={"watch": figures})
    return {"statusCode": 200, **figures}
