"""The REST client for a TWS master domain manager (:mod:`.client`, its HTTP transport
:mod:`.transport`), the API's shapes (:mod:`.dialect` v1, :mod:`.dialect_v2` v2, :mod:`.dependencies`)
and the plan rendered in those shapes for the fake server and the tests (:mod:`.render`)."""

from .client import RestTwsClient
from .credentials import CredentialsProvider, TwsCredentials, credentials_from_secret
from .dialect import TwsApiDialect
from .dialect_v2 import TwsApiDialectV2, dialect_for
from .factory import build_rest_client
from .shapes import REST_TIME_FORMAT, parse_time
from .transport import RetryPolicy, Timeouts, is_loopback

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
