"""``twschat serve``: the command line, the checks before the start and the banner."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server

from twschat_dev.connections_api import LocalApiServer
from twschat_dev.gateway.server import (
    IDLE_TIMEOUT_S,
    INTEGRATION_TIMEOUT_S,
    MAX_CONNECTION_S,
    MAX_FRAME_BYTES,
    MAX_MESSAGE_BYTES,
    Gateway,
)
from twschat_dev.gateway.web import _LOOPBACK, LOOPBACK_HOST_NAMES, WebPage, default_web_dir
from twschat_dev.runtime import FunctionRunner, Invocation
from twschat_dev.serve_banner import chat_lines, has_aws_credentials, responder_line, start_errors, tws_line
from twschat_dev.template import (
    LocalApp,
    StoreChoice,
    StoreNotReady,
    TemplateError,
    add_local_arguments,
    apply_local_environment,
    parameter_overrides,
    read_app,
)

log = logging.getLogger("twschat-local")

# ---------------------------------------------------------------------------------------- CLI


def setup_console(verbose: bool) -> None:
    """Gateway lines to stderr (handler logs stay on stdout, JSON, as in CloudWatch)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s twschat-local %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("twschat-local")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("twschat-local.websockets").setLevel(logging.INFO if verbose else logging.WARNING)


