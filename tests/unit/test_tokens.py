"""TokenVerifier on tokens signed with locally generated RSA keys; the local identity; ``twschat token``."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from twschat.auth import InvalidToken, TokenVerifier, extract_token, redact
from twschat.core.responder import Principal
from twschat_dev import auth as local_auth
from twschat_dev.auth import LOCAL_CLIENT_ID, LOCAL_ISSUER, mint_token


class JWKSServer:
    """A tiny JWKS endpoint on 127.0.0.1 that counts its fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{local_auth.JWKS_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("twschat")
    local_auth.ensure_signing_key(path)
    return path


@pytest.fixture
def jwks_server(data_dir: Path) -> Iterator[JWKSServer]:
    server = JWKSServer(local_auth.jwks(data_dir))
    yield server
    server.close()


@pytest.fixture
def verifier(jwks_server: JWKSServer) -> TokenVerifier:
    return TokenVerifier(jwks_server.url, LOCAL_ISSUER, LOCAL_CLIENT_ID)


def _kid(data_dir: Path) -> str:
    return local_auth.key_id(local_auth.ensure_signing_key(data_dir).public_key())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "3f6b1c2a-0000-4000-8000-000000000001",
        "cognito:username": "ana",
        "cognito:groups": ["operator"],
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(
    data_dir: Path, claims: dict[str, Any], *, key: Any = None, kid: str | None = "", alg: str = "RS256"
) -> str:
    headers = {} if kid is None else {"kid": kid or _kid(data_dir)}
    return jwt.encode(claims, key or local_auth.ensure_signing_key(data_dir), algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _reason(verifier: TokenVerifier, token: str | None) -> str:
    with pytest.raises(InvalidToken) as info:
        verifier.verify(token)
    assert str(info.value) == info.value.reason  # the message is the code, never the token
    return info.value.reason


# ---------------------------------------------------------------------------------------- valid tokens


def test_valid_id_token_gives_the_principal(verifier: TokenVerifier, data_dir: Path) -> None:
    token = mint_token(data_dir, user="ana", roles=["operator"])
    assert verifier.verify(token) == Principal(
        user_id=local_auth.local_user_id("ana"), username="ana", roles=("operator",)
    )


def test_valid_access_token_uses_client_id_and_username(verifier: TokenVerifier, data_dir: Path) -> None:
    token = mint_token(data_dir, user="rui", roles=["viewer"], token_use="access")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "aud" not in claims and claims["client_id"] == LOCAL_CLIENT_ID
    assert verifier.verify(token) == Principal(
        user_id=local_auth.local_user_id("rui"), username="rui", roles=("viewer",)
    )


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        (["operator", "viewer"], ("operator", "viewer")),
        (["viewer", "operator", "viewer"], ("operator", "viewer")),
        (["admin"], ("admin",)),
        (["Operator", "billing", "tws-admins"], ("operator",)),
        ([], ()),
        (None, ()),  # no cognito:groups claim at all: may connect and ask, may not act
    ],
)
def test_roles_are_the_known_groups(
    verifier: TokenVerifier, data_dir: Path, groups: Any, roles: tuple
) -> None:
    token = _sign(data_dir, _claims(**{"cognito:groups": groups}))
    assert verifier.verify(token).roles == roles


def test_leeway_absorbs_clock_skew(verifier: TokenVerifier, data_dir: Path) -> None:
    now = int(time.time())
    token = _sign(data_dir, _claims(iat=now - 610, exp=now - 10))
    assert verifier.verify(token).username == "ana"
    strict = TokenVerifier("", LOCAL_ISSUER, LOCAL_CLIENT_ID, leeway=0, jwks_client=verifier._jwks)
    assert _reason(strict, token) == "expired"


def test_jwks_is_fetched_once_for_many_verifications(
    verifier: TokenVerifier, jwks_server: JWKSServer, data_dir: Path
) -> None:
    tokens = [mint_token(data_dir, user=f"user{i}", roles=["viewer"]) for i in range(25)]
    for token in tokens:
        verifier.verify(token)
    assert jwks_server.fetches == 1


def test_unknown_kid_refetches_at_most_once_per_cooldown(
    verifier: TokenVerifier, jwks_server: JWKSServer, data_dir: Path
) -> None:
    verifier.verify(mint_token(data_dir, user="ana", roles=[]))
    assert jwks_server.fetches == 1
    for i in range(10):  # random kids: no request amplification
        assert _reason(verifier, _sign(data_dir, _claims(), kid=f"nope-{i}")) == "unknown_key"
    assert jwks_server.fetches == 1  # the initial fetch started the 30 s cooldown


