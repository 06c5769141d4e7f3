"""The local gateway's API Gateway behaviour, in process, with the fixture template's stub handlers.

(The chat itself, with the project's real handlers, is tested in tests/integration/test_gateway_chat.py.)
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from twschat import runtime
from twschat_dev.connections_api import LocalApiServer
from twschat_dev.gateway import Gateway, new_id, parse_connect_path, request_time
from twschat_dev.runtime import FunctionRunner
from twschat_dev.template import local_environment, read_app

FIXTURE = Path(__file__).parent / "fixtures" / "local_app" / "template.yaml"
T = 10  # seconds: bound on every wait


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("TARGET_FUNCTION_NAME", "EchoFunction"),
    ):
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class Running:
    def __init__(self, gateway: Gateway, port: int) -> None:
        self.gateway = gateway
        self.url = f"ws://localhost:{port}"

    def events(self, function: str) -> list[dict[str, Any]]:
        return sys.modules[f"twschat_local_functions.{function}"].events_seen


@asynccontextmanager
async def gateway(
    monkeypatch: pytest.MonkeyPatch, *, template: Path = FIXTURE, **options: Any
) -> AsyncIterator[Running]:
    app = read_app(template)
    runner = FunctionRunner(app)
    gw = Gateway(app, runner, stage="local", **options)
    api = LocalApiServer(gw, runner, stage="local")
    monkeypatch.setenv("CONNECTIONS_API_URL", f"http://127.0.0.1:{api.port}/local")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", api.lambda_endpoint_url)
    api.start()
    for logical_id in app.functions:
        runner.handler(logical_id)
        events = sys.modules[f"twschat_local_functions.{logical_id}"].__dict__.get("events_seen")
        if events is not None:
            events.clear()
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        gw.serve(
            "127.0.0.1",
            0,
            stop=stop,
            handle_signals=False,
            on_ready=lambda server: ready.set_result(next(iter(server.sockets)).getsockname()[1]),
        )
    )
    try:
        async with asyncio.timeout(T):
            port = await ready
        yield Running(gw, port)
    finally:
        stop.set()
        async with asyncio.timeout(T):
            await task
        api.stop()
        assert runner.wait_async(timeout=T)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout=60))


async def recv_json(ws: ClientConnection) -> Any:
    async with asyncio.timeout(T):
        return json.loads(await ws.recv())


async def wait_for(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(T):
        while not condition():
            await asyncio.sleep(0.01)


def test_ids_and_times() -> None:
    ident = new_id()
    assert len(ident) == 16 and ident.endswith("=")
    assert request_time(1795608000000) == "25/Nov/2026:12:00:00 +0000"
    assert parse_connect_path("/api/v1/ws/tws-general") == {"agent": ["tws-general"]}
    assert parse_connect_path("/api/v1/ws/tws%20x/?conversationId=c1") == {
        "agent": ["tws x"],
        "conversationId": ["c1"],
    }
    assert parse_connect_path("/?agent=a&agent=b") == {"agent": ["a", "b"]}
    assert parse_connect_path("/") == {}
    assert parse_connect_path("/other") is None
    assert parse_connect_path("/api/v1/ws/") is None


def test_connect_events_frames_and_disconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch) as gw:
            async with connect(f"{gw.url}/api/v1/ws/tws-general?conversationId=c-1") as ws:
                hello = await recv_json(ws)
                # the async function posted after the handshake; the $connect handler's own post got 410
                assert hello == {
                    "type": "hello",
                    "early": "gone",
                    "query": {"agent": "tws-general", "conversationId": "c-1"},
                }
                connect_event = gw.events("GateFunction")[-1]
                ctx = connect_event["requestContext"]
                assert ctx["routeKey"] == "$connect" and ctx["eventType"] == "CONNECT"
                assert ctx["stage"] == "local" and ctx["apiId"] == "local"
                assert ctx["domainName"] == gw.url.removeprefix("ws://")
                assert ctx["identity"]["sourceIp"] == "127.0.0.1"
                assert connect_event["headers"]["Host"] == ctx["domainName"]
                assert connect_event["multiValueQueryStringParameters"]["agent"] == ["tws-general"]
                assert connect_event["isBase64Encoded"] is False
                cid = ctx["connectionId"]

                await ws.send("qual job esta em abend?")
                assert await recv_json(ws) == {
                    "type": "echo",
                    "body": "qual job esta em abend?",
                    "length": 23,
                    "routeKey": "$default",
                }
                await ws.send(b"\x00\x01")
                async with asyncio.timeout(T):
                    assert await ws.recv() == b"\xff\x00\x01"  # non-UTF-8 post -> binary frame
                binary = gw.events("EchoFunction")[-1]
                assert binary["isBase64Encoded"] is True
                assert base64.b64decode(binary["body"]) == b"\x00\x01"
                await ws.send(json.dumps({"action": "reply", "x": 1}))
                assert (await recv_json(ws))["routeKey"] == "reply"
                assert (await recv_json(ws))["type"] == "route-response"  # RouteResponseSelectionExpression
                await ws.send(json.dumps({"action": "nope"}))
                assert (await recv_json(ws))["routeKey"] == "$default"
                await ws.send(json.dumps({"action": "boom"}))
                error = await recv_json(ws)
                assert error["message"] == "Internal server error" and error["connectionId"] == cid
                messages = [
                    e
                    for e in gw.events("EchoFunction")
                    if e.get("requestContext", {}).get("eventType") == "MESSAGE"
                ]
                ids = {e["requestContext"]["messageId"] for e in messages}
                assert len(ids) == len(messages)
                assert all(e["requestContext"]["connectedAt"] == ctx["connectedAt"] for e in messages)
                assert gw.gateway.describe(cid) is not None
                await ws.close(4000, "bye")
            await wait_for(
                lambda: any(
                    e.get("requestContext", {}).get("eventType") == "DISCONNECT"
                    for e in gw.events("EchoFunction")
                )
            )
            disconnect = gw.events("EchoFunction")[-1]["requestContext"]
            assert disconnect["connectionId"] == cid
            assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (4000, "bye")
            assert gw.gateway.describe(cid) is None

    run(scenario)


def test_connect_rejections(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch) as gw:
            with pytest.raises(InvalidStatus) as info:
                await connect(f"{gw.url}/api/v1/ws/a?deny=403", open_timeout=T)
            assert info.value.response.status_code == 403
            with pytest.raises(InvalidStatus) as info:
                await connect(f"{gw.url}/?deny=401", open_timeout=T)
            assert info.value.response.status_code == 401
            with pytest.raises(InvalidStatus) as info:
                await connect(f"{gw.url}/elsewhere", open_timeout=T)
            assert info.value.response.status_code == 404
            assert len(gw.events("GateFunction")) == 2  # the 404 never reached $connect
            assert not gw.events("EchoFunction")  # a refused connection gets no $disconnect

    run(scenario)


def test_frame_and_message_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch) as gw:
            async with connect(f"{gw.url}/?agent=a", max_size=None) as ws:
                await recv_json(ws)
                await ws.send("a" * (32 * 1024))  # exactly one 32 KB frame: fine
                assert (await recv_json(ws))["length"] == 32 * 1024
                await ws.send("a" * (32 * 1024 + 1))
                with pytest.raises(ConnectionClosedError) as info:
                    async with asyncio.timeout(T):
                        await ws.recv()
                assert info.value.rcvd is not None and info.value.rcvd.code == 1009
            async with connect(f"{gw.url}/?agent=a", max_size=None) as ws:
                await recv_json(ws)
                # 128 KB in 32 KB fragments is one acceptable message; one byte more is not
                await ws.send(["b" * (32 * 1024)] * 4)
                assert (await recv_json(ws))["length"] == 128 * 1024
                await ws.send(["b" * (32 * 1024)] * 4 + ["b"])
                with pytest.raises(ConnectionClosedError) as info:
                    async with asyncio.timeout(T):
                        await ws.recv()
                assert info.value.rcvd is not None and info.value.rcvd.code == 1009
            await wait_for(
                lambda: (
                    sum(
                        e.get("requestContext", {}).get("eventType") == "DISCONNECT"
                        for e in gw.events("EchoFunction")
                    )
                    == 2
                )
            )
            codes = [
                e["requestContext"]["disconnectStatusCode"]
                for e in gw.events("EchoFunction")
                if e.get("requestContext", {}).get("eventType") == "DISCONNECT"
            ]
            assert codes == [1009, 1009]

    run(scenario)


def test_delete_connection_and_idle_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with gateway(monkeypatch, idle_timeout=0.5) as gw:
            async with connect(f"{gw.url}/?agent=a") as ws:
                await recv_json(ws)
                await ws.send("close me")  # the handler calls DeleteConnection on its own connection
                async with asyncio.timeout(T):
                    await ws.wait_closed()
                assert ws.close_code == 1000
            async with connect(f"{gw.url}/?agent=a") as ws:
                await recv_json(ws)
                async with asyncio.timeout(T):
                    await ws.wait_closed()  # nothing sent for 0.5 s
                assert ws.close_code == 1001
            await wait_for(
                lambda: (
                    sum(
                        e.get("requestContext", {}).get("eventType") == "DISCONNECT"
                        for e in gw.events("EchoFunction")
                    )
                    == 2
                )
            )
            reasons = [
                (e["requestContext"]["disconnectStatusCode"], e["requestContext"]["disconnectReason"])
                for e in gw.events("EchoFunction")
                if e.get("requestContext", {}).get("eventType") == "DISCONNECT"
            ]
            assert reasons == [(1000, "Connection closed by DeleteConnection"), (1001, "Going away")]

    run(scenario)


def test_shutdown_runs_disconnect_for_open_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        clients: list[ClientConnection] = []
        async with gateway(monkeypatch) as gw:
            for _ in range(3):
                ws = await connect(f"{gw.url}/?agent=a")
                await recv_json(ws)
                clients.append(ws)
            running = gw
        # leaving the context stopped the gateway: every client saw 1001 and $disconnect ran for each
        for ws in clients:
            async with asyncio.timeout(T):
                await ws.wait_closed()
            assert ws.close_code == 1001
        disconnects = [
            e
            for e in running.events("EchoFunction")
            if e.get("requestContext", {}).get("eventType") == "DISCONNECT"
        ]
        assert len(disconnects) == 3
        assert {e["requestContext"]["disconnectStatusCode"] for e in disconnects} == {1001}

    run(scenario)


def test_invoke_command_prints_frames_and_runs_async_invocations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from twschat_dev.cli import main

    event = tmp_path / "connect.json"
    event.write_text(
        json.dumps(
            {
                "queryStringParameters": {"agent": "tws-general"},
                "requestContext": {"connectionId": "Bx2kXcPOoAMCJdA=", "routeKey": "$connect"},
            }
        )
    )
    saved = dict(os.environ)
    try:
        code = main(
            ["invoke", "connect", str(event), "--template", str(FIXTURE), "--data-dir", str(tmp_path)]
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out = capsys.readouterr().out
    assert code == 0, out
    # in `twschat invoke` every connection is live, so even the post during $connect goes through
    assert "=== frame posted to Bx2kXcPOoAMCJdA=\ntoo early\n" in out
    assert '"type": "hello"' in out and '"early": "posted"' in out  # from the async EchoFunction
    assert "=== response of GateFunction" in out
    assert "=== async invocation of EchoFunction returned" in out
    bad = main(["invoke", "nope", str(event), "--template", str(FIXTURE)])
    assert bad == 2


# ---------------------------------------------------------------------------------------- bad frames

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
GOOD_QUESTION = "quais jobs estão em abend?"


@asynccontextmanager
async def chat_gateway(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> AsyncIterator[Running]:
    """The project's template and handlers, sqlite in ``data_dir``, as ``twschat serve`` runs them."""
    env, _ = local_environment(read_app(TEMPLATE), api_port=0, stage="local", data_dir=data_dir)
    env.update(TWS_MODE="demo", AUTH_MODE="none")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runtime.reset()
    try:
        async with gateway(monkeypatch, template=TEMPLATE) as gw:
            yield gw
    finally:
        runtime.reset()


