"""Verifying Amazon Cognito JWTs (ID and access tokens) for the ``$connect`` authorizer.

``TokenVerifier.verify(token)`` returns the :class:`~twschat.core.responder.Principal` of a valid
token or raises :class:`InvalidToken` with a short reason code (see ``REASONS``); nothing else
escapes it. Checks, in order: a token at all; a JWS header with ``alg`` RS256 and a ``kid``; the
public key for that ``kid`` from the pool's JWKS; the RS256 signature; ``exp``, ``nbf`` and ``iat``
(with ``leeway`` seconds of clock skew); ``iss``; ``token_use`` in {id, access}; for ID tokens
``aud`` == client id, for access tokens the ``client_id`` claim == client id.

Roles are the Cognito groups the token carries (``cognito:groups``) that twschat knows: ``viewer``,
``operator`` and ``admin``. A valid token in none of those groups gets ``roles == ()``: the user
may connect and ask questions, and :func:`twschat.assistant.actions.may_act` refuses every action
(``no_role``). Being in the pool is enough to read the plan; acting needs the operator group.

The JWKS is fetched once per process and cached (``jwt.PyJWKClient`` with ``cache_keys``: a known
``kid`` never causes another request). A token with an unknown ``kid`` forces at most one refetch
per ``cooldown`` seconds (key rotation), so random ``kid`` values cannot turn the authorizer into a
request amplifier against the JWKS endpoint.

Import-light: PyJWT (and through it ``cryptography``, ~70 ms) is imported when the first
``TokenVerifier`` is built, not when this module is, so ``extract_token`` and ``redact`` are free.
Tokens never appear in exceptions or logs; use :func:`redact` to refer to one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from twschat.core.responder import Principal

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = [
    "ALGORITHM",
    "KNOWN_ROLES",
    "REASONS",
    "InvalidToken",
    "JWKSClient",
    "TokenVerifier",
    "extract_token",
    "redact",
]

ALGORITHM = "RS256"
"""The only signature algorithm accepted (Cognito signs with RS256)."""

KNOWN_ROLES = frozenset({"viewer", "operator", "admin"})
"""Cognito groups that become roles; any other group is ignored."""

TOKEN_USES = frozenset({"id", "access"})

REASONS = frozenset(
    {
        "missing",  # no token in the query string nor in the Authorization header
        "malformed",  # not a JWS, no kid, a required claim missing or of the wrong type
        "bad_algorithm",  # alg is not RS256 (none, HS256, ...)
        "unknown_key",  # kid not in the pool's JWKS (even after a refetch)
        "bad_signature",  # signature does not verify with the JWKS key of that kid
        "expired",  # exp in the past (beyond leeway)
        "not_yet_valid",  # nbf or iat in the future (beyond leeway)
        "wrong_issuer",  # iss is not the configured pool
        "wrong_audience",  # ID token aud / access token client_id is not the app client
        "wrong_token_use",  # token_use is neither id nor access
        "jwks_unavailable",  # the JWKS could not be fetched: our problem, not the token's
    }
)

QUERY_PARAMETER = "token"
HEADER = "authorization"
_BEARER = "bearer"


class InvalidToken(Exception):
    """The token is refused. ``reason`` is one of ``REASONS``; the message never holds the token."""

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:  # pragma: no cover - programming error
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(reason)
        self.reason = reason


class SigningKey(Protocol):
    key: Any


class JWKSClient(Protocol):
    """What :class:`TokenVerifier` needs from a JWKS client (``jwt.PyJWKClient`` fits)."""

    def get_signing_key(self, kid: str) -> SigningKey: ...


def extract_token(headers: Mapping[str, Any] | None, query: Mapping[str, Any] | None) -> str | None:
    """The bearer token of a ``$connect`` request, or ``None``.

    The ``Authorization`` header (any case, with or without ``Bearer ``) wins when present and
    non-empty; otherwise the ``token`` query parameter (browsers cannot set WebSocket headers).
    """
    for name, value in (headers or {}).items():
        if isinstance(name, str) and name.lower() == HEADER and isinstance(value, str):
            token = value.strip()
            scheme, _, rest = token.partition(" ")
            if scheme.lower() == _BEARER:
                token = rest.strip()
            if token:
                return token
    value = (query or {}).get(QUERY_PARAMETER)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def redact(token: str | None) -> str:
    """A log-safe stand-in for ``token``: its length and a short digest, never its content."""
    if not token:
        return "<no token>"
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]
    return f"<token len={len(token)} sha256={digest}>"


class TokenVerifier:
    """Verifies Cognito RS256 JWTs against one user pool and one app client.

    ``jwks_url`` may be http:// (the local gateway serves the development JWKS on loopback) or
    https:// (Cognito). ``jwks_client`` replaces the PyJWT client (tests count fetches with it).
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        client_id: str,
        *,
        leeway: int = 30,
        jwks_client: JWKSClient | None = None,
        jwks_timeout: float = 3.0,
        cooldown: float = 30.0,
    ) -> None:
        if not issuer or not client_id:
            raise ValueError("issuer and client_id are required")
        import jwt  # deferred: ~70 ms with cryptography, paid by the authorizer only

        self._jwt = jwt
        self.issuer = issuer
        self.client_id = client_id
        self.leeway = leeway
        if jwks_client is None:
            if not jwks_url:
                raise ValueError("jwks_url is required")
            jwks_client = jwt.PyJWKClient(
                jwks_url,
                cache_keys=True,  # kid -> key, no expiry: one fetch per process for known keys
                cache_jwk_set=True,
                lifespan=24 * 3600,
                timeout=jwks_timeout,
                cooldown_duration=cooldown,  # unknown kid: at most one refetch per cooldown
            )
        self._jwks: JWKSClient = jwks_client

    def verify(self, token: str | None) -> Principal:
        """The principal of a valid token; :class:`InvalidToken` otherwise."""
        jwt = self._jwt
        if not token:
            raise InvalidToken("missing")
        if not token.isascii():
            # A JWT is base64url and dots: anything else (a lone surrogate, which PyJWT would let
            # escape as UnicodeEncodeError, a 500) is malformed.
            raise InvalidToken("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.exceptions.PyJWTError:
            raise InvalidToken("malformed") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("bad_algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("malformed")
        key = self._signing_key(kid)
        claims = self._decode(token, key)
        return self._principal(claims)

    # ------------------------------------------------------------------------------------ steps

    def _signing_key(self, kid: str) -> Any:
        jwt = self._jwt
        try:
            return self._jwks.get_signing_key(kid).key
        except jwt.exceptions.PyJWKClientConnectionError:
            raise InvalidToken("jwks_unavailable") from None
        except jwt.exceptions.PyJWKClientError:
            raise InvalidToken("unknown_key") from None
        except jwt.exceptions.PyJWKError:  # a key PyJWT cannot use (e.g. not RSA)
            raise InvalidToken("unknown_key") from None

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        jwt = self._jwt
        errors = jwt.exceptions
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_iss": True,
                    "verify_aud": False,  # depends on token_use: checked below
                },
            )
        except errors.ExpiredSignatureError:
            raise InvalidToken("expired") from None
        except errors.ImmatureSignatureError:
            raise InvalidToken("not_yet_valid") from None
        except errors.InvalidSignatureError:
            raise InvalidToken("bad_signature") from None
        except errors.InvalidAlgorithmError:
            raise InvalidToken("bad_algorithm") from None
        except errors.InvalidIssuerError:
            raise InvalidToken("wrong_issuer") from None
        except errors.PyJWTError:  # DecodeError, MissingRequiredClaimError, bad claim types...
            raise InvalidToken("malformed") from None
        token_use = claims.get("token_use")
        if token_use not in TOKEN_USES:
            raise InvalidToken("wrong_token_use")
        if token_use == "id":
            aud = claims.get("aud")
            audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
            if self.client_id not in audiences:
                raise InvalidToken("wrong_audience")
        elif claims.get("client_id") != self.client_id:
            raise InvalidToken("wrong_audience")
        return claims

    @staticmethod
    def _principal(claims: Mapping[str, Any]) -> Principal:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("malformed")
        username = claims.get("cognito:username") or claims.get("username") or sub
        if not isinstance(username, str):
            raise InvalidToken("malformed")
        groups = claims.get("cognito:groups") or []
        if not isinstance(groups, list):
            raise InvalidToken("malformed")
        roles = tuple(sorted({g.strip().lower() for g in groups if isinstance(g, str)} & KNOWN_ROLES))
        return Principal(user_id=sub, username=username, roles=roles)
