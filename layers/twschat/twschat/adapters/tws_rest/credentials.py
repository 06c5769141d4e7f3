"""Credentials for the TWS REST client: basic or bearer, static or read from Secrets Manager.

Neither credentials nor the ``Authorization`` header are ever logged or put in a ``repr``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from twschat.assistant.tws import TwsError

__all__ = ["CredentialsProvider", "TwsCredentials", "credentials_from_secret"]


@dataclass(frozen=True, slots=True, repr=False)
class TwsCredentials:
    """Basic (``username``/``password``) or bearer (``api_key``) credentials; empty = anonymous."""

    username: str = ""
    password: str = ""
    api_key: str = ""

    @property
    def scheme(self) -> Literal["bearer", "basic", "none"]:
        if self.api_key:
            return "bearer"
        if self.username:
            return "basic"
        return "none"

    def authorization(self) -> str | None:
        """The ``Authorization`` header value (never log it)."""
        if self.api_key:
            return f"Bearer {self.api_key}"
        if self.username:
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode("ascii")
        return None

    def __repr__(self) -> str:
        return f"TwsCredentials(scheme={self.scheme!r})"


CredentialsProvider = Callable[[bool], TwsCredentials]
"""``provider(refresh) -> credentials``; ``refresh=True`` asks to bypass any cache (after a 401)."""


def credentials_from_secret(secret_arn: str, *, refresh: bool = False) -> TwsCredentials:
    """Read ``{"username": ..., "password": ...}`` or ``{"apiKey": ...}`` from Secrets Manager.

    Through Powertools Parameters (cached 300 s per execution environment). Failures become
    ``TwsError("unauthorized")`` without the secret's content.
    """
    from aws_lambda_powertools.utilities import parameters  # lazy: keeps cold imports small

    try:
        value = parameters.get_secret(secret_arn, transform="json", max_age=300, force_fetch=refresh)
    except Exception as exc:  # GetParameterError, TransformParameterError, botocore errors
        raise TwsError(
            "unauthorized", f"cannot read the TWS credentials secret ({type(exc).__name__})"
        ) from None
    if isinstance(value, Mapping):
        api_key = value.get("apiKey")
        if isinstance(api_key, str) and api_key:
            return TwsCredentials(api_key=api_key)
        username, password = value.get("username"), value.get("password")
        if isinstance(username, str) and username and isinstance(password, str):
            return TwsCredentials(username=username, password=password)
    raise TwsError("unauthorized", 'the TWS secret must hold {"username", "password"} or {"apiKey"}')