BAD_FRAMES = [
    ('{"message": "\\ud800"}', "invalid_text"),  # a lone surrogate, as the JSON escape a client can send
    ('{"message": "job \\udfff abend", "action": "x"}', "invalid_text"),
    ("[" * 15000 + "]" * 15000, "not_an_object"),
    ('{"message": ' + "[" * 10_000 + "]" * 10_000 + "}", "invalid_json"),  # deep for route selection too
    ("\u200b\u200c\u200d\ufeff\u2060", "empty_message"),
    ("rerun JOB002 \u202e3B0J", "control_characters"),
    ("\u2066JOB002\u2069 abend", "control_characters"),
]


def test_bad_frames_get_their_error_code_and_the_connection_goes_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            chat_gateway(monkeypatch, tmp_path) as gw,
            connect(f"{gw.url}/api/v1/ws/tws-general") as ws,
        ):
            assert (await recv_json(ws))["type"] == "welcome"
            for frame, code in BAD_FRAMES:
                await ws.send(frame)
                error = await recv_json(ws)
                assert (error["type"], error.get("code")) == ("error", code), (frame[:40], error)
                await ws.send('{"type": "ping"}')
                assert (await recv_json(ws))["type"] == "pong"
                await ws.send(GOOD_QUESTION)
                reply = await recv_json(ws)
                assert reply["type"] == "message" and "JOB002" in reply["message"]

    run(scenario)