def test_rotated_key_is_picked_up_after_the_cooldown(jwks_server: JWKSServer, data_dir: Path) -> None:
    verifier = TokenVerifier(jwks_server.url, LOCAL_ISSUER, LOCAL_CLIENT_ID, cooldown=0)
    verifier.verify(mint_token(data_dir, user="ana", roles=[]))
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    new_kid = local_auth.key_id(new_key.public_key())
    numbers = new_key.public_key().public_numbers()
    jwks_server.document = {
        "keys": [
            *local_auth.jwks(data_dir)["keys"],
            {
                "kty": "RSA",
                "kid": new_kid,
                "alg": "RS256",
                "use": "sig",
                "n": _b64(numbers.n.to_bytes(256, "big")),
                "e": "AQAB",
            },
        ]
    }
    assert verifier.verify(_sign(data_dir, _claims(), key=new_key, kid=new_kid)).username == "ana"
    assert jwks_server.fetches == 2


def test_http_jwks_url_on_loopback_works(jwks_server: JWKSServer) -> None:
    assert jwks_server.url.startswith("http://127.0.0.1:")  # what `twschat serve --auth local` serves


# ---------------------------------------------------------------------------------------- refusals


def test_missing_token(verifier: TokenVerifier) -> None:
    assert _reason(verifier, None) == "missing"
    assert _reason(verifier, "") == "missing"


def test_expired(verifier: TokenVerifier, data_dir: Path) -> None:
    token = mint_token(data_dir, user="ana", roles=["operator"], now=time.time() - 7200, ttl_seconds=3600)
    assert _reason(verifier, token) == "expired"


def test_not_yet_valid(verifier: TokenVerifier, data_dir: Path) -> None:
    now = int(time.time())
    assert _reason(verifier, _sign(data_dir, _claims(iat=now + 3600, exp=now + 7200))) == "not_yet_valid"
    assert _reason(verifier, _sign(data_dir, _claims(nbf=now + 3600))) == "not_yet_valid"


def test_forged_signature_with_the_same_kid(verifier: TokenVerifier, data_dir: Path) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _reason(verifier, _sign(data_dir, _claims(), key=forger)) == "bad_signature"


def test_tampered_payload(verifier: TokenVerifier, data_dir: Path) -> None:
    header, _, signature = mint_token(data_dir, user="ana", roles=["viewer"]).split(".")
    payload = _b64(json.dumps(_claims(**{"cognito:groups": ["admin"]})).encode())
    assert _reason(verifier, f"{header}.{payload}.{signature}") == "bad_signature"


def test_wrong_audience(verifier: TokenVerifier, data_dir: Path) -> None:
    assert (
        _reason(verifier, mint_token(data_dir, user="ana", roles=[], audience="other-app"))
        == "wrong_audience"
    )
    access = mint_token(data_dir, user="ana", roles=[], audience="other-app", token_use="access")
    assert _reason(verifier, access) == "wrong_audience"
    assert _reason(verifier, _sign(data_dir, _claims(aud=None))) == "wrong_audience"


def test_audience_list_must_contain_the_client(verifier: TokenVerifier, data_dir: Path) -> None:
    assert verifier.verify(_sign(data_dir, _claims(aud=["x", LOCAL_CLIENT_ID]))).username == "ana"
    assert _reason(verifier, _sign(data_dir, _claims(aud=["x", "y"]))) == "wrong_audience"


def test_id_token_audience_does_not_satisfy_access_token_check(
    verifier: TokenVerifier, data_dir: Path
) -> None:
    # An access token must name the client in client_id; an aud claim is not enough.
    token = _sign(data_dir, _claims(token_use="access", aud=LOCAL_CLIENT_ID))
    assert _reason(verifier, token) == "wrong_audience"


def test_wrong_issuer(verifier: TokenVerifier, data_dir: Path) -> None:
    other = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
    assert _reason(verifier, mint_token(data_dir, user="ana", roles=[], issuer=other)) == "wrong_issuer"


