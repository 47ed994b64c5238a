"""``noetl-events-conformance``: the kit's command line.

Each subcommand lives in its own module, which provides ``register(subparsers)``: it adds
its parser and sets ``func`` (called with the parsed arguments, returning the exit status).
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any, Final

from conformance.core._extras import missing_extra
from conformance.core._usage import UsageError

__all__ = ["UsageError", "main"]

# command -> module, in the order the commands appear in --help
_COMMANDS: Final = {
    "verify": "conformance.cli._verify",
    "check": "conformance.cli._check",
    "diff": "conformance.cli._diff",
    "corpus": "conformance.cli._corpus",
    "generate": "conformance.cli._generate",
    "promote": "conformance.cli._promote",
    "schema": "conformance.cli._schema",
    "matrix": "conformance.cli._matrix",
}

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command``, only that command's module is imported (start-up
    time matters for ``check`` in a pipeline), otherwise all of them (for ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="noetl-events-conformance",
        description=(
            "Wire-compatibility conformance kit for the NoETL event envelope: verify an "
            "implementation against the golden corpus, audit captured event streams, and keep "
            "the corpus itself in order."
        ),
        epilog=_docs_line() if command is None else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="show the kit's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in _COMMANDS.items():
        if command is None or command == name:
            try:
                import_module(module_name).register(sub)
            except ModuleNotFoundError as e:
                _register_missing(sub, name, e)
    return parser


def _docs_line() -> str | None:
    """Where the documentation shipped with this install is (for the full ``--help``)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for index in (
        os.path.join(package, "docs", "index.md"),  # an install: inside the package
        os.path.join(os.path.dirname(package), "docs", "index.md"),  # a checkout
    ):
        if os.path.isfile(index):
            return f"documentation: {index}"
    return None


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (the lookup costs a ``check`` in a
    pipeline a noticeable part of its start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from noetl_events_ref._adapter import distribution_version

        print(f"{parser.prog} {distribution_version()}")  # on stdout, as argparse's own
        parser.exit()


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of ``command`` (the top-level one if there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser | None = action.choices.get(command)
            if found is not None:
                return found
    return parser


def _register_missing(sub: Any, name: str, error: ModuleNotFoundError) -> None:
    """A command whose module needs a missing extra: listed, and it says what to install."""
    usage = missing_extra(error, f"`{name}`")
    if usage is None:
        raise error

    def refuse(_args: argparse.Namespace) -> int:
        raise usage

    parser = sub.add_parser(name, help=f"(not installed: {usage})", add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(func=refuse)


class _ClosedOutput(io.TextIOBase):
    """Standard output when the process started with it closed (``>&-``; Python then sets
    ``sys.stdout`` to None and ``print`` drops what it is given): writing to it is an error
    the user is told of (one line, status 2), not output silently lost."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    closed = sys.stdout is None
    if closed:
        sys.stdout = _ClosedOutput()
    try:
        return _main(argv)
    finally:
        if closed:
            sys.stdout = None  # (as it was, for an in-process caller)


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command if command in _COMMANDS else None)
    args, extras = parser.parse_known_args(words)
    trailing = getattr(args, "_trailing", None)  # a command whose operands may follow options
    if trailing is not None and all(w == "-" or not w.startswith("-") for w in extras):
        getattr(args, trailing).extend(extras)  # (`check a.jsonl --hazards b.jsonl`)
        extras = []
    if extras:  # said by the command's own parser, with its usage (not the top level's)
        _command_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(extras)}")
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"noetl-events-conformance: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as e:
        usage = missing_extra(e, f"`{args.command}`")
        if usage is None:
            raise
        print(f"noetl-events-conformance: error: {usage}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("noetl-events-conformance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `| head`: the reader stopped reading; nothing more to say
        _quiet_stdout()
        return EXIT_USAGE
    except OSError as e:  # standard output on a full device, or a file gone mid-run
        _quiet_stdout()
        where = f"{e.filename}: " if e.filename is not None else ""
        print(f"noetl-events-conformance: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush of what is
    still buffered cannot fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