def test_route_selection_falls_back_to_default_on_anything_it_cannot_parse() -> None:
    app = read_app(FIXTURE)
    gw = Gateway(app, FunctionRunner(app))
    assert gw._select_route('{"action": "reply"}') == "reply"
    for text in ['{"action": ' + "[" * 100_000 + "]" * 100_000 + "}", '{"action": "reply"', "{" * 50_000]:
        assert gw._select_route(text) == "$default"


def test_a_fault_in_the_gateway_costs_one_message_not_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_selection(text: str) -> str:
        raise RuntimeError("a gateway bug")

    async def scenario() -> None:
        async with gateway(monkeypatch) as gw, connect(f"{gw.url}/?agent=a") as ws:
            await recv_json(ws)
            with monkeypatch.context() as patch:
                patch.setattr(gw.gateway, "_select_route", broken_selection)
                await ws.send("first")
                assert (await recv_json(ws))["message"] == "Internal server error"
            await ws.send("second")
            assert (await recv_json(ws))["body"] == "second"

    run(scenario)


# ---------------------------------------------------------------------------------------- the web page


async def http_request(
    url: str, method: str = "GET", path: str = "/", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request (no Upgrade) to the gateway's port; the path is sent as given."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)

    def call() -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=T)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    return await asyncio.to_thread(call)