def quiet_powertools(verbose: bool) -> None:
    """With metrics disabled, Powertools still warns on every invocation that there were none."""
    if not verbose:
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def serve_command(
    template: Path,
    *,
    port: int,
    api_port: int,
    data_dir: Path,
    dynamodb_endpoint: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The argv that starts ``twschat serve`` in a subprocess of this interpreter (tests, benchmarks)."""
    cmd = [sys.executable, "-m", "twschat_dev.cli", "serve", "--template", str(template)]
    cmd += ["--port", str(port), "--api-port", str(api_port), "--data-dir", str(data_dir)]
    if dynamodb_endpoint:
        cmd += ["--dynamodb-endpoint", dynamodb_endpoint]
    return cmd + list(extra_args)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the local WebSocket gateway (API Gateway behaviour, handlers from template.yaml)",
        description="Local development gateway: a WebSocket server that runs the template's Lambda "
        "handlers like API Gateway does. No AWS account, no Docker. Not for production.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=port_number, default=8030, help="WebSocket port (default: %(default)s)"
    )
    parser.add_argument(
        "--api-port",
        type=port_number,
        default=None,
        help="@connections and Lambda Invoke API port on 127.0.0.1 (default: port+1)",
    )
    add_local_arguments(parser)
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT_S,
        help="close idle connections after SECONDS like API Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--max-duration",
        type=float,
        default=MAX_CONNECTION_S,
        help="close connections after SECONDS like API Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--integration-timeout",
        type=float,
        default=INTEGRATION_TIMEOUT_S,
        metavar="SECONDS",
        help="tell the client 'Endpoint request timed out' when a route's function runs longer, like API "
        "Gateway (default: %(default)s; 0: never)",
    )
    parser.add_argument(
        "--schedule-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the template's scheduled functions (the sweeper) this often instead of their rate() "
        "(0: never)",
    )
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the alert watcher (WatchFunction) this often instead of its WatchIntervalSeconds "
        "schedule (0: never)",
    )
    parser.add_argument(
        "--web-dir",
        type=Path,
        default=None,
        help="the operators' web page served at http://HOST:PORT/ (default: web/ next to the template)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also accept WebSocket handshakes from pages of ORIGIN (e.g. http://localhost:5173); repeat "
        "for several. Default: only this gateway's own page; clients that send no Origin always connect",
    )
    parser.add_argument(
        "--reset-demo",
        action="store_true",
        help="start the demo plan over: forget what was done to it (kept in --data-dir beside the "
        "conversations, which stay)",
    )
    parser.set_defaults(func=run_serve)


def reset_demo(args: argparse.Namespace) -> list[str]:
    """``--reset-demo``: delete the demo plans' saved state in the data directory; the files removed."""
    if not getattr(args, "reset_demo", False):
        return []
    removed = sorted(p.name for p in Path(args.data_dir).glob("demo-plan-*.json"))
    for name in removed:
        (Path(args.data_dir) / name).unlink(missing_ok=True)
    return removed


def run_serve(args: argparse.Namespace) -> int:
    setup_console(args.verbose)
    quiet_powertools(args.verbose)
    if args.host not in _LOOPBACK:
        log.warning("listening on %s: this development gateway has no authentication", args.host)
    errors = start_errors(args)
    reset_demo(args)
    try:
        app = read_app(args.template, parameter_overrides=parameter_overrides(args))
    except TemplateError as exc:
        errors.append(str(exc))
    else:
        if not app.routes:
            errors.append(f"{app.template_path} has no usable WebSocket routes")
    web_dir = args.web_dir if args.web_dir is not None else default_web_dir(Path(args.template))
    if web_dir is not None and not (web_dir / "index.html").is_file():
        errors.append(f"--web-dir {web_dir} has no index.html")
    taken = _port_taken(args.host, args.port)
    if taken:
        errors.append(f"cannot listen on {args.host}:{args.port} (--port): {taken}")
    if errors:
        for error in errors:
            print(f"twschat serve: {error}", file=sys.stderr)
        return 2
    # Before the gateway gives the handlers their local stand-in credentials.
    credentials = args.responder == "bedrock" and not args.bedrock_endpoint and has_aws_credentials()
    runner = FunctionRunner(app, observer=_observer(args.verbose))
    web = WebPage(web_dir, auth=args.auth, hosts=page_hosts(args.host))
    gateway = Gateway(
        app,
        runner,
        stage=args.stage,
        verbose=args.verbose,
        idle_timeout=args.idle_timeout,
        max_duration=args.max_duration,
        integration_timeout=args.integration_timeout,
        schedule_interval=args.schedule_interval,
        watch_interval=args.watch_interval,
        auth=args.auth,
        web=web,
        allow_origins=args.allow_origin,
    )
    started = _start_api(args, app, gateway, runner, web)
    if isinstance(started, str):
        print(f"twschat serve: {started}", file=sys.stderr)
        return 2
    api, store = started
    for logical_id in app.functions:  # cold starts now, and import errors before the first client
        try:
            runner.handler(logical_id)
        except Exception:
            log.exception("%s cannot be loaded; its invocations will fail", logical_id)
    sources = [
        f"  tws:      {tws_line(args)}",
        f"  responder: {responder_line(args, credentials=credentials)}",
    ]
    ready = functools.partial(_print_banner, args, gateway, api, store.describe(app), sources)
    api.start()
    try:
        asyncio.run(gateway.serve(args.host, args.port, on_ready=ready))
    except OSError as exc:
        print(f"twschat serve: cannot listen on {args.host}:{args.port} (--port): {exc}", file=sys.stderr)
        return 2
    finally:
        api.stop()
        if not runner.wait_async(timeout=10):
            log.warning("asynchronous invocations still running at exit")
    log.info("stopped")
    return 0


def port_number(text: str) -> int:
    """An argparse type: a TCP port (0: any free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _port_taken(host: str, port: int) -> str:
    """Why ``host:port`` cannot be listened on ('' when it can), checked before anything else binds,
    so the message names the port the user gave (``--port``) rather than the API port next to it."""
    if not port:
        return ""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in infos[:1]:
            with socket.socket(family, kind, proto) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
                sock.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _start_api(
    args: argparse.Namespace, app: LocalApp, gateway: Gateway, runner: FunctionRunner, web: WebPage
) -> tuple[LocalApiServer, StoreChoice] | str:
    """The @connections / Lambda Invoke server and the handlers' environment; an error message else."""
    api_port = args.api_port if args.api_port is not None else (args.port + 1 if args.port else 0)
    try:
        api = LocalApiServer(gateway, runner, stage=args.stage, port=api_port)
    except (OSError, OverflowError) as exc:
        which = "--api-port" if args.api_port is not None else "port+1; choose another with --api-port"
        return f"cannot listen on 127.0.0.1:{api_port} ({which}): {getattr(exc, 'strerror', None) or exc}"
    try:
        store = apply_local_environment(app, args, api_port=api.port)
    except StoreNotReady as exc:
        api.server_close()
        return str(exc)
    os.environ.update(api.handler_environment())  # the Invoke API's secret: for the handlers only
    runner.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or runner.region
    if args.auth == "local":
        from twschat_dev.auth import jwks

        if app.connect_authorizer is None:
            api.server_close()
            return "--auth local needs an AWS::ApiGatewayV2::Authorizer in the template"
        api.jwks = jwks(args.data_dir)
        web.mint = functools.partial(_mint_one_role, args.data_dir)
    return api, store


def _print_banner(
    args: argparse.Namespace,
    gateway: Gateway,
    api: LocalApiServer,
    store: str,
    sources: list[str],
    server: Server,
) -> None:
    app, web = gateway.app, gateway.web
    port = int(next(iter(server.sockets)).getsockname()[1])
    shown = "localhost" if args.host in _LOOPBACK else args.host
    base = f"ws://{shown}:{port}"
    routes = ", ".join(f"{key} -> {r.function}" for key, r in sorted(app.routes.items()))
    auth = (
        f"local tokens (twschat token --user ana --role operator), {app.connect_authorizer} on $connect"
        if args.auth == "local"
        else "none (development mode, announced in the welcome)"
    )
    lines = [
        f"twschat local gateway (development only) - {app.template_path}",
        f"  routes:   {routes}",
        f"  connect:  {base}/api/v1/ws/tws-general",
        f"            {base}/?agent=tws-general&conversationId=<id to continue>",
        *chat_lines(f"{base}/api/v1/ws/tws-general"),
        f"  web:      http://{shown}:{port}/"
        + ("" if web and web.directory else " (no web/ folder: --web-dir DIR)")
        + (" (development sign-in: POST /dev/token)" if web and web.mint else ""),
        f"  auth:     {auth}",
        f"  store:    {store}",
        *sources,
        f"  api:      http://127.0.0.1:{api.port}/{args.stage}/@connections/{{id}} "
        "(+ Lambda Invoke API on the same port, for the handlers only)",
        f"  limits:   message {MAX_MESSAGE_BYTES // 1024} KB, frame {MAX_FRAME_BYTES // 1024} KB, "
        f"idle {args.idle_timeout:g} s, connection {args.max_duration:g} s",
        f"  listening on {args.host}:{port}; Ctrl-C stops",
    ]
    for lid, every in gateway._schedules():
        lines.insert(2, f"  schedule: {lid} every {every:g} s")
    print("\n".join(lines), flush=True)


def page_hosts(listen_host: str) -> tuple[str, ...]:
    """The names the page may be reached under: loopback names, and ``--host`` when it is one address
    (not a wildcard: 0.0.0.0 is no name a browser uses)."""
    name = f"[{listen_host}]" if ":" in listen_host else listen_host
    if name.lower() in LOOPBACK_HOST_NAMES or listen_host in ("0.0.0.0", "::", ""):
        return LOOPBACK_HOST_NAMES
    return (*LOOPBACK_HOST_NAMES, name.lower())


def _mint_one_role(data_dir: Path, user: str, role: str) -> str:
    from twschat_dev.auth import mint_token

    return mint_token(data_dir, user=user, roles=[role] if role else [])


def _observer(verbose: bool) -> Callable[[Invocation], None] | None:
    def observe(inv: Invocation) -> None:
        status = f"error {type(inv.error).__name__}" if inv.error else _result_summary(inv.result)
        kind = "async " if inv.asynchronous else ""
        log.debug("  %s%s %s (%.0f ms)", kind, inv.function, status, inv.elapsed_ms)

    return observe if verbose else None


def _result_summary(result: Any) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return f"statusCode {result['statusCode']}"
    return "ok"
