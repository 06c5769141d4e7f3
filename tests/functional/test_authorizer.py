"""The $connect authorizer handler on ``events/authorizer.json`` variations, with a real JWKS over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.handlers import FakeContext, event, load_handler
from twschat_dev import auth as local_auth
from twschat_dev.auth import mint_token

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("twschat")
    local_auth.ensure_signing_key(path)
    return path


@pytest.fixture(scope="module")
def jwks_url(data_dir: Path) -> Iterator[str]:
    document = json.dumps(local_auth.jwks(data_dir)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{local_auth.JWKS_PATH}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def authorizer(monkeypatch: pytest.MonkeyPatch, jwks_url: str) -> ModuleType:
    monkeypatch.setenv("AUTH_JWKS_URL", jwks_url)
    monkeypatch.setenv("AUTH_ISSUER", local_auth.LOCAL_ISSUER)
    monkeypatch.setenv("AUTH_CLIENT_ID", local_auth.LOCAL_CLIENT_ID)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    return load_handler("authorizer")


def _event(*, query_token: str | None = None, header: str | None = None) -> dict[str, Any]:
    ev = event("authorizer")
    ev["queryStringParameters"] = {"agent": "tws-general"}
    ev["multiValueQueryStringParameters"] = {"agent": ["tws-general"]}
    if query_token is not None:
        ev["queryStringParameters"]["token"] = query_token
        ev["multiValueQueryStringParameters"]["token"] = [query_token]
    if header is not None:
        ev["headers"]["Authorization"] = header
        ev["multiValueHeaders"]["Authorization"] = [header]
    return ev


def _allowed(module: ModuleType, ev: dict[str, Any]) -> dict[str, Any]:
    return module.lambda_handler(ev, FakeContext())


def _refused(module: ModuleType, ev: dict[str, Any]) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        module.lambda_handler(ev, FakeContext())


@contextlib.contextmanager
def captured_logs(module: ModuleType) -> Iterator[io.StringIO]:
    """What the function's Powertools logger writes (its handler keeps the stdout of its creation)."""
    handler = module.logger.logger_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def _log_records(out: str) -> list[dict[str, Any]]:
    records = []
    for line in out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "message" in record:
            records.append(record)
    return records


def test_the_sample_event_is_a_websocket_request_authorizer_event() -> None:
    ev = event("authorizer")
    assert ev["type"] == "REQUEST" and ev["methodArn"] == METHOD_ARN
    assert ev["requestContext"]["routeKey"] == "$connect" and ev["requestContext"]["eventType"] == "CONNECT"


def test_token_from_the_query_string_is_allowed_with_context(authorizer: ModuleType, data_dir: Path) -> None:
    token = mint_token(data_dir, user="ana", roles=["viewer", "operator"])
    response = _allowed(authorizer, _event(query_token=token))
    assert response == {
        "principalId": local_auth.local_user_id("ana"),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [METHOD_ARN]}],
        },
        "context": {"userId": local_auth.local_user_id("ana"), "username": "ana", "roles": "operator,viewer"},
    }
    assert all(isinstance(v, str) for v in response["context"].values())  # API Gateway contexts are flat


@pytest.mark.parametrize("header", ["Bearer {t}", "bearer {t}", "{t}"])
def test_token_from_the_authorization_header(authorizer: ModuleType, data_dir: Path, header: str) -> None:
    token = mint_token(data_dir, user="rui", roles=["viewer"], token_use="access")
    response = _allowed(authorizer, _event(header=header.format(t=token)))
    assert response["context"] == {
        "userId": local_auth.local_user_id("rui"),
        "username": "rui",
        "roles": "viewer",
    }


def test_a_user_in_no_known_group_connects_without_roles(authorizer: ModuleType, data_dir: Path) -> None:
    response = _allowed(authorizer, _event(query_token=mint_token(data_dir, user="eva", roles=[])))
    assert response["context"]["roles"] == ""


def test_partition_of_the_method_arn_is_kept(authorizer: ModuleType, data_dir: Path) -> None:
    ev = _event(query_token=mint_token(data_dir, user="ana", roles=["operator"]))
    ev["methodArn"] = "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/$connect"
    statement = _allowed(authorizer, ev)["policyDocument"]["Statement"][0]
    assert statement["Resource"] == [ev["methodArn"]]


