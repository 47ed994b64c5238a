"""``noetl-events-conformance``: the kit's command line.

Each subcommand lives in its own module, which provides ``register(subparsers)``: it adds
its parser and sets ``func`` (called with the parsed arguments, returning the exit status).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Final

__all__ = ["main"]

# module, in the order the subcommands appear in --help
_COMMANDS: Final = (
    "conformance._verify",
    "conformance._check_cli",
    "conformance._diff_cli",
    "conformance._corpus_cli",
    "conformance._generate_cli",
    "conformance._promote",
)

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2


class UsageError(Exception):
    """A mistake in how the kit was called: printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="noetl-events-conformance",
        description=(
            "Wire-compatibility conformance kit for the NoETL event envelope: verify an "
            "implementation against the golden corpus, and keep the corpus itself in order."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        try:
            module = import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"noetl-events-conformance: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("noetl-events-conformance: interrupted", file=sys.stderr)
        return 130
