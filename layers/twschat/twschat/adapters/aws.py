"""The one retry and timeout budget of the boto3 clients the functions build (DynamoDB, connections API).

boto3's "standard" retry mode retries throttling, 5xx and connection errors with jittered
exponential backoff (at most 1 s, then 2 s, before attempts 2 and 3). A call that cannot succeed
gives up after at most 3 x (1 s connect + 2 s read) + 3 s backoff = 12 s: under the ``$default``
function's 29 s timeout with room for the turn's other calls, so the handler, not API Gateway,
tells the operator what happened (a ``storage_unavailable`` frame instead of "Internal server error").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.config import Config

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0


def client_config() -> Config:
    from botocore.config import Config

    return Config(
        # total_max_attempts counts the first call; botocore's max_attempts would count retries only.
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