def _web_dir(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>chat</title>", encoding="utf-8")
    (web / "js" / "app.js").write_text("export {};", encoding="utf-8")
    (web / "style.css").write_text("body{}", encoding="utf-8")
    (web / "notes.md").write_text("not served", encoding="utf-8")
    (web / ".secret.json").write_text("{}", encoding="utf-8")
    (tmp_path / "outside.json").write_text('{"outside": true}', encoding="utf-8")
    return web


def test_web_page_files_config_and_security_headers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from twschat_dev.gateway import WebPage, default_web_dir

    web = _web_dir(tmp_path)
    # The repository's page is found next to the template (and from the editable install).
    assert default_web_dir(Path(__file__).resolve().parents[2] / "template.yaml") is not None
    assert default_web_dir(FIXTURE) is not None

    async def scenario() -> None:
        async with gateway(monkeypatch, web=WebPage(web, auth="none")) as gw:
            base = gw.url.replace("ws://", "http://")
            host = base.removeprefix("http://")
            status, headers, body = await http_request(base, path="/")
            assert status == 200 and body.startswith(b"<!doctype html>")
            assert headers["content-type"] == "text/html; charset=utf-8"
            csp = headers["content-security-policy"]
            for directive in (
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                f"connect-src 'self' ws://{host}",
                "frame-ancestors 'none'",
                "require-trusted-types-for 'script'",
            ):
                assert directive in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-frame-options"] == "DENY"
            assert headers["cache-control"] == "no-store"

            for path, content_type in (
                ("/js/app.js", "text/javascript; charset=utf-8"),
                ("/style.css", "text/css; charset=utf-8"),
                ("/index.html?code=abc&state=xyz", "text/html; charset=utf-8"),  # a sign-in redirect
            ):
                status, headers, _ = await http_request(base, path=path)
                assert (status, headers["content-type"]) == (200, content_type), path

            status, headers, body = await http_request(base, path="/config.json")
            assert status == 200 and headers["content-type"] == "application/json"
            assert json.loads(body) == {
                "websocketUrl": f"ws://{host}",
                "auth": {"mode": "none"},
                "environment": "local",
            }

            # Only listed file types under web/, no dotfiles, nothing outside it.
            for path in (
                "/notes.md",
                "/.secret.json",
                "/../outside.json",
                "/%2e%2e/outside.json",
                "/js/",
                "/nope.js",
            ):
                status, _, _ = await http_request(base, path=path)
                assert status == 404, path
            for method, path in (("POST", "/"), ("PUT", "/index.html"), ("POST", "/dev/token")):
                status, headers, _ = await http_request(base, method=method, path=path)
                assert (status, headers["allow"]) == (405, "GET"), (method, path)
            status, _, _ = await http_request(base, path="/", headers={"Host": "evil'; script-src *"})
            assert status == 400  # a Host that could not go into the CSP header as is

            # WebSocket upgrades on the same paths still reach $connect.
            async with connect(f"{gw.url}/?agent=a") as ws:
                assert (await recv_json(ws))["type"] == "hello"

    run(scenario)


def test_dev_token_endpoint_mints_local_tokens_for_this_origin_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import functools

    import jwt
    from websockets.datastructures import Headers
    from websockets.http11 import Request

    from twschat_dev.auth import LOCAL_CLIENT_ID, jwks
    from twschat_dev.gateway import WebPage, _mint_one_role

    page = WebPage(
        _web_dir(tmp_path), auth="local", mint=functools.partial(_mint_one_role, tmp_path / "data")
    )

    async def scenario() -> None:
        async with gateway(monkeypatch, web=page) as gw:
            base = gw.url.replace("ws://", "http://")
            host = base.removeprefix("http://")
            status, _, body = await http_request(base, path="/config.json")
            assert json.loads(body)["auth"] == {"mode": "local", "tokenEndpoint": "/dev/token"}

            origin = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
            status, headers, body = await http_request(
                base, "POST", "/dev/token?user=ana&role=operator", {**origin, "Content-Length": "0"}
            )
            assert status == 200 and headers["cache-control"] == "no-store"
            token = json.loads(body)["token"]
            key = jwt.PyJWK(jwks(tmp_path / "data")["keys"][0])
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=LOCAL_CLIENT_ID)
            assert claims["cognito:username"] == "ana" and claims["cognito:groups"] == ["operator"]
            status, _, body = await http_request(base, "POST", "/dev/token?user=bia")  # curl: no Origin
            assert status == 200
            key_claims = jwt.decode(json.loads(body)["token"], options={"verify_signature": False})
            assert key_claims["cognito:groups"] == []  # no role: may ask, may not act

            for path, headers_, expected in (
                ("/dev/token?user=ana&role=admin", {"Origin": "http://evil.example"}, 403),
                ("/dev/token?user=ana&role=admin", {"Origin": f"https://{host}"}, 403),
                ("/dev/token?user=ana&role=admin", {"Sec-Fetch-Site": "cross-site"}, 403),
                ("/dev/token?user=ana&role=root", origin, 400),
                ("/dev/token?user=ana%20maria&role=viewer", origin, 400),
                ("/dev/token?role=viewer", origin, 400),
            ):
                status, _, body = await http_request(base, "POST", path, headers_)
                assert status == expected, (path, headers_, body)
                assert b"token" not in body or b'"token"' not in body
            status, headers, _ = await http_request(base, "GET", "/dev/token?user=ana")
            assert (status, headers["allow"]) == (405, "POST")

    run(scenario)

    # Only from this machine: a token endpoint on --host 0.0.0.0 would let anyone act as anyone.
    request = Request("/dev/token?user=ana&role=admin", Headers({"Host": "localhost:8030"}), "POST")
    response = asyncio.run(page.respond(request, "10.1.2.3"))
    assert response.status_code == 403 and b"loopback" in response.body
