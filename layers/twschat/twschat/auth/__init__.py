"""Authentication of WebSocket ``$connect`` requests (Cognito JWTs); see :mod:`twschat.auth.tokens`.

Import-light: PyJWT is only imported when a :class:`TokenVerifier` is built.
"""

from __future__ import annotations

from .tokens import KNOWN_ROLES, REASONS, InvalidToken, TokenVerifier, extract_token, redact

__all__ = ["KNOWN_ROLES", "REASONS", "InvalidToken", "TokenVerifier", "extract_token", "redact"]
