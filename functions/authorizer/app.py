"""$connect REQUEST authorizer: verifies the Cognito JWT, allows the connection with the user's identity.

The token comes from the ``Authorization`` header (``Bearer`` optional) or, for browsers, which cannot
set WebSocket headers, from the ``token`` query parameter. A valid token gets an Allow policy on this
``$connect`` methodArn and the context ``{"userId", "username", "roles"}`` (flat strings, roles
comma-separated, "" for none), which API Gateway hands to the ``$connect`` integration as
``requestContext.authorizer``. Anything else raises ``Exception("Unauthorized")``, which API Gateway
answers with 401 without calling ``$connect`` (a Deny policy would give 403; 401 is what the
WebSocket authorizer documentation shows for a missing or invalid identity).

Logs carry the refusal reason code (``twschat.auth.REASONS``), never the token. Environment:
``AUTH_JWKS_URL``, ``AUTH_ISSUER``, ``AUTH_CLIENT_ID``.

Deliberately light: Logger and Metrics only (no Tracer, no boto3), so a cold start stays short on
the path of every new connection. PyJWT comes from this function's requirements.txt.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import Logger, correlation_paths
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponseWebSocket,
    parse_api_gateway_arn,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from twschat.auth.tokens import InvalidToken, TokenVerifier, extract_token
from twschat.core.responder import Principal

logger = Logger(service="twschat")
metrics = Metrics(namespace="TwsChat", service="twschat")

UNAUTHORIZED = "Unauthorized"
"""The exact message API Gateway turns into a 401 response."""


@lru_cache(maxsize=4)
def _verifier(jwks_url: str, issuer: str, client_id: str) -> TokenVerifier:
    # One per configuration and execution environment: the JWKS cache lives as long as it does.
    return TokenVerifier(jwks_url, issuer, client_id)


def verifier() -> TokenVerifier | None:
    """The verifier for the current environment, or None when the function is not configured."""
    config = tuple(
        os.environ.get(name, "").strip() for name in ("AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_CLIENT_ID")
    )
    if not all(config):
        return None
    return _verifier(*config)


def authorizer_context(principal: Principal) -> dict[str, str]:
    """What the handlers read from ``requestContext.authorizer`` (API Gateway contexts are flat)."""
    return {"userId": principal.user_id, "username": principal.username, "roles": ",".join(principal.roles)}


def _refuse(reason: str, *, error: bool = False) -> Exception:
    metrics.add_metric(name="ConnectUnauthorized", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="reason", value=reason)  # in the EMF record, not a dimension
    (logger.error if error else logger.info)("connect refused", extra={"reason": reason})
    return Exception(UNAUTHORIZED)


if verifier() is None:  # pragma: no cover - only a misdeployed function gets here
    logger.error("authorizer not configured: AUTH_JWKS_URL, AUTH_ISSUER and AUTH_CLIENT_ID are required")


@metrics.log_metrics
# log_event=False explicitly: POWERTOOLS_LOGGER_LOG_EVENT must never put a token in the logs.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayAuthorizerRequestEvent(event)
    connection_id = str((event.get("requestContext") or {}).get("connectionId") or "")
    logger.append_keys(connection_id=connection_id, route="$connect/authorizer")
    method_arn = event.get("methodArn")
    if not isinstance(method_arn, str) or method_arn.count(":") < 5 or "/" not in method_arn:
        raise _refuse("bad_event", error=True)
    check = verifier()
    if check is None:
        raise _refuse("not_configured", error=True)
    token = extract_token(event.get("headers"), event.get("queryStringParameters"))
    try:
        principal = check.verify(token)
    except InvalidToken as exc:
        raise _refuse(exc.reason, error=exc.reason == "jwks_unavailable") from None

    arn = parse_api_gateway_arn(request.method_arn, is_websocket_authorizer=True)
    policy = APIGatewayAuthorizerResponseWebSocket(
        principal_id=principal.user_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context=authorizer_context(principal),
        partition=arn.partition,
    )
    policy.allow_route(arn.resource)  # exactly this API, stage and $connect
    metrics.add_metric(name="ConnectAuthorized", unit=MetricUnit.Count, value=1)
    logger.info("connect authorized", extra={"user_id": principal.user_id, "roles": list(principal.roles)})
    return policy.asdict()
