"""``twschat fake-bedrock``: a local Amazon Bedrock Runtime endpoint speaking the real Converse and
ConverseStream wire protocol, with a deterministic "model" (:mod:`.model`) and faults on request.

Development and tests only: loopback addresses only, plain HTTP, no credentials checked (the SigV4
header boto3 sends is ignored). Point the real client at it::

    boto3.client("bedrock-runtime", endpoint_url="http://127.0.0.1:31117", region_name="us-east-1")
    # or: AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:31117

- ``POST /model/{modelId}/converse``: the JSON ConverseResponse (``output.message``, ``stopReason``,
  ``usage``, ``metrics.latencyMs``). Any model id is accepted.
- ``POST /model/{modelId}/converse-stream``: ``application/vnd.amazon.eventstream`` (chunked), binary
  messages from :mod:`.eventstream`: ``messageStart`` → per block (``contentBlockStart`` for a
  toolUse) ``contentBlockDelta``s (text two words at a time; a tool input as 8-character pieces of its
  JSON) → ``contentBlockStop`` → ``messageStop`` → ``metadata`` (usage, metrics).
- Errors are AWS rest-json errors: ``x-amzn-ErrorType`` and ``{"message"}``; a request Bedrock would
  refuse (roles not alternating or not starting with user, a toolResult answering no toolUse of the
  previous assistant message, tool blocks without toolConfig, a body that is not JSON) is a 400
  ``ValidationException``.

Faults, at start (``--fault``) or at run time (``POST /__fault {"mode": ..., "delay": s, "times": n}``;
``times`` 0 = until changed, n = the next n requests it applies to; ``GET /__fault`` shows it):

- ``throttle``: 429 ``ThrottlingException`` before any stream (boto3: ``ClientError``, after its own
  retries unless the client's retries are off);
- ``stream-error``: a ``modelStreamErrorException`` event after two deltas (or at the end of a shorter
  first block); boto3 raises ``botocore.exceptions.EventStreamError`` while iterating. Converse: 424
  ``ModelErrorException``;
- ``slow-first-token``: ``delay`` seconds (default 2) between ``messageStart`` and the first delta
  (Converse: before the response);
- ``malformed-tool``: a toolUse whose input is not valid JSON (streamed: the pieces do not parse;
  Converse: ``input`` is the broken JSON text as a string); applies only to replies calling a tool;
- ``none``.

``GET /__stats``: request counts per operation, per status and per fault, the usage of the last
answered request and ``inputTokens`` of each answered request in order (the memory benchmark
compares them turn by turn). ``POST /__reset`` clears the counts and the prompt cache.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from twschat_dev.loopback import serve_until_stopped

from .model import FakeModel, count_tokens
from .server import FAULT_MODES, FakeBedrockServer, FaultMode

__all__ = ["FAULT_MODES", "FakeBedrockServer", "FakeModel", "FaultMode", "count_tokens", "register", "run"]

DEFAULT_PORT = 31117


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-bedrock",
        help="a local Bedrock Runtime endpoint (Converse, ConverseStream) with a deterministic model and faults",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free port)"
    )
    parser.add_argument("--fault", choices=FAULT_MODES, default="none", help="fault to inject from the start")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds slow-first-token waits (default 2)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, *, out: Callable[[str], None] | None = None) -> int:
    emit = out or (lambda line: print(line, flush=True))
    try:
        server = FakeBedrockServer(args.host, args.port, fault=cast(FaultMode, args.fault), delay=args.delay)
    except (ValueError, OSError) as exc:
        emit(f"fake-bedrock: {exc}")
        return 2
    emit(
        f"fake Bedrock Runtime at {server.url} (plain HTTP, loopback only; any model id; fault: {server.fault})"
    )
    emit(f"use it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME={server.url}")
    emit(f'faults at run time: curl -X POST {server.url}/__fault -d \'{{"mode": "throttle", "times": 1}}\'')

    return serve_until_stopped(server, emit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fake-bedrock")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fake-bedrock", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