@pytest.mark.parametrize("token_use", ["refresh", "", "ID", 1])
def test_wrong_token_use(verifier: TokenVerifier, data_dir: Path, token_use: Any) -> None:
    assert _reason(verifier, _sign(data_dir, _claims(token_use=token_use))) == "wrong_token_use"


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "sub", "token_use"])
def test_required_claim_missing(verifier: TokenVerifier, data_dir: Path, claim: str) -> None:
    assert _reason(verifier, _sign(data_dir, _claims(**{claim: None}))) == "malformed"


@pytest.mark.parametrize(
    "overrides",
    [{"sub": ""}, {"sub": 42}, {"cognito:groups": "operator"}, {"exp": "soon"}, {"cognito:username": 7}],
)
def test_malformed_claims(verifier: TokenVerifier, data_dir: Path, overrides: dict[str, Any]) -> None:
    assert _reason(verifier, _sign(data_dir, _claims(**overrides))) == "malformed"


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "Bearer", "x" * 5000])
def test_not_a_jwt(verifier: TokenVerifier, token: str) -> None:
    assert _reason(verifier, token) == "malformed"


def test_no_kid(verifier: TokenVerifier, data_dir: Path) -> None:
    assert _reason(verifier, _sign(data_dir, _claims(), kid=None)) == "malformed"


def test_alg_none_refused(verifier: TokenVerifier, data_dir: Path) -> None:
    header = _b64(json.dumps({"alg": "none", "kid": _kid(data_dir), "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    assert _reason(verifier, f"{header}.{payload}.") == "bad_algorithm"


def test_hs256_refused_even_keyed_with_the_public_key(verifier: TokenVerifier, data_dir: Path) -> None:
    # The classic confusion attack: HMAC "signed" with the (public) RSA key as the secret.
    from cryptography.hazmat.primitives import serialization

    public_pem = (
        local_auth.ensure_signing_key(data_dir)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = ".".join(
        [
            _b64(json.dumps({"alg": "HS256", "kid": _kid(data_dir), "typ": "JWT"}).encode()),
            _b64(json.dumps(_claims()).encode()),
        ]
    )
    signature = _b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    assert _reason(verifier, f"{signing_input}.{signature}") == "bad_algorithm"
    assert _reason(
        verifier, _sign(data_dir, _claims(), key="a-shared-secret-long-enough-for-hs256!", alg="HS256")
    ) == ("bad_algorithm")


def test_other_rsa_algorithms_refused(verifier: TokenVerifier, data_dir: Path) -> None:
    assert _reason(verifier, _sign(data_dir, _claims(), alg="RS512")) == "bad_algorithm"
    assert _reason(verifier, _sign(data_dir, _claims(), alg="PS256")) == "bad_algorithm"


def test_jwks_unreachable(data_dir: Path) -> None:
    server = JWKSServer({"keys": []})
    url = server.url
    server.close()  # nothing listens there any more
    verifier = TokenVerifier(url, LOCAL_ISSUER, LOCAL_CLIENT_ID, jwks_timeout=1)
    assert _reason(verifier, mint_token(data_dir, user="ana", roles=[])) == "jwks_unavailable"


def test_jwks_with_the_key_missing_is_unknown_key(data_dir: Path) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
    server = JWKSServer(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "someone-else",
                    "use": "sig",
                    "n": _b64(other.n.to_bytes(256, "big")),
                    "e": "AQAB",
                }
            ]
        }
    )
    try:
        verifier = TokenVerifier(server.url, LOCAL_ISSUER, LOCAL_CLIENT_ID)
        assert _reason(verifier, mint_token(data_dir, user="ana", roles=[])) == "unknown_key"
    finally:
        server.close()


def test_verifier_requires_its_configuration() -> None:
    with pytest.raises(ValueError):
        TokenVerifier("http://127.0.0.1:1/jwks.json", "", LOCAL_CLIENT_ID)
    with pytest.raises(ValueError):
        TokenVerifier("", LOCAL_ISSUER, LOCAL_CLIENT_ID)


# ---------------------------------------------------------------------------------------- extract, redact


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"Authorization": "Bearer abc.def.ghi"}, None, "abc.def.ghi"),
        ({"authorization": "bearer   abc.def.ghi "}, None, "abc.def.ghi"),
        ({"AUTHORIZATION": "abc.def.ghi"}, None, "abc.def.ghi"),
        (None, {"token": "q.q.q"}, "q.q.q"),
        ({"Host": "x"}, {"token": " q.q.q ", "agent": "a"}, "q.q.q"),
        ({"Authorization": "Bearer h.h.h"}, {"token": "q.q.q"}, "h.h.h"),  # the header wins
        ({"Authorization": "Bearer "}, {"token": "q.q.q"}, "q.q.q"),  # an empty header does not
        ({"Authorization": ""}, {"token": ""}, None),
        (None, None, None),
        ({}, {"Token": "case-matters-in-query"}, None),
    ],
)
def test_extract_token(headers: Any, query: Any, expected: str | None) -> None:
    assert extract_token(headers, query) == expected


