"""Event models for the handlers: Powertools' WebSocket models, plus what they leave out.

Powertools' connect model has no query string; API Gateway sends ``queryStringParameters`` (null
when there is none), which carries ``agent`` and ``conversationId``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models.apigw_websocket import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketConnectEventRequestContext,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from pydantic import BaseModel, Field

from twschat.core.responder import Principal


class ConnectRequestContext(APIGatewayWebSocketConnectEventRequestContext):
    authorizer: dict[str, Any] | None = Field(None, alias="authorizer")
    """What our REQUEST authorizer put in its context: userId, username, roles (comma-separated)."""


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    request_context: ConnectRequestContext = Field(alias="requestContext")
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")

    def principal(self) -> Principal | None:
        """The authenticated user, or ``None`` when no authorizer ran (development mode)."""
        context = self.request_context.authorizer or {}
        user_id = str(context.get("userId") or "")
        if not user_id:
            return None
        roles = tuple(r for r in str(context.get("roles") or "").split(",") if r)
        return Principal(user_id=user_id, username=str(context.get("username") or user_id), roles=roles)


class MessageEvent(APIGatewayWebSocketMessageEventModel):
    body: str | None = Field(None, alias="body")  # we parse the body ourselves


DisconnectEvent = APIGatewayWebSocketDisconnectEventModel


class TurnEvent(BaseModel):
    """The payload ``$default`` sends to the turn worker (Lambda async invoke)."""

    connection_id: str = Field(alias="connectionId", min_length=1, max_length=128)
    message_id: str = Field(alias="messageId", min_length=1, max_length=128)
    request_time_ms: int = Field(alias="requestTimeMs", ge=0)
    domain_name: str = Field(alias="domainName", min_length=1)
    stage: str = Field(alias="stage", min_length=1)


class WelcomeEvent(BaseModel):
    """The payload ``$connect`` sends to the welcome function (Lambda async invoke)."""

    connection_id: str = Field(alias="connectionId", min_length=1, max_length=128)
    domain_name: str = Field(alias="domainName", min_length=1)
    stage: str = Field(alias="stage", min_length=1)
