"""Issue 14 section 3: nobody but the developer's own tools acts through the local gateway.

In process, over real HTTP and WebSocket: the Lambda Invoke API wants the process secret and no
browser, the sign-in endpoints and ``config.json`` answer only to loopback host names, the WebSocket
handshake only to the page's own origin, frames are stamped when they arrive, a token never reaches
the log however its name is spelled, and identifiers match whole (no trailing newline).
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import logging
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.functional.test_local_gateway import (  # noqa: F401  (_aws_env: the module's autouse env)
    FIXTURE,
    T,
    _aws_env,
    _web_dir,
    chat_gateway,
    gateway,
    http_request,
    recv_json,
    run,
)
from twschat_dev.auth import mint_token
from twschat_dev.connections_api import LocalApiServer
from twschat_dev.gateway import WebPage, _mint_one_role, redact_path
from twschat_dev.runtime import FunctionRunner
from twschat_dev.template import read_app

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=T)
INVOKE = "/2015-03-31/functions/EchoFunction/invocations"


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=T)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


# ------------------------------------------------------------------------- 1. the Lambda Invoke API


def test_invoke_api_needs_the_process_secret_and_refuses_browser_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="twschat-local")
    runner = FunctionRunner(read_app(FIXTURE))
    api = LocalApiServer(object(), runner, stage="local")  # type: ignore[arg-type]
    other = LocalApiServer(object(), runner, stage="local")  # type: ignore[arg-type]
    api.start()
    # The echo function's module is shared by every test that loads the fixture app in this process.
    seen_before = len(_echo_events_of(runner))
    try:
        secret = api.invoke_secret
        assert len(secret) >= 32 and secret != other.invoke_secret  # per process (per server)
        assert api.lambda_endpoint_url == f"http://127.0.0.1:{api.port}/{secret}"
        event = json.dumps({"requestContext": {"eventType": "CONNECT"}}).encode()
        # The forgery: a text/plain POST from a page, no secret.
        browser = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
        assert _post(api.port, INVOKE, event, browser)[0] == 403
        assert _post(api.port, INVOKE, event, {})[0] == 403  # curl, no secret
        assert _post(api.port, f"/{other.invoke_secret}{INVOKE}", event, {})[0] == 403  # wrong secret
        # With the secret, still nothing a browser can send: any Origin, any non-JSON body type.
        with_secret = f"/{secret}{INVOKE}"
        assert _post(api.port, with_secret, event, {"Origin": f"http://127.0.0.1:{api.port}"})[0] == 403
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"):
            status, error = _post(api.port, with_secret, event, {"Content-Type": content_type})
            assert status == 415, (content_type, error)
        assert _echo_events_of(runner)[seen_before:] == []  # nothing above reached the function
        status, result = _post(api.port, with_secret, event, {"Content-Type": "application/json"})
        assert status == 200 and result["event"] == {"requestContext": {"eventType": "CONNECT"}}
        # What the handlers use: boto3 with the endpoint the gateway gives them (no Content-Type).
        client = boto3.client("lambda", endpoint_url=api.lambda_endpoint_url, config=CONFIG)
        response = client.invoke(FunctionName="EchoFunction", Payload=b'{"a": 1}')
        assert json.loads(response["Payload"].read())["event"] == {"a": 1}
    finally:
        api.stop()
        other.server_close()
    assert "POST /[secret]/2015-03-31/functions/EchoFunction" in caplog.text  # logged, redacted
    assert secret not in caplog.text


def _echo_events_of(runner: FunctionRunner) -> list[Any]:
    import sys

    module = sys.modules.get("twschat_local_functions.EchoFunction")
    return list(module.events_seen) if module is not None else []


# ----------------------------------------------------------------- 2. DNS rebinding: loopback only


def local_sign_in_page(tmp_path: Path) -> WebPage:
    """The page as ``twschat serve --auth local`` serves it, minting with a key under ``tmp_path``."""
    return WebPage(
        _web_dir(tmp_path), auth="local", mint=functools.partial(_mint_one_role, tmp_path / "data")
    )


def test_token_and_config_answer_only_to_loopback_host_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = local_sign_in_page(tmp_path)

    async def scenario() -> None:
        async with gateway(monkeypatch, web=page) as gw:
            base = gw.url.replace("ws://", "http://")
            port = base.rsplit(":", 1)[1]
            rebound = f"rebind.evil.example:{port}"
            evil = {"Host": rebound, "Origin": f"http://{rebound}", "Sec-Fetch-Site": "same-origin"}
            status, _, body = await http_request(base, "POST", "/dev/token?user=ana&role=operator", evil)
            assert status == 403 and b"eyJ" not in body
            status, _, body = await http_request(base, "GET", "/config.json", evil)
            assert status == 403 and b"rebind" not in body
            # Host right, Origin another site's (or the rebound name): refused too.
            for origin in (f"http://{rebound}", "http://evil.example"):
                headers = {"Host": f"localhost:{port}", "Origin": origin}
                status, _, _ = await http_request(base, "POST", "/dev/token?user=ana", headers)
                assert status == 403, origin
                status, _, _ = await http_request(base, "GET", "/config.json", headers)
                assert status == 403, origin
            for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
                status, _, body = await http_request(base, "GET", "/config.json", {"Host": host})
                assert status == 200 and json.loads(body)["websocketUrl"] == f"ws://{host}", host
                same = {"Host": host, "Origin": f"http://{host}"}
                status, _, body = await http_request(base, "POST", "/dev/token?user=ana", same)
                assert status == 200 and json.loads(body)["token"].startswith("eyJ"), host

    run(scenario)


# --------------------------------------------------------------- 3. the WebSocket handshake's Origin


async def _handshake_status(url: str, origin: str | None) -> int:
    try:
        async with connect(url, origin=origin, open_timeout=T) as ws:  # type: ignore[arg-type]
            await recv_json(ws)
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_websocket_handshake_refuses_other_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch, allow_origins=["http://tools.example:9000"]) as gw:
            url = f"{gw.url}/?agent=a"
            port = gw.url.rsplit(":", 1)[1]
            for origin in ("http://evil.example", "null", f"http://rebind.evil.example:{port}"):
                assert await _handshake_status(url, origin) == 403, origin
            assert gw.events("GateFunction") == []  # refused before $connect ran
            for origin in (None, f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
                assert await _handshake_status(url, origin) == 101, origin
            assert await _handshake_status(url, "http://tools.example:9000") == 101  # --allow-origin

    run(scenario)


# ------------------------------------------------------------------ 4. stamped when the frame arrives


def test_request_time_is_the_time_a_frame_arrived_and_order_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch) as gw, connect(f"{gw.url}/?agent=a") as ws:
            await recv_json(ws)  # hello
            invoke = gw.gateway.runner.invoke

            def slow_invoke(logical_id: str, event: Any, **kw: Any) -> Any:
                if event.get("body") == "first":
                    time.sleep(0.6)  # the first frame's function runs long
                return invoke(logical_id, event, **kw)

            monkeypatch.setattr(gw.gateway.runner, "invoke", slow_invoke)
            await ws.send("first")
            await ws.send("second")
            sent_ms = time.time() * 1000
            assert [(await recv_json(ws))["body"] for _ in range(2)] == ["first", "second"]
            events = [e for e in gw.events("EchoFunction") if e.get("body") in ("first", "second")]
            assert [e["body"] for e in events] == ["first", "second"]
            second = events[1]["requestContext"]
            assert second["requestTimeEpoch"] <= sent_ms + 200  # not after the first one's 600 ms
            assert second["requestTimeEpoch"] > events[0]["requestContext"]["requestTimeEpoch"]  # strictly

    run(scenario)


# ------------------------------------------------------ 5. a token never logged, however it is spelled


def test_token_redacted_after_percent_decoding(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jwt = mint_token(tmp_path, user="ana", roles=["operator"])
    for spelled in ("token", "%74oken", "%54OKEN", "t%6Fken", "to%6ben"):
        shown = redact_path(f"/api/v1/ws/tws-general?x=1&{spelled}={jwt}&conversationId=c-1")
        assert jwt not in shown and "[redacted]" in shown and "conversationId=c-1" in shown, spelled
    assert jwt[:40] not in redact_path(f"/?tok%65n={jwt[:40]}%2E{jwt[41:]}")  # the value encoded too
    caplog.set_level(logging.INFO, logger="twschat-local")

    async def scenario() -> None:
        async with gateway(monkeypatch) as gw, connect(f"{gw.url}/?agent=a&%74oken={jwt}") as ws:
            await recv_json(ws)

    run(scenario)
    assert "connected" in caplog.text and jwt not in caplog.text


# ------------------------------------------------------------- 6. identifiers match whole: no "ana\n"


def test_identifiers_with_a_trailing_newline_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = local_sign_in_page(tmp_path)
    with pytest.raises(ValueError):
        mint_token(tmp_path / "data", user="ana\n", roles=["operator"])

    async def scenario() -> None:
        async with gateway(monkeypatch, web=page) as gw:
            base = gw.url.replace("ws://", "http://")
            status, _, body = await http_request(base, "POST", "/dev/token?user=ana%0A&role=operator")
            assert status == 400 and b"eyJ" not in body

    run(scenario)

    async def chat() -> None:
        async with chat_gateway(monkeypatch, tmp_path / "chat") as gw:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"{gw.url}/api/v1/ws/tws-general?conversationId=c-abcdefgh%0A"):
                    pass
            assert refused.value.response.status_code == 400  # malformed, not "unknown conversation"
            async with connect(f"{gw.url}/api/v1/ws/tws-general") as ws:
                await recv_json(ws)  # welcome
                await ws.send(json.dumps({"type": "history", "before": "0000000000001#m\n"}))
                error = await recv_json(ws)
                assert (error["type"], error.get("code")) == ("error", "invalid_request"), error

    asyncio.run(asyncio.wait_for(chat(), 60))
