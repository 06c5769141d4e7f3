"""``twschat eval``: the assistant's quality measured on the golden set (eval/, issue 19).

Each dialogue of ``eval/dialogues/`` runs through the real chat service (:mod:`.runner`) on a fresh
plan and is scored turn by turn (:mod:`.scoring`): the reads, their arguments, the facts, grounding,
language, the confirmation, unrequested proposals, the end state; figures per category and tag, the
worst failures, and a JSON report (:mod:`.report`). ``--thresholds`` checks the run against the
baseline stored in the repository (eval/thresholds.json; CI does it for the rules).

    twschat eval                                   # the rules on the whole set
    twschat eval --only en --only actions          # English action dialogues only
    twschat eval --responder bedrock --bedrock-endpoint http://127.0.0.1:31117   # twschat fake-bedrock
    twschat eval --responder bedrock --model-id us.amazon.nova-lite-v1:0 --repeat 3 --report nova.json
    twschat eval --responder bedrock --misbehave planted-obedience              # must score low
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twschat.llm.pricing import DEFAULT_MODEL_ID

from .golden import DEFAULT_ROOT, GoldenSetError, load_golden_set, select
from .harness import THRESHOLDS_FILE, below_thresholds, evaluate, load_thresholds, write_thresholds
from .misbehaving import MISBEHAVING_MODES, MisbehavingModel
from .report import build_report, format_report
from .runner import RunOptions

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score the assistant on the golden set of operator dialogues (eval/)",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--responder", choices=("rules", "bedrock"), default="rules")
    parser.add_argument(
        "--bedrock-endpoint", default="", help="a Bedrock Runtime endpoint (twschat fake-bedrock)"
    )
    parser.add_argument("--model-id", default=DEFAULT_MODEL_ID, help=f"default {DEFAULT_MODEL_ID}")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each dialogue (pass^k); default 1")
    parser.add_argument("--tws", default="demo", help="demo (in process, default) or a twschat fake-tws URL")
    parser.add_argument("--only", action="append", default=[], help="a tag, category, split, language or id")
    parser.add_argument("--report", default="", help="write the JSON report here")
    parser.add_argument(
        "--set", dest="golden", default=str(DEFAULT_ROOT), help="the golden set folder or file"
    )
    parser.add_argument(
        "--misbehave", choices=MISBEHAVING_MODES, default="", help="an in-process misbehaving model"
    )
    parser.add_argument(
        "--thresholds", default="", help=f"fail (exit 1) below these (e.g. {THRESHOLDS_FILE.name})"
    )
    parser.add_argument(
        "--update-thresholds",
        default="",
        help="store this run as the baseline in this file (after an improvement)",
    )
    parser.add_argument("--quiet", action="store_true", help="no summary table")
    parser.add_argument("--verbose", action="store_true", help="the responders' own log lines too")
    parser.set_defaults(func=run)


def _model_factory(args: argparse.Namespace) -> Callable[[], Any] | None:
    if args.responder != "bedrock":
        return None
    if args.misbehave:
        return lambda: MisbehavingModel(args.misbehave)
    built: list[Any] = []

    def shared() -> Any:  # one boto3 client for the whole run (building one costs ~0.1 s)
        if not built:
            built.append(bedrock_client(args.bedrock_endpoint))
        return built[0]

    return shared


def bedrock_client(endpoint: str = "") -> Any:
    """The production model client; against a loopback endpoint (``twschat fake-bedrock``) with
    placeholder credentials, as ``twschat serve`` gives it (the fake checks none)."""
    from twschat.adapters.tws_rest import is_loopback
    from twschat.llm.bedrock import BedrockModelClient

    if not endpoint:
        return BedrockModelClient()
    if not is_loopback(urlsplit(endpoint).hostname or ""):
        return BedrockModelClient(endpoint_url=endpoint)
    import boto3
    from botocore.config import Config

    from twschat.llm.bedrock import CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS

    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        ),
    )
    return BedrockModelClient(client=client)


def run(args: argparse.Namespace, *, out: Callable[[str], None] | None = None) -> int:
    emit = out or (lambda line: print(line, flush=True))
    try:
        dialogues = select(load_golden_set(args.golden), args.only)
    except (GoldenSetError, OSError) as exc:
        emit(f"eval: {exc}")
        return 2
    if not dialogues:
        emit(f"eval: no dialogue carries {args.only}")
        return 2
    if args.misbehave and args.responder != "bedrock":
        emit("eval: --misbehave plays a model: use it with --responder bedrock")
        return 2
    options = RunOptions(
        responder=args.responder,
        model_factory=_model_factory(args),
        model_id=args.model_id,
        tws_url="" if args.tws == "demo" else args.tws,
    )
    # The responders log every rejected proposal and fallback: the report counts them instead.
    quiet_logs = logging.getLogger("twschat")
    level = quiet_logs.level
    quiet_logs.setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)
    try:
        results = evaluate(dialogues, options, repeat=args.repeat, progress=emit)
    except ValueError as exc:
        emit(f"eval: {exc}")
        return 2
    finally:
        quiet_logs.setLevel(level)
    model = (
        ""
        if args.responder == "rules"
        else (f"misbehaving:{args.misbehave}" if args.misbehave else args.model_id)
    )
    report = build_report(results, responder=args.responder, model=model)
    if not args.quiet:
        emit(format_report(report))
    if args.report:
        Path(args.report).write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        emit(f"report written to {args.report}")
    if args.update_thresholds:
        write_thresholds(args.update_thresholds, args.responder, report)
        emit(f"baseline for {args.responder} written to {args.update_thresholds}")
    if args.thresholds:
        drops = below_thresholds(report, load_thresholds(args.thresholds, args.responder))
        for drop in drops:
            emit(f"below the baseline: {drop}")
        return 1 if drops else 0
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="twschat")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