def test_redact_never_shows_the_token(data_dir: Path) -> None:
    token = mint_token(data_dir, user="ana", roles=["operator"])
    shown = redact(token)
    assert token not in shown
    assert all(part not in shown for part in token.split("."))
    assert shown == redact(token) and shown != redact(token + "x")
    assert redact(None) == redact("") == "<no token>"


def test_importing_twschat_auth_does_not_import_jwt() -> None:
    import subprocess
    import sys

    code = "import sys, twschat.auth, twschat_dev.auth; print('jwt' in sys.modules, 'cryptography' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", "False"]


# ---------------------------------------------------------------------------------------- local identity


def test_signing_key_is_private_and_stable(tmp_path: Path) -> None:
    first = local_auth.ensure_signing_key(tmp_path)
    path = tmp_path / "auth" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = local_auth.ensure_signing_key(tmp_path)
    assert local_auth.key_id(first.public_key()) == local_auth.key_id(again.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]  # no temporary files left


def test_jwks_is_public_only(data_dir: Path) -> None:
    document = local_auth.jwks(data_dir)
    (key,) = document["keys"]
    assert set(key) == {"kty", "kid", "use", "alg", "n", "e"}
    assert key["kid"] == _kid(data_dir) and key["alg"] == "RS256" and key["use"] == "sig"
    jwt.PyJWKSet.from_dict(document)  # PyJWT accepts it


def test_minted_id_token_is_cognito_shaped(data_dir: Path) -> None:
    token = mint_token(data_dir, user="ana", roles=["operator", "viewer"], ttl_seconds=60, now=1_800_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": _kid(data_dir), "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == local_auth.local_user_id("ana") == local_auth.local_user_id("ana")
    assert claims["sub"] != local_auth.local_user_id("rui")
    assert claims["cognito:username"] == "ana" and claims["cognito:groups"] == ["operator", "viewer"]
    assert (claims["iss"], claims["aud"], claims["token_use"]) == (LOCAL_ISSUER, LOCAL_CLIENT_ID, "id")
    assert claims["iat"] == claims["auth_time"] == 1_800_000_000 and claims["exp"] == 1_800_000_060


@pytest.mark.parametrize(
    "kwargs", [{"user": ""}, {"user": "ana smith"}, {"ttl_seconds": 0}, {"token_use": "refresh"}]
)
def test_mint_token_rejects_bad_arguments(data_dir: Path, kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"user": "ana", "roles": []} | kwargs
    with pytest.raises(ValueError):
        mint_token(data_dir, **args)


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    local_auth.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_token_command_prints_only_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = _cli(["token", "--user", "ana", "--role", "operator", "--role", "viewer", "--ttl", "120"])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert out == token + "\n" and err == ""
    verifier = TokenVerifier("", LOCAL_ISSUER, LOCAL_CLIENT_ID, jwks_client=_SetClient(tmp_path / ".twschat"))
    assert verifier.verify(token).roles == ("operator", "viewer")
    assert (tmp_path / ".twschat" / "auth" / "signing-key.pem").exists()


def test_token_command_without_role_warns_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _cli(["token", "--user", "ana", "--data-dir", str(tmp_path)])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert out.count(".") == 2 and "may ask but not act" in err


def test_token_command_refuses_a_bad_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _cli(["token", "--user", "ana smith", "--data-dir", str(tmp_path)])
    assert args.func(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and "twschat token:" in err


def test_token_command_rejects_unknown_roles() -> None:
    with pytest.raises(SystemExit):
        _cli(["token", "--user", "ana", "--role", "root"])


class _SetClient:
    """A JWKS client over the local key set, without HTTP."""

    def __init__(self, data_dir: Path) -> None:
        self.keys = jwt.PyJWKSet.from_dict(local_auth.jwks(data_dir))

    def get_signing_key(self, kid: str) -> Any:
        return self.keys[kid]
