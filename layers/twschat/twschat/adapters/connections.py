"""Posting frames through the API Gateway Management API (the "connections API").

The endpoint is the API's own ``https://{domainName}/{stage}`` taken from the event (or
``CONNECTIONS_API_URL`` locally). ``GoneException`` is caught before the generic ``ClientError`` —
it subclasses it, and swallowing it in the generic branch is a classic bug of the public samples.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from twschat.core.frames import Frame, encode
from twschat.core.ports import PostOutcome

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

logger = logging.getLogger("twschat.connections")

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def connections_endpoint(domain_name: str, stage: str, override: str = "") -> str:
    if override:
        return override.rstrip("/")
    return f"https://{domain_name}/{stage}"


class ApiGatewayPoster:
    def __init__(
        self,
        endpoint_url: str,
        *,
        client: ApiGatewayManagementApiClient | None = None,
        boto3_session: boto3.session.Session | None = None,
        boto_config: Config | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        if client is None:
            # One client per endpoint per process: warm invocations skip client creation.
            with _clients_lock:
                client = _clients.get(endpoint_url)
                if client is None:
                    import boto3

                    from twschat.adapters.aws import client_config

                    session = boto3_session or boto3.session.Session()
                    config = boto_config or client_config()
                    client = session.client(
                        "apigatewaymanagementapi", endpoint_url=endpoint_url, config=config
                    )
                    _clients[endpoint_url] = client
        self.client = client

    def post(self, connection_id: str, frame: Frame) -> PostOutcome:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=encode(frame))
        except self.client.exceptions.GoneException:
            return PostOutcome.GONE
        except ClientError as exc:
            logger.error(
                "post_to_connection failed",
                extra={
                    "error_code": exc.response.get("Error", {}).get("Code", ""),
                    "http_status": exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                    "frame_type": frame.get("type"),
                },
            )
            return PostOutcome.FAILED
        except BotoCoreError as exc:
            logger.error(
                "post_to_connection failed",
                extra={"error": type(exc).__name__, "frame_type": frame.get("type")},
            )
            return PostOutcome.FAILED
        return PostOutcome.SENT

    def is_connected(self, connection_id: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.get_connection(ConnectionId=connection_id)
        except self.client.exceptions.GoneException:
            return False
        except (ClientError, BotoCoreError) as exc:
            logger.warning("get_connection failed", extra={"error": type(exc).__name__})
            return False
        return True

    def close(self, connection_id: str) -> PostOutcome:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_connection(ConnectionId=connection_id)
        except self.client.exceptions.GoneException:
            return PostOutcome.GONE
        except (ClientError, BotoCoreError) as exc:
            logger.warning("delete_connection failed", extra={"error": type(exc).__name__})
            return PostOutcome.FAILED
        return PostOutcome.SENT
