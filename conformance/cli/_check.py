"""``noetl-events-conformance check``: audit a stream of envelopes against the reference."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from conformance.audit._run import Shard
    from conformance.audit._sources import Source

__all__ = ["register"]

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1

_DESCRIPTION: Final = """\
Check every envelope of one or more sources the way the Rust side would decode it: a line is
valid when noetl_events_ref (the byte-exact twin of serde_json + noetl-events) accepts it, else
invalid with the reference's error kind, JSON path and message. A fast path (orjson) proves
most valid lines; every line it cannot prove goes to the reference itself.

sources:
  PATH                       one envelope per line (.jsonl; .gz is read as gzip)
  -                          the same, from standard input
  postgresql://...           rows of noetl.event (or --query), rebuilt into the envelope they
                             store; read-only, server-side cursor   [extra: postgres]
  nats://host:port/STREAM    a JetStream stream (default noetl_events), every message from
                             the first; nothing is acknowledged     [extra: nats]

lines: a line is what lies between newlines; a last line without a newline counts. A blank
line is not an envelope: it is invalid (kind syntax, "EOF while parsing a value at line 1
column 0"), like binary garbage, bad UTF-8 or a truncated line; every line is counted.
"""

_EPILOG: Final = """\
--jobs N spreads the work over N processes (a plain file is cut into byte ranges at line
starts; other sources are read here and checked by the workers); the report is the same as
with --jobs 1. --shard I/N checks only the lines whose number (from 1; rows and messages by
their order) is I modulo N, so N runs with I = 0..N-1 check every line exactly once; "total"
then counts the lines checked.

report (--format json): {"total", "valid", "invalid", "by_kind", "by_event_type",
"errors": [{"line", "kind", "path", "message"}]} plus "hazards" with --hazards; "line" is the
line number, the row key (PostgreSQL) or "seq N" (NATS), prefixed by "SOURCE:" when there are
several sources. by_event_type counts valid envelopes; past 10,000 event types the rest are
summed under "(other)". Messages longer than 2,000 characters are cut.

--hazards reports, for valid lines: ids beyond 2^53-1 (lost by JavaScript), nesting from 100
levels (serde allows 127), floats serde writes back differently, object keys serde reorders,
repeated keys, values the server redacts as secrets, timestamps finer than a microsecond or on
a leap second.

exit status: 0 every line valid, 1 some line invalid, 2 usage error or unreadable source.
"""


def _integer(minimum: int, rule: str) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum`` (``rule`` says so in an error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {rule}: {text}")
        return value

    return parse


_positive = _integer(1, "at least 1")
_count = _integer(0, "0 or more")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


def _shard(text: str) -> Shard:
    from conformance.audit._run import Shard  # (imported when used: `--help` stays quick)

    index, sep, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N (e.g. 0/4), got {text!r}") from None
    if not sep or shard.count < 1 or not 0 <= shard.index < shard.count:
        raise argparse.ArgumentTypeError(f"expected I/N with 0 <= I < N, got {text!r}")
    return shard


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="audit a stream of envelopes (files, stdin, PostgreSQL, NATS) against the reference",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="what to check (see above)")
    parser.add_argument(
        "--as",
        dest="mode",
        choices=("event", "request"),
        default="event",
        help="decode as the crate's ExecutorEvent (default) or the server's EventRequest",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="report format (default: text)",
    )
    parser.add_argument(
        "--max-errors",
        type=_count,
        default=100,
        metavar="N",
        help="list at most N invalid lines (and N hazards); 0 lists all (default: 100)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=1,
        metavar="N",
        help="check in N processes (default: 1)",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="I/N",
        help="check only the lines numbered I modulo N (to split a run across CI jobs)",
    )
    parser.add_argument(
        "--hazards",
        action="store_true",
        help="also report portability hazards in valid lines (slower)",
    )
    parser.add_argument(
        "--query",
        metavar="SQL",
        help="PostgreSQL: a SELECT to read instead of noetl.event; columns by name: "
        "execution_id, event_type, step or node_name, status, created_at, context or result, "
        "and optionally event_id, worker_id, meta",
    )
    parser.add_argument(
        "--max-messages",
        type=_count,
        default=None,
        metavar="N",
        help="NATS: stop after N messages (default: at the stream's last message; 0: no limit)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="PostgreSQL, NATS: give up after S seconds without an answer (default: 10)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE (atomically) instead of standard output",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="check every line with the reference alone (no fast path; for comparisons)",
    )
    parser.add_argument(
        "--census",
        action="store_true",
        help="instead of judging lines, report the shapes the stream uses (field sets, "
        "optionals, nulls, event types, statuses, timestamp fraction widths, id ranges) and "
        "how many of the corpus's accepted decode_event inputs share each (exit 0)",
    )
    parser.set_defaults(func=_run)


def _sources(args: argparse.Namespace) -> list[Source]:
    from conformance.audit._sources import SourceError, SourceOptions, open_source

    from ._main import UsageError

    specs: list[str] = args.sources
    if specs.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    if args.query is not None and not any(
        s.startswith(("postgresql:", "postgres:")) for s in specs
    ):
        raise UsageError("--query needs a postgresql:// source")
    if args.max_messages is not None and not any(s.startswith("nats:") for s in specs):
        raise UsageError("--max-messages needs a nats:// source")
    options = SourceOptions(
        query=args.query, max_messages=args.max_messages or None, timeout=args.timeout
    )
    try:
        return [open_source(spec, options) for spec in specs]
    except SourceError as e:
        raise UsageError(str(e)) from None


def _run(args: argparse.Namespace) -> int:
    from conformance.audit._progress import progress_for
    from conformance.audit._report import render, report_json
    from conformance.audit._run import AuditOptions, run
    from conformance.audit._sources import SourceError
    from conformance.core._atomic import write_atomic

    from ._main import UsageError

    if args.output is not None:  # fail now, not after reading everything
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise UsageError(f"cannot write {args.output}: no writable folder {folder}")
    sources = _sources(args)
    if args.census:
        return _census(args, sources)
    options = AuditOptions(
        mode=args.mode, max_items=args.max_errors, hazards=args.hazards, fast=not args.exact
    )
    try:
        tally = run(options, sources, jobs=args.jobs, shard=args.shard, progress=progress_for())
    except SourceError as e:
        raise UsageError(str(e)) from None
    names = [s.name for s in sources]
    report = report_json(tally, names, hazards=args.hazards)
    record = "ExecutorEvent" if args.mode == "event" else "EventRequest"
    shard = f", shard {args.shard.index}/{args.shard.count}" if args.shard else ""
    text = render(report, args.format, f"{', '.join(names)} as {record}{shard}")
    if args.output is not None:
        try:
            write_atomic(Path(args.output), text)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror or e}") from None
    else:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. `| head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_INVALID if tally.invalid else EXIT_VALID


def _census(args: argparse.Namespace, sources: list[Source]) -> int:
    from conformance.audit._census import Census, census_report, corpus_census, render_census
    from conformance.audit._sources import SourceError
    from conformance.core._atomic import write_atomic
    from conformance.corpus._case import load_corpus

    from ._main import UsageError

    stream = Census()
    try:
        for source in sources:
            for block in source.blocks():
                for line in block.lines:
                    stream.add(line)
    except SourceError as e:
        raise UsageError(str(e)) from None
    corpus = corpus_census(c.input for c in load_corpus() if c.op == "decode_event" and c.accepts)
    title = ", ".join(s.name for s in sources)
    text = render_census(census_report(stream, corpus), args.format, title)
    if args.output is not None:
        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_VALID
