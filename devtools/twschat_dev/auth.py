"""Local identity for development: a signing key, its JWKS, Cognito-shaped tokens, ``twschat token``.

``twschat serve --auth local`` runs the real authorizer (``functions/authorizer``) against the JWKS
of a key kept in ``<data-dir>/auth/signing-key.pem`` (RSA 2048, created on first use, mode 0600),
served at ``http://127.0.0.1:<api-port>/.well-known/jwks.json``. ``twschat token --user ana --role
operator`` prints an ID token signed with that key, shaped like an Amazon Cognito one, so the whole
connect flow (token in the query string or the Authorization header, JWKS fetch, claim checks,
roles from groups) runs without AWS::

    token=$(twschat token --user ana --role operator)
    python -m websockets "ws://localhost:8030/?token=$token"

The key id (``kid``) is the RFC 7638 thumbprint of the public key, so it needs no second file and
changes whenever the key does. Development only: anyone who can read the data directory can mint
tokens for any user and role.

Import-light: ``cryptography`` and PyJWT are imported inside the functions that need them, because
``twschat_dev.cli`` imports every command module to build its parser.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = [
    "JWKS_PATH",
    "KEY_FILE",
    "LOCAL_CLIENT_ID",
    "LOCAL_ISSUER",
    "ensure_signing_key",
    "jwks",
    "key_id",
    "local_auth_environment",
    "local_user_id",
    "mint_token",
    "register",
    "run",
]

LOCAL_ISSUER = "http://127.0.0.1/twschat-local"
"""``iss`` of local tokens. Not a URL anything is fetched from, so it does not depend on the port."""
LOCAL_CLIENT_ID = "twschat-local"
"""``aud`` of local ID tokens (``client_id`` of local access tokens)."""
JWKS_PATH = "/.well-known/jwks.json"
"""Where the local gateway serves :func:`jwks` on its API port."""
KEY_FILE = Path("auth") / "signing-key.pem"
"""The private key, relative to the data directory."""

_USER_NAMESPACE = uuid.UUID("8d7c5b1e-3f0a-5c4e-9b2d-6a1f0e7c3b59")
_USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{1,128}\Z")  # \Z: "$" would let "ana\n" through
_ROLES = ("viewer", "operator", "admin")
_LOADED: dict[tuple[str, int, int, int], RSAPrivateKey] = {}
"""Parsed keys by (path, inode, mtime, size): parsing and checking an RSA key costs ~35 ms."""


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def key_id(public_key: RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def ensure_signing_key(data_dir: str | Path) -> RSAPrivateKey:
    """The development signing key, generated on first use into ``<data_dir>/auth/signing-key.pem``.

    Safe when two processes race (``twschat serve`` and ``twschat token``): the key is written to a
    private temporary file and hard-linked into place; the loser reads the winner's key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            with contextlib.suppress(FileExistsError):  # somebody else won: use theirs
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    info = path.stat()
    cache_key = (str(path.resolve()), info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _LOADED.get(cache_key)
    if cached is not None:
        return cached
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)  # ~35 ms: cached
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    _LOADED[cache_key] = loaded
    return loaded


def jwks(data_dir: str | Path) -> dict[str, Any]:
    """The public JWKS of the development key (what ``/.well-known/jwks.json`` serves)."""
    public = ensure_signing_key(data_dir).public_key()
    numbers = public.public_numbers()
    return {
        "keys": [
            {
                "alg": "RS256",
                "e": _b64url_uint(numbers.e),
                "kid": key_id(public),
                "kty": "RSA",
                "n": _b64url_uint(numbers.n),
                "use": "sig",
            }
        ]
    }


def local_auth_environment(jwks_url: str) -> dict[str, str]:
    """The authorizer's environment for local tokens, given where the JWKS is served."""
    return {"AUTH_JWKS_URL": jwks_url, "AUTH_ISSUER": LOCAL_ISSUER, "AUTH_CLIENT_ID": LOCAL_CLIENT_ID}


def local_user_id(user: str) -> str:
    """The stable ``sub`` of a local user (uuid5 of the username)."""
    return str(uuid.uuid5(_USER_NAMESPACE, user))


def mint_token(
    data_dir: str | Path,
    *,
    user: str,
    roles: Iterable[str],
    ttl_seconds: int = 3600,
    token_use: str = "id",
    now: float | None = None,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """A Cognito-shaped JWT for ``user`` in groups ``roles``, signed with the development key.

    ``token_use="id"`` gives an ID token (``aud``, ``cognito:username``); ``"access"`` an access
    token (``client_id``, ``username``, ``scope``), like Cognito. ``now``, ``audience`` and
    ``issuer`` exist so tests can mint expired and foreign tokens.
    """
    import jwt

    if not _USERNAME.fullmatch(user):
        raise ValueError("user must be 1-128 characters of letters, digits and . _ @ + -")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    if token_use not in ("id", "access"):
        raise ValueError("token_use must be 'id' or 'access'")
    issued = int(time.time() if now is None else now)
    client = LOCAL_CLIENT_ID if audience is None else audience
    claims: dict[str, Any] = {
        "sub": local_user_id(user),
        "cognito:groups": list(dict.fromkeys(roles)),
        "iss": LOCAL_ISSUER if issuer is None else issuer,
        "token_use": token_use,
        "auth_time": issued,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    if token_use == "id":
        claims.update({"aud": client, "cognito:username": user})
    else:
        claims.update({"client_id": client, "username": user, "scope": "aws.cognito.signin.user.admin"})
    key = ensure_signing_key(data_dir)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": key_id(key.public_key())})


# ---------------------------------------------------------------------------------------- CLI


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "token",
        help="print a development token for `twschat serve --auth local`",
        description="Print (only) a Cognito-shaped ID token signed with the local development key "
        "(<data-dir>/auth/signing-key.pem, created on first use). Connect with "
        "ws://localhost:8030/?token=TOKEN or an 'Authorization: Bearer TOKEN' header. Development only.",
    )
    parser.add_argument("--user", required=True, help="username (cognito:username); sub is derived from it")
    parser.add_argument(
        "--role",
        action="append",
        choices=_ROLES,
        default=[],
        help="Cognito group to put in the token; repeat for several (none: may ask, may not act)",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default: %(default)s)")
    parser.add_argument(
        "--token-use", choices=("id", "access"), default="id", help="token kind (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir",
        default=".twschat",
        help="where the signing key lives, as for `twschat serve` (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        token = mint_token(
            args.data_dir,
            user=args.user,
            roles=args.role,
            ttl_seconds=args.ttl,
            token_use=args.token_use,
        )
    except (ValueError, OSError) as exc:
        print(f"twschat token: {exc}", file=sys.stderr)
        return 2
    if not args.role:
        print("twschat token: no --role: this user may ask but not act", file=sys.stderr)
    print(token)
    return 0
