"""Event models for the handlers: Powertools' WebSocket models, plus what they leave out.

Powertools' connect model has no query string; API Gateway sends ``queryStringParameters`` (null
when there is none), which carries ``agent`` and ``conversationId``.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models.apigw_websocket import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from pydantic import BaseModel, Field


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")


class MessageEvent(APIGatewayWebSocketMessageEventModel):
    body: str | None = Field(None, alias="body")  # we parse the body ourselves


DisconnectEvent = APIGatewayWebSocketDisconnectEventModel


class WelcomeEvent(BaseModel):
    """The payload ``$connect`` sends to the welcome function (Lambda async invoke)."""

    connection_id: str = Field(alias="connectionId", min_length=1, max_length=128)
    domain_name: str = Field(alias="domainName", min_length=1)
    stage: str = Field(alias="stage", min_length=1)
