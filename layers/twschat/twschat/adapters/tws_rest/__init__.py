"""The REST client for a TWS master domain manager (:mod:`.client`) and the API's shapes (:mod:`.dialect`)."""

from .client import (
    CredentialsProvider,
    RestTwsClient,
    RetryPolicy,
    Timeouts,
    TwsCredentials,
    build_rest_client,
    credentials_from_secret,
    is_loopback,
)
from .dialect import REST_TIME_FORMAT, TwsApiDialect, TwsApiDialectV2, dialect_for, parse_time

__all__ = [
    "REST_TIME_FORMAT",
    "CredentialsProvider",
    "RestTwsClient",
    "RetryPolicy",
    "Timeouts",
    "TwsApiDialect",
    "TwsApiDialectV2",
    "TwsCredentials",
    "build_rest_client",
    "credentials_from_secret",
    "dialect_for",
    "is_loopback",
    "parse_time",
]
