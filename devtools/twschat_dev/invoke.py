"""``twschat invoke ROUTE EVENT_FILE``: run one handler on one event file, without Docker.

Same environment as ``twschat serve``, with an in-process ``@connections`` + Lambda Invoke emulator
on an ephemeral loopback port where every connection id is live. Prints each frame the handler posts,
the handler's response, and runs (and prints) any function it invoked asynchronously, e.g.
``twschat invoke connect events/connect.json`` shows the welcome frame posted by WelcomeFunction.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from twschat_dev.connections_api import ConnectionInfo, LocalApiServer
from twschat_dev.runtime import FunctionRunner, Invocation
from twschat_dev.template import (
    StoreNotReady,
    TemplateError,
    add_local_arguments,
    apply_local_environment,
    parameter_overrides,
    read_app,
)

ASYNC_WAIT_S = 60.0


class RecordingConnections:
    """Every connection id is live; posts and deletes are printed and kept."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.frames: list[tuple[str, bytes]] = []
        self.deleted: list[str] = []
        self._lock = threading.Lock()
        self._started = time.time()

    def post(self, connection_id: str, data: bytes) -> bool:
        with self._lock:
            self.frames.append((connection_id, data))
            _section(self.out, f"frame posted to {connection_id}", _pretty_bytes(data))
        return True

    def describe(self, connection_id: str) -> ConnectionInfo:
        return ConnectionInfo(self._started, time.time(), "127.0.0.1", "twschat-invoke")

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            self.deleted.append(connection_id)
            _section(self.out, f"connection {connection_id} deleted", None)
        return True


def _pretty_bytes(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"<binary, {len(data)} bytes>"
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _section(out: TextIO, title: str, body: str | None) -> None:
    out.write(f"=== {title}\n")
    if body is not None:
        out.write(body + "\n")
    out.flush()


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "invoke",
        help="run one handler on one event file (no Docker), printing frames and response",
        description="Run the handler of ROUTE on the event in EVENT_FILE with the local gateway's "
        "environment. ROUTE is connect, default, disconnect, welcome, a route key ($connect) or a "
        "function logical id.",
    )
    parser.add_argument("route", metavar="ROUTE")
    parser.add_argument("event_file", metavar="EVENT_FILE", type=Path)
    add_local_arguments(parser)
    parser.set_defaults(func=run_invoke)


def run_invoke(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from twschat_dev.gateway import quiet_powertools, setup_console

    setup_console(args.verbose)
    quiet_powertools(args.verbose)
    try:
        app = read_app(args.template, parameter_overrides=parameter_overrides(args))
    except TemplateError as exc:
        print(f"twschat invoke: {exc}", file=sys.stderr)
        return 2
    spec = app.resolve_function(args.route)
    if spec is None:
        choices = ", ".join(app.function_choices())
        print(
            f"twschat invoke: unknown route or function {args.route!r} (choose from {choices})",
            file=sys.stderr,
        )
        return 2
    try:
        event = json.loads(args.event_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"twschat invoke: cannot read {args.event_file}: {exc}", file=sys.stderr)
        return 2

    failures: list[str] = []
    lock = threading.Lock()

    def observe(inv: Invocation) -> None:
        if inv.function == spec.logical_id and not inv.asynchronous:
            return  # the main response is printed below
        with lock:
            if inv.error is not None:
                failures.append(inv.function)
            kind = "async invocation" if inv.asynchronous else "invocation"
            result = (
                f"{type(inv.error).__name__}: {inv.error}"
                if inv.error
                else json.dumps(inv.result, indent=2, default=str, ensure_ascii=False)
            )
            _section(out, f"{kind} of {inv.function} returned ({inv.elapsed_ms:.0f} ms)", result)

    connections = RecordingConnections(out)
    runner = FunctionRunner(app, observer=observe)
    api = LocalApiServer(connections, runner, stage=None)
    try:
        store = apply_local_environment(app, args, api_port=api.port)
    except StoreNotReady as exc:
        api.server_close()
        print(f"twschat invoke: {exc}", file=sys.stderr)
        return 2
    os.environ.update(api.handler_environment())  # the Invoke API's secret: for the handlers only
    api.start()
    try:
        _section(
            out, f"invoking {spec.logical_id} with {args.event_file} (store: {store.describe(app)})", None
        )
        start = time.perf_counter()
        try:
            result = runner.invoke(spec.logical_id, event)
        except Exception as exc:
            _section(out, f"{spec.logical_id} raised {type(exc).__name__}", str(exc))
            failures.append(spec.logical_id)
        else:
            elapsed = (time.perf_counter() - start) * 1000
            _section(
                out,
                f"response of {spec.logical_id} ({elapsed:.0f} ms)",
                json.dumps(result, indent=2, default=str, ensure_ascii=False),
            )
        if not runner.wait_async(timeout=ASYNC_WAIT_S):
            print(
                f"twschat invoke: asynchronous invocations still running after {ASYNC_WAIT_S:.0f} s",
                file=sys.stderr,
            )
            failures.append("async timeout")
    finally:
        api.stop()
    return 1 if failures else 0
