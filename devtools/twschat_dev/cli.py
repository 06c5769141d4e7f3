"""``twschat`` command line. Each subcommand lives in its own module exposing ``register(subparsers)``,
which adds its parser and sets ``func`` (``args -> exit code``). Add a module name to ``COMMANDS``
to plug in a new subcommand (``fake-tws``, ``token``, ``chat``...).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from twschat import __version__

COMMANDS: tuple[str, ...] = (
    "twschat_dev.gateway",  # serve
    "twschat_dev.invoke",  # invoke
    "twschat_dev.fake_tws",  # fake-tws
    "twschat_dev.fake_bedrock",  # fake-bedrock
    "twschat_dev.auth",  # token
    "twschat_dev.client",  # chat
    "twschat_dev.eval",  # eval
)


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twschat",
        description="tws-chat developer tools: local WebSocket gateway and handler runner.",
    )
    parser.add_argument("--version", action="version", version=f"twschat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        importlib.import_module(name).register(subparsers)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Like ``parse_args``, but an option the command does not know gets that command's usage
    (``twschat serve --prot 9100``), not the top-level one."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(build_parser(), argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
