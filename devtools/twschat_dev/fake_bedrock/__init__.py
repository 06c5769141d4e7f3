"""twschat fake-bedrock: a local Amazon Bedrock Runtime endpoint that speaks the real Converse and
ConverseStream wire protocol, with a deterministic model, a scripted mode and faults on request.

Development and tests only: loopback addresses only, plain HTTP, no credentials checked (the SigV4
header boto3 sends is ignored). Point the real client at it:

  boto3.client("bedrock-runtime", endpoint_url="http://127.0.0.1:31117", region_name="us-east-1")
  or: AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:31117

The model API (any model id is accepted):
  POST /model/<modelId>/converse          the JSON ConverseResponse (output.message, stopReason,
                                          usage, metrics.latencyMs)
  POST /model/<modelId>/converse-stream   application/vnd.amazon.eventstream, chunked: messageStart,
                                          then per block (contentBlockStart for a toolUse) its
                                          contentBlockDeltas (text two words at a time, a tool input
                                          in 8-character pieces of its JSON) and contentBlockStop,
                                          then messageStop and metadata (usage, metrics)
  Errors are AWS rest-json errors (x-amzn-ErrorType, {"message"}). A request Bedrock would refuse
  (roles not alternating or not starting with user, a toolResult answering no toolUse of the previous
  assistant message, tool blocks without toolConfig, a body that is not JSON) is a 400
  ValidationException. The deterministic model is described in twschat_dev/fake_bedrock/model.py.

Scripted mode: play a given model (one that obeys a job log, proposes what nobody asked for, loops):
  POST /__script      a JSON list of replies served in order to the next ConverseStream calls,
                      then the deterministic model again; an empty list, or DELETE /__script,
                      goes back to it at once; GET /__script shows what is left
  A reply: {"content": [{"text": "..."},
                        {"toolUse": {"name": "propose_action", "input": {"action": "kill", ...}}},
                        {"toolUse": {"name": "get_job", "rawInput": "not JSON"}}],
            "stopReason": "tool_use", "repeat": 1}
  (or a plain string: one text block). input is any JSON value, rawInput the exact characters
  streamed as the tool's input; toolUseId is optional; stopReason defaults to tool_use when a block
  calls a tool, else end_turn; repeat answers that many calls with the same reply. Replies are
  streamed with the same encoder and event order as the model's. Converse calls (the running
  summary) are not scripted. A throttled or refused request uses no reply; a stream-error fault
  breaks the reply it was serving (a retry gets the next one). GET /__script: the replies left
  ("repeat": calls left) and how many were served. Format: twschat_dev/fake_bedrock/script.py.
  GET /__requests[?since=N]   every request received (the last 500): index, operation, modelId,
                              status, fault, scripted, system (the system prompt's texts) and the
                              whole body; "last" is the N to pass next time.

Faults, at start (--fault) or at run time (POST /__fault {"mode": ..., "delay": s, "times": n};
times 0 = until changed, n = the next n requests; GET /__fault shows it):
  throttle           429 ThrottlingException before any stream (boto3 raises ClientError, after
                     its own retries unless they are off)
  stream-error       a modelStreamErrorException event after two deltas (or at the end of a
                     shorter first block): boto3 raises EventStreamError while iterating;
                     Converse: 424 ModelErrorException
  slow-first-token   --delay seconds (default 2) between messageStart and the first delta
                     (Converse: before the response)
  malformed-tool     the model's tool input is not valid JSON (streamed: the pieces do not parse;
                     Converse: the broken JSON text as a string); waits for a reply calling a tool
                     (a scripted reply says its own rawInput instead)
  none

GET /__stats: request counts per operation, status and fault, the usage of the last answered
request and the inputTokens of each answered request in order (the memory benchmark compares them
turn by turn). POST /__reset clears the counts, the request log, the prompt cache and the script.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from twschat_dev.loopback import serve_until_stopped

from .model import FakeModel, count_tokens
from .server import FAULT_MODES, FakeBedrockServer, FaultMode

__all__ = ["FAULT_MODES", "FakeBedrockServer", "FakeModel", "FaultMode", "count_tokens", "register", "run"]

DEFAULT_PORT = 31117
_DESCRIPTION, _, _EPILOG = (__doc__ or "").strip().partition("\n\n")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-bedrock",
        help="a local Bedrock Runtime endpoint (Converse, ConverseStream) with a deterministic model and faults",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            emit(
                f"fake-bedrock: port {args.port} on {args.host} is already in use (another fake-bedrock?); "
                "stop it, or choose another with --port (0 = any free port)"
            )
        else:
            emit(f"fake-bedrock: cannot listen on {args.host} port {args.port}: {exc.strerror or exc}")
        return 2
    except ValueError as exc:
        emit(f"fake-bedrock: {exc}")
        return 2
    emit(
        f"fake Bedrock Runtime at {server.url} (plain HTTP, loopback only; any model id; fault: {server.fault})"
    )
    emit(f"use it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME={server.url}")
    emit(f'faults at run time: curl -X POST {server.url}/__fault -d \'{{"mode": "throttle", "times": 1}}\'')
    emit(
        f"scripted replies: curl -X POST {server.url}/__script -d '[\"a reply\"]' (twschat fake-bedrock --help)"
    )

    return serve_until_stopped(server, emit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fake-bedrock")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fake-bedrock", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
