"""``build_rest_client``: the REST client from configuration (the composition root's entry point)."""

from __future__ import annotations

import logging

from .client import RestTwsClient
from .credentials import CredentialsProvider, TwsCredentials, credentials_from_secret
from .dialect import TwsApiDialect
from .dialect_v2 import dialect_for
from .transport import RetryPolicy, Timeouts

__all__ = ["build_rest_client"]

logger = logging.getLogger("twschat.adapters.tws_rest.client")

DEFAULT_TIMEOUTS = Timeouts()


def build_rest_client(
    base_url: str,
    *,
    secret_arn: str = "",
    username: str = "",
    password: str = "",
    api_key: str = "",
    ca_bundle: str = "",
    timeout: float | Timeouts = DEFAULT_TIMEOUTS,
    retry: RetryPolicy | None = None,
    page_size: int = 500,
    dialect: TwsApiDialect | None = None,
    api_version: str = "v1",
) -> RestTwsClient:
    """The client from configuration (``TWS_BASE_URL``, ``TWS_SECRET_ARN``, ``TWS_CA_BUNDLE``, and for
    local use ``TWS_USERNAME``/``TWS_PASSWORD``/``TWS_API_KEY``).

    Credentials: the secret when ``secret_arn`` is set (read lazily on the first call, so a missing
    secret becomes a ``TwsError`` the operator sees, not a failed cold start), else ``api_key``, else
    ``username``/``password``. ``api_version`` (``TWS_API_VERSION``): ``v1`` (default) or ``v2`` (10.1
    FP1+), unless ``dialect`` is given. ``timeout`` is a :class:`Timeouts` or a number of seconds for reads
    (connect: at most 3 s). Raises ``ValueError`` for a bad URL or an unreadable CA bundle.
    """
    if not base_url:
        raise ValueError("TWS_BASE_URL is required for the REST client")
    credentials: TwsCredentials | CredentialsProvider
    if secret_arn:

        def credentials(refresh: bool) -> TwsCredentials:
            return credentials_from_secret(secret_arn, refresh=refresh)

    elif api_key:
        credentials = TwsCredentials(api_key=api_key)
    elif username:
        credentials = TwsCredentials(username=username, password=password)
    else:
        logger.warning("TWS REST client without credentials: requests are sent anonymously")
        credentials = TwsCredentials()
    timeouts = timeout if isinstance(timeout, Timeouts) else Timeouts(connect=min(3.0, timeout), read=timeout)
    return RestTwsClient(
        base_url,
        credentials=credentials,
        ca_bundle=ca_bundle,
        timeouts=timeouts,
        retry=retry,
        page_size=page_size,
        dialect=dialect or dialect_for(api_version),
    )
