"""``noetl-events-conformance check``: audit a stream of envelopes against the reference."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from conformance.core._usage import UsageError

if TYPE_CHECKING:
    from conformance.audit._run import Shard
    from conformance.audit._sources import Source

__all__ = ["register"]

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_INCOMPLETE: Final = 3

_DESCRIPTION: Final = """\
Check every envelope of one or more sources the way the Rust side would decode it: a line is
valid when noetl_events_ref (the byte-exact twin of serde_json + noetl-events) accepts it, else
invalid with the reference's error kind, JSON path and message. A fast path (orjson) proves
most valid lines; every line it cannot prove goes to the reference itself.

sources:
  PATH                       one envelope per line (.jsonl); gzip data, told by its first
                             bytes whatever the name, is read decompressed
  -                          the same, from standard input
  postgresql://...           rows of noetl.event (or --query), rebuilt into the envelope they
                             store; read-only, server-side cursor   [extra: postgres]
  nats://host:port/STREAM    a JetStream stream (default noetl_events), every message from
                             the first; nothing is acknowledged     [extra: nats]

lines: a line is what lies between newlines; a last line without a newline counts. A blank
line is not an envelope: it is invalid (kind syntax, "EOF while parsing a value at line 1
column 0"), like binary garbage, bad UTF-8 or a truncated line; every line is counted. A line,
row or message over --max-item-size bytes is never read whole: it is invalid, kind too_large.
"""

_EPILOG: Final = """\
--jobs N: on the native engine, N threads of this process share the work (a plain file is
read in 1 MiB blocks, each read and checked by one thread; other sources' blocks are shared
among the threads); on the Python engine, N processes share it (a plain file is cut into byte
ranges at line starts of the one descriptor opened for it; other sources are read here and
checked by the workers). The report is the same as with --jobs 1. --shard I/N checks only
the lines whose key is I modulo N: the line number (from 1) for files and stdin, the stream
sequence for NATS, the event_id (else a checksum of the row's envelope) for PostgreSQL. N runs
with I = 0..N-1 check every line exactly once; for NATS and PostgreSQL that still holds when
messages or rows are added or removed between the runs (each is checked by the shard of its
own key); a file must not change between them. "total" then counts the lines checked.

live sources: a file is opened once and read up to the size it had then; one that grows or
shrinks meanwhile makes the run incomplete. PostgreSQL is read in one repeatable-read,
read-only transaction (one snapshot). NATS is read up to the stream's last message when the
read began (messages removed meanwhile are not waited for).

complete runs: the report says "complete": true only when every line of every source was read
and judged. A source that stops answering (--timeout), goes away, or changes while read ends
the run: the report says "complete": false and why ("incomplete"), and counts what was read.

report (--format json): {"complete", "incomplete", "sources", "total", "valid", "invalid",
"by_kind", "by_event_type", "errors": [{"line", "kind", "path", "message"}]} plus "hazards"
with --hazards; "sources" says what was seen of each source (file size and identity; NATS
first and last sequence and message count at the start; PostgreSQL snapshot); "line" is the
line number, the row key (PostgreSQL) or "seq N" (NATS), prefixed by "SOURCE:" when there are
several sources. by_event_type counts valid envelopes; past 10,000 event types the rest are
summed under "(other)". Messages longer than 2,000 characters are cut. At most 100,000 errors
(and hazards) are listed, even with --max-errors 0; the counts are always exact.

--hazards reports, for valid lines: ids beyond 2^53-1 (lost by JavaScript), nesting from 100
levels (serde allows 127), floats serde writes back differently, object keys serde reorders,
repeated keys, values the server redacts as secrets, timestamps finer than a microsecond or on
a leap second.

--output FILE is replaced atomically; it must be a new path or a regular file that is not a
source (a symlink, FIFO or device is refused). A run that fails after it started writes a
report marked incomplete there, so an earlier report never looks current.

timeouts: --timeout S bounds every wait on a server: connecting, each PostgreSQL statement
and lock wait (statement_timeout, lock_timeout; a watchdog gives up S + 2 s into a call the
server does not answer), each NATS request. Ctrl-C or SIGTERM ends the run within a second or
two, removing the NATS consumer (exit 130).

--engine native decodes with the real noetl-events crate, compiled (pip install ./native from
a clone, with a Rust toolchain): faster, by far with --hazards, and the same JSON report.
Invalid lines still get their listed kind, path and message from the reference. See the
kit's docs/check.md, "Engines and jobs".

exit status: 0 complete, every line valid; 1 complete, some line invalid; 2 usage error, or a
source that could not be read at all; 3 incomplete: a source was read in part (the report,
marked incomplete, counts what was read); 130 interrupted.
"""


def _integer(minimum: int, rule: str, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum`` and at most ``maximum`` (``rule``
    says so in an error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be {rule}: {text}")
        return value

    return parse


_MAX_JOBS: Final = 1024
_jobs = _integer(1, f"between 1 and {_MAX_JOBS}", _MAX_JOBS)
_count = _integer(0, "0 or more")


_MAX_SECONDS: Final = 86_400.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= _MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400: {text}")
    return value


_UNITS: Final = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str) -> int:
    """A size in bytes: an integer, with an optional K, M, G or T (powers of 1024)."""
    body = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = body[-1:] if body[-1:] in _UNITS and body[-1:] else ""
    try:
        value = int(body[: len(body) - len(unit)]) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size (e.g. 4M): {text!r}") from None
    if not 1 <= value <= 1 << 40:
        raise argparse.ArgumentTypeError(f"must be between 1 byte and 1T: {text}")
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
    parser.set_defaults(_trailing="sources")  # sources may come before, between or after options
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
        help="list at most N invalid lines (and N hazards); 0 lists all, up to 100,000 "
        "(default: 100)",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="check on N threads (native engine) or in N processes (Python engine) (default: 1)",
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
        "--max-item-size",
        type=_size,
        default=4 << 20,
        metavar="BYTES",
        help="the largest line, row or message read (K, M, G, T allowed); a larger one is invalid, "
        "kind too_large, and never held in memory (default: 4M)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE (atomically) instead of standard output; FILE must be "
        "a new path or a regular file that is not a source",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="check every line with the reference alone (no fast path; for comparisons): "
        "runs on the Python engine",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "native", "python"),
        default=None,
        help="native: the real noetl-events crate, compiled (optional module, see README); "
        "python: the reference with its orjson fast path; auto (default, or "
        "$NOETL_EVENTS_CHECK_ENGINE): native when installed. Same report either way",
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
    from conformance.audit._sources import (
        SourceError,
        SourceOptions,
        close_sources,
        open_source,
    )

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
        query=args.query,
        max_messages=args.max_messages or None,
        timeout=args.timeout,
        max_item=args.max_item_size,
    )
    opened: list[Source] = []
    try:
        for spec in specs:
            opened.append(open_source(spec, options))
    except SourceError as e:
        close_sources(opened)
        raise _NotOpened(str(e), len(opened)) from None
    return opened


class _NotOpened(UsageError):
    """A source that could not be opened: ``index`` is its place among the sources."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def _source_files(specs: list[str]) -> dict[str, str]:
    """The sources that may be local files, by their label in messages ("the source NAME")."""
    return {
        f"the source {spec}": "/dev/stdin" if spec == "-" else spec
        for spec in specs
        if "://" not in spec
    }


def _check_output(path: str, specs: list[str]) -> None:
    """Refuse an ``--output`` that is not a new path or a regular file, or is a source."""
    from ._output import check_output

    check_output(path, _source_files(specs))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):  # (a folder or a link: refused by check_output)
        raise UsageError(f"--output {path}: not a regular file; it is not replaced")


def _output_is_a_source(path: str, sources: list[Source]) -> str | None:
    """The name of the source ``path`` is (the same file), if any."""
    from conformance.audit._sources import FileSource, StdinSource

    try:
        st = os.stat(path)
    except OSError:
        return None
    for source in sources:
        if isinstance(source, FileSource) and source.identity == (st.st_dev, st.st_ino):
            return source.name
        if isinstance(source, StdinSource):
            try:
                fd_stat = os.fstat(0)
            except OSError:
                continue
            if (fd_stat.st_dev, fd_stat.st_ino) == (st.st_dev, st.st_ino):
                return source.name
    return None


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _engine(args: argparse.Namespace) -> str:
    """The engine to run: --exact means the reference alone (the Python engine)."""
    from conformance.audit._native import EngineError, resolve

    if args.exact:
        if args.engine == "native":
            raise UsageError("--exact checks with the reference alone: it takes --engine python")
        return "python"
    try:
        return resolve(args.engine, args.mode)
    except EngineError as e:
        raise UsageError(str(e)) from None


def _run(args: argparse.Namespace) -> int:
    if args.output is not None:  # fail now, not after reading everything
        _check_output(args.output, args.sources)
    # Options that cannot go together are refused before the run: --output is not touched.
    engine = _engine(args)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    names: list[str] = []
    try:
        return _check(args, names, engine)
    except UsageError as e:
        _mark_failed(args, names, str(e), e.index if isinstance(e, _NotOpened) else 0)
        raise
    except KeyboardInterrupt:
        _mark_failed(args, names, "interrupted")
        raise
    except MemoryError:
        _mark_failed(args, names, "out of memory")
        raise UsageError("out of memory: lower --max-item-size, --max-errors or --jobs") from None
    except OSError as e:
        _mark_failed(args, names, str(e))
        raise UsageError(f"{e.strerror or e}") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _mark_failed(args: argparse.Namespace, names: list[str], reason: str, source: int = 0) -> None:
    """Write a report marked incomplete over ``--output``: an older report must not look
    like this run's."""
    if args.output is None or getattr(args, "_written", False):
        return
    from conformance.audit._report import failed_report, render
    from conformance.audit._sources import display_url
    from conformance.core._atomic import write_atomic

    from ._output import same_file

    if same_file(args.output, _source_files(args.sources)) is not None:
        return  # never write over a source (it may have been put there since the start)
    names = names or [display_url(spec) for spec in args.sources]

    with contextlib.suppress(OSError):
        if os.path.lexists(args.output):
            st = os.lstat(args.output)
            if not stat.S_ISREG(st.st_mode):
                return
        if args.census:
            from conformance.audit._census import failed_census, render_census

            text = render_census(failed_census(reason), args.format, ", ".join(names))
        else:
            text = render(
                failed_report(names, reason, source), args.format, ", ".join(names) or "check"
            )
        write_atomic(args.output, text)


def _check(args: argparse.Namespace, names: list[str], engine: str) -> int:
    from conformance.audit._check import Tally
    from conformance.audit._progress import progress_for
    from conformance.audit._report import render, report_json
    from conformance.audit._run import AuditOptions, Interrupted, run
    from conformance.audit._sources import close_sources
    from conformance.core._atomic import write_atomic

    if args.census:
        _check_census_options(args)
    sources = _sources(args)
    if args.output is not None:
        same = _output_is_a_source(args.output, sources)
        if same is not None:
            close_sources(sources)
            args._written = True  # never write over a source
            raise UsageError(f"--output {args.output}: is the source {same}; it is not replaced")
    if args.census:
        try:
            return _census(args, sources)
        finally:
            close_sources(sources)
    names += [s.name for s in sources]
    options = AuditOptions(
        mode=args.mode,
        max_items=args.max_errors,
        hazards=args.hazards,
        fast=not args.exact,
        max_item=args.max_item_size,
        engine=engine,
    )
    record = "ExecutorEvent" if args.mode == "event" else "EventRequest"
    shard = f", shard {args.shard.index}/{args.shard.count}" if args.shard else ""
    title = f"{', '.join(names)} as {record}{shard} ({engine} engine)"

    def rendered(tally: Tally) -> str:
        infos = [s.info() for s in sources]
        return render(
            report_json(tally, names, hazards=args.hazards, sources=infos), args.format, title
        )

    try:
        tally = run(options, sources, jobs=args.jobs, shard=args.shard, progress=progress_for())
    except Interrupted as stop:  # the report says what was checked before the stop
        if args.output is not None:
            with contextlib.suppress(OSError):
                write_atomic(args.output, rendered(stop.tally))
                args._written = True
        raise
    finally:
        close_sources(sources)
    text = rendered(tally)
    failed = tally.stopped is not None and not tally.stopped[2]
    if args.output is not None:
        try:
            write_atomic(args.output, text)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror or e}") from None
        args._written = True
    elif not failed:
        _write_stdout(text)
    if tally.stopped is not None:
        reason = tally.stopped[1]
        if failed:
            raise UsageError(reason)
        print(f"noetl-events-conformance: incomplete: {reason}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_INVALID if tally.invalid else EXIT_VALID


def _write_stdout(text: str) -> None:

    from ._output import write_stdout

    try:  # (a closed standard output raises here too: see _main._ClosedOutput)
        write_stdout(text)
    except (OSError, ValueError) as e:
        what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        with contextlib.suppress(OSError, ValueError):  # nothing more to write at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        where = ": " if what.startswith("standard output") else " to standard output: "
        raise UsageError(f"cannot write the report{where}{what}") from None


def _check_census_options(args: argparse.Namespace) -> None:
    """A census reads every line as it is: an option that would narrow or judge the run is
    refused, before any source is opened (two CI jobs given --shard would each count all)."""
    ignored = [
        flag
        for flag, given in (
            ("--shard", args.shard is not None),
            ("--as request", args.mode != "event"),
            ("--hazards", args.hazards),
            ("--jobs", args.jobs != 1),
            ("--exact", args.exact),
            ("--engine", args.engine is not None),
            ("--max-errors", args.max_errors != 100),
        )
        if given
    ]
    if ignored:
        args._written = True  # (--output is left as it is)
        raise UsageError(f"--census reads every line as it is: it takes no {ignored[0]}")


def _census(args: argparse.Namespace, sources: list[Source]) -> int:
    from conformance.audit._census import Census, census_report, corpus_census, render_census
    from conformance.audit._sources import SourceError
    from conformance.core._atomic import write_atomic
    from conformance.corpus._case import load_corpus

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
        try:
            write_atomic(args.output, text)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror or e}") from None
        args._written = True
    else:
        _write_stdout(text)
    return EXIT_VALID