def _forged(data_dir: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = local_auth.key_id(local_auth.ensure_signing_key(data_dir).public_key())
    now = int(time.time())
    claims = {
        "sub": "x",
        "cognito:username": "mallory",
        "cognito:groups": ["admin"],
        "iss": local_auth.LOCAL_ISSUER,
        "aud": local_auth.LOCAL_CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


BAD_TOKENS = {
    "expired": lambda d: mint_token(d, user="ana", roles=["operator"], now=time.time() - 7200),
    "bad_signature": _forged,
    "wrong_audience": lambda d: mint_token(d, user="ana", roles=["operator"], audience="someone-else"),
    "wrong_issuer": lambda d: mint_token(d, user="ana", roles=["operator"], issuer="https://evil.example"),
    "malformed": lambda d: "not-a-jwt",
}


@pytest.mark.parametrize("reason", sorted(BAD_TOKENS))
@pytest.mark.parametrize("where", ["query", "header"])
def test_bad_tokens_are_refused_with_401_and_logged_by_reason_only(
    authorizer: ModuleType, data_dir: Path, capsys: pytest.CaptureFixture[str], reason: str, where: str
) -> None:
    token = BAD_TOKENS[reason](data_dir)
    ev = _event(query_token=token) if where == "query" else _event(header=f"Bearer {token}")
    with captured_logs(authorizer) as logs:
        _refused(authorizer, ev)
    out, err = capsys.readouterr()
    assert token not in logs.getvalue() + out + err
    refused = [r for r in _log_records(logs.getvalue()) if r["message"] == "connect refused"]
    assert [r["reason"] for r in refused] == [reason]
    assert refused[0]["connection_id"] == "Bx2kXcPOoAMCJdA="


def test_missing_token_is_refused(authorizer: ModuleType) -> None:
    ev = _event()
    ev["queryStringParameters"] = None  # API Gateway sends null when there is no query string
    ev["headers"] = None
    with captured_logs(authorizer) as logs:
        _refused(authorizer, _event())
        _refused(authorizer, ev)
    reasons = [r.get("reason") for r in _log_records(logs.getvalue()) if r["message"] == "connect refused"]
    assert reasons == ["missing", "missing"]


def test_the_placeholder_in_the_sample_event_is_refused(authorizer: ModuleType) -> None:
    _refused(authorizer, event("authorizer"))


def test_a_valid_token_never_reaches_the_logs(
    authorizer: ModuleType,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")  # must not override log_event=False
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    module = load_handler("authorizer")
    token = mint_token(data_dir, user="ana", roles=["operator"])
    with captured_logs(module) as logs:
        _allowed(module, _event(query_token=token))
        _allowed(module, _event(header=f"Bearer {token}"))
    out, err = capsys.readouterr()
    everything = logs.getvalue() + out + err
    assert token not in everything
    assert all(part not in everything for part in token.split(".")[1:])  # nor its payload or signature
    assert any(r["message"] == "connect authorized" for r in _log_records(logs.getvalue()))


def test_jwks_is_fetched_once_per_execution_environment(authorizer: ModuleType, data_dir: Path) -> None:
    verifier = authorizer.verifier()
    calls = 0
    original = verifier._jwks.fetch_data

    def counting() -> Any:
        nonlocal calls
        calls += 1
        return original()

    verifier._jwks.fetch_data = counting
    for i in range(5):
        _allowed(authorizer, _event(query_token=mint_token(data_dir, user=f"u{i}", roles=["viewer"])))
    assert calls == 1 and authorizer.verifier() is verifier


def test_unconfigured_function_refuses(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    monkeypatch.delenv("AUTH_ISSUER", raising=False)
    monkeypatch.delenv("AUTH_CLIENT_ID", raising=False)
    module = load_handler("authorizer")
    with captured_logs(module) as logs:
        _refused(module, _event(query_token=mint_token(data_dir, user="ana", roles=["operator"])))
    records = _log_records(logs.getvalue())
    assert any(r.get("reason") == "not_configured" and r["level"] == "ERROR" for r in records)


def test_event_without_method_arn_is_refused(authorizer: ModuleType, data_dir: Path) -> None:
    ev = _event(query_token=mint_token(data_dir, user="ana", roles=["operator"]))
    del ev["methodArn"]
    _refused(authorizer, ev)
